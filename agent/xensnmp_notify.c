/*
 * xdmNotifications and xdmNotifyControl (see xensnmp_notify.h): the
 * comparison of consecutive snapshots, the token bucket, the varbind
 * lists, and the module's side (switches, rate, sending with net-snmp's
 * send_v2trap, which in the subagent goes to the master as an AgentX
 * Notify PDU and in snmpd goes to its notification targets).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xensnmp_notify.h"
#include "xensnmp_oids.h"
#include "xensnmp_tables.h"
#include "xensnmp_values.h"

/* --- comparing two snapshots ------------------------------------------- */

static bool kept(const struct xen_domain *d)
{
	return d->domid >= XEN_DOMID_SHUTOFF_BASE;
}

/* the same domain in two snapshots, given the same index */
static bool same_instance(const struct xen_domain *a, const struct xen_domain *b)
{
	if ((a->known & b->known & XEN_DOM_HAVE_UUID) &&
	    memcmp(a->uuid, b->uuid, sizeof(a->uuid)) != 0)
		return false;
	if ((a->known & b->known & XEN_DOM_HAVE_START_TIME) &&
	    (a->start_time.tv_sec != b->start_time.tv_sec ||
	     a->start_time.tv_nsec != b->start_time.tv_nsec))
		return false;
	return true;
}

/* d (a row of one snapshot) has no same instance in other */
static bool unmatched(const struct xen_domain *d, const struct xen_snapshot *other)
{
	const struct xen_domain *o = xen_snapshot_find(other, d->domid);

	return !o || !same_instance(o, d);
}

/*
 * The first row of other, unmatched in mine, with d's UUID and on the
 * other side of the kept line (index 65536): d starting or stopping.
 * Kept rows sort last, so a running d looks only at other's tail.
 */
