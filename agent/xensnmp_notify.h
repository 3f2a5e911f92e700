/*
 * XEN-DOMAIN-MIB's notifications (xdmNotifications) and their switches
 * (xdmNotifyControl): domain changes found by comparing consecutive
 * snapshots, the snapshot turning stale or fresh, finished control
 * requests; one token bucket caps them all, VM-MIB's included: its
 * module (xensnmp_vmmib.c) listens to the same comparisons and sends
 * through the same switches and bucket.
 *
 * Everything here runs on the agent's main thread, the one that runs
 * net-snmp's select loop, callbacks and alarms (net-snmp is not
 * thread-safe): a worker that finishes a control request hands the
 * outcome to that thread before xensnmp_notify_action_finished().
 *
 * The comparison and the token bucket are pure functions, declared
 * here so that unit tests can run them on hand-made snapshots.
 */
#ifndef XENSNMP_NOTIFY_H
#define XENSNMP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "core/xen_snapshot.h"
#include "xensnmp_table.h"

#define XENSNMP_NOTIFY_DEFAULT_RATE 20	/* per second; xdmNotifyRateLimit */
#define XENSNMP_NOTIFY_MAX_RATE 1000

/* --- comparing two snapshots ------------------------------------------- */

enum xensnmp_change_kind {
	XENSNMP_CHANGE_DESTROYED,	/* dom: the old row */
	XENSNMP_CHANGE_STATE,		/* dom: the new row, prev: the old */
	XENSNMP_CHANGE_CREATED,		/* dom: the new row */
};

struct xensnmp_change {
	enum xensnmp_change_kind kind;
	const struct xen_domain *dom;
	const struct xen_domain *prev;	/* XENSNMP_CHANGE_STATE only */
};

typedef void (*xensnmp_change_fn)(const struct xensnmp_change *change,
				  void *opaque);

/*
 * Calls fn for each change from prev to cur, as the MIB's
 * xdmDomainCreated DESCRIPTION says: rows matched by index and, where
 * both know them, UUID and start time; a toolstack-kept row (index from
 * 65536 up) and a running row with the same UUID, each on one side only,
 * are one domain starting or stopping.  Destroyed rows first, then state
 * changes, then created rows, each in index order.  A change of state is
 * one of xdmDomainState (running and blocked counting as one) or of the
 * shutdown reason, both known in both rows.  Allocates nothing.
 */
void xensnmp_diff_snapshots(const struct xen_snapshot *prev,
			    const struct xen_snapshot *cur,
			    xensnmp_change_fn fn, void *opaque);

/* --- the rate limit ------------------------------------------------------ */

/* A token bucket of rate tokens refilled at rate a second (see
 * xdmNotifyRateLimit); zeroed, it is full at its first use. */
struct xensnmp_rate {
	unsigned rate;
	double tokens;
	struct timespec last;	/* CLOCK_MONOTONIC of the last refill */
	bool started;
};

/* Takes a token at time now (CLOCK_MONOTONIC); false when none is left. */
bool xensnmp_rate_take(struct xensnmp_rate *r, const struct timespec *now);
/* Changes the rate; the tokens held are cut to the new size. */
void xensnmp_rate_set(struct xensnmp_rate *r, unsigned rate);

/* --- varbind lists, snmpTrapOID.0 first (the caller frees them) --------- */

/* xdmDomainCreated, xdmDomainStateChanged or xdmDomainDestroyed */
netsnmp_variable_list *xensnmp_change_varbinds(const struct xensnmp_change *c);

/*
 * xdmActionFinished: snmpTrapOID.0, then objects, the varbinds of its
 * OBJECTS (the list takes them over); NULL when out of memory, objects
 * freed.
 */
netsnmp_variable_list *xensnmp_action_varbinds(netsnmp_variable_list *objects);

/* --- the module's side ---------------------------------------------------- */

