/* Unit tests: snapshot values in XEN-DOMAIN-MIB encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "xensnmp_oids.h"
#include "xensnmp_values.h"

static void test_utf8_valid_passes(void **state)
{
	char out[64];
	const char *s = "web-\xC3\xA9t\xC3\xA9-\xE2\x82\xAC-\xF0\x9F\x98\x80";
	size_t n = xensnmp_utf8_clean(s, strlen(s), out, sizeof(out));

	(void)state;
	assert_int_equal(n, strlen(s));
	assert_memory_equal(out, s, n);
}

static void test_utf8_invalid_replaced(void **state)
{
	char out[64];
	/* a lone continuation byte, an overlong '/', a surrogate, a NUL */
	const char in[] = "a\x80" "b\xC0\xAF" "c\xED\xA0\x80" "d\0e\xFF";
	size_t n = xensnmp_utf8_clean(in, sizeof(in) - 1, out, sizeof(out));
	const char want[] = "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD"
			    "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
			    "d\xEF\xBF\xBD" "e\xEF\xBF\xBD";

	(void)state;
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
}

static void test_utf8_truncates_at_boundary(void **state)
{
	char in[4096], out[XENSNMP_UTF8_MAX];
	size_t i, n;

	(void)state;
	/* 4 KiB of two-octet characters: 255 octets hold 127 of them */
	for (i = 0; i + 1 < sizeof(in); i += 2) {
		in[i] = '\xC3';
		in[i + 1] = '\xA9';
	}
	n = xensnmp_utf8_clean(in, sizeof(in), out, sizeof(out));
	assert_int_equal(n, 254);
	assert_int_equal((unsigned char)out[n - 2], 0xC3);
	/* invalid bytes also stop at a whole replacement character */
	memset(in, '\xFF', sizeof(in));
	n = xensnmp_utf8_clean(in, sizeof(in), out, sizeof(out));
	assert_int_equal(n, 255);
	n = xensnmp_utf8_clean(in, sizeof(in), out, 254);
	assert_int_equal(n, 252);
}

static void test_date_and_time(void **state)
{
	struct timespec t = { .tv_sec = 1700000000, .tv_nsec = 250000000 };
	uint8_t d[11];
	/* 2023-11-14 22:13:20.2 UTC */
	static const uint8_t want[11] = { 0x07, 0xE7, 11, 14, 22, 13, 20, 2, '+', 0, 0 };

	(void)state;
	assert_int_equal(xensnmp_date_and_time(&t, d), 11);
	assert_memory_equal(d, want, 11);

	/* a huge start_time: gmtime_r fails; no date from an unfilled struct tm */
	t.tv_sec = INT64_MAX / 2;
	memset(d, 0xAA, sizeof(d));
	assert_int_equal(xensnmp_date_and_time(&t, d), 8);
	assert_memory_equal(d, "\0\0\0\0\0\0\0\0", 8);
}

static void test_sources_bits(void **state)
{
	uint8_t b[1];

	(void)state;
	assert_int_equal(xensnmp_sources_bits(XEN_SRC_XENSTORE, b), 1);
	assert_int_equal(b[0], 0x80);
	xensnmp_sources_bits(XEN_SRC_XENSTORE | XEN_SRC_HYPERVISOR, b);
	assert_int_equal(b[0], 0xA0);
	xensnmp_sources_bits(0, b);
	assert_int_equal(b[0], 0);
}

static void test_state_mapping(void **state)
{
	struct xen_domain dom = { .domid = 1 };

	(void)state;
	assert_int_equal(xensnmp_domain_state(&dom), XENSNMP_STATE_UNKNOWN);
	dom.known = XEN_DOM_HAVE_STATE;
	dom.state = XEN_RUN_PAUSED;
	assert_int_equal(xensnmp_domain_state(&dom), XENSNMP_STATE_PAUSED);
	dom.state = XEN_RUN_CRASHED;
	assert_int_equal(xensnmp_domain_state(&dom), XENSNMP_STATE_CRASHED);
	dom.state = XEN_RUN_SHUTOFF;
	assert_int_equal(xensnmp_domain_state(&dom), XENSNMP_STATE_SHUTOFF);
	dom.state = XEN_RUN_SUSPENDED;
	assert_int_equal(xensnmp_domain_state(&dom), XENSNMP_STATE_SUSPENDED);
	assert_int_equal(xensnmp_shutdown_reason(XEN_SHUTDOWN_NONE), XENSNMP_SHUTDOWN_NONE);
	assert_int_equal(xensnmp_shutdown_reason(XEN_SHUTDOWN_CRASH), XENSNMP_SHUTDOWN_CRASH);
	assert_int_equal(xensnmp_shutdown_reason(XEN_SHUTDOWN_SOFT_RESET),
			 XENSNMP_SHUTDOWN_SOFT_RESET);
}

static void test_clamp32(void **state)
{
	(void)state;
	assert_int_equal(xensnmp_clamp32(5), 5);
	assert_true(xensnmp_clamp32(1ull << 40) == UINT32_MAX);
}

static void test_config_long(void **state)
{
	long v = -7;

	(void)state;
	assert_true(xensnmp_config_long("5", 1, 3600, &v));
	assert_int_equal(v, 5);
	assert_true(xensnmp_config_long("3600  \t", 1, 3600, &v));
	assert_int_equal(v, 3600);
	v = -7;
	assert_false(xensnmp_config_long("0", 1, 3600, &v));
	assert_false(xensnmp_config_long("3601", 1, 3600, &v));
	assert_false(xensnmp_config_long("", 1, 3600, &v));
	assert_false(xensnmp_config_long("12x", 1, 3600, &v));
	assert_false(xensnmp_config_long("99999999999999999999", 0, 3600, &v));
	assert_int_equal(v, -7);	/* untouched on refusal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_passes),
		cmocka_unit_test(test_utf8_invalid_replaced),
		cmocka_unit_test(test_utf8_truncates_at_boundary),
		cmocka_unit_test(test_date_and_time),
		cmocka_unit_test(test_sources_bits),
		cmocka_unit_test(test_state_mapping),
		cmocka_unit_test(test_clamp32),
		cmocka_unit_test(test_config_long),
	};

	return cmocka_run_group_tests_name("values", tests, NULL, NULL);
}
