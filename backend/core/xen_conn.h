/*
 * The connection to a Xen host, after libvir's virConnect: opened in a
 * mode, it holds the table of drivers and publishes immutable snapshots.
 *
 * All Xen I/O happens on the connection's own threads (the gathering
 * thread, and one per source that can stall, see own_thread in
 * xen_driver.h), so a caller never waits on Xen: it takes the latest
 * snapshot, asks for a refresh, and polls xen_conn_notify_fd() to learn
 * that a new snapshot (or a log line) is ready.
 */
#ifndef XEN_CONN_H
#define XEN_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/xen_control.h"
#include "core/xen_log.h"
#include "core/xen_snapshot.h"

enum xen_mode {
	XEN_MODE_AUTO,		/* read-write as root, read-only otherwise */
	XEN_MODE_READ_ONLY,	/* reads only: no hypercalls, no writes */
	XEN_MODE_READ_WRITE,
};

struct xen_conn_config {
	enum xen_mode mode;
	/*
	 * The refresh tick, every this many seconds (0: none): the gathering
	 * thread keeps its own clock, so that an idle host wakes only it,
	 * and a tick falls together with a look between ticks.  A tick
	 * gathers unless idle_refresh_seconds lets it gather nothing.
	 */
	unsigned refresh_seconds;
	/*
	 * A timer refresh re-reads every domain every Nth time (0: never,
	 * the default: xenstore's watches report every change to the nodes
	 * the agent reads, and a full re-read of 10,000 domains costs
	 * xenstored some 260,000 requests for nothing).
	 */
	unsigned full_refresh_every;
	/*
	 * A timer tick gathers only when something may have changed (a
	 * driver's probe says so), someone read the data since the last
	 * gathering (xen_conn_note_read), or the last gathering is this many
	 * seconds old; 0: every tick gathers.  Running counters (CPU time,
	 * I/O) of a host nobody reads are therefore refreshed this often.
	 */
	unsigned idle_refresh_seconds;
	/*
	 * Between refresh ticks, the drivers' probes (the hypervisor's domain
	 * list) run every this many milliseconds, and a change they see is
	 * gathered at once: a pause or a crash is published within about
	 * this long, not at the next tick.  0: probes run at ticks only.
	 */
	unsigned probe_interval_ms;
	/*
	 * A look between gatherings asks xenstored one cheap thing when it
	 * was asked nothing for this many seconds, so that a hung xenstored
	 * makes the snapshot stale although nobody reads; 0: never (an idle
	 * host then sends it nothing, and a hang is found by the next read
	 * or change event, whose gathering waits on it).
	 */
	unsigned heartbeat_seconds;
	/* a source whose last good gathering is older than this is
	 * reported stale, and the snapshot with it (0: never) */
	unsigned stale_after_seconds;
	/* passed to the drivers; NULL means the usual place */
	const char *xend_url, *proc_root, *sys_root;
	/* act on domains (read-write mode only): starts the control thread */
	bool control;
};

/* Whether the connection can act on domains. */
enum xen_control_state {
	XEN_CONTROL_NONE,	/* never: read-only, not asked for, or no way on this host */
	XEN_CONTROL_STARTING,	/* the control thread is opening its driver; requests wait */
	XEN_CONTROL_READY,
	XEN_CONTROL_DOWN,	/* its driver could not be opened or was lost; retried on request */
};

