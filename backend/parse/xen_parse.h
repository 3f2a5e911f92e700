/*
 * Strict parsers for values read from Xen (xenstore strings, SXP atoms):
 * each rejects anything but the exact form, so a hostile value becomes
 * "unknown" rather than a wrong number.
 */
#ifndef XEN_PARSE_H
#define XEN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The value of one hex digit of either case, or -1. */
int xen_parse_hexdigit(unsigned char c);

/* Decimal unsigned integer, digits only, no overflow. 0 on success. */
int xen_parse_u64(const char *s, size_t len, uint64_t *out);

/* Xen's DOMID_FIRST_RESERVED: ids from here on (DOMID_SELF, DOMID_IO,
 * ...) name no domain and are refused from every source. */
#define XEN_DOMID_FIRST_RESERVED 0x7FF0u

/* A domain ID: decimal, below DOMID_FIRST_RESERVED (0x7FF0). */
int xen_parse_domid(const char *s, size_t len, uint32_t *out);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex of either case. */
int xen_parse_uuid(const char *s, size_t len, uint8_t out[16]);

/* "SECONDS[.FRACTION]" since the epoch, as libxl and xend write it. */
int xen_parse_timestamp(const char *s, size_t len, struct timespec *out);

/* "aa:bb:cc:dd:ee:ff" into 6 octets. */
int xen_parse_mac(const char *s, size_t len, uint8_t out[6]);

/*
 * If path is "<prefix>/<domid>[/...]", store the domid and return true;
 * *rest (optional) points at what follows the domid ("" or "/...").
 */
bool xen_path_domid(const char *path, const char *prefix, uint32_t *domid,
		    const char **rest);

#endif
