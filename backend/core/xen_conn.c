/* The connection object, its gathering thread and its source threads
 * (see xen_conn.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xen_alloc.h"
#include "core/xen_conn.h"
#include "core/xen_driver.h"
#include "core/xen_merge.h"

/*
 * Priority order for merging: the first driver that knows a value wins.
 * The hypervisor and xend drivers slot in ahead of xenstore.
 */
static const struct xen_driver_ops *const driver_table[] = {
	&xen_hypervisor_driver,
	&xen_xend_driver,
	&xen_xenstore_driver,
	&xen_dom0_stats_driver,
};
#define N_DRIVERS (sizeof(driver_table) / sizeof(driver_table[0]))
_Static_assert(N_DRIVERS <= XEN_MAX_PARTS, "a merged domain holds one part per driver");

/*
 * The ways of acting on domains, in order: the first that is wanted on
 * this host and opens is the one used.  A xend host is controlled
 * through xend (its domains are xend's), any other through libxl.
 */
static const struct xen_driver_ops *const control_table[] = {
#ifdef HAVE_LIBXL
	&xen_libxl_driver,
#endif
	NULL,	/* the end; the only entry when built without libxenlight */
};

/* requests waiting for the control thread; more are refused */
#define CONTROL_QUEUE 64
/* how long the control thread waits for a snapshot that shows an action */
#define CONTROL_SEEN_WAIT_MS 3000
/*
 * How long the first snapshot waits for the source threads' first
 * gathering: a source merged later would make its rows look created.  A
 * source slower than this is merged when it answers.
 */
#define FIRST_VIEW_WAIT_MS 5000

/*
 * Thread rules.  "caller" is the thread that opened the connection (the
 * SNMP agent's); "gatherer" is the connection's own thread.  A field
 * marked "gatherer only" is touched by no other thread while the
 * gatherer runs; xen_conn_open sets it before the gatherer starts and
 * xen_conn_close reads it only after the join.  "lock" is conn->lock.
 * "owner" is the one thread that calls a slot's driver: the gatherer, or
 * for an own_thread driver that slot's source thread, which the gatherer
 * starts after its first pass (pthread_create hands the slot over) and
 * joins before it ends.
 */
struct source_side {
	struct xen_conn *conn;		/* immutable after open */
	pthread_t thread;		/* gatherer only */
	bool running;			/* gatherer only; the thread was started */
	uint64_t lost_requests;		/* owner only; requests of the instances lost */
	bool asked;			/* lock; gatherer sets, owner clears: gather again */
	unsigned attempts;		/* lock; owner counts the requests carried out */
	struct xen_snapshot *view;	/* lock; owner replaces: its newest good view */
	uint64_t view_no;		/* lock; owner counts the views handed over */
	uint64_t merged_no;		/* gatherer only; the view_no last merged */
	uint64_t requests;		/* lock; owner writes: requests to the source so far */
};

struct driver_slot {
	struct xen_driver_ops ops;	/* immutable after open; optional ops filled in */
	void *priv;			/* owner only; NULL while not open */
	struct xen_snapshot *view;	/* owner only; its last good view */
	char why[256];			/* owner writes under lock; why it is not open */
	bool skipped;			/* gatherer only, then immutable once the
					 * first pass is done; not tried in this mode */
	bool unused;			/* as skipped; not configured, not reported */
	bool was_open;			/* owner only; for "lost" / "back" lines */
	bool open;			/* lock; owner writes: priv is set */
	bool delivered;			/* lock; owner sets: it gave a view since the start */
	struct timespec good_mono;	/* lock; owner writes: its last good gathering
					 * or look (for stale_sources) */
	struct source_side src;		/* own_thread drivers only */
};

/*
 * The control thread's side.  "control" is the connection's control
 * thread, which alone calls control operations; it opens its own
 * instance of the driver it uses.
 */
struct control_side {
	bool wanted;			/* immutable after open: cfg.control and read-write */
	pthread_t thread;		/* caller only */
	struct xen_driver_ops ops;	/* control only */
	void *priv;			/* control only; NULL while not open */
	bool finished;			/* lock; the thread sets it as it ends */
	enum xen_control_state state;	/* lock; control thread writes */
	char why[256];			/* lock; why state is not READY */
	bool retry;			/* lock; caller asks for another open */
	struct xen_control_request queue[CONTROL_QUEUE];	/* lock; a ring */
	size_t q_head, q_len;		/* lock */
	struct xen_control_outcome *done;	/* lock; control appends, caller takes */
	size_t n_done, cap_done;	/* lock */
	uint64_t started_gatherings;	/* lock; the gatherer counts the starts */
	uint64_t published_start;	/* lock; the start number of the published snapshot */
};

struct xen_conn {
	struct xen_conn_config cfg;	/* immutable after open, but
					 * stale_after_seconds and
					 * refresh_seconds: lock */
	bool read_write;		/* immutable after open */
	struct xen_log_queue log;	/* any thread; has its own lock */
	struct driver_slot slots[N_DRIVERS];	/* see driver_slot */
	struct control_side ctl;	/* see control_side */
	pthread_t thread;		/* caller only */
	int wake[2];			/* caller writes, gatherer reads; fds immutable */
	int notify[2];			/* gatherer writes, caller reads; fds immutable */
	unsigned timer_ticks;		/* gatherer only */
	bool current_partial;		/* gatherer only; the published snapshot is the
					 * quick drivers' first, the others' follows */
	bool release_pending;		/* gatherer only; a snapshot was published since
					 * freed memory was last given back */

	pthread_mutex_t lock;
	pthread_cond_t published;	/* lock; signalled on each publication */
	bool stop;			/* lock; caller sets, gatherer reads */
	bool want_refresh, want_full;	/* lock; caller sets, gatherer clears */
	bool read_since_gathering;	/* lock; caller sets, gatherer clears */
	struct timespec last_gathering_mono;	/* gatherer only */
	struct timespec last_probe_mono;	/* gatherer only; the last look between ticks */
	struct timespec next_tick_mono;	/* gatherer only; when the refresh tick falls due */
	unsigned tick_seconds;		/* gatherer only; the interval next_tick_mono is of */
	unsigned gathered_mask;		/* gatherer only; XEN_SRC_* of its own drivers
					 * that gathered well in its last gathering */
	bool gather_failed;		/* gatherer only; one of them was lost in it */
	pthread_cond_t source_wake;	/* lock; broadcast to the source threads, and
					 * to the gatherer when one carried out a request */
	bool sources_stop;		/* lock; gatherer sets as it ends */
	bool source_news;		/* lock; a source thread sets, gatherer clears */
	bool abandoned;			/* lock; caller sets: the last thread to end frees conn */
	unsigned threads_left;		/* lock; abandoned threads still running */
	bool finished;			/* lock; gatherer sets as it ends */
	pthread_cond_t control_wake;	/* lock; signalled for the control thread */
	struct xen_snapshot *current;	/* lock; gatherer replaces, caller refs */
	uint64_t generation;		/* lock; gatherer increments */
	struct xen_conn_status status;	/* lock; gatherer writes, caller copies */
	bool refresh_failed;		/* lock */
	struct timespec last_success_mono;	/* lock */
};