/* The notification kinds with a switch ("xensnmpNotify WORD yes|no"). */
enum xensnmp_notify_kind {
	XENSNMP_NOTIFY_CREATED,		/* xdmNotifyCreatedEnable */
	XENSNMP_NOTIFY_STATE_CHANGED,	/* xdmNotifyStateChangedEnable */
	XENSNMP_NOTIFY_DESTROYED,	/* xdmNotifyDestroyedEnable */
	XENSNMP_NOTIFY_ACTION_FINISHED,	/* xdmNotifyActionFinishedEnable */
	XENSNMP_NOTIFY_SNAPSHOT,	/* xdmNotifySnapshotEnable */
	XENSNMP_NOTIFY_VM_PER_VM,	/* VM-MIB vmPerVMNotificationsEnabled */
	XENSNMP_NOTIFY_VM_BULK,		/* VM-MIB vmBulkNotificationsEnabled */
	XENSNMP_NOTIFY_KINDS
};

bool xensnmp_notify_enabled(enum xensnmp_notify_kind kind);

/*
 * Whether a notification of kind may go now: its switch is on and the
 * shared bucket gives a token.  A notification refused for want of a
 * token is counted in xdmNotifyDropped and the next
 * xdmNotificationsDropped.  Build the varbinds only after a true.
 */
bool xensnmp_notify_may_send(enum xensnmp_notify_kind kind);
/* The same for a notification that can wait for a token (a summary that
 * will gather more): takes one when there is, counts no drop when not. */
bool xensnmp_notify_try_send(enum xensnmp_notify_kind kind);
/* A new varbind list holding snmpTrapOID.0 = base.notification (the
 * first varbind net-snmp wants); NULL when out of memory. */
netsnmp_variable_list *xensnmp_notification_start(const oid *base, size_t base_len,
						  unsigned notification);
/* Appends base.subid.index, untyped yet; NULL when out of memory. */
netsnmp_variable_list *xensnmp_varbind_add(netsnmp_variable_list **list, const oid *base,
					   size_t base_len, unsigned subid, uint32_t index);

/* Sends list (snmpTrapOID.0 first) and frees it; NULL: out of memory,
 * logged as what. */
void xensnmp_notify_send(netsnmp_variable_list *list, const char *what);

/*
 * Registers the scalar object at oid (instance .0 is added) as kind's
 * switch: a TruthValue, read-write, reset by a reading of the
 * configuration.  NULL when it cannot be registered.
 */
netsnmp_handler_registration *xensnmp_notify_register_switch(const char *name, const oid *oid,
							     size_t oid_len,
							     enum xensnmp_notify_kind kind);

/*
 * Another module's comparison of consecutive snapshots, run whenever
 * XEN-DOMAIN-MIB's is (same baseline, same triggers): once with
 * XENSNMP_NOTIFY_SUMMARIES before XEN-DOMAIN-MIB's per-domain
 * notifications, so that summaries get the bucket's tokens first in a
 * storm, and once with XENSNMP_NOTIFY_DETAILS after them.
 */
enum xensnmp_notify_phase { XENSNMP_NOTIFY_SUMMARIES, XENSNMP_NOTIFY_DETAILS };
typedef void (*xensnmp_snapshot_listener)(const struct xen_snapshot *prev,
					  const struct xen_snapshot *cur,
					  enum xensnmp_notify_phase phase);
/* At most XENSNMP_NOTIFY_MAX_LISTENERS; false when full. */
#define XENSNMP_NOTIFY_MAX_LISTENERS 4
bool xensnmp_notify_listen(xensnmp_snapshot_listener fn);

/* Config tokens (xensnmpNotify, xensnmpNotifyRate), the 1 s alarm and
 * the xdmNotifyControl scalars, reading the snapshot and status from
 * state (which must outlive them).  Call from init_xensnmp(). */
void xensnmp_notify_init(const struct xensnmp_state *state);
void xensnmp_notify_deinit(void);
/* Before each reading of the configuration: switches on, default rate. */
void xensnmp_notify_reset_config(void);

/*
 * The module took up a new snapshot (state->snap): sends the domain
 * notifications from the last snapshot compared to it, and a snapshot
 * one when xdmHostSnapshotState turned.  The first snapshot taken while
 * the status is fresh is the baseline: nothing is sent for it.
 */
void xensnmp_notify_snapshot(void);

/*
 * Sends xdmActionFinished for a control request that has ended, unless
 * xdmNotifyActionFinishedEnable is false or the rate limit drops it.
 * objects are the columns of the request's row of xdmControlResultTable,
 * built by the control code, which owns the row (xensnmp_control.c);
 * taken over and freed.  Main thread only (see above).
 */
void xensnmp_notify_action_finished(netsnmp_variable_list *objects);

#endif
