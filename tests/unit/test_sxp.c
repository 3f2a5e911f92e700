/* Unit tests: the SXP parser and xend's replies mapped onto snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse/sxp.h"
#include "parse/xend_sxp.h"

#define S(x) x, strlen(x)

static struct sxp_doc *parse_ok(const char *buf, size_t len)
{
	struct sxp_error err;
	struct sxp_doc *doc = sxp_parse(buf, len, NULL, &err);

	if (!doc)
		fail_msg("parse failed at %zu: %s", err.offset, err.msg);
	return doc;
}

/* Expects a parse error at offset whose message contains what. */
static void parse_bad(const char *buf, size_t len, size_t offset,
		      const char *what)
{
	struct sxp_error err;
	struct sxp_doc *doc = sxp_parse(buf, len, NULL, &err);

	assert_null(doc);
	assert_non_null(err.msg);
	if (!strstr(err.msg, what))
		fail_msg("error '%s' lacks '%s'", err.msg, what);
	assert_int_equal(err.offset, offset);
}

static void test_atoms(void **state)
{
	struct sxp_doc *doc;
	const struct sxp *r;

	(void)state;
	doc = parse_ok(S("  hello\n"));
	r = sxp_root(doc);
	assert_true(sxp_is_atom(r));
	assert_string_equal(r->atom, "hello");
	assert_int_equal(r->len, 5);
	assert_int_equal(r->offset, 2);
	sxp_free(doc);

	doc = parse_ok(S("(a b-c 1.5 /usr/bin/pygrub 00:16:3e:1d:06:15 @)"));
	r = sxp_root(doc);
	assert_true(sxp_is_list(r));
	assert_int_equal(r->len, 6);
	assert_string_equal(sxp_name(r), "a");
	assert_string_equal(r->kids->next->atom, "b-c");
	assert_string_equal(r->kids->next->next->next->atom, "/usr/bin/pygrub");
	sxp_free(doc);

	/* an empty list, and an empty value as xend writes it */
	doc = parse_ok(S("(x () (features ))"));
	r = sxp_root(doc);
	assert_int_equal(r->kids->next->len, 0);
	assert_null(r->kids->next->kids);
	assert_non_null(sxp_child(r, "features"));
	assert_null(sxp_value(r, "features", NULL));
	sxp_free(doc);

	/* comments */
	doc = parse_ok(S("# config\n(a # note\n b)\n# end"));
	assert_int_equal(sxp_root(doc)->len, 2);
	sxp_free(doc);
}

static void test_strings(void **state)
{
	struct sxp_doc *doc;
	const struct sxp *r, *x;

	(void)state;
	doc = parse_ok(S("(args 'ro root=/dev/VolGroup00/LogVol00 rhgb quiet' \"dq\")"));
	r = sxp_root(doc);
	x = r->kids->next;
	assert_string_equal(x->atom, "ro root=/dev/VolGroup00/LogVol00 rhgb quiet");
	assert_string_equal(x->next->atom, "dq");
	sxp_free(doc);

	doc = parse_ok(S("('a\\'b\\\"c\\\\d\\n\\t\\r\\a\\b\\v\\f' '\\x41\\x4a' '\\101\\0' \"it's\" '')"));
	r = sxp_root(doc);
	x = r->kids;
	assert_int_equal(x->len, 14);
	assert_memory_equal(x->atom, "a'b\"c\\d\n\t\r\a\b\v\f", 15);
	x = x->next;
	assert_string_equal(x->atom, "AJ");
	x = x->next;
	assert_int_equal(x->len, 2);
	assert_memory_equal(x->atom, "A\0", 3);
	x = x->next;
	assert_string_equal(x->atom, "it's");
	x = x->next;
	assert_int_equal(x->len, 0);
	assert_string_equal(x->atom, "");
	sxp_free(doc);

	/* a string ends an atom and is its own element */
	doc = parse_ok(S("(abc'd e'f)"));
	r = sxp_root(doc);
	assert_int_equal(r->len, 3);
	assert_string_equal(r->kids->next->atom, "d e");
	sxp_free(doc);

	/* raw newlines and high bytes inside strings are kept */
	doc = parse_ok(S("('two\nlines' caf\xc3\xa9)"));
	r = sxp_root(doc);
	assert_string_equal(r->kids->atom, "two\nlines");
	assert_string_equal(r->kids->next->atom, "caf\xc3\xa9");
	sxp_free(doc);
}