/* The wall-clock time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void poke(int fd)
{
	char c = 1;

	/* a full pipe already carries a wake-up */
	if (write(fd, &c, 1) < 0 && errno != EAGAIN)
		return;
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void describe_unavailable(struct xen_conn *conn)
{
	char *p = conn->status.unavailable;
	size_t left = sizeof(conn->status.unavailable), i;
	int n;

	p[0] = '\0';
	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (s->open || s->unused)
			continue;
		n = snprintf(p, left, "%s%s: %s", p == conn->status.unavailable
			     ? "" : "; ", s->ops.name, s->why);
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
	for (i = 0; i < N_DRIVERS && conn->current_partial; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (!s->open || s->ops.quick_first)
			continue;
		n = snprintf(p, left, "%s%s: first reading in progress",
			     p == conn->status.unavailable ? "" : "; ", s->ops.name);
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
}

static struct xen_driver_env driver_env(struct xen_conn *conn)
{
	struct xen_driver_env env = {
		.log = &conn->log,
		.writable = conn->read_write,
		.xend_url = conn->cfg.xend_url,
		.proc_root = conn->cfg.proc_root,
		.sys_root = conn->cfg.sys_root,
		.heartbeat_seconds = conn->cfg.heartbeat_seconds,
	};

	return env;
}

/* The slot's state for the other threads; its owner only. */
static void set_state(struct xen_conn *conn, struct driver_slot *s,
		      const char *why, bool open)
{
	pthread_mutex_lock(&conn->lock);
	snprintf(s->why, sizeof(s->why), "%s", why);
	s->open = open;
	pthread_mutex_unlock(&conn->lock);
}

/* The slot's owner only: an open can take as long as the source lets it. */
static bool open_driver(struct xen_conn *conn, struct driver_slot *s)
{
	struct xen_driver_env env = driver_env(conn);
	char why[sizeof(s->why)] = "";

	if (s->skipped || s->priv)
		return false;
	s->priv = s->ops.open(&env, why, sizeof(why));
	if (!s->priv) {
		set_state(conn, s, why, false);
		return false;
	}
	if (s->was_open)
		xen_log(&conn->log, XEN_LOG_NOTICE, "%s: connection restored",
			s->ops.name);
	s->was_open = true;
	set_state(conn, s, "", true);
	return true;
}

static void open_all(struct xen_conn *conn, bool first)
{
	size_t i;
	bool root = geteuid() == 0;

	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];
		struct xen_driver_env env = driver_env(conn);

		if (first && !s->ops.wanted(&env)) {
			s->skipped = s->unused = true;
			continue;
		}
		if (first && s->ops.needs_privilege &&
		    (!root || !conn->read_write)) {
			s->skipped = true;
			set_state(conn, s, !root ? "needs root" : "read-only mode",
				  false);
			continue;
		}
		if (s->ops.own_thread)
			continue;	/* its source thread opens it */
		open_driver(conn, s);
		if (first && !s->priv)
			xen_log(&conn->log, XEN_LOG_WARNING,
				"%s: unavailable: %s", s->ops.name, s->why);
	}
}

/* The slot's owner only. */
static void lose_driver(struct xen_conn *conn, struct driver_slot *s,
			const char *why)
{
	set_state(conn, s, why, false);
	xen_log(&conn->log, XEN_LOG_ERR,
		"%s: connection lost (%s); serving the last snapshot, marked stale",
		s->ops.name, why);
	s->ops.close(s->priv);
	s->priv = NULL;
}

/* Requests to all sources so far; gatherer only. */
static uint64_t total_requests(struct xen_conn *conn)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (s->ops.own_thread) {
			pthread_mutex_lock(&conn->lock);
			n += s->src.requests;
			pthread_mutex_unlock(&conn->lock);
		} else if (s->priv) {
			n += s->ops.requests(s->priv);
		}
	}
	return n;
}

/* ---- the source threads ------------------------------------------------ */

/*
 * One request to a source thread: opens its driver if it is not open (a
 * lost one is re-opened here), gathers, and hands the view over.
 */
static void source_gather(struct xen_conn *conn, struct driver_slot *s,
			  const struct xen_dirty *dirty, bool first)
{
	struct xen_snapshot *view = NULL;
	struct timespec now;
	uint64_t requests;
	char why[256];

	if (!s->priv && !open_driver(conn, s) && first)
		xen_log(&conn->log, XEN_LOG_WARNING, "%s: unavailable: %s",
			s->ops.name, s->why);
	if (s->priv && (view = xen_snapshot_new()) != NULL) {
		if (s->ops.gather(s->priv, s->view, dirty, view, why,
				  sizeof(why)) < 0) {
			xen_snapshot_unref(view);
			view = NULL;
			s->src.lost_requests += s->ops.requests(s->priv);
			lose_driver(conn, s, why);
		} else {
			xen_snapshot_sort(view);
			xen_snapshot_unref(s->view);
			s->view = view;
		}
	}
	requests = s->src.lost_requests + (s->priv ? s->ops.requests(s->priv) : 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&conn->lock);
	s->src.requests = requests;
	if (view) {
		xen_snapshot_unref(s->src.view);
		s->src.view = xen_snapshot_ref(view);
		s->src.view_no++;
		s->good_mono = now;
		s->delivered = true;
	}
	s->src.attempts++;
	conn->source_news = true;
	pthread_cond_broadcast(&conn->source_wake);
	pthread_mutex_unlock(&conn->lock);
	poke(conn->wake[1]);
}

