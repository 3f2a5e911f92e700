/*
 * The driver table, after libvir's design: each way of reaching Xen
 * (xenstore, xend, hypercalls) implements the operations it can, and the
 * connection (xen_conn.c) asks every open driver in priority order and
 * merges what they return field by field.
 */
#ifndef XEN_DRIVER_H
#define XEN_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/xen_log.h"
#include "core/xen_snapshot.h"

/* What changed since the last gathering, as far as the drivers know. */
struct xen_dirty {
	bool full;		/* re-read every domain */
	bool relist;		/* the domain list may have changed */
	uint32_t *domids;	/* domains whose data changed (unsorted) */
	size_t n_domids, cap_domids;
};

void xen_dirty_init(struct xen_dirty *dirty);
void xen_dirty_free(struct xen_dirty *dirty);
void xen_dirty_add(struct xen_dirty *dirty, uint32_t domid);
/* Sorts and removes duplicates so xen_dirty_has can search. */
void xen_dirty_seal(struct xen_dirty *dirty);
bool xen_dirty_has(const struct xen_dirty *dirty, uint32_t domid);
bool xen_dirty_any(const struct xen_dirty *dirty);

struct xen_driver_env {
	struct xen_log_queue *log;
	bool writable;		/* the connection may write */
	/* where to find things; NULL means the usual place */
	const char *xend_url;	/* "unix:/var/lib/xend/xend-socket" or "http://host:8000" */
	const char *proc_root;	/* "/proc" */
	const char *sys_root;	/* "/sys" */
};

struct xen_driver_ops {
	const char *name;
	unsigned source;	/* XEN_SRC_* */
	bool needs_privilege;	/* opened only by root */
	/* Whether this host's configuration asks for it (NULL: always).
	 * A driver not wanted is neither opened nor reported missing. */
	bool (*wanted)(const struct xen_driver_env *env);

	/* Opens; on failure returns NULL and sets *why (static text ok). */
	void *(*open)(const struct xen_driver_env *env, char *why,
		      size_t why_len);
	void (*close)(void *priv);

	/* Change notification: an fd to poll, or -1. */
	int (*event_fd)(void *priv);
	/*
	 * Drains pending events into dirty, given the driver's last view;
	 * -1 if the connection died.
	 */
	int (*read_events)(void *priv, const struct xen_snapshot *view,
			   struct xen_dirty *dirty);

	/*
	 * Builds this driver's view of the host into out (host + domains),
	 * re-reading what dirty names and reusing prev's domain objects for
	 * the rest.  Returns 0, or -1 with *why when the source is lost.
	 */
	int (*gather)(void *priv, const struct xen_snapshot *prev,
		      const struct xen_dirty *dirty, struct xen_snapshot *out,
		      char *why, size_t why_len);

	/* Requests sent to the source so far (for statistics). */
	uint64_t (*requests)(void *priv);
};

extern const struct xen_driver_ops xen_hypervisor_driver;
extern const struct xen_driver_ops xen_xend_driver;
extern const struct xen_driver_ops xen_xenstore_driver;
extern const struct xen_driver_ops xen_dom0_stats_driver;

#endif
