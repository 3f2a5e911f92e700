/*
 * Unit tests of the notifications' pure parts: the comparison of two
 * hand-made snapshots (what is created, destroyed or changes state, in
 * which order, a reboot under a new domid, a toolstack-kept domain
 * starting), the token bucket, and the varbind lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xensnmp_notify.h"
#include "xensnmp_oids.h"

static struct xen_domain *dom(uint32_t domid, int uuid_byte, enum xen_run_state state)
{
	struct xen_domain *d = xen_domain_new(domid);

	assert_non_null(d);
	if (uuid_byte >= 0) {
		memset(d->uuid, uuid_byte, sizeof(d->uuid));
		d->known |= XEN_DOM_HAVE_UUID;
	}
	if (state != XEN_RUN_UNKNOWN) {
		d->state = state;
		d->known |= XEN_DOM_HAVE_STATE | XEN_DOM_HAVE_SHUTDOWN;
	}
	return d;
}

/* a snapshot of the given domains (the snapshot takes the references) */
static struct xen_snapshot *snap_of(struct xen_domain **doms, size_t n)
{
	struct xen_snapshot *s = xen_snapshot_new();
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		assert_int_equal(xen_snapshot_add_domain(s, doms[i]), 0);
	xen_snapshot_sort(s);
	return s;
}

/* the changes as text: "D5 S3 C6" (kind, new or old domid) */
struct record {
	char text[256];
};

static void record(const struct xensnmp_change *c, void *opaque)
{
	struct record *r = opaque;
	size_t len = strlen(r->text);
	const char kind = c->kind == XENSNMP_CHANGE_CREATED ? 'C'
			: c->kind == XENSNMP_CHANGE_DESTROYED ? 'D' : 'S';

	snprintf(r->text + len, sizeof(r->text) - len, "%s%c%u", len ? " " : "", kind,
		 (unsigned)c->dom->domid);
	if (c->kind == XENSNMP_CHANGE_STATE && c->prev->domid != c->dom->domid)
		snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text),
			 "<%u", (unsigned)c->prev->domid);
}

static void expect_diff(struct xen_snapshot *prev, struct xen_snapshot *cur,
			const char *want)
{
	struct record r = { "" };

	xensnmp_diff_snapshots(prev, cur, record, &r);
	assert_string_equal(r.text, want);
	xen_snapshot_unref(prev);
	xen_snapshot_unref(cur);
}

/* destroyed, then state changes, then created, each in index order */
static void test_order(void **state)
{
	struct xen_domain *a[] = { dom(0, -1, XEN_RUN_RUNNING), dom(3, 0xa, XEN_RUN_RUNNING),
				   dom(5, 0xb, XEN_RUN_RUNNING), dom(8, 0xe, XEN_RUN_RUNNING) };
	struct xen_domain *b[] = { xen_domain_ref(a[0]), dom(3, 0xa, XEN_RUN_PAUSED),
				   dom(6, 0xc, XEN_RUN_BLOCKED), dom(8, 0xe, XEN_RUN_CRASHED),
				   dom(9, 0xd, XEN_RUN_UNKNOWN) };

	(void)state;
	expect_diff(snap_of(a, 4), snap_of(b, 5), "D5 S3 S8 C6 C9");
}

/* running and blocked are one state; unknown states are no change */
static void test_running_blocked(void **state)
{
	struct xen_domain *a[] = { dom(3, 0xa, XEN_RUN_RUNNING), dom(4, 0xb, XEN_RUN_PAUSED) };
	struct xen_domain *b[] = { dom(3, 0xa, XEN_RUN_BLOCKED), dom(4, 0xb, XEN_RUN_UNKNOWN) };

	(void)state;
	expect_diff(snap_of(a, 2), snap_of(b, 2), "");
}

/* the shutdown reason alone changes: a state change */
static void test_shutdown_reason(void **state)
{
	struct xen_domain *a[] = { dom(3, 0xa, XEN_RUN_SHUTDOWN) };
	struct xen_domain *b[] = { dom(3, 0xa, XEN_RUN_SHUTDOWN) };

	(void)state;
	a[0]->shutdown = XEN_SHUTDOWN_POWEROFF;
	b[0]->shutdown = XEN_SHUTDOWN_REBOOT;
	expect_diff(snap_of(a, 1), snap_of(b, 1), "S3");
}