/* The thread of an own_thread driver: gathers it each time it is asked. */
static void *source_thread(void *arg)
{
	struct driver_slot *s = arg;
	struct xen_conn *conn = s->src.conn;
	struct xen_dirty dirty;
	bool first = true;

	/* such a driver has no change events: it re-reads everything */
	xen_dirty_init(&dirty);
	dirty.full = dirty.tick = true;
	xen_dirty_seal(&dirty);
	pthread_mutex_lock(&conn->lock);
	for (;;) {
		while (!s->src.asked && !conn->sources_stop)
			pthread_cond_wait(&conn->source_wake, &conn->lock);
		if (conn->sources_stop)
			break;
		s->src.asked = false;
		pthread_mutex_unlock(&conn->lock);
		source_gather(conn, s, &dirty, first);
		first = false;
		pthread_mutex_lock(&conn->lock);
	}
	pthread_mutex_unlock(&conn->lock);
	xen_dirty_free(&dirty);
	if (s->priv)
		s->ops.close(s->priv);
	s->priv = NULL;
	return NULL;
}

/* Starts a thread for each own_thread driver the first pass kept. */
static void start_sources(struct xen_conn *conn)
{
	size_t i;

	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (!s->ops.own_thread || s->skipped)
			continue;
		set_state(conn, s, "no answer yet", false);
		if (pthread_create(&s->src.thread, NULL, source_thread, s) != 0) {
			set_state(conn, s, "cannot start its thread", false);
			xen_log(&conn->log, XEN_LOG_ERR, "%s: cannot start its thread",
				s->ops.name);
			continue;
		}
		s->src.running = true;
	}
}

/*
 * Asks the source threads for a gathering (all), or only those whose
 * driver is not open for another try; never waits.  A thread still busy
 * gathers again once it is done.
 */
static void ask_sources(struct xen_conn *conn, bool all)
{
	bool any = false;
	size_t i;

	pthread_mutex_lock(&conn->lock);
	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (s->src.running && (all || !s->open)) {
			s->src.asked = true;
			any = true;
		}
	}
	if (any)
		pthread_cond_broadcast(&conn->source_wake);
	pthread_mutex_unlock(&conn->lock);
}

/* Until each source thread carried out its first request, at most
 * FIRST_VIEW_WAIT_MS (or until the connection closes). */
static void wait_first_views(struct xen_conn *conn)
{
	struct timespec deadline = deadline_in(FIRST_VIEW_WAIT_MS);
	size_t i;

	pthread_mutex_lock(&conn->lock);
	while (!conn->stop) {
		bool all = true;

		for (i = 0; i < N_DRIVERS; i++)
			if (conn->slots[i].src.running && !conn->slots[i].src.attempts)
				all = false;
		if (all || pthread_cond_timedwait(&conn->source_wake, &conn->lock,
						  &deadline) != 0)
			break;
	}
	pthread_mutex_unlock(&conn->lock);
}

/* Ends and joins the source threads; one in a request finishes it first. */
static void stop_sources(struct xen_conn *conn)
{
	size_t i;

	pthread_mutex_lock(&conn->lock);
	conn->sources_stop = true;
	pthread_cond_broadcast(&conn->source_wake);
	pthread_mutex_unlock(&conn->lock);
	for (i = 0; i < N_DRIVERS; i++)
		if (conn->slots[i].src.running) {
			pthread_join(conn->slots[i].src.thread, NULL);
			conn->slots[i].src.running = false;
		}
}

/* ---- the gathering thread ---------------------------------------------- */

/* A gathering of the gatherer's own drivers, for publish(). */
struct gathering {
	uint64_t start_no;		/* its number, for the control thread */
	struct timespec t0;
	uint64_t req0, req_lost;	/* requests before; of the drivers lost */
	bool full;
	bool counters;			/* a tick or full: the running counters were read */
	bool quick_only;		/* the quick first snapshot's pass */
};

/*
 * Whether a driver takes part in the quick first snapshot's pass: the
 * quick_first drivers; the quick_names ones (names only) when no
 * quick_first driver is open.
 */
static bool in_quick_pass(const struct xen_conn *conn, const struct driver_slot *s)
{
	size_t i;

	if (s->ops.quick_first)
		return true;
	if (!s->ops.quick_names)
		return false;
	for (i = 0; i < N_DRIVERS; i++)
		if (conn->slots[i].priv && conn->slots[i].ops.quick_first)
			return false;
	return true;
}

/* Gathers every open driver of the gatherer's own into its view, or
 * with quick_only the quick first snapshot's pass (see in_quick_pass). */
static void gather_own(struct xen_conn *conn, struct xen_dirty *dirty,
		       struct gathering *g, bool quick_only)
{
	size_t i;

	pthread_mutex_lock(&conn->lock);
	g->start_no = ++conn->ctl.started_gatherings;
	conn->read_since_gathering = false;
	pthread_mutex_unlock(&conn->lock);
	g->req0 = total_requests(conn);
	g->req_lost = 0;
	g->full = dirty->full;
	g->counters = dirty->tick || dirty->full;
	g->quick_only = quick_only;
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	conn->last_gathering_mono = g->t0;
	conn->last_probe_mono = g->t0;	/* a gathering reads what a probe looks at */
	conn->gathered_mask = 0;
	conn->gather_failed = false;
	xen_dirty_seal(dirty);
	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];
		struct xen_snapshot *view;
		char why[256];
		int rc;

		if (s->ops.own_thread || !s->priv || (quick_only && !in_quick_pass(conn, s)))
			continue;
		view = xen_snapshot_new();
		if (!view)
			continue;
		dirty->quick = quick_only && !s->ops.quick_first;
		rc = s->ops.gather(s->priv, s->view, dirty, view, why, sizeof(why));
		dirty->quick = false;
		if (rc < 0) {
			xen_snapshot_unref(view);
			g->req_lost += s->ops.requests(s->priv);
			lose_driver(conn, s, why);
			conn->gather_failed = true;
			continue;
		}
		xen_snapshot_sort(view);
		xen_snapshot_unref(s->view);
		s->view = view;
		conn->gathered_mask |= s->ops.source;
	}
}

/*
 * Merges the gatherer's views with the newest ones the source threads
 * handed over, publishes the result and brings the status up to date.
 * g is the gathering just done, or NULL when a source thread brought
 * news: then a snapshot is published only if it brought a new view.
 */
