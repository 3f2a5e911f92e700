/* Snapshot values in XEN-DOMAIN-MIB encodings (see the header). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xensnmp_oids.h"
#include "xensnmp_values.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

static const char replacement[] = "\xEF\xBF\xBD";	/* U+FFFD */

/* Length of the valid UTF-8 sequence at s, or 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are invalid */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return len;
}

size_t xensnmp_utf8_clean(const char *in, size_t in_len, char *out,
			  size_t out_max)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n = 0;

	while (i < in_len) {
		size_t len = utf8_seq(s + i, in_len - i);
		const char *src = len ? in + i : replacement;
		size_t src_len = len ? len : 3;

		if (n + src_len > out_max)
			break;
		memcpy(out + n, src, src_len);
		n += src_len;
		i += len ? len : 1;
	}
	return n;
}

size_t xensnmp_date_and_time(const struct timespec *t, uint8_t out[11])
{
	struct tm tm;
	time_t secs = t->tv_sec;

	/* a time gmtime_r cannot convert, or a year DateAndTime cannot hold,
	 * is the conventional unknown date: eight zero octets */
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 65535) {
		memset(out, 0, 8);
		return 8;
	}
	out[0] = (uint8_t)((tm.tm_year + 1900) >> 8);
	out[1] = (uint8_t)((tm.tm_year + 1900) & 0xFF);
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	out[7] = (uint8_t)(t->tv_nsec / 100000000L);
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
	return 11;
}

size_t xensnmp_sources_bits(unsigned sources, uint8_t out[1])
{
	/* BITS: bit 0 is the most significant bit of the first octet */
	out[0] = 0;
	if (sources & XEN_SRC_XENSTORE)
		out[0] |= 0x80 >> XENSNMP_SOURCE_XENSTORE;
	if (sources & XEN_SRC_XEND)
		out[0] |= 0x80 >> XENSNMP_SOURCE_XEND;
	if (sources & XEN_SRC_HYPERVISOR)
		out[0] |= 0x80 >> XENSNMP_SOURCE_HYPERVISOR;
	if (sources & XEN_SRC_DOM0_STATS)
		out[0] |= 0x80 >> XENSNMP_SOURCE_DOM0_STATS;
	return 1;
}

int xensnmp_domain_state(const struct xen_domain *dom)
{
	if (!(dom->known & XEN_DOM_HAVE_STATE))
		return XENSNMP_STATE_UNKNOWN;
	switch (dom->state) {
	case XEN_RUN_RUNNING:
		return XENSNMP_STATE_RUNNING;
	case XEN_RUN_BLOCKED:
		return XENSNMP_STATE_BLOCKED;
	case XEN_RUN_PAUSED:
		return XENSNMP_STATE_PAUSED;
	case XEN_RUN_SHUTDOWN:
		return XENSNMP_STATE_SHUTDOWN;
	case XEN_RUN_CRASHED:
		return XENSNMP_STATE_CRASHED;
	case XEN_RUN_DYING:
		return XENSNMP_STATE_DYING;
	case XEN_RUN_SHUTOFF:
		return XENSNMP_STATE_SHUTOFF;
	case XEN_RUN_SUSPENDED:
		return XENSNMP_STATE_SUSPENDED;
	case XEN_RUN_UNKNOWN:
		break;
	}
	return XENSNMP_STATE_UNKNOWN;
}

int xensnmp_shutdown_reason(enum xen_shutdown_code code)
{
	switch (code) {
	case XEN_SHUTDOWN_NONE:
		return XENSNMP_SHUTDOWN_NONE;
	case XEN_SHUTDOWN_POWEROFF:
		return XENSNMP_SHUTDOWN_POWEROFF;
	case XEN_SHUTDOWN_REBOOT:
		return XENSNMP_SHUTDOWN_REBOOT;
	case XEN_SHUTDOWN_SUSPEND:
		return XENSNMP_SHUTDOWN_SUSPEND;
	case XEN_SHUTDOWN_CRASH:
		return XENSNMP_SHUTDOWN_CRASH;
	case XEN_SHUTDOWN_WATCHDOG:
		return XENSNMP_SHUTDOWN_WATCHDOG;
	case XEN_SHUTDOWN_SOFT_RESET:
		return XENSNMP_SHUTDOWN_SOFT_RESET;
	case XEN_SHUTDOWN_UNKNOWN:
		break;
	}
	return XENSNMP_SHUTDOWN_UNKNOWN;
}