static void test_nesting_and_helpers(void **state)
{
	static const char dom[] =
		"(domain (domid 5) (uuid 4f77abd2-3019-58e8-3bab-6fbf2118f880)\n"
		" (image (linux (kernel /k) (args 'ro quiet')))\n"
		" (name rhel5) (name second) (memory (weird)))";
	struct sxp_doc *doc = parse_ok(S(dom));
	const struct sxp *r = sxp_root(doc), *img;
	size_t len = 0;

	(void)state;
	assert_string_equal(sxp_name(r), "domain");
	assert_string_equal(sxp_value(r, "domid", &len), "5");
	assert_int_equal(len, 1);
	/* the first child of that name wins */
	assert_string_equal(sxp_value(r, "name", NULL), "rhel5");
	/* a list value is not an atom value */
	assert_null(sxp_value(r, "memory", NULL));
	assert_null(sxp_value(r, "missing", NULL));
	/* the list's own name is not a child */
	assert_null(sxp_child(r, "domain"));
	img = sxp_child(r, "image");
	assert_non_null(img);
	assert_string_equal(sxp_name(img->kids->next), "linux");
	assert_string_equal(sxp_value(img->kids->next, "args", NULL), "ro quiet");
	/* helpers accept atoms and NULL */
	assert_null(sxp_name(img->kids));
	assert_null(sxp_child(NULL, "x"));
	assert_null(sxp_value(img->kids, "x", NULL));
	sxp_free(doc);
	sxp_free(NULL);
}

static void test_malformed(void **state)
{
	(void)state;
	parse_bad(S(""), 0, "empty");
	parse_bad(S("  # only a comment\n"), 19, "empty");
	parse_bad(S("(a (b c)"), 8, "unbalanced parenthesis");
	parse_bad(S("(a b))"), 5, "unbalanced parenthesis");
	parse_bad(S(")"), 0, "unbalanced parenthesis");
	parse_bad(S("(a) (b)"), 4, "trailing data");
	parse_bad(S("(a 'open"), 3, "unterminated string");
	parse_bad(S("(a 'ends in escape\\"), 18, "unterminated string");
	parse_bad(S("(a 'bad \\q escape')"), 8, "bad escape");
	parse_bad(S("(a '\\xZZ')"), 4, "bad escape");
	parse_bad(S("(a '\\777')"), 4, "bad escape");
	/* embedded NUL bytes, raw, in an atom, in a string, in a comment */
	parse_bad("(a \0 b)", 7, 3, "NUL");
	parse_bad("(ab\0c)", 6, 3, "NUL");
	parse_bad("(a 'b\0c')", 9, 5, "NUL");
	parse_bad("# x\0\n(a)", 8, 3, "NUL");
	/* control characters outside strings */
	parse_bad(S("(a b\x01)"), 4, "control character");
	/* truncated domain reply */
	parse_bad(S("((domain (domid 1) (name x"), 26, "unbalanced");
	assert_null(sxp_parse(NULL, 3, NULL, NULL));
}

