/* Reference-counted snapshots and domains (see xen_snapshot.h). */
#include <stdlib.h>
#include <string.h>

#include "core/xen_alloc.h"
#include "core/xen_snapshot.h"

static int ref_get(int *refcnt)
{
	return __atomic_add_fetch(refcnt, 1, __ATOMIC_RELAXED);
}

static int ref_put(int *refcnt)
{
	return __atomic_sub_fetch(refcnt, 1, __ATOMIC_ACQ_REL);
}

int xen_bytes_set(struct xen_bytes *b, const void *data, size_t len)
{
	char *copy = xen_alloc(len + 1);

	if (!copy)
		return -1;
	memcpy(copy, data, len);
	copy[len] = '\0';
	free(b->data);
	b->data = copy;
	b->len = len;
	return 0;
}

void xen_bytes_clear(struct xen_bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

bool xen_bytes_known(const struct xen_bytes *b)
{
	return b->data != NULL;
}

void xen_vif_clear_strings(struct xen_vif *vif)
{
	xen_bytes_clear(&vif->mac);
	xen_bytes_clear(&vif->bridge);
	xen_bytes_clear(&vif->ifname);
	xen_bytes_clear(&vif->script);
}

void xen_vbd_clear_strings(struct xen_vbd *vbd)
{
	xen_bytes_clear(&vbd->dev);
	xen_bytes_clear(&vbd->params);
	xen_bytes_clear(&vbd->mode);
	xen_bytes_clear(&vbd->device_type);
	xen_bytes_clear(&vbd->backend_type);
}

struct xen_domain *xen_domain_new(uint32_t domid)
{
	struct xen_domain *dom = xen_calloc(1, sizeof(*dom));

	if (!dom)
		return NULL;
	dom->refcnt = 1;
	dom->domid = domid;
	return dom;
}

struct xen_domain *xen_domain_ref(struct xen_domain *dom)
{
	if (dom)
		ref_get(&dom->refcnt);
	return dom;
}

static bool is_merged(const struct xen_domain *dom)
{
	size_t i;

	for (i = 0; i < XEN_MAX_PARTS; i++)
		if (dom->parts[i])
			return true;
	return false;
}

/* Whether a merged domain's item array is a part's, borrowed (xen_merge.c). */
static bool borrowed(const struct xen_domain *dom, const void *items)
{
	size_t i;

	for (i = 0; items && i < XEN_MAX_PARTS; i++)
		if (dom->parts[i] && (items == dom->parts[i]->vcpus ||
				      items == dom->parts[i]->vifs ||
				      items == dom->parts[i]->vbds))
			return true;
	return false;
}

static void domain_free(struct xen_domain *dom)
{
	size_t i;

	if (is_merged(dom)) {
		/* the strings, and the arrays it borrowed, are the parts' */
		if (!borrowed(dom, dom->vcpus))
			free(dom->vcpus);
		if (!borrowed(dom, dom->vifs))
			free(dom->vifs);
		if (!borrowed(dom, dom->vbds))
			free(dom->vbds);
		for (i = 0; i < XEN_MAX_PARTS; i++)
			xen_domain_unref(dom->parts[i]);
		free(dom);
		return;
	}
	xen_bytes_clear(&dom->name);
	xen_bytes_clear(&dom->os_type);
	free(dom->vm_path);
	for (i = 0; i < dom->n_vifs; i++)
		xen_vif_clear_strings(&dom->vifs[i]);
	for (i = 0; i < dom->n_vbds; i++)
		xen_vbd_clear_strings(&dom->vbds[i]);
	free(dom->vcpus);
	free(dom->vifs);
	free(dom->vbds);
	free(dom);
}

void xen_domain_unref(struct xen_domain *dom)
{
	if (dom && ref_put(&dom->refcnt) == 0)
		domain_free(dom);
}

struct xen_snapshot *xen_snapshot_new(void)
{
	struct xen_snapshot *snap = xen_calloc(1, sizeof(*snap));

	if (snap)
		snap->refcnt = 1;
	return snap;
}

struct xen_snapshot *xen_snapshot_ref(struct xen_snapshot *snap)
{
	if (snap)
		ref_get(&snap->refcnt);
	return snap;
}

void xen_snapshot_unref(struct xen_snapshot *snap)
{
	size_t i;

	if (!snap || ref_put(&snap->refcnt) != 0)
		return;
	for (i = 0; i < snap->n_domains; i++)
		xen_domain_unref(snap->domains[i]);
	free(snap->domains);
	xen_bytes_clear(&snap->host.xen_version);
	xen_bytes_clear(&snap->host.name);
	free(snap);
}

int xen_snapshot_add_domain(struct xen_snapshot *snap, struct xen_domain *dom)
{
	xen_grow(&snap->domains, &snap->cap_domains, snap->n_domains + 1,
		 sizeof(*snap->domains));
	snap->domains[snap->n_domains++] = dom;
	return 0;
}

static int cmp_domain(const void *a, const void *b)
{
	const struct xen_domain *da = *(struct xen_domain *const *)a;
	const struct xen_domain *db = *(struct xen_domain *const *)b;

	return (da->domid > db->domid) - (da->domid < db->domid);
}

void xen_snapshot_sort(struct xen_snapshot *snap)
{
	size_t i, out = 0;

	if (snap->n_domains < 2)
		return;
	qsort(snap->domains, snap->n_domains, sizeof(*snap->domains),
	      cmp_domain);
	/* drop duplicates: the first one of a domid wins */
	for (i = 0; i < snap->n_domains; i++) {
		if (out > 0 &&
		    snap->domains[out - 1]->domid == snap->domains[i]->domid) {
			xen_domain_unref(snap->domains[i]);
			continue;
		}
		snap->domains[out++] = snap->domains[i];
	}
	snap->n_domains = out;
}

const struct xen_domain *xen_snapshot_find(const struct xen_snapshot *snap,
					   uint32_t domid)
{
	size_t lo = 0, hi;

	if (!snap)
		return NULL;
	hi = snap->n_domains;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t id = snap->domains[mid]->domid;

		if (id == domid)
			return snap->domains[mid];
		if (id < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Writes only when the value changes: an object shared with a published
 * snapshot is then never written while readers may look at it. */
static void set_since(struct timespec *dst, const struct timespec *value)
{
	if (!same_time(dst, value))
		*dst = *value;
}

/*
 * A merged domain's device array that is borrowed from a part may be
 * read through other snapshots: before one of its counters_since is
 * written, the domain gets a copy of its own (copy on write).
 */
static void *own_items(const struct xen_domain *dom, void *items, size_t n,
		       size_t size)
{
	void *copy;

	if (!borrowed(dom, items))
		return items;
	copy = xen_calloc(n, size);
	memcpy(copy, items, n * size);
	return copy;
}

static bool went_back(bool known, uint64_t now, uint64_t before)
{
	return known && now < before;
}

static bool same_domain(const struct xen_domain *d, const struct xen_domain *p)
{
	if ((d->known & p->known & XEN_DOM_HAVE_UUID) &&
	    memcmp(d->uuid, p->uuid, sizeof(d->uuid)) != 0)
		return false;
	if ((d->known & p->known & XEN_DOM_HAVE_START_TIME) &&
	    !same_time(&d->start_time, &p->start_time))
		return false;
	return !went_back(d->known & p->known & XEN_DOM_HAVE_CPU_TIME,
			  d->cpu_time_ns, p->cpu_time_ns);
}

static bool same_vif(const struct xen_vif *v, const struct xen_vif *p)
{
	unsigned both = v->known & p->known;

	return !went_back(both & XEN_DEV_HAVE_RX, v->rx_bytes, p->rx_bytes) &&
	       !went_back(both & XEN_DEV_HAVE_RX, v->rx_packets, p->rx_packets) &&
	       !went_back(both & XEN_DEV_HAVE_TX, v->tx_bytes, p->tx_bytes) &&
	       !went_back(both & XEN_DEV_HAVE_TX, v->tx_packets, p->tx_packets);
}

static bool same_vbd(const struct xen_vbd *v, const struct xen_vbd *p)
{
	unsigned both = v->known & p->known;

	return !went_back(both & XEN_DEV_HAVE_IO, v->rd_reqs, p->rd_reqs) &&
	       !went_back(both & XEN_DEV_HAVE_IO, v->wr_reqs, p->wr_reqs) &&
	       !went_back(both & XEN_DEV_HAVE_IO, v->rd_bytes, p->rd_bytes) &&
	       !went_back(both & XEN_DEV_HAVE_IO, v->wr_bytes, p->wr_bytes);
}

static const struct xen_vif *find_vif(const struct xen_domain *d, unsigned devid)
{
	size_t i;

	for (i = 0; d && i < d->n_vifs; i++)
		if (d->vifs[i].devid == devid)
			return &d->vifs[i];
	return NULL;
}

static const struct xen_vbd *find_vbd(const struct xen_domain *d, unsigned devid)
{
	size_t i;

	for (i = 0; d && i < d->n_vbds; i++)
		if (d->vbds[i].devid == devid)
			return &d->vbds[i];
	return NULL;
}

void xen_snapshot_mark_new(struct xen_snapshot *snap,
			   const struct xen_snapshot *prev,
			   const struct timespec *now)
{
	size_t i, j;

	if (!prev)
		return;
	for (i = 0; i < snap->n_domains; i++) {
		struct xen_domain *d = snap->domains[i];
		const struct xen_domain *p = xen_snapshot_find(prev, d->domid);

		if (p == d)
			continue;	/* the same object: nothing changed */
		if (p && !same_domain(d, p))
			p = NULL;
		set_since(&d->counters_since, p ? &p->counters_since : now);
		for (j = 0; j < d->n_vifs; j++) {
			const struct xen_vif *pv = find_vif(p, d->vifs[j].devid);
			const struct timespec *since = pv && same_vif(&d->vifs[j], pv)
				? &pv->counters_since : now;

			if (!same_time(&d->vifs[j].counters_since, since)) {
				d->vifs = own_items(d, d->vifs, d->n_vifs, sizeof(*d->vifs));
				d->vifs[j].counters_since = *since;
			}
		}
		for (j = 0; j < d->n_vbds; j++) {
			const struct xen_vbd *pv = find_vbd(p, d->vbds[j].devid);
			const struct timespec *since = pv && same_vbd(&d->vbds[j], pv)
				? &pv->counters_since : now;

			if (!same_time(&d->vbds[j].counters_since, since)) {
				d->vbds = own_items(d, d->vbds, d->n_vbds, sizeof(*d->vbds));
				d->vbds[j].counters_since = *since;
			}
		}
	}
}
