/* Unit tests: strict parsers for values read from Xen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "parse/xen_parse.h"

#define S(x) x, strlen(x)

static void test_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(xen_parse_u64(S("0"), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xen_parse_u64(S("1048576"), &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(xen_parse_u64(S("18446744073709551615"), &v), 0);
	assert_true(v == UINT64_MAX);
	/* overflow, signs, spaces, units and empties are refused */
	assert_int_equal(xen_parse_u64(S("18446744073709551616"), &v), -1);
	assert_int_equal(xen_parse_u64(S("-1"), &v), -1);
	assert_int_equal(xen_parse_u64(S(" 1"), &v), -1);
	assert_int_equal(xen_parse_u64(S("1 "), &v), -1);
	assert_int_equal(xen_parse_u64(S("512M"), &v), -1);
	assert_int_equal(xen_parse_u64(S("0x10"), &v), -1);
	assert_int_equal(xen_parse_u64(S(""), &v), -1);
	assert_int_equal(xen_parse_u64(NULL, 0, &v), -1);
	/* a value with an embedded NUL is not a number */
	assert_int_equal(xen_parse_u64("12\0" "3", 4, &v), -1);
}

static void test_domid(void **state)
{
	uint32_t id;

	(void)state;
	assert_int_equal(xen_parse_domid(S("0"), &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(xen_parse_domid(S("32751"), &id), 0);
	assert_int_equal(id, 32751);
	/* DOMID_FIRST_RESERVED and above are not domains */
	assert_int_equal(xen_parse_domid(S("32752"), &id), -1);
	assert_int_equal(xen_parse_domid(S("65535"), &id), -1);
}

static void test_uuid(void **state)
{
	static const uint8_t want[16] = {
		0x4f, 0x77, 0xab, 0xd2, 0x30, 0x19, 0x58, 0xe8,
		0x3b, 0xab, 0x6f, 0xbf, 0x21, 0x18, 0xf8, 0x80,
	};
	uint8_t u[16];

	(void)state;
	assert_int_equal(xen_parse_uuid(S("4f77abd2-3019-58e8-3bab-6fbf2118f880"), u), 0);
	assert_memory_equal(u, want, 16);
	assert_int_equal(xen_parse_uuid(S("4F77ABD2-3019-58E8-3BAB-6FBF2118F880"), u), 0);
	assert_memory_equal(u, want, 16);
	assert_int_equal(xen_parse_uuid(S("4f77abd2301958e83bab6fbf2118f880"), u), -1);
	assert_int_equal(xen_parse_uuid(S("4f77abd2-3019-58e8-3bab-6fbf2118f88"), u), -1);
	assert_int_equal(xen_parse_uuid(S("4f77abd2-3019-58e8-3bab-6fbf2118f88g"), u), -1);
	assert_int_equal(xen_parse_uuid(S("4f77abd2_3019-58e8-3bab-6fbf2118f880"), u), -1);
}

static void test_timestamp(void **state)
{
	struct timespec t;

	(void)state;
	/* libxl writes hundredths: "%jd.%02d" */
	assert_int_equal(xen_parse_timestamp(S("1700000000.25"), &t), 0);
	assert_int_equal(t.tv_sec, 1700000000);
	assert_int_equal(t.tv_nsec, 250000000);
	assert_int_equal(xen_parse_timestamp(S("1700000000.05"), &t), 0);
	assert_int_equal(t.tv_nsec, 50000000);
	/* xend wrote a float with more digits */
	assert_int_equal(xen_parse_timestamp(S("1163083021.65"), &t), 0);
	assert_int_equal(xen_parse_timestamp(S("1163083021.123456789123"), &t), 0);
	assert_int_equal(t.tv_nsec, 123456789);
	assert_int_equal(xen_parse_timestamp(S("1700000000"), &t), 0);
	assert_int_equal(t.tv_nsec, 0);
	assert_int_equal(xen_parse_timestamp(S("1700000000."), &t), -1);
	assert_int_equal(xen_parse_timestamp(S(".5"), &t), -1);
	assert_int_equal(xen_parse_timestamp(S("17e8"), &t), -1);
	assert_int_equal(xen_parse_timestamp(S("1.2.3"), &t), -1);
}

static void test_mac(void **state)
{
	static const uint8_t want[6] = { 0x00, 0x16, 0x3e, 0x1d, 0x06, 0x15 };
	uint8_t m[6];

	(void)state;
	assert_int_equal(xen_parse_mac(S("00:16:3e:1d:06:15"), m), 0);
	assert_memory_equal(m, want, 6);
	assert_int_equal(xen_parse_mac(S("00:16:3E:1D:06:15"), m), 0);
	assert_int_equal(xen_parse_mac(S("00-16-3e-1d-06-15"), m), -1);
	assert_int_equal(xen_parse_mac(S("00:16:3e:1d:06"), m), -1);
	assert_int_equal(xen_parse_mac(S("zz:16:3e:1d:06:15"), m), -1);
}

static void test_path_domid(void **state)
{
	const char *rest;
	uint32_t id;

	(void)state;
	assert_true(xen_path_domid("/local/domain/12/memory/target",
				   "/local/domain", &id, &rest));
	assert_int_equal(id, 12);
	assert_string_equal(rest, "/memory/target");
	assert_true(xen_path_domid("/local/domain/7", "/local/domain", &id, &rest));
	assert_string_equal(rest, "");
	/* component-wise: no partial names, no non-numeric ids */
	assert_false(xen_path_domid("/local/domainx/7", "/local/domain", &id, NULL));
	assert_false(xen_path_domid("/local/domain/7x", "/local/domain", &id, NULL));
	assert_false(xen_path_domid("/local/domain/", "/local/domain", &id, NULL));
	assert_false(xen_path_domid("/local/domain", "/local/domain", &id, NULL));
	assert_false(xen_path_domid("/local/domain/99999", "/local/domain", &id, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_domid),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_path_domid),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