static void test_limits(void **state)
{
	struct sxp_limits lim = { .max_depth = 3, .max_nodes = 5, .max_atom = 4 };
	struct sxp_error err;
	struct sxp_doc *doc;
	char *big;
	size_t i, n = 200000;

	(void)state;
	doc = sxp_parse(S("(((a)))"), &lim, &err);
	assert_non_null(doc);
	sxp_free(doc);
	assert_null(sxp_parse(S("((((a))))"), &lim, &err));
	assert_string_equal(err.msg, "lists nested too deeply");
	assert_int_equal(err.offset, 3);
	assert_null(sxp_parse(S("(a b c d e)"), &lim, &err));
	assert_string_equal(err.msg, "too many elements");
	assert_null(sxp_parse(S("(abcde)"), &lim, &err));
	assert_string_equal(err.msg, "atom too long");
	assert_int_equal(err.offset, 1);
	assert_null(sxp_parse(S("('abcd\\n')"), &lim, &err));
	assert_string_equal(err.msg, "atom too long");
	doc = sxp_parse(S("(abcd 'ab\\x41d')"), &lim, &err);
	assert_non_null(doc);
	sxp_free(doc);

	/* default limits: very deep nesting and a huge atom are refused */
	big = malloc(n + 3);
	assert_non_null(big);
	memset(big, '(', n);
	assert_null(sxp_parse(big, n, NULL, &err));
	assert_string_equal(err.msg, "lists nested too deeply");
	assert_int_equal(err.offset, SXP_DEFAULT_MAX_DEPTH);
	big[0] = '(';
	for (i = 1; i <= n; i++)
		big[i] = 'x';
	big[n + 1] = ')';
	assert_null(sxp_parse(big, n + 2, NULL, &err));
	assert_string_equal(err.msg, "atom too long");
	big[1] = '\'';
	big[n] = '\'';
	assert_null(sxp_parse(big, n + 2, NULL, &err));
	assert_string_equal(err.msg, "atom too long");
	free(big);
}

/* The capture from xen-facts: xend 3.x via RHEL5, as libvirt keeps it. */
static const char rhel5[] =
	"(domain\n"
	"    (domid 5)\n"
	"    (uuid 4f77abd2-3019-58e8-3bab-6fbf2118f880)\n"
	"    (vcpus 1)\n"
	"    (cpu_weight 1.0)\n"
	"    (memory 175)\n"
	"    (shadow_memory 0)\n"
	"    (maxmem 385)\n"
	"    (bootloader /usr/bin/pygrub)\n"
	"    (features )\n"
	"    (name rhel5)\n"
	"    (on_poweroff destroy) (on_reboot restart) (on_crash restart)\n"
	"    (image (linux (ramdisk /var/lib/xen/initrd.gULTf1) (kernel /var/lib/xen/vmlinuz.blj7cs)\n"
	"                  (args 'ro root=/dev/VolGroup00/LogVol00 rhgb quiet') (vnc 1) (display localhost:10.0)))\n"
	"    (device (vif (backend 0) (script vif-bridge) (bridge xenbr0) (mac 00:16:3e:1d:06:15)))\n"
	"    (device (tap (backend 0) (dev xvda:disk) (uname tap:aio:/xen/rhel5.img) (mode w)))\n"
	"    (state -b----)\n"
	"    (shutdown_reason poweroff)\n"
	"    (cpu_time 137.189121425)\n"
	"    (online_vcpus 1)\n"
	"    (up_time 66492.0194759)\n"
	"    (start_time 1163083021.65)\n"
	"    (store_mfn 74407)\n"
	"    (console_mfn 198038)\n"
	")\n";

