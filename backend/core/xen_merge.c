/* Field-by-field merge of driver views (see xen_merge.h). */
#include <stdlib.h>
#include <string.h>

#include "core/xen_alloc.h"
#include "core/xen_merge.h"

/* Borrowed: the merged domain holds the part that owns the bytes. */
static void take_bytes(struct xen_bytes *dst, const struct xen_bytes *src)
{
	if (!xen_bytes_known(dst) && xen_bytes_known(src))
		*dst = *src;
}

#define TAKE(flag, field)                                              \
	do {                                                           \
		if (!(dst->known & (flag)) && (src->known & (flag))) { \
			dst->field = src->field;                       \
			dst->known |= (flag);                          \
		}                                                      \
	} while (0)

static void merge_vcpu(struct xen_vcpu *dst, const struct xen_vcpu *src)
{
	dst->sources |= src->sources;
	TAKE(XEN_VCPU_HAVE_AVAILABILITY, online);
	TAKE(XEN_VCPU_HAVE_STATE, state);
	TAKE(XEN_VCPU_HAVE_CPU_TIME, cpu_time_ns);
	TAKE(XEN_VCPU_HAVE_PHYS_CPU, phys_cpu);
}

static void merge_vif(struct xen_vif *dst, const struct xen_vif *src)
{
	take_bytes(&dst->mac, &src->mac);
	take_bytes(&dst->bridge, &src->bridge);
	take_bytes(&dst->ifname, &src->ifname);
	take_bytes(&dst->script, &src->script);
	TAKE(XEN_DEV_HAVE_BACKEND_DOMID, backend_domid);
	TAKE(XEN_DEV_HAVE_STATE, state);
	TAKE(XEN_DEV_HAVE_IFINDEX, ifindex);
	if (!(dst->known & XEN_DEV_HAVE_RX) && (src->known & XEN_DEV_HAVE_RX)) {
		dst->rx_bytes = src->rx_bytes;
		dst->rx_packets = src->rx_packets;
		dst->rx_errors = src->rx_errors;
		dst->rx_drops = src->rx_drops;
		dst->known |= XEN_DEV_HAVE_RX;
	}
	if (!(dst->known & XEN_DEV_HAVE_TX) && (src->known & XEN_DEV_HAVE_TX)) {
		dst->tx_bytes = src->tx_bytes;
		dst->tx_packets = src->tx_packets;
		dst->tx_errors = src->tx_errors;
		dst->tx_drops = src->tx_drops;
		dst->known |= XEN_DEV_HAVE_TX;
	}
}

static void merge_vbd(struct xen_vbd *dst, const struct xen_vbd *src)
{
	take_bytes(&dst->dev, &src->dev);
	take_bytes(&dst->params, &src->params);
	take_bytes(&dst->mode, &src->mode);
	take_bytes(&dst->device_type, &src->device_type);
	take_bytes(&dst->backend_type, &src->backend_type);
	TAKE(XEN_DEV_HAVE_BACKEND_DOMID, backend_domid);
	TAKE(XEN_DEV_HAVE_STATE, state);
	if (!(dst->known & XEN_DEV_HAVE_IO) && (src->known & XEN_DEV_HAVE_IO)) {
		dst->rd_reqs = src->rd_reqs;
		dst->wr_reqs = src->wr_reqs;
		dst->rd_bytes = src->rd_bytes;
		dst->wr_bytes = src->wr_bytes;
		dst->oo_reqs = src->oo_reqs;
		dst->known |= XEN_DEV_HAVE_IO;
	}
}

/*
 * Merges one kind of per-domain item, kept sorted by id, into dst.
 * Items that only an augmenting view has are not added: statistics alone
 * do not make a device.  Each item type has an unsigned id first.
 */