static const struct xen_domain *first_pair(const struct xen_domain *d,
					   const struct xen_snapshot *other,
					   const struct xen_snapshot *mine)
{
	size_t i, lo = 0, hi = other->n_domains;

	if (!(d->known & XEN_DOM_HAVE_UUID))
		return NULL;
	while (lo < hi) {	/* the first kept row of other */
		size_t mid = lo + (hi - lo) / 2;

		if (kept(other->domains[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	for (i = kept(d) ? 0 : lo; i < (kept(d) ? lo : other->n_domains); i++) {
		const struct xen_domain *o = other->domains[i];

		if ((o->known & XEN_DOM_HAVE_UUID) &&
		    memcmp(o->uuid, d->uuid, sizeof(o->uuid)) == 0 &&
		    unmatched(o, mine))
			return o;
	}
	return NULL;
}

/* d's partner when each is the other's first pair: a one-to-one match */
static const struct xen_domain *pair(const struct xen_domain *d,
				     const struct xen_snapshot *other,
				     const struct xen_snapshot *mine)
{
	const struct xen_domain *o = first_pair(d, other, mine);

	return o && first_pair(o, mine, other) == d ? o : NULL;
}

/* running and blocked are one state: the guest is live */
static int state_class(const struct xen_domain *d)
{
	int s = xensnmp_domain_state(d);

	return s == XENSNMP_STATE_BLOCKED ? XENSNMP_STATE_RUNNING : s;
}

static bool state_changed(const struct xen_domain *p, const struct xen_domain *d)
{
	if (!(p->known & d->known & XEN_DOM_HAVE_STATE))
		return false;
	if (state_class(p) != state_class(d))
		return true;
	return (p->known & d->known & XEN_DOM_HAVE_SHUTDOWN) &&
	       p->shutdown != d->shutdown;
}

void xensnmp_diff_snapshots(const struct xen_snapshot *prev,
			    const struct xen_snapshot *cur,
			    xensnmp_change_fn fn, void *opaque)
{
	struct xensnmp_change c;
	size_t i;

	/* three passes keep the order the MIB states without a list */
	for (i = 0; i < prev->n_domains; i++) {
		const struct xen_domain *p = prev->domains[i];

		if (unmatched(p, cur) && !pair(p, cur, prev)) {
			c = (struct xensnmp_change){ XENSNMP_CHANGE_DESTROYED, p, NULL };
			fn(&c, opaque);
		}
	}
	for (i = 0; i < cur->n_domains; i++) {
		const struct xen_domain *d = cur->domains[i];
		const struct xen_domain *p = xen_snapshot_find(prev, d->domid);

		if (p == d)
			continue;	/* the same object: nothing changed */
		if (p && same_instance(p, d)) {
			if (!state_changed(p, d))
				continue;
		} else if (!(p = pair(d, prev, cur))) {
			continue;
		}
		c = (struct xensnmp_change){ XENSNMP_CHANGE_STATE, d, p };
		fn(&c, opaque);
	}
	for (i = 0; i < cur->n_domains; i++) {
		const struct xen_domain *d = cur->domains[i];

		if (unmatched(d, prev) && !pair(d, prev, cur)) {
			c = (struct xensnmp_change){ XENSNMP_CHANGE_CREATED, d, NULL };
			fn(&c, opaque);
		}
	}
}

/* --- the rate limit ------------------------------------------------------ */

bool xensnmp_rate_take(struct xensnmp_rate *r, const struct timespec *now)
{
	double dt;

	if (!r->started) {
		r->tokens = r->rate;
		r->last = *now;
		r->started = true;
	}
	dt = (double)(now->tv_sec - r->last.tv_sec) +
	     (double)(now->tv_nsec - r->last.tv_nsec) / 1e9;
	if (dt > 0) {
		r->tokens += dt * r->rate;
		if (r->tokens > r->rate)
			r->tokens = r->rate;
		r->last = *now;
	}
	if (r->tokens < 1.0)
		return false;
	r->tokens -= 1.0;
	return true;
}

void xensnmp_rate_set(struct xensnmp_rate *r, unsigned rate)
{
	r->rate = rate;
	if (r->tokens > rate)
		r->tokens = rate;
}

/* --- varbind lists --------------------------------------------------------- */

static const oid notify_oid[] = { XENSNMP_NOTIFY_OID };
static const oid notifications_oid[] = { XENSNMP_NOTIFICATIONS_OID };
static const oid host_oid[] = { XENSNMP_HOST_OID };
/* SNMPv2-MIB::snmpTrapOID.0 (RFC 3418): the first varbind net-snmp wants */
static const oid snmp_trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

netsnmp_variable_list *xensnmp_notification_start(const oid *base, size_t base_len,
						  unsigned notification)
{
	oid trap[MAX_OID_LEN];
	netsnmp_variable_list *list = NULL;

	memcpy(trap, base, base_len * sizeof(oid));
	trap[base_len] = notification;
	if (!snmp_varlist_add_variable(&list, snmp_trap_oid, OID_LENGTH(snmp_trap_oid),
				       ASN_OBJECT_ID, trap, (base_len + 1) * sizeof(oid))) {
		snmp_free_varbind(list);
		return NULL;
	}
	return list;
}

netsnmp_variable_list *xensnmp_varbind_add(netsnmp_variable_list **list, const oid *base,
					   size_t base_len, unsigned subid, uint32_t index)
{
	oid name[MAX_OID_LEN];

	memcpy(name, base, base_len * sizeof(oid));
	name[base_len] = subid;
	name[base_len + 1] = index;
	return snmp_varlist_add_variable(list, name, base_len + 2, ASN_NULL, NULL, 0);
}

static netsnmp_variable_list *start_list(unsigned notification)
{
	return xensnmp_notification_start(notifications_oid, OID_LENGTH(notifications_oid),
					  notification);
}

#define ADD(list, subid) \
	xensnmp_varbind_add(list, notify_oid, OID_LENGTH(notify_oid), subid, 0)

/* xdmNotifyDomainIndex, -Id, -UUID, -Name of dom */
static bool add_domain(netsnmp_variable_list **list, const struct xen_domain *d)
{
	netsnmp_variable_list *v;

	if (!(v = ADD(list, XENNOTIFY_DOMAIN_INDEX)))
		return false;
	xensnmp_set_unsigned(v, d->domid);
	if (!(v = ADD(list, XENNOTIFY_DOMAIN_ID)))
		return false;
	xensnmp_set_int(v, kept(d) ? -1 : (long)d->domid);
	if (!(v = ADD(list, XENNOTIFY_DOMAIN_UUID)))
		return false;
	if (d->known & XEN_DOM_HAVE_UUID)
		xensnmp_set_string(v, d->uuid, sizeof(d->uuid));
	else
		xensnmp_set_string(v, "", 0);
	if (!(v = ADD(list, XENNOTIFY_DOMAIN_NAME)))
		return false;
	if (xen_bytes_known(&d->name))
		xensnmp_set_utf8(v, &d->name);
	else
		xensnmp_set_string(v, "", 0);
	return true;
}

static bool add_int(netsnmp_variable_list **list, unsigned subid, long value)
{
	netsnmp_variable_list *v = ADD(list, subid);

	if (v)
		xensnmp_set_int(v, value);
	return v != NULL;
}

static int shutdown_reason(const struct xen_domain *d)
{
	int s = xensnmp_domain_state(d);

	if (d->known & XEN_DOM_HAVE_SHUTDOWN)
		return xensnmp_shutdown_reason(d->shutdown);
	return s == XENSNMP_STATE_SHUTDOWN || s == XENSNMP_STATE_CRASHED
	       ? XENSNMP_SHUTDOWN_UNKNOWN : XENSNMP_SHUTDOWN_NONE;
}

netsnmp_variable_list *xensnmp_change_varbinds(const struct xensnmp_change *c)
{
	static const unsigned notification[] = {
		[XENSNMP_CHANGE_DESTROYED] = XENNOTIF_DOMAIN_DESTROYED,
		[XENSNMP_CHANGE_STATE] = XENNOTIF_DOMAIN_STATE_CHANGED,
		[XENSNMP_CHANGE_CREATED] = XENNOTIF_DOMAIN_CREATED,
	};
	netsnmp_variable_list *list = start_list(notification[c->kind]);
	bool ok = list && add_domain(&list, c->dom);

	if (ok && c->kind == XENSNMP_CHANGE_CREATED)
		ok = add_int(&list, XENNOTIFY_DOMAIN_STATE, xensnmp_domain_state(c->dom));
	if (ok && c->kind == XENSNMP_CHANGE_STATE)
		ok = add_int(&list, XENNOTIFY_PREV_STATE, xensnmp_domain_state(c->prev)) &&
		     add_int(&list, XENNOTIFY_DOMAIN_STATE, xensnmp_domain_state(c->dom)) &&
		     add_int(&list, XENNOTIFY_SHUTDOWN_REASON, shutdown_reason(c->dom));
	if (!ok) {
		snmp_free_varbind(list);
		return NULL;
	}
	return list;
}

netsnmp_variable_list *xensnmp_action_varbinds(netsnmp_variable_list *objects)
{
	netsnmp_variable_list *list = start_list(XENNOTIF_ACTION_FINISHED);

	if (!list) {
		snmp_free_varbind(objects);
		return NULL;
	}
	list->next_variable = objects;
	return list;
}

/* --- the module's side ---------------------------------------------------- */

/* The switches: the first five are xdmNotifyControl's objects. */
enum notify_switch {
	SWITCH_CREATED = XENSNMP_NOTIFY_CREATED,
	SWITCH_STATE_CHANGED = XENSNMP_NOTIFY_STATE_CHANGED,
	SWITCH_DESTROYED = XENSNMP_NOTIFY_DESTROYED,
	SWITCH_ACTION_FINISHED = XENSNMP_NOTIFY_ACTION_FINISHED,
	SWITCH_SNAPSHOT = XENSNMP_NOTIFY_SNAPSHOT,
	N_SWITCHES = XENSNMP_NOTIFY_KINDS
};

static const struct {
	const char *word;	/* in "xensnmpNotify WORD yes|no" */
	const char *object;	/* for the log */
	unsigned subid;		/* under xdmNotifyControl; 0: elsewhere */
} switches[N_SWITCHES] = {
	{ "created", "xdmNotifyCreatedEnable", XENNOTIFY_CREATED_ENABLE },
	{ "stateChanged", "xdmNotifyStateChangedEnable", XENNOTIFY_STATE_CHANGED_ENABLE },
	{ "destroyed", "xdmNotifyDestroyedEnable", XENNOTIFY_DESTROYED_ENABLE },
	{ "actionFinished", "xdmNotifyActionFinishedEnable", XENNOTIFY_ACTION_FINISHED_ENABLE },
	{ "snapshot", "xdmNotifySnapshotEnable", XENNOTIFY_SNAPSHOT_ENABLE },
	{ "vmPerVM", "vmPerVMNotificationsEnabled", 0 },
	{ "vmBulk", "vmBulkNotificationsEnabled", 0 },
};

/*
 * A domain that the hypervisor shows before xenstore or xend describes it
 * (no name yet: libxl writes xenstore right after creating the domain,
 * and a gathering can fall in between) waits this long for its
 * description before xdmDomainCreated goes out with what is known.
 */
#define DESCRIBE_WAIT_MS 500

struct pending_created {
	struct xen_domain *dom;		/* a reference: the row as first seen */
	struct timespec due;		/* CLOCK_MONOTONIC */
};

/* All fields: main thread only (config handlers, alarms, readfd
 * callbacks and request handlers all run there). */
static struct {
	const struct xensnmp_state *state;	/* the module's; outlives us */
	bool enabled[N_SWITCHES];
	struct xensnmp_rate bucket;
	uint32_t dropped;		/* xdmNotifyDropped (wraps, Counter32) */
	uint32_t dropped_since;		/* since the last xdmNotificationsDropped */
	struct xen_snapshot *seen;	/* last snapshot compared; the baseline */
	bool status_known, stale;	/* last xdmHostSnapshotState seen */
	struct pending_created *pending;	/* xdmDomainCreated held back */
	size_t n_pending, cap_pending;
	unsigned alarm, pending_alarm;	/* the status alarm (one-shot), the held rows' */
	long long alarm_due_ms;		/* when the status alarm falls due (CLOCK_MONOTONIC) */
	netsnmp_handler_registration *reg;
	xensnmp_snapshot_listener listeners[XENSNMP_NOTIFY_MAX_LISTENERS];
	size_t n_listeners;
} n = {
	.enabled = { true, true, true, true, true, true, true },
	.bucket = { .rate = XENSNMP_NOTIFY_DEFAULT_RATE },
};

static void arm_status_alarm(long ms);

/* A one-shot alarm ms (at least 1) from now. */
static unsigned alarm_in_ms(long ms, SNMPAlarmCallback *cb)
{
	struct timeval wait = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return snmp_alarm_register_hr(wait, 0, cb, NULL);
}

/* the switch is on and the bucket has a token; counts a drop */
static bool may_send(enum notify_switch sw)
{
	struct timespec now;

	if (!n.enabled[sw])
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (xensnmp_rate_take(&n.bucket, &now))
		return true;
	n.dropped++;
	n.dropped_since++;
	arm_status_alarm(1000);	/* the summary within a second */
	return false;
}

bool xensnmp_notify_enabled(enum xensnmp_notify_kind kind)
{
	return n.enabled[kind];
}

bool xensnmp_notify_may_send(enum xensnmp_notify_kind kind)
{
	return may_send((enum notify_switch)kind);
}

bool xensnmp_notify_try_send(enum xensnmp_notify_kind kind)
{
	struct timespec now;

	if (!n.enabled[kind])
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return xensnmp_rate_take(&n.bucket, &now);
}

bool xensnmp_notify_listen(xensnmp_snapshot_listener fn)
{
	if (n.n_listeners == XENSNMP_NOTIFY_MAX_LISTENERS)
		return false;
	n.listeners[n.n_listeners++] = fn;
	return true;
}

static void tell_listeners(const struct xen_snapshot *prev, const struct xen_snapshot *cur,
			   enum xensnmp_notify_phase phase)
{
	size_t i;

	for (i = 0; i < n.n_listeners; i++)
		n.listeners[i](prev, cur, phase);
}

static void send_notification(netsnmp_variable_list *list, const char *what)
{
	if (!list) {
		snmp_log(LOG_ERR, "xensnmp: out of memory: %s not sent\n", what);
		return;
	}
	send_v2trap(list);
	snmp_free_varbind(list);
}

void xensnmp_notify_send(netsnmp_variable_list *list, const char *what)
{
	send_notification(list, what);
}

static void send_change(enum xensnmp_change_kind kind, const struct xen_domain *dom,
			const struct xen_domain *prev)
{
	static const enum notify_switch sw[] = {
		[XENSNMP_CHANGE_DESTROYED] = SWITCH_DESTROYED,
		[XENSNMP_CHANGE_STATE] = SWITCH_STATE_CHANGED,
		[XENSNMP_CHANGE_CREATED] = SWITCH_CREATED,
	};
	struct xensnmp_change c = { kind, dom, prev };

	if (may_send(sw[kind]))
		send_notification(xensnmp_change_varbinds(&c), "a domain notification");
}

/* no name yet, though a connected source could tell one */
static bool undescribed(const struct xen_domain *d, const struct xen_snapshot *snap)
{
	return !xen_bytes_known(&d->name) &&
	       (snap->sources & (XEN_SRC_XENSTORE | XEN_SRC_XEND));
}

static bool due(const struct timespec *t, const struct timespec *now)
{
	return now->tv_sec > t->tv_sec ||
	       (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static void drop_pending(size_t i)
{
	xen_domain_unref(n.pending[i].dom);
	n.pending[i] = n.pending[--n.n_pending];
}

static void arm_pending_alarm(void);

/*
 * Sends the held xdmDomainCreated whose domain snap now describes, whose
 * wait is over, or (all with flush) that are gone from snap or replaced:
 * those go out with the row as first seen, before the comparison tells
 * of their end.  only_domid, unless UINT32_MAX, limits it to that row.
 */
static void settle_pending(const struct xen_snapshot *snap, bool flush,
			   uint32_t only_domid)
{
	struct timespec now;
	size_t i = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while (i < n.n_pending) {
		struct xen_domain *held = n.pending[i].dom;
		const struct xen_domain *d = snap ? xen_snapshot_find(snap, held->domid) : NULL;

		if (only_domid != UINT32_MAX && held->domid != only_domid) {
			i++;
			continue;
		}
		if (!d || !same_instance(d, held))
			send_change(XENSNMP_CHANGE_CREATED, held, NULL);
		else if (flush || !undescribed(d, snap) || due(&n.pending[i].due, &now))
			send_change(XENSNMP_CHANGE_CREATED, d, NULL);
		else {
			i++;
			continue;
		}
		drop_pending(i);
	}
	arm_pending_alarm();
}

static void on_pending_due(unsigned reg, void *clientarg)
{
	(void)reg;
	(void)clientarg;
	n.pending_alarm = 0;
	settle_pending(n.state->snap, false, UINT32_MAX);
}

static void arm_pending_alarm(void)
{
	struct timespec now;
	long ms = DESCRIBE_WAIT_MS, m;
	size_t i;

	if (n.pending_alarm || !n.n_pending)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < n.n_pending; i++) {	/* the first to fall due */
		m = (n.pending[i].due.tv_sec - now.tv_sec) * 1000 +
		    (n.pending[i].due.tv_nsec - now.tv_nsec) / 1000000;
		if (m < ms)
			ms = m;
	}
	if (ms < 1)
		ms = 1;
	n.pending_alarm = alarm_in_ms(ms, on_pending_due);
}

static bool hold_created(const struct xen_domain *d)
{
	struct pending_created *p;

	if (n.n_pending == n.cap_pending) {
		size_t cap = n.cap_pending ? 2 * n.cap_pending : 16;

		p = realloc(n.pending, cap * sizeof(*p));
		if (!p)
			return false;	/* then it goes at once */
		n.pending = p;
		n.cap_pending = cap;
	}
	p = &n.pending[n.n_pending++];
	/* a reference only: the row itself is never written */
	p->dom = xen_domain_ref((struct xen_domain *)(uintptr_t)d);
	clock_gettime(CLOCK_MONOTONIC, &p->due);
	p->due.tv_nsec += DESCRIBE_WAIT_MS * 1000000L;
	p->due.tv_sec += p->due.tv_nsec / 1000000000L;
	p->due.tv_nsec %= 1000000000L;
	arm_pending_alarm();
	return true;
}

static void on_change(const struct xensnmp_change *c, void *opaque)
{
	const struct xen_snapshot *cur = opaque;

	switch (c->kind) {
	case XENSNMP_CHANGE_CREATED:
		if (n.enabled[SWITCH_CREATED] && undescribed(c->dom, cur) &&
		    hold_created(c->dom))
			return;
		break;
	case XENSNMP_CHANGE_STATE:
		/* its creation is told first */
		settle_pending(cur, true, c->dom->domid);
		break;
	case XENSNMP_CHANGE_DESTROYED:
		break;
	}
	send_change(c->kind, c->dom, c->prev);
}

void xensnmp_notify_action_finished(netsnmp_variable_list *objects)
{
	if (may_send(SWITCH_ACTION_FINISHED))	/* NULL objects: out of memory, said */
		send_notification(objects ? xensnmp_action_varbinds(objects) : NULL,
				  "xdmActionFinished");
	else
		snmp_free_varbind(objects);
}

static netsnmp_variable_list *snapshot_varbinds(bool stale,
						const struct xen_conn_status *st)
{
	static const unsigned objects[] = {
		XENHOST_SNAPSHOT_STATE, XENHOST_LAST_REFRESH, XENHOST_UNAVAILABLE,
	};
	netsnmp_variable_list *list = start_list(stale ? XENNOTIF_SNAPSHOT_STALE
						       : XENNOTIF_SNAPSHOT_FRESH);
	size_t i;

	for (i = 0; list && i < sizeof(objects) / sizeof(objects[0]); i++) {
		netsnmp_variable_list *v = xensnmp_varbind_add(&list, host_oid, OID_LENGTH(host_oid),
							       objects[i], 0);

		/* all present: there is a snapshot */
		if (!v || !xensnmp_host_value(objects[i], n.state->snap, st,
					      n.state->refresh, v)) {
			snmp_free_varbind(list);
			list = NULL;
		}
	}
	return list;
}

static void on_status_due(unsigned reg, void *clientarg);

/*
 * The status alarm, due in ms or sooner: one alarm, set for the next
 * moment something may be due (the staleness limit passing, a drop
 * summary), so that an idle agent wakes for it only then.
 */
static void arm_status_alarm(long ms)
{
	struct timespec now;
	long long due;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms < 1)
		ms = 1;
	due = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + ms;
	if (n.alarm && n.alarm_due_ms <= due)
		return;		/* the one set already comes first */
	if (n.alarm)
		snmp_alarm_unregister(n.alarm);
	n.alarm = alarm_in_ms(ms, on_status_due);
	n.alarm_due_ms = due;
}

/* xdmSnapshotStale / xdmSnapshotFresh when the state turned, and the
 * status alarm for the next look */
static void check_status(void)
{
	struct xen_conn_status st;

	if (!n.state->conn || !n.state->snap)
		return;
	xen_conn_get_status(n.state->conn, &st);
	/* a stale snapshot turns fresh with a publication, which calls
	 * here; the once-a-second look is a second way to see it */
	if (st.stale)
		arm_status_alarm(1000);
	else if (st.stale_in_ms >= 0)
		arm_status_alarm(st.stale_in_ms);
	if (n.status_known && st.stale == n.stale)
		return;
	if (n.status_known && may_send(SWITCH_SNAPSHOT))
		send_notification(snapshot_varbinds(st.stale, &st), "a snapshot notification");
	n.status_known = true;
	n.stale = st.stale;
}

void xensnmp_notify_snapshot(void)
{
	struct xen_snapshot *cur = n.state->snap;

	check_status();
	if (!cur || cur == n.seen)
		return;
	settle_pending(cur, false, UINT32_MAX);
	if (n.seen) {
		tell_listeners(n.seen, cur, XENSNMP_NOTIFY_SUMMARIES);
		xensnmp_diff_snapshots(n.seen, cur, on_change, cur);
		tell_listeners(n.seen, cur, XENSNMP_NOTIFY_DETAILS);
	} else if (!n.status_known || n.stale)
		return;		/* no baseline from a source that failed */
	xen_snapshot_unref(n.seen);
	n.seen = xen_snapshot_ref(cur);
}

static void send_dropped(void)
{
	netsnmp_variable_list *list = start_list(XENNOTIF_NOTIFICATIONS_DROPPED), *v = NULL;

	if (list && (v = ADD(&list, XENNOTIFY_DROPPED_SINCE)) != NULL) {
		xensnmp_set_gauge(v, n.dropped_since);
		if ((v = ADD(&list, XENNOTIFY_DROPPED)) != NULL)
			snmp_set_var_typed_integer(v, ASN_COUNTER, n.dropped);
	}
	if (list && !v) {
		snmp_free_varbind(list);
		list = NULL;
	}
	send_notification(list, "xdmNotificationsDropped");
	n.dropped_since = 0;
}

/* the staleness limit passed without a publication, or a summary of the
 * drops is due */
static void on_status_due(unsigned reg, void *clientarg)
{
	(void)reg;
	(void)clientarg;
	n.alarm = 0;
	check_status();
	if (n.dropped_since)
		send_dropped();
}

/* --- configuration ----------------------------------------------------------- */

void xensnmp_notify_reset_config(void)
{
	size_t i;

	for (i = 0; i < N_SWITCHES; i++)
		n.enabled[i] = true;
	xensnmp_rate_set(&n.bucket, XENSNMP_NOTIFY_DEFAULT_RATE);
}

/* xensnmpNotify KIND yes|no */
static void parse_notify_token(const char *token, char *line)
{
	char kind[32], value[8], extra[2];
	size_t i;

	(void)token;
	if (sscanf(line, "%31s %7s %1s", kind, value, extra) != 2 ||
	    (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)) {
		config_perror("expected xensnmpNotify created|stateChanged|destroyed|"
			      "actionFinished|snapshot|vmPerVM|vmBulk yes|no");
		return;
	}
	for (i = 0; i < N_SWITCHES; i++)
		if (strcmp(kind, switches[i].word) == 0) {
			n.enabled[i] = value[0] == 'y';
			return;
		}
	config_perror("unknown notification kind; expected created, stateChanged, "
		      "destroyed, actionFinished, snapshot, vmPerVM or vmBulk");
}

static void parse_rate_token(const char *token, char *line)
{
	long rate;

	(void)token;
	if (!xensnmp_config_long(line, 1, XENSNMP_NOTIFY_MAX_RATE, &rate))
		config_perror("xensnmpNotifyRate takes a whole number, 1 to 1000; "
			      "keeping the previous rate");
	else
		xensnmp_rate_set(&n.bucket, (unsigned)rate);
}

/* --- xdmNotifyControl scalars ------------------------------------------------ */

static int switch_of(unsigned subid)
{
	size_t i;

	for (i = 0; subid && i < N_SWITCHES; i++)
		if (switches[i].subid == subid)
			return (int)i;
	return -1;
}

#define OLD_VALUE "xensnmp_notify_old"

/* One request on switch sw in any mode; the same for every switch object. */
static void switch_request(int sw, netsnmp_agent_request_info *reqinfo,
			   netsnmp_request_info *req)
{
	netsnmp_variable_list *var = req->requestvb;
	bool *old;
	int ret;

	switch (reqinfo->mode) {
	case MODE_GET:
		xensnmp_set_int(var, n.enabled[sw] ? XENSNMP_TRUTH_TRUE : XENSNMP_TRUTH_FALSE);
		break;
	case MODE_SET_RESERVE1:
		if ((ret = netsnmp_check_vb_truthvalue(var)) != SNMP_ERR_NOERROR)
			netsnmp_set_request_error(reqinfo, req, ret);
		break;
	case MODE_SET_RESERVE2:
		old = malloc(sizeof(*old));
		if (!old) {
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_RESOURCEUNAVAILABLE);
			break;
		}
		netsnmp_request_add_list_data(req, netsnmp_create_data_list(OLD_VALUE, old, free));
		break;
	case MODE_SET_ACTION:
		old = netsnmp_request_get_list_data(req, OLD_VALUE);
		*old = n.enabled[sw];
		n.enabled[sw] = *var->val.integer == XENSNMP_TRUTH_TRUE;
		break;
	case MODE_SET_UNDO:
		old = netsnmp_request_get_list_data(req, OLD_VALUE);
		if (old)
			n.enabled[sw] = *old;
		break;
	case MODE_SET_COMMIT:
		snmp_log(LOG_NOTICE, "xensnmp: %s set to %s\n", switches[sw].object,
			 n.enabled[sw] ? "true" : "false");
		break;
	default:	/* MODE_SET_FREE: the list data frees itself */
		break;
	}
}

static int control_handler(netsnmp_mib_handler *handler,
			   netsnmp_handler_registration *reginfo,
			   netsnmp_agent_request_info *reqinfo,
			   netsnmp_request_info *requests)
{
	netsnmp_request_info *req;

	(void)handler;
	(void)reginfo;
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;
		unsigned subid;
		int sw;

		if (req->processed || var->name_length <= OID_LENGTH(notify_oid))
			continue;
		subid = (unsigned)var->name[OID_LENGTH(notify_oid)];
		sw = switch_of(subid);
		if (sw >= 0) {
			switch_request(sw, reqinfo, req);
		} else if (reqinfo->mode == MODE_GET) {
			if (subid == XENNOTIFY_RATE_LIMIT)
				xensnmp_set_unsigned(var, n.bucket.rate);
			else if (subid == XENNOTIFY_DROPPED)
				snmp_set_var_typed_integer(var, ASN_COUNTER, n.dropped);
			else
				netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		} else if (reqinfo->mode == MODE_SET_RESERVE1) {
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
		}
	}
	return SNMP_ERR_NOERROR;
}

/* a switch registered on its own (xensnmp_notify_register_switch) */
static int switch_handler(netsnmp_mib_handler *handler,
			  netsnmp_handler_registration *reginfo,
			  netsnmp_agent_request_info *reqinfo,
			  netsnmp_request_info *requests)
{
	int sw = (int)(intptr_t)handler->myvoid;
	netsnmp_request_info *req;

	(void)reginfo;
	for (req = requests; req; req = req->next)
		if (!req->processed)
			switch_request(sw, reqinfo, req);
	return SNMP_ERR_NOERROR;
}

netsnmp_handler_registration *xensnmp_notify_register_switch(const char *name, const oid *oid,
							     size_t oid_len,
							     enum xensnmp_notify_kind kind)
{
	netsnmp_handler_registration *reg;

	reg = netsnmp_create_handler_registration(name, switch_handler, oid, oid_len,
						  HANDLER_CAN_RWRITE);
	if (!reg)
		return NULL;
	reg->handler->myvoid = (void *)(intptr_t)kind;
	if (netsnmp_register_scalar(reg) != MIB_REGISTERED_OK)
		return NULL;	/* net-snmp freed reg */
	return reg;
}

void xensnmp_notify_init(const struct xensnmp_state *state)
{
	static const oid control_oid[] = { XENSNMP_NOTIFY_OID };
	netsnmp_handler_registration *reg;

	n.state = state;
	register_app_config_handler("xensnmpNotify", parse_notify_token, NULL,
				    "created|stateChanged|destroyed|actionFinished|snapshot|vmPerVM|vmBulk yes|no");
	register_app_config_handler("xensnmpNotifyRate", parse_rate_token, NULL,
				    "notifications per second (1-1000)");
	reg = netsnmp_create_handler_registration("xdmNotifyControl", control_handler,
						  control_oid, OID_LENGTH(control_oid),
						  HANDLER_CAN_RWRITE);
	if (reg && netsnmp_register_scalar_group(reg, XENNOTIFY_CREATED_ENABLE,
						 XENNOTIFY_DROPPED) == MIB_REGISTERED_OK)
		n.reg = reg;
	else
		snmp_log(LOG_ERR, "xensnmp: cannot register xdmNotifyControl\n");
}

void xensnmp_notify_deinit(void)
{
	unregister_app_config_handler("xensnmpNotify");
	unregister_app_config_handler("xensnmpNotifyRate");
	if (n.alarm)
		snmp_alarm_unregister(n.alarm);
	n.alarm = 0;
	if (n.reg)
		netsnmp_unregister_handler(n.reg);
	n.reg = NULL;
	if (n.pending_alarm)
		snmp_alarm_unregister(n.pending_alarm);
	n.pending_alarm = 0;
	while (n.n_pending)
		drop_pending(0);
	free(n.pending);
	n.pending = NULL;
	n.cap_pending = 0;
	xen_snapshot_unref(n.seen);
	n.seen = NULL;
	n.status_known = false;
	n.dropped_since = 0;
	n.n_listeners = 0;
}