/* a domid taken by another UUID or start time: destroyed + created */
static void test_reused_domid(void **state)
{
	struct xen_domain *a[] = { dom(3, 0xa, XEN_RUN_RUNNING), dom(4, 0xb, XEN_RUN_RUNNING),
				   dom(5, -1, XEN_RUN_RUNNING) };
	struct xen_domain *b[] = { dom(3, 0xc, XEN_RUN_RUNNING), dom(4, 0xb, XEN_RUN_RUNNING),
				   dom(5, 0xd, XEN_RUN_RUNNING) };

	(void)state;
	a[1]->known |= XEN_DOM_HAVE_START_TIME;
	a[1]->start_time.tv_sec = 100;
	b[1]->known |= XEN_DOM_HAVE_START_TIME;
	b[1]->start_time.tv_sec = 200;
	/* domid 5: the UUID became known, the same domain */
	expect_diff(snap_of(a, 3), snap_of(b, 3), "D3 D4 C3 C4");
}

/* a reboot under a new domid: destroyed + created, same UUID */
static void test_reboot(void **state)
{
	struct xen_domain *a[] = { dom(3, 0xa, XEN_RUN_SHUTDOWN) };
	struct xen_domain *b[] = { dom(4, 0xa, XEN_RUN_RUNNING) };

	(void)state;
	expect_diff(snap_of(a, 1), snap_of(b, 1), "D3 C4");
}

/* a toolstack-kept domain starts, another stops: state changes */
static void test_kept_domains(void **state)
{
	const uint32_t k1 = XEN_DOMID_SHUTOFF_BASE + 10, k2 = XEN_DOMID_SHUTOFF_BASE + 20;
	struct xen_domain *a[] = { dom(6, 0xb, XEN_RUN_RUNNING), dom(k1, 0xa, XEN_RUN_SHUTOFF),
				   dom(k2 + 1, 0xe, XEN_RUN_SHUTOFF) };
	struct xen_domain *b[] = { dom(7, 0xa, XEN_RUN_RUNNING), dom(k2, 0xb, XEN_RUN_SHUTOFF),
				   dom(k2 + 1, 0xe, XEN_RUN_SHUTOFF) };
	char want[64];

	(void)state;
	snprintf(want, sizeof(want), "S7<%u S%u<6", (unsigned)k1, (unsigned)k2);
	expect_diff(snap_of(a, 3), snap_of(b, 3), want);
}

static void test_rate(void **state)
{
	struct xensnmp_rate r = { .rate = 3 };
	struct timespec t = { 100, 0 };
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_true(xensnmp_rate_take(&r, &t));
	assert_false(xensnmp_rate_take(&r, &t));
	t.tv_nsec = 500000000;	/* half a second: 1.5 tokens */
	assert_true(xensnmp_rate_take(&r, &t));
	assert_false(xensnmp_rate_take(&r, &t));
	t.tv_sec += 10;		/* the bucket holds 3, not 30 */
	for (i = 0; i < 3; i++)
		assert_true(xensnmp_rate_take(&r, &t));
	assert_false(xensnmp_rate_take(&r, &t));
	xensnmp_rate_set(&r, 1);
	t.tv_sec += 10;
	assert_true(xensnmp_rate_take(&r, &t));
	assert_false(xensnmp_rate_take(&r, &t));
}

static const oid notify_oid[] = { XENSNMP_NOTIFY_OID };

/* the next varbind is notify_oid.subid.0; returns it */
static netsnmp_variable_list *expect_object(netsnmp_variable_list *v, unsigned subid,
					    u_char type)
{
	oid name[OID_LENGTH(notify_oid) + 2];

	assert_non_null(v);
	memcpy(name, notify_oid, sizeof(notify_oid));
	name[OID_LENGTH(notify_oid)] = subid;
	name[OID_LENGTH(notify_oid) + 1] = 0;
	assert_int_equal(snmp_oid_compare(v->name, v->name_length, name, OID_LENGTH(name)), 0);
	assert_int_equal(v->type, type);
	return v;
}

static void expect_trap_oid(netsnmp_variable_list *v, unsigned notification)
{
	static const oid trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
	static const oid notifications[] = { XENSNMP_NOTIFICATIONS_OID };
	oid want[OID_LENGTH(notifications) + 1];

	memcpy(want, notifications, sizeof(notifications));
	want[OID_LENGTH(notifications)] = notification;
	assert_non_null(v);
	assert_int_equal(snmp_oid_compare(v->name, v->name_length, trap_oid,
					  OID_LENGTH(trap_oid)), 0);
	assert_int_equal(v->type, ASN_OBJECT_ID);
	assert_int_equal(snmp_oid_compare(v->val.objid, v->val_len / sizeof(oid), want,
					  OID_LENGTH(want)), 0);
}