static void test_domains_capture(void **state)
{
	struct xen_snapshot *snap = xen_snapshot_new();
	const struct xen_domain *d;
	char why[256] = "";
	char *body;
	size_t len = strlen(rhel5) + 3;

	(void)state;
	body = malloc(len + 1);
	snprintf(body, len + 1, "(%s)\n", rhel5);
	assert_int_equal(xend_parse_domains(body, strlen(body), snap, why, sizeof(why)), 0);
	free(body);
	assert_int_equal(snap->n_domains, 1);
	d = snap->domains[0];
	assert_int_equal(d->domid, 5);
	assert_int_equal(d->sources, XEN_SRC_XEND);
	assert_string_equal(d->name.data, "rhel5");
	assert_string_equal(d->os_type.data, "linux");
	assert_true(d->known & XEN_DOM_HAVE_UUID);
	assert_int_equal(d->uuid[0], 0x4f);
	assert_int_equal(d->uuid[15], 0x80);
	assert_true(d->known & XEN_DOM_HAVE_MEM_TARGET);
	assert_int_equal(d->mem_target_kib, 175 * 1024);
	assert_int_equal(d->mem_max_kib, 385 * 1024);
	assert_int_equal(d->vcpus_max, 1);
	assert_int_equal(d->vcpus_online, 1);
	assert_true(d->known & XEN_DOM_HAVE_VCPUS_ONLINE);
	assert_int_equal(d->state, XEN_RUN_BLOCKED);
	/* a stale reason on a domain that is not shut down means none */
	assert_true(d->known & XEN_DOM_HAVE_SHUTDOWN);
	assert_int_equal(d->shutdown, XEN_SHUTDOWN_NONE);
	assert_true(d->known & XEN_DOM_HAVE_CPU_TIME);
	assert_true(d->cpu_time_ns == 137189121425ull);
	assert_int_equal(d->start_time.tv_sec, 1163083021);
	assert_int_equal(d->start_time.tv_nsec, 650000000);
	xen_snapshot_unref(snap);

	/* a single (domain ...) without the enclosing list is accepted */
	snap = xen_snapshot_new();
	assert_int_equal(xend_parse_domains(S(rhel5), snap, why, sizeof(why)), 0);
	assert_int_equal(snap->n_domains, 1);
	xen_snapshot_unref(snap);
}

static const struct xen_domain *find(struct xen_snapshot *snap, uint32_t id)
{
	xen_snapshot_sort(snap);
	return xen_snapshot_find(snap, id);
}

static void test_domains_states(void **state)
{
	static const char body[] =
		"((domain (domid 0) (name Domain-0) (uuid 00000000-0000-0000-0000-000000000000)"
		"  (vcpus 4) (vcpu_avail 15) (memory 1024) (maxmem 2048) (state r-----) (cpu_time 10))"
		" (domain (domid 1) (name p) (vcpus 2) (vcpu_avail 1) (state --p---))"
		" (domain (domid 2) (name s) (state ---s--) (shutdown_reason reboot))"
		" (domain (domid 3) (name c) (state ----c-))"
		" (domain (domid 4) (name d) (state -----d) (vcpus 2) (vcpu_avail 7L))"
		" (domain (domid 6) (name q) (state ------) (status 2))"
		" (domain (domid 7) (name st) (status 1))"
		" (domain (domid 8) (name bad) (state rb) (memory -1) (cpu_time x)"
		"  (start_time 1.) (vcpus many) (vcpu_avail 0x3))"
		" (domain (domid 9) (name sc) (state ---sc-) (shutdown_reason 4))"
		" (domain (domid 10) (name big) (vcpus 128)"
		"  (vcpu_avail 340282366920938463463374607431768211455))"
		" (domain (domid 99999) (name toobig))"
		" (domain (domid x) (name garbage))"
		" (domain (name nouuid))"
		" (domain (domid 1) (name dup))"
		" (vm (domid 11))"
		" atom)";
	struct xen_snapshot *snap = xen_snapshot_new();
	const struct xen_domain *d;
	char why[256] = "";

	(void)state;
	assert_int_equal(xend_parse_domains(S(body), snap, why, sizeof(why)), 0);
	assert_int_equal(snap->n_domains, 10);
	d = find(snap, 0);
	assert_int_equal(d->state, XEN_RUN_RUNNING);
	assert_int_equal(d->vcpus_online, 4);
	assert_int_equal(d->mem_target_kib, 1048576);
	assert_true(d->cpu_time_ns == 10000000000ull);
	d = find(snap, 1);
	assert_string_equal(d->name.data, "p");
	assert_int_equal(d->state, XEN_RUN_PAUSED);
	assert_int_equal(d->vcpus_online, 1);
	d = find(snap, 2);
	assert_int_equal(d->state, XEN_RUN_SHUTDOWN);
	assert_int_equal(d->shutdown, XEN_SHUTDOWN_REBOOT);
	d = find(snap, 3);
	assert_int_equal(d->state, XEN_RUN_CRASHED);
	assert_int_equal(d->shutdown, XEN_SHUTDOWN_CRASH);
	d = find(snap, 4);
	assert_int_equal(d->state, XEN_RUN_DYING);
	/* vcpu_avail is capped by vcpus */
	assert_int_equal(d->vcpus_online, 2);
	d = find(snap, 6);
	assert_int_equal(d->state, XEN_RUN_RUNNING);
	d = find(snap, 7);
	assert_int_equal(d->state, XEN_RUN_PAUSED);
	d = find(snap, 8);
	assert_int_equal(d->known, 0);
	assert_string_equal(d->name.data, "bad");
	d = find(snap, 9);
	assert_int_equal(d->state, XEN_RUN_CRASHED);
	assert_int_equal(d->shutdown, XEN_SHUTDOWN_WATCHDOG);
	d = find(snap, 10);
	assert_int_equal(d->vcpus_online, 128);
	assert_null(find(snap, 11));
	xen_snapshot_unref(snap);
}

