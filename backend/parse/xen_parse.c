/* Strict parsers for values read from Xen. */
#include <string.h>

#include "parse/xen_parse.h"

#define DOMID_FIRST_RESERVED XEN_DOMID_FIRST_RESERVED

int xen_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int xen_parse_domid(const char *s, size_t len, uint32_t *out)
{
	uint64_t v;

	if (xen_parse_u64(s, len, &v) < 0 || v >= DOMID_FIRST_RESERVED)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int xen_parse_hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xen_parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	static const size_t dash[] = { 8, 13, 18, 23 };
	uint8_t bytes[16];
	size_t i, d = 0, n = 0;

	if (!s || len != 36)
		return -1;
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return -1;
			d++;
			continue;
		}
		hi = xen_parse_hexdigit((unsigned char)s[i]);
		lo = i + 1 < len ? xen_parse_hexdigit((unsigned char)s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		bytes[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (n != 16)
		return -1;
	memcpy(out, bytes, 16);
	return 0;
}

int xen_parse_timestamp(const char *s, size_t len, struct timespec *out)
{
	const char *dot;
	size_t int_len, i;
	uint64_t sec;
	long nsec = 0, scale = 100000000L;

	if (!s || len == 0)
		return -1;
	dot = memchr(s, '.', len);
	int_len = dot ? (size_t)(dot - s) : len;
	if (xen_parse_u64(s, int_len, &sec) < 0 || sec > INT64_MAX)
		return -1;
	if (dot) {
		size_t frac_len = len - int_len - 1;

		if (frac_len == 0)
			return -1;
		for (i = 0; i < frac_len; i++) {
			char c = dot[1 + i];

			if (c < '0' || c > '9')
				return -1;
			nsec += (c - '0') * scale;	/* digits past ns are dropped */
			scale /= 10;
		}
	}
	out->tv_sec = (time_t)sec;
	out->tv_nsec = nsec;
	return 0;
}

int xen_parse_mac(const char *s, size_t len, uint8_t out[6])
{
	size_t i;

	if (!s || len != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		int hi = xen_parse_hexdigit((unsigned char)s[3 * i]),
		    lo = xen_parse_hexdigit((unsigned char)s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool xen_path_domid(const char *path, const char *prefix, uint32_t *domid,
		    const char **rest)
{
	size_t plen = strlen(prefix), n = 0;
	const char *p;

	if (strncmp(path, prefix, plen) != 0 || path[plen] != '/')
		return false;
	p = path + plen + 1;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || (p[n] != '\0' && p[n] != '/'))
		return false;
	if (xen_parse_domid(p, n, domid) < 0)
		return false;
	if (rest)
		*rest = p + n;
	return true;
}