/* unknown name and UUID are zero-length, an unknown state unknown(1) */
static void test_created_varbinds(void **state)
{
	struct xen_domain *d = dom(12, -1, XEN_RUN_UNKNOWN);
	struct xensnmp_change c = { XENSNMP_CHANGE_CREATED, d, NULL };
	netsnmp_variable_list *list = xensnmp_change_varbinds(&c), *v;

	(void)state;
	expect_trap_oid(list, XENNOTIF_DOMAIN_CREATED);
	v = expect_object(list->next_variable, XENNOTIFY_DOMAIN_INDEX, ASN_UNSIGNED);
	assert_int_equal(*v->val.integer, 12);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_ID, ASN_INTEGER);
	assert_int_equal(*v->val.integer, 12);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_UUID, ASN_OCTET_STR);
	assert_int_equal(v->val_len, 0);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_NAME, ASN_OCTET_STR);
	assert_int_equal(v->val_len, 0);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_STATE, ASN_INTEGER);
	assert_int_equal(*v->val.integer, XENSNMP_STATE_UNKNOWN);
	assert_null(v->next_variable);
	snmp_free_varbind(list);
	xen_domain_unref(d);
}

/* a kept domain stopping: domid -1, the old state, the reason */
static void test_state_varbinds(void **state)
{
	struct xen_domain *p = dom(7, 0xa, XEN_RUN_CRASHED);
	struct xen_domain *d = dom(XEN_DOMID_SHUTOFF_BASE + 5, 0xa, XEN_RUN_SHUTOFF);
	struct xensnmp_change c = { XENSNMP_CHANGE_STATE, d, p };
	netsnmp_variable_list *list, *v;

	(void)state;
	xen_bytes_set(&d->name, "web\xff", 4);	/* invalid UTF-8 is cleaned */
	d->known &= ~XEN_DOM_HAVE_SHUTDOWN;
	list = xensnmp_change_varbinds(&c);
	expect_trap_oid(list, XENNOTIF_DOMAIN_STATE_CHANGED);
	v = expect_object(list->next_variable, XENNOTIFY_DOMAIN_INDEX, ASN_UNSIGNED);
	assert_int_equal(*v->val.integer, XEN_DOMID_SHUTOFF_BASE + 5);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_ID, ASN_INTEGER);
	assert_int_equal(*v->val.integer, -1);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_UUID, ASN_OCTET_STR);
	assert_int_equal(v->val_len, 16);
	assert_int_equal(v->val.string[0], 0xa);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_NAME, ASN_OCTET_STR);
	assert_int_equal(v->val_len, 6);
	assert_memory_equal(v->val.string, "web\xef\xbf\xbd", 6);
	v = expect_object(v->next_variable, XENNOTIFY_PREV_STATE, ASN_INTEGER);
	assert_int_equal(*v->val.integer, XENSNMP_STATE_CRASHED);
	v = expect_object(v->next_variable, XENNOTIFY_DOMAIN_STATE, ASN_INTEGER);
	assert_int_equal(*v->val.integer, XENSNMP_STATE_SHUTOFF);
	/* reason unknown, state not a shutdown: none */
	v = expect_object(v->next_variable, XENNOTIFY_SHUTDOWN_REASON, ASN_INTEGER);
	assert_int_equal(*v->val.integer, XENSNMP_SHUTDOWN_NONE);
	assert_null(v->next_variable);
	snmp_free_varbind(list);
	xen_domain_unref(p);
	xen_domain_unref(d);
}

/* xdmActionFinished: snmpTrapOID.0, then the row's columns as the
 * control code built them, untouched */
static void test_action_varbinds(void **state)
{
	static const oid status[] = { XENSNMP_CONTROL_OID, XENCTL_NODE_RESULT_TABLE, 1,
				      XENRES_STATUS, 42 };
	long failed = XENSNMP_RESULT_FAILED;
	netsnmp_variable_list *objects = NULL, *list;

	(void)state;
	assert_non_null(snmp_varlist_add_variable(&objects, status, OID_LENGTH(status),
						  ASN_INTEGER, &failed, sizeof(failed)));
	list = xensnmp_action_varbinds(objects);
	expect_trap_oid(list, XENNOTIF_ACTION_FINISHED);
	assert_ptr_equal(list->next_variable, objects);
	assert_int_equal(*objects->val.integer, XENSNMP_RESULT_FAILED);
	assert_null(objects->next_variable);
	snmp_free_varbind(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_running_blocked),
		cmocka_unit_test(test_shutdown_reason),
		cmocka_unit_test(test_reused_domid),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_kept_domains),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_created_varbinds),
		cmocka_unit_test(test_state_varbinds),
		cmocka_unit_test(test_action_varbinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
