/*
 * Unit tests: the XEN-DOMAIN-MIB tables run against a hand-made snapshot,
 * without an agent: row counts and indexes, absent versus served values
 * (the MIB's one rule: unknown is absent), string limits, the suspended
 * state and the counter discontinuity columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xensnmp_oids.h"
#include "xensnmp_tables.h"
#include "xensnmp_values.h"

/* Domain 3 "web" with two vCPUs (one without any known value), a VIF
 * and a VBD whose params is 600 octets long; domain 9 with nothing
 * known but its domid. */
static struct xen_snapshot *make_snapshot(void)
{
	struct xen_snapshot *snap = xen_snapshot_new();
	struct xen_domain *web = xen_domain_new(3), *bare = xen_domain_new(9);
	char params[600];

	assert_non_null(snap);
	assert_non_null(web);
	assert_non_null(bare);
	xen_bytes_set(&web->name, "web", 3);
	web->known |= XEN_DOM_HAVE_STATE;
	web->state = XEN_RUN_SUSPENDED;
	web->counters_since.tv_sec = 5;
	web->n_vcpus = 2;
	web->vcpus = calloc(2, sizeof(*web->vcpus));
	web->vcpus[0].id = 0;
	web->vcpus[0].known = XEN_VCPU_HAVE_AVAILABILITY | XEN_VCPU_HAVE_STATE;
	web->vcpus[0].online = true;
	web->vcpus[0].state = XEN_VCPU_RUNNING;
	web->vcpus[1].id = 1;
	web->n_vifs = 1;
	web->vifs = calloc(1, sizeof(*web->vifs));
	web->vifs[0].devid = 0;
	xen_bytes_set(&web->vifs[0].mac, "00:16:3e:00:00:01", 17);
	web->n_vbds = 1;
	web->vbds = calloc(1, sizeof(*web->vbds));
	web->vbds[0].devid = 51712;
	memset(params, 'p', sizeof(params));
	xen_bytes_set(&web->vbds[0].params, params, sizeof(params));
	xen_bytes_set(&web->vbds[0].mode, "x", 1);
	assert_int_equal(xen_snapshot_add_domain(snap, web), 0);
	assert_int_equal(xen_snapshot_add_domain(snap, bare), 0);
	return snap;
}

struct fixture {
	struct xen_snapshot *snap;
	struct xensnmp_table table;
	netsnmp_variable_list var;
};

static void load(struct fixture *f, const struct xensnmp_table_def *def)
{
	memset(&f->table, 0, sizeof(f->table));
	f->table.def = def;
	assert_int_equal(xensnmp_table_load(&f->table, f->snap), 0);
	assert_int_equal(f->table.n_rows, f->table.cap_rows);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->snap = make_snapshot();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	xensnmp_table_clear(&f->table);
	snmp_free_var_internals(&f->var);
	xen_snapshot_unref(f->snap);
	free(f);
	return 0;
}

/* the value of row's column, or false when the instance is absent */
static bool value(struct fixture *f, size_t row, unsigned column)
{
	assert_true(row < f->table.n_rows);
	snmp_free_var_internals(&f->var);
	memset(&f->var, 0, sizeof(f->var));
	return f->table.def->value(&f->table.rows[row], column, &f->var);
}

static void test_domain_rows(void **state)
{
	struct fixture *f = *state;

	load(f, &xensnmp_domain_table_def);
	assert_int_equal(f->table.n_rows, 2);
	assert_int_equal(f->table.rows[0].idx[0], 3);
	assert_int_equal(f->table.rows[1].idx[0], 9);
	assert_true(value(f, 0, XENDOM_STATE));
	assert_int_equal(*f->var.val.integer, XENSNMP_STATE_SUSPENDED);
	/* a suspended domain is not running: no uptime */
	assert_false(value(f, 0, XENDOM_UPTIME));
	/* nothing known: absent, not unknown(1) */
	assert_false(value(f, 1, XENDOM_STATE));
	assert_false(value(f, 1, XENDOM_NAME));
	assert_true(value(f, 1, XENDOM_ID));
	assert_int_equal(*f->var.val.integer, 9);
}

static void test_domain_discontinuity(void **state)
{
	struct fixture *f = *state;

	load(f, &xensnmp_domain_table_def);
	/* never re-created since the first snapshot: 0 */
	assert_true(value(f, 1, XENDOM_DISCONTINUITY_TIME));
	assert_int_equal(f->var.type, ASN_TIMETICKS);
	assert_int_equal(*f->var.val.integer, 0);
}

static void test_vcpu_rows(void **state)
{
	struct fixture *f = *state;

	load(f, &xensnmp_vcpu_table_def);
	assert_int_equal(f->table.n_rows, 2);
	assert_int_equal(f->table.rows[1].idx[0], 3);
	assert_int_equal(f->table.rows[1].idx[1], 1);
	assert_true(value(f, 0, XENVCPU_AVAILABILITY));
	assert_int_equal(*f->var.val.integer, XENSNMP_AVAILABILITY_ONLINE);
	assert_true(value(f, 0, XENVCPU_STATE));
	assert_int_equal(*f->var.val.integer, XENSNMP_VCPU_RUNNING);
	assert_false(value(f, 1, XENVCPU_AVAILABILITY));
	assert_false(value(f, 1, XENVCPU_STATE));
	assert_false(value(f, 1, XENVCPU_CPU_TIME));
}

