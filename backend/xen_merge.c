/* Field-by-field merge of driver views (see xen_merge.h). */
#include <stdlib.h>
#include <string.h>

#include "xen_merge.h"

static void take_bytes(struct xen_bytes *dst, const struct xen_bytes *src)
{
	if (!xen_bytes_known(dst) && xen_bytes_known(src))
		xen_bytes_set(dst, src->data, src->len);
}

/* Copies a device array; the first view that has devices supplies them. */
static void *dup_array(const void *src, size_t n, size_t size)
{
	void *copy = n ? malloc(n * size) : NULL;

	if (copy)
		memcpy(copy, src, n * size);
	return copy;
}

static void copy_devices(struct xen_domain *dst, const struct xen_domain *src)
{
	size_t i;

	if (!dst->n_vcpus && src->n_vcpus) {
		dst->vcpus = dup_array(src->vcpus, src->n_vcpus,
				       sizeof(*src->vcpus));
		dst->n_vcpus = dst->vcpus ? src->n_vcpus : 0;
	}
	if (!dst->n_vifs && src->n_vifs &&
	    (dst->vifs = calloc(src->n_vifs, sizeof(*dst->vifs)))) {
		for (i = 0; i < src->n_vifs; i++) {
			struct xen_vif *d = &dst->vifs[i];
			const struct xen_vif *s = &src->vifs[i];

			*d = *s;
			memset(&d->mac, 0, 4 * sizeof(d->mac));
			take_bytes(&d->mac, &s->mac);
			take_bytes(&d->bridge, &s->bridge);
			take_bytes(&d->ifname, &s->ifname);
			take_bytes(&d->script, &s->script);
		}
		dst->n_vifs = src->n_vifs;
	}
	if (!dst->n_vbds && src->n_vbds &&
	    (dst->vbds = calloc(src->n_vbds, sizeof(*dst->vbds)))) {
		for (i = 0; i < src->n_vbds; i++) {
			struct xen_vbd *d = &dst->vbds[i];
			const struct xen_vbd *s = &src->vbds[i];

			*d = *s;
			memset(&d->dev, 0, 5 * sizeof(d->dev));
			take_bytes(&d->dev, &s->dev);
			take_bytes(&d->params, &s->params);
			take_bytes(&d->mode, &s->mode);
			take_bytes(&d->device_type, &s->device_type);
			take_bytes(&d->backend_type, &s->backend_type);
		}
		dst->n_vbds = src->n_vbds;
	}
}

#define TAKE(flag, field)                                     \
	do {                                                  \
		if (!(dst->known & (flag)) && (src->known & (flag))) { \
			dst->field = src->field;              \
			dst->known |= (flag);                 \
		}                                             \
	} while (0)

static void merge_domain(struct xen_domain *dst, const struct xen_domain *src)
{
	dst->sources |= src->sources;
	take_bytes(&dst->name, &src->name);
	take_bytes(&dst->os_type, &src->os_type);
	if (!dst->vm_path && src->vm_path)
		dst->vm_path = strdup(src->vm_path);
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
	copy_devices(dst, src);
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

struct xen_snapshot *xen_merge_views(struct xen_snapshot *const *views,
				     size_t n_views)
{
	struct xen_snapshot *out = xen_snapshot_new();
	size_t *pos, v;

	if (!out)
		return NULL;
	pos = calloc(n_views ? n_views : 1, sizeof(*pos));
	if (!pos) {
		xen_snapshot_unref(out);
		return NULL;
	}
	for (v = 0; v < n_views; v++) {
		if (!views[v])
			continue;
		out->sources |= views[v]->sources;
		merge_host(&out->host, &views[v]->host);
	}

	/* walk the sorted domain lists side by side */
	for (;;) {
		uint32_t next = UINT32_MAX;
		size_t holders = 0, first = 0;
		struct xen_domain *dom;
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
		for (v = 0; v < n_views; v++)
			if (views[v] && pos[v] < views[v]->n_domains &&
			    views[v]->domains[pos[v]]->domid == next &&
			    holders++ == 0)
				first = v;

		if (holders == 1) {
			dom = xen_domain_ref(views[first]->domains[pos[first]]);
		} else if ((dom = xen_domain_new(next)) != NULL) {
			for (v = 0; v < n_views; v++)
				if (views[v] && pos[v] < views[v]->n_domains &&
				    views[v]->domains[pos[v]]->domid == next)
					merge_domain(dom,
						     views[v]->domains[pos[v]]);
		}
		if (dom && xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
		for (v = 0; v < n_views; v++)
			if (views[v] && pos[v] < views[v]->n_domains &&
			    views[v]->domains[pos[v]]->domid == next)
				pos[v]++;
	}
	free(pos);
	return out;
}