static void publish(struct xen_conn *conn, const struct gathering *g)
{
	struct xen_snapshot *views[N_DRIVERS], *merged = NULL;
	struct timespec t1;
	uint64_t req1 = 0;
	unsigned open_mask = conn->gathered_mask;
	bool merge = g != NULL;
	size_t i;

	pthread_mutex_lock(&conn->lock);
	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (!s->ops.own_thread) {
			views[i] = s->view;
			continue;
		}
		views[i] = xen_snapshot_ref(s->src.view);
		merge |= s->src.view_no != s->src.merged_no;
		s->src.merged_no = s->src.view_no;
		if (s->open && s->src.view)
			open_mask |= s->ops.source;
	}
	pthread_mutex_unlock(&conn->lock);
	/* conn->current is written only by this thread: no lock to read it */
	if (merge)
		merged = xen_merge_views(views, N_DRIVERS, conn->current);
	for (i = 0; i < N_DRIVERS; i++)
		if (conn->slots[i].ops.own_thread)
			xen_snapshot_unref(views[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (g)
		req1 = g->req_lost + total_requests(conn);

	/* against the quick first snapshot nothing is new: it had no devices */
	if (merged) {
		xen_snapshot_mark_new(merged, conn->current_partial ? NULL : conn->current, &t1);
		conn->current_partial = g && g->quick_only;
	}
	pthread_mutex_lock(&conn->lock);
	if (merged) {
		clock_gettime(CLOCK_REALTIME, &merged->taken);
		/* keep the time of the data, not of a failed attempt, nor of
		 * a gathering between ticks that left the counters as they were */
		if (g && (conn->gather_failed || !g->counters) && conn->current)
			merged->taken = conn->current->taken;
		merged->generation = ++conn->generation;
		xen_snapshot_unref(conn->current);
		conn->current = merged;
		if (g)
			conn->ctl.published_start = g->start_no;
	}
	conn->refresh_failed = conn->gather_failed || open_mask == 0;
	if (g) {
		if (!conn->refresh_failed) {
			conn->last_success_mono = t1;
			clock_gettime(CLOCK_REALTIME, &conn->status.last_success);
		}
		for (i = 0; i < N_DRIVERS; i++)
			if (conn->gathered_mask & conn->slots[i].ops.source) {
				conn->slots[i].good_mono = t1;
				conn->slots[i].delivered = true;
			}
		conn->status.refreshes++;
		conn->status.last_refresh_seconds = elapsed(&g->t0, &t1);
		conn->status.last_refresh_requests = req1 - g->req0;
		if (g->full) {
			conn->status.last_full_refresh_seconds = elapsed(&g->t0, &t1);
			conn->status.last_full_refresh_requests = req1 - g->req0;
		}
	}
	conn->status.drivers_open = open_mask;
	conn->status.partial = conn->current_partial;
	describe_unavailable(conn);
	if (merged)
		pthread_cond_broadcast(&conn->published);
	pthread_mutex_unlock(&conn->lock);
	conn->release_pending |= merged != NULL;
	poke(conn->notify[1]);	/* a snapshot, or log lines */
}

/*
 * Whether a timer tick may gather nothing: nobody read the data since
 * the last gathering, that gathering is younger than the idle refresh
 * interval, no own_thread driver is open (it has no probe), and every
 * open driver's probe says that nothing but running counters changed.  A successful look counts as a refresh for the
 * staleness limit (the sources answer; the counters served are as old as
 * xdmHostLastRefresh says).
 */
static bool quiet_tick(struct xen_conn *conn, bool read, bool *periodic)
{
	struct timespec now;
	bool own_open = false;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (read || !conn->cfg.idle_refresh_seconds)
		return false;
	if (elapsed(&conn->last_gathering_mono, &now) >= conn->cfg.idle_refresh_seconds) {
		*periodic = true;
		return false;
	}
	/* an own_thread driver has no probe: while open, every tick gathers */
	pthread_mutex_lock(&conn->lock);
	for (i = 0; i < N_DRIVERS; i++)
		own_open |= conn->slots[i].ops.own_thread && conn->slots[i].open;
	pthread_mutex_unlock(&conn->lock);
	if (own_open)
		return false;
	for (i = 0; i < N_DRIVERS; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (!s->ops.own_thread && s->priv &&
		    s->ops.probe(s->priv, s->view) != 0)
			return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	conn->last_probe_mono = now;
	pthread_mutex_lock(&conn->lock);
	if (!conn->refresh_failed)
		conn->last_success_mono = now;
	for (i = 0; i < N_DRIVERS; i++)
		if (!conn->slots[i].ops.own_thread && conn->slots[i].open)
			conn->slots[i].good_mono = now;
	pthread_mutex_unlock(&conn->lock);
	return true;
}

static int always_changed(void *priv, const struct xen_snapshot *view);

/*
 * Whether the first snapshot comes from a quick pass (see xen_driver.h):
 * a quick_first driver is open beside another driver, or a quick_names
 * driver is open; and no own_thread source is wanted (its rows, merged
 * later, would look created).
 */
static bool quick_first_wanted(struct xen_conn *conn)
{
	bool quick = false, other = false, names = false;
	size_t i;

	for (i = 0; i < N_DRIVERS; i++) {
		const struct driver_slot *s = &conn->slots[i];

		if (s->ops.own_thread && !s->skipped)
			return false;
		if (!s->priv)
			continue;
		*(s->ops.quick_first ? &quick : &other) = true;
		names |= s->ops.quick_names;
	}
	return quick ? other : names;
}

/*
 * The poll timeout until the next look between ticks (-1: none), and
 * when it is due, that look: every open driver of the gatherer's with a
 * probe of its own (a driver without one is gathered at ticks only)
 * looks at its source, and a change or a failure marks dirty->probed.
 */
static int probe_between_ticks(struct xen_conn *conn, struct xen_dirty *dirty, bool look)
{
	struct timespec now;
	double since;
	size_t i;

	if (!conn->cfg.probe_interval_ms)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	since = elapsed(&conn->last_probe_mono, &now) * 1000.0;
	if (since < conn->cfg.probe_interval_ms)
		return (int)(conn->cfg.probe_interval_ms - since) + 1;
	if (!look)
		return 0;
	conn->last_probe_mono = now;
	for (i = 0; i < N_DRIVERS && !dirty->probed; i++) {
		struct driver_slot *s = &conn->slots[i];

		if (!s->ops.own_thread && s->priv && s->ops.probe != always_changed &&
		    s->ops.probe(s->priv, s->view) != 0)
			dirty->probed = true;
	}
	return conn->cfg.probe_interval_ms;
}

/*
 * The milliseconds until the refresh tick falls due: 0 when it is due,
 * -1 when there is no tick.  Asking does not take the tick (see
 * take_tick), so a wait computed before the poll loses none.
 */
static int tick_wait_ms(struct xen_conn *conn)
{
	struct timespec now;
	unsigned seconds;
	double left;

	pthread_mutex_lock(&conn->lock);
	seconds = conn->cfg.refresh_seconds;
	pthread_mutex_unlock(&conn->lock);
	if (!seconds)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds != conn->tick_seconds) {	/* the first, or a new interval */
		conn->tick_seconds = seconds;
		conn->next_tick_mono = now;
		conn->next_tick_mono.tv_sec += seconds;
	}
	left = elapsed(&now, &conn->next_tick_mono);
	return left > 0 ? (int)(left * 1000.0) + 1 : 0;
}

/* The tick that fell due is taken: the next one is counted from now. */
static void take_tick(struct xen_conn *conn)
{
	clock_gettime(CLOCK_MONOTONIC, &conn->next_tick_mono);
	conn->next_tick_mono.tv_sec += conn->tick_seconds;
}

static void conn_free(struct xen_conn *conn);

static void *gather_thread(void *arg)
{
	struct xen_conn *conn = arg;
	struct pollfd fds[1 + N_DRIVERS];
	struct xen_dirty dirty;
	struct gathering g;
	bool abandoned;
	size_t i;

	open_all(conn, true);
	start_sources(conn);
	ask_sources(conn, true);
	xen_dirty_init(&dirty);
	dirty.full = true;
	if (quick_first_wanted(conn)) {
		gather_own(conn, &dirty, &g, true);
		publish(conn, &g);
	}
	gather_own(conn, &dirty, &g, false);
	wait_first_views(conn);
	publish(conn, &g);
	/* one line that says what this agent cannot read or do, and why */
	pthread_mutex_lock(&conn->lock);
	if (conn->status.unavailable[0])
		xen_log(&conn->log, XEN_LOG_NOTICE, "xen: %s mode; unavailable: %s",
			conn->read_write ? "read-write" : "read-only", conn->status.unavailable);
	pthread_mutex_unlock(&conn->lock);
	xen_dirty_free(&dirty);
	poke(conn->notify[1]);	/* the open log lines */

	for (;;) {
		bool want, want_full, tick, read, news, reopened = false;
		size_t nfds = 1;
		size_t owner[1 + N_DRIVERS];
		int look_ms, tick_ms;

		fds[0].fd = conn->wake[0];
		fds[0].events = POLLIN;
		for (i = 0; i < N_DRIVERS; i++) {
			struct driver_slot *s = &conn->slots[i];
			int fd = !s->ops.own_thread && s->priv
				 ? s->ops.event_fd(s->priv) : -1;

			if (fd < 0)
				continue;
			fds[nfds].fd = fd;
			fds[nfds].events = POLLIN;
			owner[nfds++] = i;
		}
		look_ms = probe_between_ticks(conn, NULL, false);
		tick_ms = tick_wait_ms(conn);
		if (poll(fds, nfds, tick_ms < 0 || (look_ms >= 0 && look_ms < tick_ms)
				    ? look_ms : tick_ms) < 0 &&
		    errno != EINTR)
			break;
		if (fds[0].revents)
			drain(conn->wake[0]);
		tick = tick_wait_ms(conn) == 0;
		if (tick)
			take_tick(conn);

		pthread_mutex_lock(&conn->lock);
		want = conn->want_refresh;
		want_full = conn->want_full;
		read = conn->read_since_gathering;
		news = conn->source_news;
		conn->want_refresh = conn->want_full = false;
		conn->source_news = false;
		if (conn->stop) {
			pthread_mutex_unlock(&conn->lock);
			break;
		}
		pthread_mutex_unlock(&conn->lock);

		xen_dirty_init(&dirty);
		for (i = 1; i < nfds; i++) {
			struct driver_slot *s = &conn->slots[owner[i]];

			if (!fds[i].revents || !s->priv)
				continue;
			if (s->ops.read_events(s->priv, s->view, &dirty) < 0)
				lose_driver(conn, s, "watch connection failed");
		}
		if (want || tick) {
			for (i = 0; i < N_DRIVERS; i++)
				if (!conn->slots[i].ops.own_thread)
					reopened |= open_driver(conn, &conn->slots[i]);
			dirty.tick = true;
			if (tick && conn->cfg.full_refresh_every &&
			    ++conn->timer_ticks % conn->cfg.full_refresh_every == 0)
				want_full = true;
			dirty.full |= want_full || reopened;
			if (!want && !xen_dirty_any_event(&dirty) &&
			    quiet_tick(conn, read, &dirty.periodic))
				dirty.tick = false;
		} else if (!xen_dirty_any_event(&dirty)) {
			probe_between_ticks(conn, &dirty, true);
		}
		if (xen_dirty_any(&dirty)) {
			/* the source threads gather meanwhile; what they hand
			 * over later is merged when it comes */
			ask_sources(conn, true);
			gather_own(conn, &dirty, &g, false);
			publish(conn, &g);
		} else {
			/* a quiet tick still lets a lost source try again */
			if (want || tick)
				ask_sources(conn, false);
			if (news)
				publish(conn, NULL);
			/* quiet after a change: what the change freed is given
			 * back (xen_alloc.h) */
			else if (tick && conn->release_pending) {
				xen_alloc_release();
				conn->release_pending = false;
			}
		}
		xen_dirty_free(&dirty);
	}
	for (i = 0; i < N_DRIVERS; i++) {
		if (conn->slots[i].ops.own_thread)
			continue;	/* its source thread closes it */
		if (conn->slots[i].priv)
			conn->slots[i].ops.close(conn->slots[i].priv);
		conn->slots[i].priv = NULL;
	}
	/* before finished: an abandoned gatherer frees conn only after them */
	stop_sources(conn);
	pthread_mutex_lock(&conn->lock);
	conn->finished = true;
	abandoned = conn->abandoned && --conn->threads_left == 0;
	pthread_mutex_unlock(&conn->lock);
	if (abandoned)
		conn_free(conn);	/* the closer has gone: nobody else holds it */
	return NULL;
}

/* ---- the control thread ------------------------------------------------ */

const char *xen_control_op_name(enum xen_control_op op)
{
	switch (op) {
	case XEN_CONTROL_PAUSE: return "pause";
	case XEN_CONTROL_UNPAUSE: return "unpause";
	case XEN_CONTROL_SHUTDOWN: return "shutdown";
	case XEN_CONTROL_REBOOT: return "reboot";
	case XEN_CONTROL_DESTROY: return "destroy";
	case XEN_CONTROL_MEM_TARGET: return "set memory target";
	case XEN_CONTROL_VCPUS: return "set vCPUs";
	}
	return "?";
}

static void set_control_state(struct xen_conn *conn, enum xen_control_state state,
			      const char *why)
{
	pthread_mutex_lock(&conn->lock);
	conn->ctl.state = state;
	snprintf(conn->ctl.why, sizeof(conn->ctl.why), "%s", why);
	pthread_mutex_unlock(&conn->lock);
}

/* Opens the first control driver wanted on this host; control thread. */
static void open_control(struct xen_conn *conn, bool first)
{
	struct control_side *c = &conn->ctl;
	struct xen_driver_env env = driver_env(conn);
	char why[256] = "", one[256];
	size_t i, used = 0;
	bool any = false;

	for (i = 0; control_table[i]; i++) {
		struct xen_driver_ops ops;

		if (xen_driver_ops_complete(&ops, control_table[i]) < 0 || !ops.control ||
		    !ops.wanted(&env))
			continue;
		any = true;
		if (ops.needs_privilege && geteuid() != 0) {
			snprintf(one, sizeof(one), "needs root");
		} else {
			one[0] = '\0';
			c->priv = ops.open(&env, one, sizeof(one));
			if (c->priv) {
				c->ops = ops;
				xen_log(&conn->log, XEN_LOG_NOTICE, "control: %s: %s",
					ops.name, first ? "ready" : "connection restored");
				set_control_state(conn, XEN_CONTROL_READY, "");
				return;
			}
		}
		used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s: %s",
					 used ? "; " : "", ops.name, one);
		if (used >= sizeof(why))
			used = sizeof(why) - 1;
	}
	if (!any) {
		set_control_state(conn, XEN_CONTROL_NONE, control_table[0]
				  ? "no toolstack to act through on this host"
				  : "built without libxenlight");
		return;
	}
	if (first)
		xen_log(&conn->log, XEN_LOG_WARNING, "control: unavailable: %s", why);
	set_control_state(conn, XEN_CONTROL_DOWN, why);
}