#define MERGE_ITEMS(type, arr, count, id, merge_fn)                          \
	static void merge_##arr(struct xen_domain *dst,                      \
				const struct xen_domain *src, bool augment)  \
	{                                                                    \
		size_t i = 0, j = 0, n = 0;                                  \
		type *out;                                                   \
		if (!src->count)                                             \
			return;                                              \
		/* the size of the union first: no slack kept per domain */  \
		while (i < dst->count || j < src->count) {                   \
			if (j >= src->count ||                               \
			    (i < dst->count &&                               \
			     dst->arr[i].id < src->arr[j].id)) {             \
				n++, i++;                                    \
			} else if (i >= dst->count ||                        \
				   src->arr[j].id < dst->arr[i].id) {        \
				n += !augment, j++;                          \
			} else {                                             \
				n++, i++, j++;                               \
			}                                                    \
		}                                                            \
		if (!n)                                                      \
			return;                                              \
		out = xen_calloc(n, sizeof(*out));                           \
		i = j = n = 0;                                               \
		while (i < dst->count || j < src->count) {                   \
			if (j >= src->count ||                               \
			    (i < dst->count &&                               \
			     dst->arr[i].id < src->arr[j].id)) {             \
				out[n++] = dst->arr[i++];                    \
			} else if (i >= dst->count ||                        \
				   src->arr[j].id < dst->arr[i].id) {        \
				if (!augment) {                              \
					out[n].id = src->arr[j].id;          \
					merge_fn(&out[n++], &src->arr[j]);   \
				}                                            \
				j++;                                         \
			} else {                                             \
				out[n] = dst->arr[i++];                      \
				merge_fn(&out[n++], &src->arr[j++]);         \
			}                                                    \
		}                                                            \
		free(dst->arr);                                              \
		dst->arr = out;                                              \
		dst->count = n;                                              \
	}

MERGE_ITEMS(struct xen_vcpu, vcpus, n_vcpus, id, merge_vcpu)
MERGE_ITEMS(struct xen_vif, vifs, n_vifs, devid, merge_vif)
MERGE_ITEMS(struct xen_vbd, vbds, n_vbds, devid, merge_vbd)

/* Kinds of per-domain items (merge_domain's skip mask). */
enum { ITEMS_VCPUS = 1u << 0, ITEMS_VIFS = 1u << 1, ITEMS_VBDS = 1u << 2 };

static void merge_domain(struct xen_domain *dst, const struct xen_domain *src,
			 bool augment, unsigned skip)
{
	dst->sources |= src->sources;
	take_bytes(&dst->name, &src->name);
	take_bytes(&dst->os_type, &src->os_type);
	if (!dst->vm_path && src->vm_path)
		dst->vm_path = src->vm_path;	/* borrowed, as the bytes */
	if (!(dst->known & XEN_DOM_HAVE_UUID) &&
	    (src->known & XEN_DOM_HAVE_UUID)) {
		memcpy(dst->uuid, src->uuid, sizeof(dst->uuid));
		dst->known |= XEN_DOM_HAVE_UUID;
	}
	TAKE(XEN_DOM_HAVE_STATE, state);
	TAKE(XEN_DOM_HAVE_SHUTDOWN, shutdown);
	TAKE(XEN_DOM_HAVE_MEM_CURRENT, mem_current_kib);
	TAKE(XEN_DOM_HAVE_MEM_TARGET, mem_target_kib);
	TAKE(XEN_DOM_HAVE_MEM_MAX, mem_max_kib);
	TAKE(XEN_DOM_HAVE_VCPUS_ONLINE, vcpus_online);
	TAKE(XEN_DOM_HAVE_VCPUS_MAX, vcpus_max);
	TAKE(XEN_DOM_HAVE_CPU_TIME, cpu_time_ns);
	TAKE(XEN_DOM_HAVE_START_TIME, start_time);
	if (!(skip & ITEMS_VCPUS))
		merge_vcpus(dst, src, augment);
	if (!(skip & ITEMS_VIFS))
		merge_vifs(dst, src, augment);
	if (!(skip & ITEMS_VBDS))
		merge_vbds(dst, src, augment);
}

static void merge_host(struct xen_host *dst, const struct xen_host *src)
{
	if (!(dst->known & XEN_HOST_HAVE_VERSION) &&
	    (src->known & XEN_HOST_HAVE_VERSION)) {
		xen_bytes_set(&dst->xen_version, src->xen_version.data,
			      src->xen_version.len);
		dst->known |= XEN_HOST_HAVE_VERSION;
	}
	if (!(dst->known & XEN_HOST_HAVE_NAME) &&
	    (src->known & XEN_HOST_HAVE_NAME)) {
		xen_bytes_set(&dst->name, src->name.data, src->name.len);
		dst->known |= XEN_HOST_HAVE_NAME;
	}
	TAKE(XEN_HOST_HAVE_CPUS, cpus);
	TAKE(XEN_HOST_HAVE_CPU_MHZ, cpu_mhz);
	TAKE(XEN_HOST_HAVE_TOTAL_MEM, total_mem_kib);
	TAKE(XEN_HOST_HAVE_FREE_MEM, free_mem_kib);
}

#undef TAKE

/* A view of device statistics only adds to what other views found. */
static bool augments_only(const struct xen_snapshot *view)
{
	return view->sources == XEN_SRC_DOM0_STATS;
}