static void test_vif_rows(void **state)
{
	struct fixture *f = *state;
	const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };

	load(f, &xensnmp_vif_table_def);
	assert_int_equal(f->table.n_rows, 1);
	assert_true(value(f, 0, XENVIF_MAC));
	assert_int_equal(f->var.val_len, 6);
	assert_memory_equal(f->var.val.string, mac, 6);
	assert_false(value(f, 0, XENVIF_BRIDGE));
	assert_false(value(f, 0, XENVIF_RX_BYTES));
	assert_true(value(f, 0, XENVIF_DISCONTINUITY_TIME));
}

static void test_vbd_rows(void **state)
{
	struct fixture *f = *state;

	load(f, &xensnmp_vbd_table_def);
	assert_int_equal(f->table.n_rows, 1);
	assert_int_equal(f->table.rows[0].idx[1], 51712);
	/* a path is not cut at 255 octets */
	assert_true(value(f, 0, XENVBD_PARAMS));
	assert_int_equal(f->var.val_len, 600);
	/* a mode xenstore holds but this module does not know */
	assert_true(value(f, 0, XENVBD_MODE));
	assert_int_equal(*f->var.val.integer, XENSNMP_VBD_MODE_UNKNOWN);
	/* no device type at all: absent */
	assert_false(value(f, 0, XENVBD_DEVICE_TYPE));
}

static void test_reload_same_snapshot_keeps_rows(void **state)
{
	struct fixture *f = *state;
	struct xensnmp_row *rows;

	load(f, &xensnmp_vcpu_table_def);
	rows = f->table.rows;
	assert_int_equal(xensnmp_table_load(&f->table, f->snap), 0);
	assert_ptr_equal(f->table.rows, rows);
}

/* A snapshot with the same rows moves them to its objects in place; one
 * with a domain more or less rebuilds them. */
static void test_reload_same_rows_in_place(void **state)
{
	struct fixture *f = *state;
	struct xen_snapshot *next = make_snapshot(), *fewer = xen_snapshot_new();
	struct xensnmp_row *rows;

	load(f, &xensnmp_domain_table_def);
	rows = f->table.rows;
	assert_ptr_equal(rows[0].dom, f->snap->domains[0]);
	assert_int_equal(xensnmp_table_load(&f->table, next), 0);
	assert_ptr_equal(f->table.rows, rows);		/* not rebuilt */
	assert_ptr_equal(f->table.snap, next);
	assert_ptr_equal(rows[0].dom, next->domains[0]);
	assert_ptr_equal(rows[1].dom, next->domains[1]);

	xen_snapshot_add_domain(fewer, xen_domain_ref(next->domains[0]));
	assert_int_equal(xensnmp_table_load(&f->table, fewer), 0);
	assert_int_equal(f->table.n_rows, 1);
	assert_ptr_equal(f->table.rows[0].dom, next->domains[0]);
	xensnmp_table_clear(&f->table);
	xen_snapshot_unref(next);
	xen_snapshot_unref(fewer);
}

static void test_host_unavailable_fits_its_size(void **state)
{
	struct fixture *f = *state;
	struct xen_conn_status st;

	memset(&st, 0, sizeof(st));
	memset(st.unavailable, 'u', sizeof(st.unavailable) - 1);
	snmp_free_var_internals(&f->var);
	memset(&f->var, 0, sizeof(f->var));
	assert_true(xensnmp_host_value(XENHOST_UNAVAILABLE, f->snap, &st, 5,
				       &f->var));
	/* xdmHostUnavailable is SIZE (0..511) */
	assert_int_equal(f->var.val_len, 511);
	assert_false(xensnmp_host_value(XENHOST_CPUS, f->snap, &st, 5, &f->var));
}

static void test_host_stale_sources(void **state)
{
	struct fixture *f = *state;
	struct xen_conn_status st;

	memset(&st, 0, sizeof(st));
	st.drivers_open = XEN_SRC_XENSTORE | XEN_SRC_XEND;
	st.stale_sources = XEN_SRC_XEND;
	snmp_free_var_internals(&f->var);
	memset(&f->var, 0, sizeof(f->var));
	assert_true(xensnmp_host_value(XENHOST_STALE_SOURCES, f->snap, &st, 5,
				       &f->var));
	/* XenDataSources: xend is bit 1, the second from the top */
	assert_int_equal(f->var.val_len, 1);
	assert_int_equal(f->var.val.string[0], 1 << (7 - XENSNMP_SOURCE_XEND));
}

static void test_timestamp(void **state)
{
	struct timespec zero = { 0, 0 }, since = { 100, 0 }, now = { 103, 500000000 };

	(void)state;
	/* no discontinuity since the start */
	assert_int_equal(xensnmp_timestamp(&zero, &now, 9000), 0);
	/* 3.5 s ago, sysUpTime 90.00 s: 86.50 s */
	assert_int_equal(xensnmp_timestamp(&since, &now, 9000), 8650);
	/* before the agent started */
	assert_int_equal(xensnmp_timestamp(&since, &now, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_domain_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_discontinuity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vif_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vbd_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_same_rows_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_same_snapshot_keeps_rows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_unavailable_fits_its_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_stale_sources, setup, teardown),
		cmocka_unit_test(test_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