struct xen_conn_status {
	bool read_write;		/* effective mode */
	unsigned drivers_open;		/* XEN_SRC_* */
	/*
	 * XEN_SRC_* of the sources whose data in the snapshot is stale: lost,
	 * or not gathered (or looked at) well for stale_after_seconds.  A
	 * source that never gave data is unavailable, not stale.
	 */
	unsigned stale_sources;
	/* the gathering is failing or overdue, or stale_sources is not 0 */
	bool stale;
	/*
	 * While not stale: the milliseconds until the age limit alone would
	 * make it so, if nothing were gathered or looked at meanwhile (a
	 * timer set for then sees the turn without polling); -1: no limit.
	 */
	long stale_in_ms;
	/* the snapshot published is the quick drivers' first (see
	 * quick_first in xen_driver.h); the whole one follows */
	bool partial;
	struct timespec last_success;	/* wall clock of the last good refresh */
	char unavailable[512];		/* what cannot be read or done, and why */
	uint64_t refreshes;		/* gatherings completed */
	double last_refresh_seconds;
	uint64_t last_refresh_requests;	/* requests to Xen in the last one */
	double last_full_refresh_seconds;
	uint64_t last_full_refresh_requests;
};

struct xen_conn;

/* Starts the gathering thread; never blocks on Xen.  NULL if no pipe or
 * thread can be made, or (EINVAL) a driver breaks the table's contract. */
struct xen_conn *xen_conn_open(const struct xen_conn_config *cfg);
/*
 * Stops and joins the gathering thread, which first ends and joins its
 * source threads, and hands the last log lines to sink (may be NULL).  A
 * thread stuck for 3 s in a request that cannot be interrupted
 * (libxenstore's calls to a hung xenstored, or a source thread's request
 * to a hung xend, which ends within 5 s) is abandoned:
 * it frees the connection itself when the request returns, the object
 * holding this code is pinned in memory (RTLD_NODELETE) so an unloaded
 * plugin's thread never runs unmapped code, and sink gets an error line
 * saying so.  Returns at most about 3 s after it is called.
 */
void xen_conn_close(struct xen_conn *conn, xen_log_sink sink, void *opaque);

/* Readable when a snapshot was published or log lines wait. */
int xen_conn_notify_fd(const struct xen_conn *conn);
/* Clears the notification and hands queued log lines to sink. */
void xen_conn_process(struct xen_conn *conn, xen_log_sink sink, void *opaque);

/* The latest snapshot (a new reference), or NULL before the first. */
struct xen_snapshot *xen_conn_snapshot(struct xen_conn *conn);

/* Asks for a refresh (full: re-read every domain); returns at once. */
void xen_conn_request_refresh(struct xen_conn *conn, bool full);
/* Changes the refresh tick's interval (a reload's xensnmpRefresh); a
 * changed interval counts from now. */
void xen_conn_set_refresh(struct xen_conn *conn, unsigned seconds);
/* Someone read the data served: the next tick gathers.  Cheap (one
 * uncontended lock), for the request path. */
void xen_conn_note_read(struct xen_conn *conn);

/* Blocks until a snapshot newer than generation is published or
 * timeout_ms passes; for tools and tests, never for the agent. */
bool xen_conn_wait(struct xen_conn *conn, uint64_t generation, int timeout_ms);

/* Changes the configured staleness limit (a reload's new interval). */
void xen_conn_set_stale_after(struct xen_conn *conn, unsigned seconds);

void xen_conn_get_status(struct xen_conn *conn, struct xen_conn_status *st);

/*
 * Control.  Requests are carried out on the connection's control thread,
 * one at a time in the order submitted; nothing here waits on Xen.
 *
 * xen_conn_control_state: the state, and in why (when not READY) the reason.
 * xen_conn_control_submit: queues a copy of req; 0, or -1 with why when
 *   control is unavailable (a DOWN driver is then retried) or the queue
 *   is full.
 * xen_conn_control_take: moves at most max outcomes of finished requests,
 *   oldest first, into out; the notify fd turns readable when one is
 *   posted.  An outcome is posted once the driver's call returned and a
 *   snapshot gathered after it was published (or 3 s passed).
 */
enum xen_control_state xen_conn_control_state(struct xen_conn *conn, char *why,
					      size_t why_len);
int xen_conn_control_submit(struct xen_conn *conn, const struct xen_control_request *req,
			    char *why, size_t why_len);
size_t xen_conn_control_take(struct xen_conn *conn, struct xen_control_outcome *out,
			     size_t max);

#endif
