/* The set of things that changed between two gatherings. */
#include <stdlib.h>
#include <string.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"

void xen_dirty_init(struct xen_dirty *dirty)
{
	memset(dirty, 0, sizeof(*dirty));
}

void xen_dirty_free(struct xen_dirty *dirty)
{
	free(dirty->domids);
	xen_dirty_init(dirty);
}

void xen_dirty_add(struct xen_dirty *dirty, uint32_t domid)
{
	xen_grow(&dirty->domids, &dirty->cap_domids, dirty->n_domids + 1,
		 sizeof(*dirty->domids));
	dirty->domids[dirty->n_domids++] = domid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void xen_dirty_seal(struct xen_dirty *dirty)
{
	size_t i, out = 0;

	if (dirty->n_domids == 0)
		return;
	qsort(dirty->domids, dirty->n_domids, sizeof(uint32_t), cmp_u32);
	for (i = 0; i < dirty->n_domids; i++)
		if (out == 0 || dirty->domids[out - 1] != dirty->domids[i])
			dirty->domids[out++] = dirty->domids[i];
	dirty->n_domids = out;
}

bool xen_dirty_has(const struct xen_dirty *dirty, uint32_t domid)
{
	return dirty->full ||
	       (dirty->n_domids &&
		bsearch(&domid, dirty->domids, dirty->n_domids,
			sizeof(uint32_t), cmp_u32));
}

bool xen_dirty_any_event(const struct xen_dirty *dirty)
{
	return dirty->full || dirty->relist || dirty->n_domids > 0;
}

bool xen_dirty_any(const struct xen_dirty *dirty)
{
	return dirty->full || dirty->relist || dirty->tick || dirty->probed ||
	       dirty->n_domids > 0;
}