static void test_domains_halted(void **state)
{
	static const char running[] =
		"((domain (domid 0) (name Domain-0) (uuid 00000000-0000-0000-0000-000000000000))"
		" (domain (domid 3) (name web) (uuid 11111111-0000-0000-0000-000000000001)))";
	static const char halted[] =
		"((domain (name web) (uuid 11111111-0000-0000-0000-000000000001) (status 0))"
		" (domain (name a) (uuid 00000000-0000-0000-0000-0000000000aa) (memory 256) (maxmem 512) (vcpus 2) (status 0))"
		" (domain (name b) (uuid 00000000-0000-0000-0000-0000000000bb) (domid -1))"
		" (domain (name c) (uuid ffffffff-0000-0000-0000-0000000000cc))"
		" (domain (name d) (uuid 7fff0000-0000-0000-0000-0000000000dd))"
		" (domain (name e) (uuid 7ffeffff-0000-0000-0000-0000000000ee))"
		" (domain (name f) (uuid 7ffeffff-0000-0000-0000-0000000000ff))"
		" (domain (name a2) (uuid 00000000-0000-0000-0000-0000000000aa))"
		" (domain (name nouuid))"
		" (domain (domid 5) (name running-here) (uuid 55555555-0000-0000-0000-000000000005)))";
	struct xen_snapshot *snap = xen_snapshot_new();
	const struct xen_domain *d;
	char why[256] = "";
	uint32_t last = XEN_DOMID_SHUTOFF_BASE + XEN_DOMID_SHUTOFF_SPAN - 1;

	(void)state;
	assert_int_equal(xend_parse_domains(S(running), snap, why, sizeof(why)), 0);
	assert_int_equal(xend_parse_domains(S(halted), snap, why, sizeof(why)), 0);
	xen_snapshot_sort(snap);
	/* 0, 3, 5, and a, b, c, d, e, f */
	assert_int_equal(snap->n_domains, 9);
	/* a and b share the base key: UUID order, then the next key */
	d = find(snap, XEN_DOMID_SHUTOFF_BASE);
	assert_non_null(d);
	assert_string_equal(d->name.data, "a");
	assert_int_equal(d->state, XEN_RUN_SHUTOFF);
	assert_int_equal(d->mem_target_kib, 256 * 1024);
	assert_int_equal(d->mem_max_kib, 512 * 1024);
	assert_int_equal(d->vcpus_max, 2);
	assert_false(d->known & XEN_DOM_HAVE_VCPUS_ONLINE);
	d = find(snap, XEN_DOMID_SHUTOFF_BASE + 1);
	assert_string_equal(d->name.data, "b");
	/* 0xffffffff % span = 131071 */
	d = find(snap, XEN_DOMID_SHUTOFF_BASE + 131071);
	assert_string_equal(d->name.data, "c");
	/* 0x7fff0000 % span = 0: the base again, taken twice */
	d = find(snap, XEN_DOMID_SHUTOFF_BASE + 2);
	assert_string_equal(d->name.data, "d");
	/* 0x7ffeffff gives the last key; the next one wraps to the first free */
	d = find(snap, last);
	assert_string_equal(d->name.data, "e");
	d = find(snap, XEN_DOMID_SHUTOFF_BASE + 3);
	assert_string_equal(d->name.data, "f");
	d = find(snap, 3);
	assert_int_equal(d->state, XEN_RUN_UNKNOWN);
	xen_snapshot_unref(snap);
}