uint32_t xensnmp_clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint32_t xensnmp_timestamp(const struct timespec *since,
			   const struct timespec *now, uint32_t uptime_now)
{
	int64_t ago;

	if (since->tv_sec == 0 && since->tv_nsec == 0)
		return 0;
	ago = ((int64_t)now->tv_sec - since->tv_sec) * 100 +
	      ((int64_t)now->tv_nsec - since->tv_nsec) / 10000000;
	if (ago < 0)
		ago = 0;
	return ago >= uptime_now ? 0 : uptime_now - (uint32_t)ago;
}

void xensnmp_set_string(netsnmp_variable_list *var, const void *data, size_t len)
{
	snmp_set_var_typed_value(var, ASN_OCTET_STR, data, len);
}

void xensnmp_set_text(netsnmp_variable_list *var, const char *data, size_t len,
		      size_t max)
{
	char buf[XENSNMP_LONG_UTF8_MAX];
	size_t n = xensnmp_utf8_clean(data, len, buf,
				      max < sizeof(buf) ? max : sizeof(buf));

	snmp_set_var_typed_value(var, ASN_OCTET_STR, buf, n);
}

void xensnmp_set_utf8(netsnmp_variable_list *var, const struct xen_bytes *b)
{
	xensnmp_set_text(var, b->data, b->len, XENSNMP_UTF8_MAX);
}

void xensnmp_set_long_utf8(netsnmp_variable_list *var, const struct xen_bytes *b)
{
	xensnmp_set_text(var, b->data, b->len, XENSNMP_LONG_UTF8_MAX);
}

void xensnmp_set_int(netsnmp_variable_list *var, long v)
{
	snmp_set_var_typed_integer(var, ASN_INTEGER, v);
}

void xensnmp_set_gauge(netsnmp_variable_list *var, uint64_t v)
{
	snmp_set_var_typed_integer(var, ASN_GAUGE, xensnmp_clamp32(v));
}

void xensnmp_set_unsigned(netsnmp_variable_list *var, uint64_t v)
{
	snmp_set_var_typed_integer(var, ASN_UNSIGNED, xensnmp_clamp32(v));
}

void xensnmp_set_counter64(netsnmp_variable_list *var, uint64_t v)
{
	struct counter64 c = { .high = v >> 32, .low = v & 0xFFFFFFFFu };

	snmp_set_var_typed_value(var, ASN_COUNTER64, &c, sizeof(c));
}

void xensnmp_set_sources(netsnmp_variable_list *var, unsigned sources)
{
	uint8_t bits[1];
	size_t n = xensnmp_sources_bits(sources, bits);

	snmp_set_var_typed_value(var, ASN_OCTET_STR, bits, n);
}

void xensnmp_set_date(netsnmp_variable_list *var, const struct timespec *t)
{
	uint8_t buf[11];
	size_t n = xensnmp_date_and_time(t, buf);

	snmp_set_var_typed_value(var, ASN_OCTET_STR, buf, n);
}

void xensnmp_set_timestamp(netsnmp_variable_list *var,
			   const struct timespec *since)
{
	struct timespec now;

	/* net-snmp's sysUpTime runs on the monotonic clock as well */
	clock_gettime(CLOCK_MONOTONIC, &now);
	snmp_set_var_typed_integer(var, ASN_TIMETICKS,
				   xensnmp_timestamp(since, &now,
						     (uint32_t)netsnmp_get_agent_uptime()));
}

bool xensnmp_config_long(const char *line, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(line, &end, 10);
	while (end != line && isspace((unsigned char)*end))
		end++;
	if (errno || end == line || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}
