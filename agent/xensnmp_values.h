/*
 * Snapshot values in the encodings XEN-DOMAIN-MIB uses: pure conversions
 * (unit tested without an agent) and the setters that put a value into
 * a net-snmp varbind.
 */
#ifndef XENSNMP_VALUES_H
#define XENSNMP_VALUES_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "core/xen_snapshot.h"

/* XenUtf8String and XenLongUtf8String limits, in octets */
#define XENSNMP_UTF8_MAX 255
#define XENSNMP_LONG_UTF8_MAX 1024

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

/*
 * A configuration token's value as a whole number from min to max
 * (trailing blanks allowed): true and *out set, or false and *out
 * untouched; the caller says what it keeps.
 */
bool xensnmp_config_long(const char *line, long min, long max, long *out);

/*
 * TimeStamp (sysUpTime, centiseconds) of a CLOCK_MONOTONIC instant since,
 * given the monotonic time now and the agent's sysUpTime now: 0 when
 * since is zero (before the first snapshot) or before the agent started.
 */
uint32_t xensnmp_timestamp(const struct timespec *since,
			   const struct timespec *now, uint32_t uptime_now);

/* Setters: put a value into var, typed as the MIB says. */
void xensnmp_set_string(netsnmp_variable_list *var, const void *data, size_t len);
/* UTF-8 cleaned (see xensnmp_utf8_clean), at most max octets */
void xensnmp_set_text(netsnmp_variable_list *var, const char *data, size_t len,
		      size_t max);
void xensnmp_set_utf8(netsnmp_variable_list *var, const struct xen_bytes *b);
void xensnmp_set_long_utf8(netsnmp_variable_list *var, const struct xen_bytes *b);
void xensnmp_set_int(netsnmp_variable_list *var, long v);
void xensnmp_set_gauge(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_unsigned(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_counter64(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_sources(netsnmp_variable_list *var, unsigned sources);
void xensnmp_set_date(netsnmp_variable_list *var, const struct timespec *t);
/* the TimeStamp of since, against the agent's sysUpTime now */
void xensnmp_set_timestamp(netsnmp_variable_list *var,
			   const struct timespec *since);

#endif
