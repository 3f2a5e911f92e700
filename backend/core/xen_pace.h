/*
 * Pacing of change-driven re-reads, so that what guests write cannot set
 * the agent's cost: a domain is re-read at most once per interval however
 * often it changes (the changes in between are coalesced), and the
 * requests spent on such re-reads are capped per second by a token
 * bucket.  Arrivals, departures and the periodic schedule are not paced:
 * a busy domain can never hold back another domain's arrival.
 */
#ifndef XEN_PACE_H
#define XEN_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/xen_driver.h"

#define XEN_DOMID_FIRST_RESERVED 0x7FF0u	/* Xen's DOMID_FIRST_RESERVED */

struct xen_pace {
	unsigned interval_ms;	/* minimum time between two re-reads of one domain */
	unsigned budget;	/* requests per second for paced re-reads */
	double tokens;		/* requests still allowed (may go negative) */
	double cost;		/* requests one re-read takes, as last measured */
	uint64_t refilled_ms;	/* when tokens were last topped up */
	uint64_t *last_read_ms;	/* per domid; 0 = not read yet */
	uint64_t *pending;	/* bitmap: changed, not re-read yet */
	uint32_t cursor;	/* round-robin start, so no domain starves */
};

int xen_pace_init(struct xen_pace *p, unsigned interval_ms, unsigned budget);
void xen_pace_free(struct xen_pace *p);

/* An event says this domain changed. */
void xen_pace_note(struct xen_pace *p, uint32_t domid);
/* This domain was just read (for whatever reason): its changes are seen. */
void xen_pace_read(struct xen_pace *p, uint32_t domid, uint64_t now_ms);
/*
 * Settles the budget for n_domains paced re-reads that took requests
 * (xen_pace_take debited an estimate for each).
 */
void xen_pace_spend(struct xen_pace *p, uint64_t requests, size_t n_domains);
/*
 * Moves the pending domains that are due, as far as the budget allows,
 * into dirty.  Returns the milliseconds until the next one will be due,
 * or -1 when none is pending.
 */
long xen_pace_take(struct xen_pace *p, uint64_t now_ms, struct xen_dirty *dirty);

#endif
