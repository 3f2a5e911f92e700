/*
 * Conversions from snapshot values to the encodings XEN-DOMAIN-MIB uses.
 * Pure functions, so they are unit tested without an agent.
 */
#ifndef XENSNMP_VALUES_H
#define XENSNMP_VALUES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/xen_snapshot.h"

/* XenUtf8String limit, in octets */
#define XENSNMP_UTF8_MAX 255

/*
 * Copies in as UTF-8 into out (out_max octets at most): invalid or NUL
 * bytes become U+FFFD and the result is cut at a character boundary.
 * Returns the octets written.
 */
size_t xensnmp_utf8_clean(const char *in, size_t in_len, char *out,
			  size_t out_max);

/* DateAndTime in UTC (11 octets); returns the length. */
size_t xensnmp_date_and_time(const struct timespec *t, uint8_t out[11]);

/* XenDataSources BITS from XEN_SRC_* bits; returns the length (1). */
size_t xensnmp_sources_bits(unsigned sources, uint8_t out[1]);

/* XenDomainState and XenShutdownReason values. */
int xensnmp_domain_state(const struct xen_domain *dom);
int xensnmp_shutdown_reason(enum xen_shutdown_code code);

/* A 64-bit quantity as a Gauge32/Unsigned32, saturating. */
uint32_t xensnmp_clamp32(uint64_t v);

#endif