/*
 * After an action: asks for a refresh and waits (bounded) until a
 * snapshot whose gathering started after the action is published, so
 * that a request reported done is also visible.  Seconds waited, or -1.
 */
static double wait_seen(struct xen_conn *conn)
{
	struct timespec t0, t1, deadline;
	uint64_t after;
	bool seen;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&conn->lock);
	after = conn->ctl.started_gatherings;
	conn->want_refresh = true;
	pthread_mutex_unlock(&conn->lock);
	poke(conn->wake[1]);

	deadline = deadline_in(CONTROL_SEEN_WAIT_MS);
	pthread_mutex_lock(&conn->lock);
	while (conn->ctl.published_start <= after && !conn->stop &&
	       pthread_cond_timedwait(&conn->published, &conn->lock, &deadline) == 0)
		;
	seen = conn->ctl.published_start > after;
	pthread_mutex_unlock(&conn->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return seen ? elapsed(&t0, &t1) : -1;
}

static void post_outcome(struct xen_conn *conn, const struct xen_control_outcome *out)
{
	struct control_side *c = &conn->ctl;

	pthread_mutex_lock(&conn->lock);
	xen_grow(&c->done, &c->cap_done, c->n_done + 1, sizeof(*c->done));
	c->done[c->n_done++] = *out;
	pthread_mutex_unlock(&conn->lock);
	poke(conn->notify[1]);
}

