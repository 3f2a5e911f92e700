/* Unit tests: snapshots, the dirty set, re-read pacing and the merge of driver views. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#if defined(__SANITIZE_ADDRESS__)
/* from ASan's runtime (sanitizer/allocator_interface.h, which gcc does not
 * install): bytes asked of malloc and not freed (ASan keeps no malloc overhead) */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#define HEAP_COUNTS "bytes requested"
#else
#include <malloc.h>
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}
#define HEAP_COUNTS "bytes of heap, malloc's overhead included"
#endif

#include "core/xen_driver.h"
#include "core/xen_merge.h"
#include "core/xen_pace.h"
#include "core/xen_snapshot.h"
#include "core/xen_alloc.h"
#include "core/xen_log.h"

static struct xen_domain *named(uint32_t domid, const char *name)
{
	struct xen_domain *dom = xen_domain_new(domid);

	assert_non_null(dom);
	if (name)
		xen_bytes_set(&dom->name, name, strlen(name));
	return dom;
}

static void test_sort_find_dedupe(void **state)
{
	struct xen_snapshot *snap = xen_snapshot_new();
	uint32_t ids[] = { 40, 3, 0, 3, 17, 1000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(xen_snapshot_add_domain(snap, named(ids[i], "x")), 0);
	xen_snapshot_sort(snap);
	assert_int_equal(snap->n_domains, 5);
	for (i = 1; i < snap->n_domains; i++)
		assert_true(snap->domains[i - 1]->domid < snap->domains[i]->domid);
	assert_non_null(xen_snapshot_find(snap, 0));
	assert_non_null(xen_snapshot_find(snap, 1000));
	assert_null(xen_snapshot_find(snap, 4));
	assert_null(xen_snapshot_find(NULL, 4));
	xen_snapshot_unref(snap);
}

static void test_many_domains(void **state)
{
	struct xen_snapshot *snap = xen_snapshot_new();
	uint32_t id;

	(void)state;
	for (id = 10000; id > 0; id--)
		assert_int_equal(xen_snapshot_add_domain(snap, xen_domain_new(id)), 0);
	xen_snapshot_sort(snap);
	assert_int_equal(snap->n_domains, 10000);
	assert_int_equal(xen_snapshot_find(snap, 5000)->domid, 5000);
	xen_snapshot_unref(snap);
}

static void test_refcounts_share_domains(void **state)
{
	struct xen_snapshot *a = xen_snapshot_new(), *b = xen_snapshot_new();
	struct xen_domain *dom = named(5, "web");

	(void)state;
	xen_snapshot_add_domain(a, dom);
	xen_snapshot_add_domain(b, xen_domain_ref(dom));
	assert_int_equal(dom->refcnt, 2);
	xen_snapshot_unref(a);
	/* still alive through b */
	assert_string_equal(b->domains[0]->name.data, "web");
	assert_int_equal(dom->refcnt, 1);
	xen_snapshot_unref(b);
}

static void test_dirty_set(void **state)
{
	struct xen_dirty d;
	uint32_t i;

	(void)state;
	xen_dirty_init(&d);
	assert_false(xen_dirty_any(&d));
	for (i = 0; i < 100; i++)
		xen_dirty_add(&d, (i * 37) % 50);
	xen_dirty_seal(&d);
	assert_int_equal(d.n_domids, 50);
	assert_true(xen_dirty_any(&d));
	assert_true(xen_dirty_has(&d, 49));
	assert_false(xen_dirty_has(&d, 50));
	d.full = true;
	assert_true(xen_dirty_has(&d, 50));
	xen_dirty_free(&d);
}

static void test_merge_priority_and_sources(void **state)
{
	struct xen_snapshot *hv = xen_snapshot_new(), *xs = xen_snapshot_new();
	struct xen_snapshot *views[3], *m;
	struct xen_domain *h = xen_domain_new(1), *s = named(1, "web");
	struct xen_domain *only = named(2, "db");
	const struct xen_domain *d;

	(void)state;
	h->sources = XEN_SRC_HYPERVISOR;
	h->known = XEN_DOM_HAVE_MEM_MAX | XEN_DOM_HAVE_STATE;
	h->mem_max_kib = 2048;
	h->state = XEN_RUN_PAUSED;
	s->sources = XEN_SRC_XENSTORE;
	s->known = XEN_DOM_HAVE_MEM_MAX | XEN_DOM_HAVE_MEM_TARGET;
	s->mem_max_kib = 1024;
	s->mem_target_kib = 512;
	s->n_vifs = 1;
	s->vifs = calloc(1, sizeof(*s->vifs));
	xen_bytes_set(&s->vifs[0].mac, "00:16:3e:00:00:01", 17);
	only->sources = XEN_SRC_XENSTORE;
	xen_snapshot_add_domain(hv, h);
	xen_snapshot_add_domain(xs, s);
	xen_snapshot_add_domain(xs, only);
	hv->sources = XEN_SRC_HYPERVISOR;
	xs->sources = XEN_SRC_XENSTORE;
	xen_bytes_set(&xs->host.name, "host1", 5);
	xs->host.known = XEN_HOST_HAVE_NAME;

	views[0] = hv;
	views[1] = NULL;	/* a closed driver */
	views[2] = xs;
	m = xen_merge_views(views, 3, NULL);
	assert_non_null(m);
	assert_int_equal(m->n_domains, 2);
	assert_int_equal(m->sources, XEN_SRC_HYPERVISOR | XEN_SRC_XENSTORE);
	assert_string_equal(m->host.name.data, "host1");

	d = xen_snapshot_find(m, 1);
	assert_int_equal(d->sources, XEN_SRC_HYPERVISOR | XEN_SRC_XENSTORE);
	assert_int_equal(d->mem_max_kib, 2048);	/* hypervisor wins */
	assert_int_equal(d->mem_target_kib, 512);	/* only xenstore knows */
	assert_int_equal(d->state, XEN_RUN_PAUSED);
	assert_string_equal(d->name.data, "web");
	assert_int_equal(d->n_vifs, 1);
	assert_string_equal(d->vifs[0].mac.data, "00:16:3e:00:00:01");

	/* a domain only one view has is shared, not copied */
	assert_ptr_equal(xen_snapshot_find(m, 2), only);
	xen_snapshot_unref(hv);
	xen_snapshot_unref(xs);
	assert_string_equal(xen_snapshot_find(m, 2)->name.data, "db");
	xen_snapshot_unref(m);
}

/* One view holding one domain, for the merges below. */
static struct xen_snapshot *view_of(unsigned source, struct xen_domain *dom)
{
	struct xen_snapshot *v = xen_snapshot_new();

	dom->sources = source;
	xen_snapshot_add_domain(v, dom);
	v->sources = source;
	return v;
}

/* A merge from the same parts as the last one republishes the last
 * object; a changed part makes a new one, which borrows the unchanged
 * part's strings and keeps them alive after every view is gone. */
static void test_merge_reuses_unchanged(void **state)
{
	struct xen_domain *h1 = xen_domain_new(1), *h2 = xen_domain_new(1);
	struct xen_domain *s = named(1, "web");
	struct xen_snapshot *views[2], *m1, *m2, *m3;
	const struct xen_domain *d1, *d3;

	(void)state;
	s->n_vifs = 1;
	s->vifs = calloc(1, sizeof(*s->vifs));
	xen_bytes_set(&s->vifs[0].mac, "00:16:3e:00:00:01", 17);
	h1->known = h2->known = XEN_DOM_HAVE_STATE;
	h1->state = XEN_RUN_RUNNING;
	h2->state = XEN_RUN_PAUSED;
	views[0] = view_of(XEN_SRC_HYPERVISOR, h1);
	views[1] = view_of(XEN_SRC_XENSTORE, s);

	m1 = xen_merge_views(views, 2, NULL);
	d1 = xen_snapshot_find(m1, 1);
	assert_ptr_not_equal(d1, h1);
	assert_ptr_equal(d1->name.data, s->name.data);	/* borrowed, not copied */
	m2 = xen_merge_views(views, 2, m1);
	assert_ptr_equal(xen_snapshot_find(m2, 1), d1);

	xen_snapshot_unref(views[0]);
	views[0] = view_of(XEN_SRC_HYPERVISOR, h2);
	m3 = xen_merge_views(views, 2, m2);
	d3 = xen_snapshot_find(m3, 1);
	assert_ptr_not_equal(d3, d1);
	assert_int_equal(d3->state, XEN_RUN_PAUSED);
	assert_int_equal(d1->state, XEN_RUN_RUNNING);	/* the old object is untouched */

	xen_snapshot_unref(views[0]);
	xen_snapshot_unref(views[1]);
	xen_snapshot_unref(m1);
	xen_snapshot_unref(m2);
	assert_string_equal(d3->name.data, "web");
	assert_string_equal(d3->vifs[0].mac.data, "00:16:3e:00:00:01");
	xen_snapshot_unref(m3);
}

/*
 * Where a domain's bytes go, layer by layer, for a domain shaped as the
 * drivers build it on a Xen 4 host (hypervisor, xenstore and dom0
 * statistics views; two vCPUs, one VIF, one VBD), and what a
 * republication costs when nothing changed: the snapshot's pointer to
 * the same object, nothing more.
 */
#define BYTES_N 1000
static void bytes_domain(struct xen_snapshot *hv, struct xen_snapshot *xs,
			 struct xen_snapshot *st, uint32_t id)
{
	struct xen_domain *h = xen_domain_new(id), *x = named(id, "guest-0000"), *s = xen_domain_new(id);
	char vm[48];

	h->vcpus = calloc(2, sizeof(*h->vcpus));
	h->n_vcpus = 2;
	h->sources = XEN_SRC_HYPERVISOR;
	x->sources = XEN_SRC_XENSTORE;
	xen_bytes_set(&x->os_type, "linux", 5);
	snprintf(vm, sizeof(vm), "/vm/%08x-0000-4000-8000-000000000000", id);
	x->vm_path = strdup(vm);
	x->vcpus = calloc(2, sizeof(*x->vcpus));
	x->n_vcpus = 2;
	x->vifs = calloc(1, sizeof(*x->vifs));
	x->n_vifs = 1;
	xen_bytes_set(&x->vifs[0].mac, "00:16:3e:00:00:01", 17);
	xen_bytes_set(&x->vifs[0].bridge, "xenbr0", 6);
	xen_bytes_set(&x->vifs[0].ifname, "vif1000.0", 9);
	xen_bytes_set(&x->vifs[0].script, "/etc/xen/scripts/vif-bridge", 27);
	x->vbds = calloc(1, sizeof(*x->vbds));
	x->n_vbds = 1;
	xen_bytes_set(&x->vbds[0].dev, "xvda", 4);
	xen_bytes_set(&x->vbds[0].params, "/dev/vg0/guest-0000", 19);
	xen_bytes_set(&x->vbds[0].mode, "w", 1);
	xen_bytes_set(&x->vbds[0].device_type, "disk", 4);
	xen_bytes_set(&x->vbds[0].backend_type, "vbd", 3);
	s->sources = XEN_SRC_DOM0_STATS;
	s->vifs = calloc(1, sizeof(*s->vifs));
	s->n_vifs = 1;
	s->vbds = calloc(1, sizeof(*s->vbds));
	s->n_vbds = 1;
	xen_snapshot_add_domain(hv, h);
	xen_snapshot_add_domain(xs, x);
	xen_snapshot_add_domain(st, s);
}

static void test_bytes_per_domain(void **state)
{
	struct xen_snapshot *views[4] = { xen_snapshot_new(), NULL, xen_snapshot_new(),
					  xen_snapshot_new() };
	struct xen_snapshot *m1, *m2;
	size_t b0, b1, b2, b3;
	uint32_t i;

	(void)state;
	views[0]->sources = XEN_SRC_HYPERVISOR;
	views[2]->sources = XEN_SRC_XENSTORE;
	views[3]->sources = XEN_SRC_DOM0_STATS;
	b0 = heap_in_use();
	for (i = 1; i <= BYTES_N; i++)
		bytes_domain(views[0], views[2], views[3], i);
	b1 = heap_in_use();
	m1 = xen_merge_views(views, 4, NULL);
	b2 = heap_in_use();
	m2 = xen_merge_views(views, 4, m1);
	b3 = heap_in_use();
	printf("# per domain (%s): the three drivers' views %zu "
	       "(struct xen_domain %zu, xen_vcpu %zu, xen_vif %zu, xen_vbd %zu), "
	       "merged snapshot %zu, republished unchanged %zu\n",
	       HEAP_COUNTS, (b1 - b0) / BYTES_N, sizeof(struct xen_domain),
	       sizeof(struct xen_vcpu), sizeof(struct xen_vif), sizeof(struct xen_vbd),
	       (b2 - b1) / BYTES_N, (b3 - b2) / BYTES_N);
	for (i = 0; i < m1->n_domains; i++)
		assert_ptr_equal(m2->domains[i], m1->domains[i]);
	/* a merged domain borrows the strings: less than the views' own copy */
	assert_true(b2 - b1 < (b1 - b0) / 2);
	/* republishing 1,000 unchanged domains costs their pointers */
	assert_true(b3 - b2 <= 2 * BYTES_N * sizeof(void *) + 1024);
	xen_snapshot_unref(m1);
	xen_snapshot_unref(m2);

	/* without dom0's statistics the devices are xenstore's alone: the
	 * merged domain borrows their arrays as it borrows the strings */
	b1 = heap_in_use();
	m1 = xen_merge_views(views, 3, NULL);
	b2 = heap_in_use();
	printf("# per domain (%s), without dom0 statistics: merged snapshot %zu\n",
	       HEAP_COUNTS, (b2 - b1) / BYTES_N);
	for (i = 0; i < m1->n_domains; i++) {
		assert_ptr_equal(m1->domains[i]->vifs, views[2]->domains[i]->vifs);
		assert_ptr_equal(m1->domains[i]->vbds, views[2]->domains[i]->vbds);
		assert_ptr_not_equal(m1->domains[i]->vcpus, views[2]->domains[i]->vcpus);
	}
	assert_true(b2 - b1 < (size_t)BYTES_N *
		    (sizeof(struct xen_domain) + 2 * sizeof(struct xen_vcpu) + 2 * sizeof(void *) + 64));
	xen_snapshot_unref(m1);
	for (i = 0; i < 4; i++)
		xen_snapshot_unref(views[i]);
}

/*
 * A borrowed device array is a part's, and may be read through other
 * snapshots: mark_new gives the merged domain a copy of its own before
 * writing a counters_since, and leaves the part's as it was.
 */
static void test_mark_new_copies_borrowed(void **state)
{
	struct xen_snapshot *views[2] = { xen_snapshot_new(), xen_snapshot_new() };
	struct xen_snapshot *prev = xen_snapshot_new(), *m;
	struct xen_domain *h = xen_domain_new(7), *x = named(7, "web"), *p = named(7, "web");
	struct timespec now = { 100, 0 };

	(void)state;
	views[0]->sources = h->sources = XEN_SRC_HYPERVISOR;
	views[1]->sources = x->sources = XEN_SRC_XENSTORE;
	x->vifs = calloc(1, sizeof(*x->vifs));
	x->n_vifs = 1;
	xen_snapshot_add_domain(views[0], h);
	xen_snapshot_add_domain(views[1], x);
	m = xen_merge_views(views, 2, NULL);
	assert_ptr_equal(m->domains[0]->vifs, x->vifs);
	/* unchanged since: nothing written, still borrowed */
	p->vifs = calloc(1, sizeof(*p->vifs));
	p->n_vifs = 1;
	xen_snapshot_add_domain(prev, p);
	xen_snapshot_mark_new(m, prev, &now);
	assert_ptr_equal(m->domains[0]->vifs, x->vifs);
	/* a since to write: the merged domain's own copy gets it */
	p->vifs[0].counters_since.tv_sec = 5;
	xen_snapshot_mark_new(m, prev, &now);
	assert_ptr_not_equal(m->domains[0]->vifs, x->vifs);
	assert_int_equal(m->domains[0]->vifs[0].counters_since.tv_sec, 5);
	assert_int_equal(x->vifs[0].counters_since.tv_sec, 0);
	xen_snapshot_unref(m);
	xen_snapshot_unref(prev);
	xen_snapshot_unref(views[0]);
	xen_snapshot_unref(views[1]);
}

static void test_merge_nothing(void **state)
{
	struct xen_snapshot *views[1] = { NULL }, *m;

	(void)state;
	m = xen_merge_views(views, 1, NULL);
	assert_non_null(m);
	assert_int_equal(m->n_domains, 0);
	xen_snapshot_unref(m);
}

/* A domain or device re-created between snapshots gets a new
 * counters_since; one that lives on keeps it. */
static void test_mark_new_instances(void **state)
{
	struct xen_snapshot *prev = xen_snapshot_new(), *next = xen_snapshot_new();
	struct xen_domain *a = xen_domain_new(1), *b = xen_domain_new(1);
	struct xen_domain *c = xen_domain_new(2), *d = xen_domain_new(2);
	struct timespec t0 = { 10, 0 }, t1 = { 20, 0 };

	(void)state;
	/* domain 1 lives on; its VIF 0 lives on, VIF 1's counters went back */
	a->known = b->known = XEN_DOM_HAVE_START_TIME;
	a->start_time.tv_sec = b->start_time.tv_sec = 1000;
	a->counters_since = t0;
	a->n_vifs = b->n_vifs = 2;
	a->vifs = calloc(2, sizeof(*a->vifs));
	b->vifs = calloc(2, sizeof(*b->vifs));
	a->vifs[1].devid = b->vifs[1].devid = 1;
	a->vifs[0].known = a->vifs[1].known = XEN_DEV_HAVE_RX;
	b->vifs[0].known = b->vifs[1].known = XEN_DEV_HAVE_RX;
	a->vifs[0].rx_bytes = 5, b->vifs[0].rx_bytes = 7;
	a->vifs[1].rx_bytes = 500, b->vifs[1].rx_bytes = 3;
	a->vifs[0].counters_since = a->vifs[1].counters_since = t0;
	/* domain 2 is re-created: another start time */
	c->known = d->known = XEN_DOM_HAVE_START_TIME;
	c->start_time.tv_sec = 1000, d->start_time.tv_sec = 2000;
	xen_snapshot_add_domain(prev, a);
	xen_snapshot_add_domain(prev, c);
	xen_snapshot_add_domain(next, b);
	xen_snapshot_add_domain(next, d);

	xen_snapshot_mark_new(next, NULL, &t1);	/* first snapshot: nothing new */
	assert_int_equal(b->counters_since.tv_sec, 0);
	xen_snapshot_mark_new(next, prev, &t1);
	assert_int_equal(b->counters_since.tv_sec, 10);
	assert_int_equal(b->vifs[0].counters_since.tv_sec, 10);
	assert_int_equal(b->vifs[1].counters_since.tv_sec, 20);
	assert_int_equal(d->counters_since.tv_sec, 20);
	xen_snapshot_unref(prev);
	xen_snapshot_unref(next);
}

/* A newline in a value from Xen must not forge a second log line. */
static void capture_line(int level, const char *line, void *opaque)
{
	(void)level;
	strncat(opaque, line, 255 - strlen(opaque));
}

static void test_log_lines_have_no_control_characters(void **state)
{
	struct xen_log_queue q;
	char got[256] = "";

	(void)state;
	xen_log_queue_init(&q);
	xen_log(&q, XEN_LOG_NOTICE, "xend: version %s", "3.4\nxensnmpd: forged\033[2J");
	assert_int_equal(xen_log_drain(&q, capture_line, got), 1);
	assert_null(strchr(got, '\n'));
	assert_null(strchr(got, '\033'));
	assert_string_equal(got, "xend: version 3.4?xensnmpd: forged?[2J");
	xen_log_queue_destroy(&q);
}

/* One growth helper: keeps contents, grows geometrically, and a driver
 * table without a required operation is refused. */
static void test_grow_and_driver_contract(void **state)
{
	unsigned *items = NULL;
	size_t cap = 0, i;
	struct xen_driver_ops out, in = { .name = "t", .source = 1 };

	(void)state;
	for (i = 0; i < 1000; i++) {
		xen_grow(&items, &cap, i + 1, sizeof(*items));
		items[i] = (unsigned)i;
	}
	assert_true(cap >= 1000 && cap < 2048);
	for (i = 0; i < 1000; i++)
		assert_int_equal(items[i], i);
	free(items);
	assert_int_equal(xen_driver_ops_complete(&out, &in), -1);
}

/* One re-read per interval per domain, none lost, none skipped at the wrap. */
static void test_pace_interval(void **state)
{
	struct xen_pace p;
	struct xen_dirty d;
	long next;

	(void)state;
	assert_int_equal(xen_pace_init(&p, 1000, 100000), 0);
	xen_dirty_init(&d);
	xen_pace_note(&p, 5);
	assert_int_equal(xen_pace_take(&p, 10000, &d), -1);
	xen_dirty_seal(&d);
	assert_true(xen_dirty_has(&d, 5));
	xen_pace_read(&p, 5, 10000);
	xen_dirty_free(&d);
	/* changed again at once: deferred to the end of the interval */
	xen_pace_note(&p, 5);
	next = xen_pace_take(&p, 10100, &d);
	assert_int_equal(next, 900);
	assert_int_equal(d.n_domids, 0);
	assert_int_equal(xen_pace_take(&p, 11000, &d), -1);
	xen_dirty_seal(&d);
	assert_true(xen_dirty_has(&d, 5));
	xen_dirty_free(&d);
	/* the cursor past the last full word still finds low domids */
	xen_pace_note(&p, 32751);
	xen_pace_take(&p, 20000, &d);
	xen_dirty_free(&d);
	xen_pace_note(&p, 2);
	xen_pace_note(&p, 70);
	xen_pace_take(&p, 30000, &d);
	xen_dirty_seal(&d);
	assert_int_equal(d.n_domids, 2);
	assert_true(xen_dirty_has(&d, 2) && xen_dirty_has(&d, 70));
	xen_dirty_free(&d);
	xen_pace_free(&p);
}

/* Out of budget: waits, then takes the domain it skipped. */
static void test_pace_budget(void **state)
{
	struct xen_pace p;
	struct xen_dirty d;
	uint32_t id;
	long next;

	(void)state;
	/* 100 requests a second, a re-read estimated at 32: four fit */
	assert_int_equal(xen_pace_init(&p, 1000, 100), 0);
	xen_dirty_init(&d);
	for (id = 1; id <= 5; id++)
		xen_pace_note(&p, id);
	next = xen_pace_take(&p, 0, &d);
	assert_int_equal(d.n_domids, 4);
	assert_true(next > 0 && next <= 1000);
	xen_dirty_free(&d);
	/* the four took 400 requests in fact: the debt is paid first */
	xen_pace_spend(&p, 400, 4);
	assert_int_equal(xen_pace_take(&p, (uint64_t)next, &d), xen_pace_take(&p, (uint64_t)next, &d));
	assert_int_equal(d.n_domids, 0);
	xen_pace_take(&p, 4000, &d);
	assert_int_equal(d.n_domids, 1);
	assert_int_equal(d.domids[0], 5);
	xen_dirty_free(&d);
	xen_pace_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_find_dedupe),
		cmocka_unit_test(test_log_lines_have_no_control_characters),
		cmocka_unit_test(test_grow_and_driver_contract),
		cmocka_unit_test(test_many_domains),
		cmocka_unit_test(test_refcounts_share_domains),
		cmocka_unit_test(test_dirty_set),
		cmocka_unit_test(test_pace_interval),
		cmocka_unit_test(test_pace_budget),
		cmocka_unit_test(test_merge_priority_and_sources),
		cmocka_unit_test(test_merge_nothing),
		cmocka_unit_test(test_merge_reuses_unchanged),
		cmocka_unit_test(test_bytes_per_domain),
		cmocka_unit_test(test_mark_new_instances),
		cmocka_unit_test(test_mark_new_copies_borrowed),
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