/*
 * The kind of items that only one part has, a primary one: the merged
 * domain borrows that part's array instead of copying it, as it borrows
 * the strings (xen_domain.parts; a dom0-statistics view adds counters to
 * the devices, so with it the devices are merged copies).  Returns the
 * ITEMS_* bits borrowed; *from[k] is the part lending kind k.
 */
static unsigned single_holders(struct xen_domain *const *parts,
			       struct xen_snapshot *const *views, size_t n_views,
			       size_t from[3])
{
	size_t counts[3] = { 0 }, v, k;
	unsigned mask = 0;

	for (v = 0; v < n_views; v++) {
		size_t n[3];

		if (!parts[v])
			continue;
		n[0] = parts[v]->n_vcpus, n[1] = parts[v]->n_vifs, n[2] = parts[v]->n_vbds;
		for (k = 0; k < 3; k++) {
			if (!n[k])
				continue;
			counts[k]++;
			from[k] = augments_only(views[v]) ? n_views : v;
		}
	}
	for (k = 0; k < 3; k++)
		if (counts[k] == 1 && from[k] < n_views)
			mask |= 1u << k;
	return mask;
}

/* Whether prev_dom was merged from exactly these parts (view order). */
static bool same_parts(const struct xen_domain *prev_dom,
		       struct xen_domain *const *parts, size_t n_views)
{
	size_t v;

	for (v = 0; v < n_views; v++)
		if (prev_dom->parts[v] != parts[v])
			return false;
	return true;
}

struct xen_snapshot *xen_merge_views(struct xen_snapshot *const *views,
				     size_t n_views,
				     const struct xen_snapshot *prev)
{
	struct xen_snapshot *out;
	size_t pos[XEN_MAX_PARTS] = { 0 }, prev_pos = 0, v;

	if (n_views > XEN_MAX_PARTS || !(out = xen_snapshot_new()))
		return NULL;
	for (v = 0; v < n_views; v++) {
		if (!views[v])
			continue;
		out->sources |= views[v]->sources;
		merge_host(&out->host, &views[v]->host);
	}

	/* walk the sorted domain lists side by side */
	for (;;) {
		struct xen_domain *parts[XEN_MAX_PARTS] = { NULL };
		uint32_t next = UINT32_MAX;
		size_t holders = 0, primaries = 0, first = 0;
		struct xen_domain *dom = NULL, *prev_dom = NULL;
		bool any = false;

		for (v = 0; v < n_views; v++) {
			if (!views[v] || pos[v] >= views[v]->n_domains)
				continue;
			uint32_t id = views[v]->domains[pos[v]]->domid;

			if (!any || id < next) {
				next = id;
				any = true;
			}
		}
		if (!any)
			break;
		for (v = 0; v < n_views; v++) {
			if (!views[v] || pos[v] >= views[v]->n_domains ||
			    views[v]->domains[pos[v]]->domid != next)
				continue;
			parts[v] = views[v]->domains[pos[v]++];
			if (holders++ == 0)
				first = v;
			primaries += !augments_only(views[v]);
		}
		while (prev && prev_pos < prev->n_domains &&
		       prev->domains[prev_pos]->domid < next)
			prev_pos++;
		if (prev && prev_pos < prev->n_domains &&
		    prev->domains[prev_pos]->domid == next)
			prev_dom = prev->domains[prev_pos];

		if (primaries == 0) {
			/* statistics of a domain no other source knows: dropped */
		} else if (holders == 1) {
			dom = xen_domain_ref(parts[first]);
		} else if (prev_dom && same_parts(prev_dom, parts, n_views)) {
			/* nothing it is made of changed: the same object */
			dom = xen_domain_ref(prev_dom);
		} else if ((dom = xen_domain_new(next)) != NULL) {
			size_t from[3];
			unsigned lent = single_holders(parts, views, n_views, from);

			for (v = 0; v < n_views; v++) {
				if (!parts[v])
					continue;
				merge_domain(dom, parts[v], augments_only(views[v]), lent);
				dom->parts[v] = xen_domain_ref(parts[v]);
			}
			if (lent & ITEMS_VCPUS)
				dom->vcpus = parts[from[0]]->vcpus, dom->n_vcpus = parts[from[0]]->n_vcpus;
			if (lent & ITEMS_VIFS)
				dom->vifs = parts[from[1]]->vifs, dom->n_vifs = parts[from[1]]->n_vifs;
			if (lent & ITEMS_VBDS)
				dom->vbds = parts[from[2]]->vbds, dom->n_vbds = parts[from[2]]->n_vbds;
		}
		if (dom && xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
	}
	return out;
}
