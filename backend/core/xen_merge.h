/*
 * Merging the drivers' views into one snapshot, field by field: a value
 * comes from the first view (in priority order) that knows it, and every
 * row says which sources contributed.
 */
#ifndef XEN_MERGE_H
#define XEN_MERGE_H

#include "core/xen_snapshot.h"

/*
 * views[0] has the highest priority; NULL entries are skipped; at most
 * XEN_MAX_PARTS views.  Domains found in only one view are shared, not
 * copied.  A domain found in several is a new object that holds its
 * parts and borrows their strings (see xen_domain.parts), unless prev
 * (the snapshot merged last from views at the same positions, or NULL)
 * has one merged from exactly the same parts: that one is shared, so a
 * gathering that changed one domain republishes one new object.
 * Returns a new snapshot (refcnt 1), or NULL with more than
 * XEN_MAX_PARTS views.
 */
struct xen_snapshot *xen_merge_views(struct xen_snapshot *const *views,
				     size_t n_views,
				     const struct xen_snapshot *prev);

#endif
