/*
 * The driver table, after libvirt's driver-hypervisor.h: each way of
 * reaching Xen (xenstore, xend, hypercalls, dom0's statistics) fills a
 * struct xen_driver_ops, and the connection (xen_conn.c) asks every open
 * driver in priority order and merges what they return field by field.
 *
 * The contract, per operation:
 *   REQUIRED  name, open, close, and gather or control (or both)
 *             source       required with gather (the XenDataSources bit);
 *                          0 for a control-only driver
 *   OPTIONAL  wanted       NULL: always wanted
 *             event_fd     NULL: the driver has no change notification and
 *                          is re-read on the refresh timer only
 *             read_events  required when event_fd is set, else must be NULL
 *             requests     NULL: counted as 0 requests
 *             probe        NULL: the driver is gathered on every refresh
 *                          tick (a tick with nothing to read is skipped
 *                          only when every open driver has a probe)
 *             gather       NULL: a control-only driver, never gathered
 *             control      NULL: the driver cannot act on domains
 *             own_thread   false: gathered on the gathering thread with the
 *                          others.  true, for a source whose requests can
 *                          stall (a remote daemon such as xend): the
 *                          connection gathers it on a thread of its own,
 *                          so it never holds back the others; such a
 *                          driver has neither event_fd nor probe (it is
 *                          polled whenever the others gather, and keeps
 *                          every refresh tick gathering while it is open)
 *             quick_first  false: the driver's first gathering is merged
 *                          with the others'.  true, for a source that lists
 *                          every domain at a cost that does not grow with
 *                          xenstored's load (the hypervisor): when no
 *                          own_thread source is wanted, the first snapshot
 *                          is published from the quick drivers alone, at
 *                          once, and the others' first gathering follows
 *                          it (the connection says so meanwhile, see
 *                          xen_conn_status.unavailable)
 *             quick_names  false: the driver has no cheaper first view.
 *                          true: gather, given dirty->quick, reads its
 *                          domain list and each domain's name only.  When
 *                          no quick_first driver is open (a host read
 *                          through xenstore alone), the first snapshot is
 *                          that view, published at once, and the whole
 *                          gathering follows it as above
 * A driver sets only what it implements and writes no stubs: the
 * connection checks the table once, in xen_driver_ops_complete(), and
 * refuses to open with a table that breaks this contract.
 *
 * Threads: the data operations (open, close, event_fd, read_events,
 * probe, gather, requests) are called on one thread only, never two at
 * once, so a driver needs no locking of its own: the connection's
 * gathering thread, or for an own_thread driver its source thread, which
 * alone opens, gathers and closes that instance (the gathering thread
 * only merges the views it hands over).  control is called on
 * the connection's control thread only, on an instance that thread
 * opened for control alone and never gathers from: two instances of one
 * driver share nothing.
 * Memory: allocation failure aborts (core/xen_alloc.h), so no operation
 * reports ENOMEM; a -1 from gather or read_events means the source is lost.
 */
#ifndef XEN_DRIVER_H
#define XEN_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/xen_control.h"
#include "core/xen_log.h"
#include "core/xen_snapshot.h"

/* What changed since the last gathering, as far as the drivers know. */
struct xen_dirty {
	bool full;		/* re-read every domain */
	bool relist;		/* a change event says the domain list changed */
	/* the refresh timer: sources that send no change events (the
	 * hypervisor, xend, /proc) poll; the xenstore driver, whose watches
	 * report every change to what it reads, reuses its last view */
	bool tick;
	/* a probe between refresh ticks saw a change in a source without
	 * change events (the hypervisor's domain list): that source reads
	 * its list and re-reads what differs from its last view; counters
	 * of the rest wait for the next tick */
	bool probed;
	/* the quick first snapshot's pass: a quick_names driver reads its
	 * domain list and names only (set with full) */
	bool quick;
	/* the periodic gathering of a quiet host that nobody reads, due by
	 * its age alone (xen_conn_config.idle_refresh_seconds): the looks
	 * saw no change, so a source need not be asked whether it answers */
	bool periodic;
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
/* Whether a change event named something: full, relist or a domain. */
bool xen_dirty_any_event(const struct xen_dirty *dirty);

struct xen_driver_env {
	struct xen_log_queue *log;
	bool writable;		/* the connection may write */
	/* where to find things; NULL means the usual place */
	const char *xend_url;	/* "unix:/var/lib/xend/xend-socket" or "http://host:8000" */
	const char *proc_root;	/* "/proc" */
	const char *sys_root;	/* "/sys" */
	/* a look asks a quiet request/reply source one cheap thing when it
	 * was asked nothing for this many seconds (0: never) */
	unsigned heartbeat_seconds;
};

struct xen_driver_ops {
	const char *name;
	unsigned source;	/* XEN_SRC_* */
	bool needs_privilege;	/* opened only by root */
	bool own_thread;	/* gathered on a thread of its own (see above) */
	bool quick_first;	/* its view alone makes the first snapshot (see above) */
	bool quick_names;	/* a names-only first view, given dirty->quick (see above) */
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

	/*
	 * A cheap look at the source on a refresh tick: 1 when something
	 * other than a running counter (CPU time, I/O counters, free memory)
	 * may have changed since view, the driver's last one; 0 when not;
	 * -1 when the source failed (the gathering that follows says how).
	 * When every open driver answers 0 and nobody read the data since the
	 * last gathering, the tick gathers nothing (see xen_conn.h).
	 */
	int (*probe)(void *priv, const struct xen_snapshot *view);

	/*
	 * Carries out one control request as the toolstack's own command
	 * would, after checking, right before acting, that domain req->domid
	 * still holds the UUID req->uuid by the hypervisor's handle (never by
	 * guest-writable data) and that the action makes sense in its current
	 * state.  Returns enum xen_control_rc; *why says what failed.
	 */
	int (*control)(void *priv, const struct xen_control_request *req,
		       char *why, size_t why_len);
};

/*
 * Copies in to out, filling each optional operation left NULL with its
 * default; -1 if a required one is missing.  The connection calls this
 * once per driver when it opens, and calls every operation without a
 * NULL check afterwards.
 */
int xen_driver_ops_complete(struct xen_driver_ops *out,
			    const struct xen_driver_ops *in);

extern const struct xen_driver_ops xen_hypervisor_driver;
extern const struct xen_driver_ops xen_xend_driver;
extern const struct xen_driver_ops xen_xenstore_driver;
extern const struct xen_driver_ops xen_dom0_stats_driver;
#ifdef HAVE_LIBXL
extern const struct xen_driver_ops xen_libxl_driver;	/* control only */
#endif

#endif
