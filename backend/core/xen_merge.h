/*
 * Merging the drivers' views into one snapshot, field by field: a value
 * comes from the first view (in priority order) that knows it, and every
 * row says which sources contributed.
 */
#ifndef XEN_MERGE_H
#define XEN_MERGE_H

#include "core/xen_snapshot.h"

/*
 * views[0] has the highest priority; NULL entries are skipped.  Domains
 * found in only one view are shared, not copied.  Returns a new snapshot
 * (refcnt 1) or NULL when out of memory.
 */
struct xen_snapshot *xen_merge_views(struct xen_snapshot *const *views,
				     size_t n_views);

#endif