static void run_request(struct xen_conn *conn, const struct xen_control_request *req)
{
	struct control_side *c = &conn->ctl;
	struct xen_control_outcome out = { .id = req->id, .seen_seconds = -1 };
	struct timespec t0, t1;
	int rc;

	if (!c->priv)
		open_control(conn, false);
	if (!c->priv) {
		pthread_mutex_lock(&conn->lock);
		/* c->why is as long as detail: cut it, not the prefix */
		snprintf(out.detail, sizeof(out.detail), "control unavailable: %.200s", c->why);
		pthread_mutex_unlock(&conn->lock);
		post_outcome(conn, &out);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = c->ops.control(c->priv, req, out.detail, sizeof(out.detail));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out.act_seconds = elapsed(&t0, &t1);
	out.ok = rc == XEN_CONTROL_OK;
	if (out.ok)
		out.detail[0] = '\0';
	else if (!out.detail[0])
		snprintf(out.detail, sizeof(out.detail), "%s failed", c->ops.name);
	if (rc == XEN_CONTROL_LOST) {
		xen_log(&conn->log, XEN_LOG_ERR, "control: %s: connection lost (%s)",
			c->ops.name, out.detail);
		c->ops.close(c->priv);
		c->priv = NULL;
		set_control_state(conn, XEN_CONTROL_DOWN, out.detail);
	}
	/* even a failed call may have changed something: show it */
	out.seen_seconds = wait_seen(conn);
	post_outcome(conn, &out);
}

static void *control_thread(void *arg)
{
	struct xen_conn *conn = arg;
	struct control_side *c = &conn->ctl;
	bool abandoned;

	open_control(conn, true);
	for (;;) {
		struct xen_control_request req;
		bool retry;

		pthread_mutex_lock(&conn->lock);
		while (!conn->stop && !c->q_len && !c->retry)
			pthread_cond_wait(&conn->control_wake, &conn->lock);
		if (conn->stop) {
			pthread_mutex_unlock(&conn->lock);
			break;
		}
		retry = c->retry;
		c->retry = false;
		if (c->q_len) {
			req = c->queue[c->q_head];
			c->q_head = (c->q_head + 1) % CONTROL_QUEUE;
			c->q_len--;
		} else {
			req.id = 0;
		}
		pthread_mutex_unlock(&conn->lock);
		if (retry && !c->priv)
			open_control(conn, false);
		if (req.id)
			run_request(conn, &req);
	}
	if (c->priv)
		c->ops.close(c->priv);
	c->priv = NULL;
	pthread_mutex_lock(&conn->lock);
	c->finished = true;
	abandoned = conn->abandoned && --conn->threads_left == 0;
	pthread_mutex_unlock(&conn->lock);
	if (abandoned)
		conn_free(conn);
	return NULL;
}

enum xen_control_state xen_conn_control_state(struct xen_conn *conn, char *why,
					      size_t why_len)
{
	enum xen_control_state st;

	if (!conn->read_write) {
		snprintf(why, why_len, "read-only mode");
		return XEN_CONTROL_NONE;
	}
	if (!conn->ctl.wanted) {
		snprintf(why, why_len, "not asked for");
		return XEN_CONTROL_NONE;
	}
	pthread_mutex_lock(&conn->lock);
	st = conn->ctl.state;
	snprintf(why, why_len, "%s", conn->ctl.why);
	pthread_mutex_unlock(&conn->lock);
	return st;
}

int xen_conn_control_submit(struct xen_conn *conn, const struct xen_control_request *req,
			    char *why, size_t why_len)
{
	struct control_side *c = &conn->ctl;
	int rc = -1;

	if (!conn->read_write || !c->wanted) {
		snprintf(why, why_len, "control unavailable: %s",
			 conn->read_write ? "not asked for" : "read-only mode");
		return -1;
	}
	pthread_mutex_lock(&conn->lock);
	if (c->state == XEN_CONTROL_NONE || c->state == XEN_CONTROL_DOWN) {
		snprintf(why, why_len, "control unavailable: %.200s", c->why);
		c->retry = c->state == XEN_CONTROL_DOWN;	/* the next one may work */
	} else if (c->q_len == CONTROL_QUEUE) {
		snprintf(why, why_len, "control queue full (%u requests waiting)",
			 CONTROL_QUEUE);
	} else {
		c->queue[(c->q_head + c->q_len) % CONTROL_QUEUE] = *req;
		c->q_len++;
		rc = 0;
	}
	pthread_cond_signal(&conn->control_wake);
	pthread_mutex_unlock(&conn->lock);
	return rc;
}

size_t xen_conn_control_take(struct xen_conn *conn, struct xen_control_outcome *out,
			     size_t max)
{
	struct control_side *c = &conn->ctl;
	size_t n;

	pthread_mutex_lock(&conn->lock);
	n = c->n_done < max ? c->n_done : max;
	if (n) {
		memcpy(out, c->done, n * sizeof(*out));
		memmove(c->done, c->done + n, (c->n_done - n) * sizeof(*c->done));
		c->n_done -= n;
	}
	pthread_mutex_unlock(&conn->lock);
	return n;
}

/* Non-blocking (a full wake pipe already carries a wake-up) and not
 * inherited by the toolstack's children, set as the pipe is made. */
static int make_pipe(int fds[2])
{
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

/*
 * The driver contract (xen_driver.h) is checked here, once: a missing
 * required operation refuses the table, and a missing optional one is
 * replaced by its documented default, so no other code tests for NULL.
 */
static bool always_wanted(const struct xen_driver_env *env)
{
	(void)env;
	return true;
}

static int no_event_fd(void *priv)
{
	(void)priv;
	return -1;
}

static int no_events(void *priv, const struct xen_snapshot *view,
		     struct xen_dirty *dirty)
{
	(void)priv;
	(void)view;
	(void)dirty;
	return 0;
}

static uint64_t no_requests(void *priv)
{
	(void)priv;
	return 0;
}

static int always_changed(void *priv, const struct xen_snapshot *view)
{
	(void)priv;
	(void)view;
	return 1;
}

int xen_driver_ops_complete(struct xen_driver_ops *out,
			    const struct xen_driver_ops *in)
{
	if (!in->name || !in->open || !in->close ||
	    (!in->gather && !in->control) || (in->gather && !in->source) ||
	    (in->event_fd && !in->read_events) ||
	    (in->own_thread && (in->event_fd || in->probe)) ||
	    (in->quick_names && (in->quick_first || !in->gather)))
		return -1;
	*out = *in;
	if (!out->wanted)
		out->wanted = always_wanted;
	if (!out->event_fd) {
		out->event_fd = no_event_fd;
		out->read_events = no_events;
	}
	if (!out->requests)
		out->requests = no_requests;
	if (!out->probe)
		out->probe = always_changed;
	return 0;
}

static void conn_free(struct xen_conn *conn)
{
	size_t i;

	for (i = 0; i < N_DRIVERS; i++) {
		xen_snapshot_unref(conn->slots[i].view);
		xen_snapshot_unref(conn->slots[i].src.view);
	}
	xen_snapshot_unref(conn->current);
	close(conn->wake[0]);
	close(conn->wake[1]);
	close(conn->notify[0]);
	close(conn->notify[1]);
	free(conn->ctl.done);
	xen_log_queue_destroy(&conn->log);
	pthread_cond_destroy(&conn->source_wake);
	pthread_cond_destroy(&conn->control_wake);
	pthread_cond_destroy(&conn->published);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

struct xen_conn *xen_conn_open(const struct xen_conn_config *cfg)
{
	struct xen_conn *conn = xen_calloc(1, sizeof(*conn));
	size_t i;

	/* the gathering table holds data drivers only */
	for (i = 0; i < N_DRIVERS; i++) {
		if (xen_driver_ops_complete(&conn->slots[i].ops,
					    driver_table[i]) < 0 ||
		    !driver_table[i]->gather) {
			free(conn);
			errno = EINVAL;
			return NULL;
		}
		conn->slots[i].src.conn = conn;
	}
	conn->cfg = *cfg;
	conn->read_write = cfg->mode == XEN_MODE_READ_WRITE ||
			   (cfg->mode == XEN_MODE_AUTO && geteuid() == 0);
	conn->status.read_write = conn->read_write;
	conn->ctl.wanted = cfg->control && conn->read_write;
	conn->ctl.state = XEN_CONTROL_STARTING;
	if (make_pipe(conn->wake) < 0) {
		free(conn);
		return NULL;
	}
	if (make_pipe(conn->notify) < 0) {
		close(conn->wake[0]);
		close(conn->wake[1]);
		free(conn);
		return NULL;
	}
	xen_log_queue_init(&conn->log);
	pthread_mutex_init(&conn->lock, NULL);
	pthread_cond_init(&conn->published, NULL);
	pthread_cond_init(&conn->control_wake, NULL);
	pthread_cond_init(&conn->source_wake, NULL);
	xen_log(&conn->log, XEN_LOG_NOTICE, "xen: opening in %s mode",
		conn->read_write ? "read-write" : "read-only");
	if (pthread_create(&conn->thread, NULL, gather_thread, conn) != 0) {
		conn_free(conn);
		return NULL;
	}
	if (conn->ctl.wanted &&
	    pthread_create(&conn->ctl.thread, NULL, control_thread, conn) != 0) {
		conn->ctl.wanted = false;
		xen_log(&conn->log, XEN_LOG_ERR, "control: cannot start its thread");
	}
	return conn;
}

/*
 * Keeps the code of the object holding this file mapped for good, so a
 * thread that could not be stopped never runs code that is gone: in the
 * plugin form snmpd dlcloses the module after deinit.
 */
static bool pin_own_code(void)
{
	Dl_info info;

	if (!dladdr((void *)pin_own_code, &info) || !info.dli_fname)
		return false;
	return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
}

/* A request to a hung xenstored never returns: wait a bounded time. */
static bool join_until(pthread_t thread, const struct timespec *deadline)
{
	return pthread_timedjoin_np(thread, NULL, deadline) == 0;
}

void xen_conn_close(struct xen_conn *conn, xen_log_sink sink, void *opaque)
{
	struct timespec deadline;
	bool has_ctl, gather_joined, ctl_joined, pinned;
	unsigned left = 0;

	if (!conn)
		return;
	has_ctl = conn->ctl.wanted;
	pthread_mutex_lock(&conn->lock);
	conn->stop = true;
	pthread_cond_broadcast(&conn->control_wake);
	pthread_cond_broadcast(&conn->published);
	pthread_cond_broadcast(&conn->source_wake);
	pthread_mutex_unlock(&conn->lock);
	poke(conn->wake[1]);
	deadline = deadline_in(3000);
	gather_joined = join_until(conn->thread, &deadline);
	ctl_joined = !has_ctl || join_until(conn->ctl.thread, &deadline);
	if (gather_joined && ctl_joined) {
		if (sink)
			xen_log_drain(&conn->log, sink, opaque);
		conn_free(conn);
		return;
	}
	/*
	 * Stuck in a request that cannot be interrupted (a hung xenstored, a
	 * toolstack call that does not return): the threads still running
	 * own conn from now on, the last one frees it; their code stays mapped.
	 */
	pinned = pin_own_code();
	if (sink) {
		xen_log_drain(&conn->log, sink, opaque);
		sink(XEN_LOG_ERR, pinned
		     ? (gather_joined ? "xen: control thread did not stop within 3 s; abandoned, its code kept loaded until it ends"
				      : "xen: gathering thread did not stop within 3 s; abandoned, its code kept loaded until it ends")
		     : "xen: a thread did not stop within 3 s; abandoned, and its code could not be pinned",
		     opaque);
	}
	pthread_mutex_lock(&conn->lock);
	/* a thread may have ended meanwhile: then it is joined below */
	if (!gather_joined && !conn->finished)
		left++;
	if (!ctl_joined && !conn->ctl.finished)
		left++;
	conn->abandoned = left > 0;
	conn->threads_left = left;
	if (!gather_joined && conn->finished)
		pthread_join(conn->thread, NULL);
	else if (!gather_joined)
		pthread_detach(conn->thread);
	if (!ctl_joined && conn->ctl.finished)
		pthread_join(conn->ctl.thread, NULL);
	else if (!ctl_joined)
		pthread_detach(conn->ctl.thread);
	pthread_mutex_unlock(&conn->lock);
	if (!left)
		conn_free(conn);
}

int xen_conn_notify_fd(const struct xen_conn *conn)
{
	return conn->notify[0];
}

void xen_conn_process(struct xen_conn *conn, xen_log_sink sink, void *opaque)
{
	drain(conn->notify[0]);
	xen_log_drain(&conn->log, sink, opaque);
}

struct xen_snapshot *xen_conn_snapshot(struct xen_conn *conn)
{
	struct xen_snapshot *snap;

	pthread_mutex_lock(&conn->lock);
	snap = xen_snapshot_ref(conn->current);
	pthread_mutex_unlock(&conn->lock);
	return snap;
}

void xen_conn_set_refresh(struct xen_conn *conn, unsigned seconds)
{
	pthread_mutex_lock(&conn->lock);
	conn->cfg.refresh_seconds = seconds;
	pthread_mutex_unlock(&conn->lock);
	poke(conn->wake[1]);
}

void xen_conn_note_read(struct xen_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	conn->read_since_gathering = true;
	pthread_mutex_unlock(&conn->lock);
}

void xen_conn_request_refresh(struct xen_conn *conn, bool full)
{
	pthread_mutex_lock(&conn->lock);
	conn->want_refresh = true;
	conn->want_full |= full;
	pthread_mutex_unlock(&conn->lock);
	poke(conn->wake[1]);
}

bool xen_conn_wait(struct xen_conn *conn, uint64_t generation, int timeout_ms)
{
	struct timespec deadline = deadline_in(timeout_ms);
	bool newer;

	pthread_mutex_lock(&conn->lock);
	while (conn->generation <= generation &&
	       pthread_cond_timedwait(&conn->published, &conn->lock,
				      &deadline) == 0)
		;
	newer = conn->generation > generation;
	pthread_mutex_unlock(&conn->lock);
	return newer;
}

/*
 * The milliseconds until a thing last done well at *good passes the
 * staleness limit (negative: past it), also kept in *soonest when it is
 * the first to fall due.  Under conn->lock.
 */
static long age_left_ms(const struct xen_conn *conn, const struct timespec *good,
			const struct timespec *now, long *soonest)
{
	double left = conn->cfg.stale_after_seconds - elapsed(good, now);
	long ms = left < 0 ? -1 : (long)(left * 1000.0) + 1;

	if (ms >= 0 && (*soonest < 0 || ms < *soonest))
		*soonest = ms;
	return ms;
}

void xen_conn_get_status(struct xen_conn *conn, struct xen_conn_status *st)
{
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&conn->lock);
	*st = conn->status;
	st->stale = conn->refresh_failed;
	st->stale_in_ms = -1;
	/* a gathering stuck on a hung xenstored also makes the data stale */
	if (conn->cfg.stale_after_seconds && conn->generation > 0)
		st->stale |= age_left_ms(conn, &conn->last_success_mono, &now,
					 &st->stale_in_ms) < 0;
	/* per source: a hung xend leaves the others fresh, and is named */
	st->stale_sources = 0;
	for (i = 0; i < N_DRIVERS; i++) {
		const struct driver_slot *s = &conn->slots[i];

		if (s->delivered &&
		    (!s->open || (conn->cfg.stale_after_seconds &&
				  age_left_ms(conn, &s->good_mono, &now,
					      &st->stale_in_ms) < 0)))
			st->stale_sources |= s->ops.source;
	}
	if (st->stale_sources)
		st->stale = true;
	if (st->stale)
		st->stale_in_ms = -1;
	/* what control cannot do, and why */
	if (!conn->read_write || (conn->ctl.wanted && (conn->ctl.state == XEN_CONTROL_NONE ||
						       conn->ctl.state == XEN_CONTROL_DOWN))) {
		size_t used = strlen(st->unavailable);

		snprintf(st->unavailable + used, sizeof(st->unavailable) - used,
			 "%scontrol: %s", used ? "; " : "",
			 conn->read_write ? conn->ctl.why : "read-only mode");
	}
	pthread_mutex_unlock(&conn->lock);
}

void xen_conn_set_stale_after(struct xen_conn *conn, unsigned seconds)
{
	pthread_mutex_lock(&conn->lock);
	conn->cfg.stale_after_seconds = seconds;
	pthread_mutex_unlock(&conn->lock);
}