static void test_domains_bad(void **state)
{
	struct xen_snapshot *snap = xen_snapshot_new();
	char why[256];

	(void)state;
	assert_int_equal(xend_parse_domains(S("((domain (domid 1)"), snap, why, sizeof(why)), -1);
	assert_string_equal(why, "malformed SXP at offset 18: unbalanced parenthesis: input ends inside a list");
	assert_int_equal(xend_parse_domains(S("Domain-0"), snap, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "list"));
	assert_int_equal(xend_parse_domains(S("<html>oops</html>"), snap, why, sizeof(why)), -1);
	assert_int_equal(xend_parse_domains(S("(html (body oops))"), snap, why, sizeof(why)), 0);
	assert_int_equal(snap->n_domains, 0);
	assert_int_equal(xend_parse_domains(S("()"), snap, why, sizeof(why)), 0);
	assert_int_equal(snap->n_domains, 0);
	xen_snapshot_unref(snap);
}

static void test_node(void **state)
{
	static const char node[] =
		"(node (system Linux) (host xenhost) (release 3.2.0-4-amd64) (version '#1 SMP ...')"
		" (machine x86_64) (nr_cpus 4) (nr_nodes 1) (cores_per_socket 4) (threads_per_core 1)"
		" (cpu_mhz 2394) (hw_caps bfebfbff:28100800) (virt_caps hvm) (total_memory 8191)"
		" (free_memory 1023) (free_cpus 0) (xen_major 4) (xen_minor 1) (xen_extra .4)"
		" (xen_caps 'xen-3.0-x86_64 hvm-3.0-x86_64') (xen_scheduler credit)"
		" (xend_config_format 4))";
	struct xen_host host = { 0 };
	char why[256];

	(void)state;
	assert_int_equal(xend_parse_node(S(node), &host, why, sizeof(why)), 0);
	assert_int_equal(host.known, XEN_HOST_HAVE_VERSION | XEN_HOST_HAVE_NAME |
			 XEN_HOST_HAVE_CPUS | XEN_HOST_HAVE_CPU_MHZ |
			 XEN_HOST_HAVE_TOTAL_MEM | XEN_HOST_HAVE_FREE_MEM);
	assert_string_equal(host.xen_version.data, "4.1.4");
	assert_string_equal(host.name.data, "xenhost");
	assert_int_equal(host.cpus, 4);
	assert_int_equal(host.cpu_mhz, 2394);
	assert_int_equal(host.total_mem_kib, 8191 * 1024);
	assert_int_equal(host.free_mem_kib, 1023 * 1024);
	xen_bytes_clear(&host.xen_version);
	xen_bytes_clear(&host.name);

	memset(&host, 0, sizeof(host));
	assert_int_equal(xend_parse_node(S("(node (xen_major 3) (xen_minor 0) (nr_cpus x))"),
					 &host, why, sizeof(why)), 0);
	assert_int_equal(host.known, XEN_HOST_HAVE_VERSION);
	assert_string_equal(host.xen_version.data, "3.0");
	xen_bytes_clear(&host.xen_version);

	assert_int_equal(xend_parse_node(S("(domain (nr_cpus 4))"), &host, why, sizeof(why)), -1);
	assert_int_equal(xend_parse_node(S("node"), &host, why, sizeof(why)), -1);
	assert_int_equal(xend_parse_node(S("(node (nr_cpus 4)"), &host, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "malformed SXP at offset 17"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atoms),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nesting_and_helpers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_domains_capture),
		cmocka_unit_test(test_domains_states),
		cmocka_unit_test(test_domains_halted),
		cmocka_unit_test(test_domains_bad),
		cmocka_unit_test(test_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
