/* Pacing of change-driven re-reads (see xen_pace.h). */
#include <stdlib.h>
#include <string.h>

#include "core/xen_pace.h"

#define WORDS ((XEN_DOMID_FIRST_RESERVED + 63) / 64)

int xen_pace_init(struct xen_pace *p, unsigned interval_ms, unsigned budget)
{
	memset(p, 0, sizeof(*p));
	p->interval_ms = interval_ms;
	p->budget = budget ? budget : 1;
	p->tokens = p->budget;
	p->cost = 32;	/* a guest with a vif and a disk, until measured */
	/* untouched pages of these cost no memory */
	p->last_read_ms = calloc(XEN_DOMID_FIRST_RESERVED, sizeof(*p->last_read_ms));
	p->pending = calloc(WORDS, sizeof(*p->pending));
	if (!p->last_read_ms || !p->pending) {
		xen_pace_free(p);
		return -1;
	}
	return 0;
}

void xen_pace_free(struct xen_pace *p)
{
	free(p->last_read_ms);
	free(p->pending);
	p->last_read_ms = p->pending = NULL;
}

void xen_pace_note(struct xen_pace *p, uint32_t domid)
{
	if (domid < XEN_DOMID_FIRST_RESERVED)
		p->pending[domid / 64] |= 1ull << (domid % 64);
}

void xen_pace_read(struct xen_pace *p, uint32_t domid, uint64_t now_ms)
{
	if (domid >= XEN_DOMID_FIRST_RESERVED)
		return;
	p->pending[domid / 64] &= ~(1ull << (domid % 64));
	p->last_read_ms[domid] = now_ms ? now_ms : 1;
}

void xen_pace_spend(struct xen_pace *p, uint64_t requests, size_t n_domains)
{
	p->tokens += p->cost * (double)n_domains - (double)requests;
	if (n_domains)
		p->cost = (p->cost + (double)requests / (double)n_domains) / 2;
}

static void refill(struct xen_pace *p, uint64_t now_ms)
{
	if (now_ms > p->refilled_ms) {
		p->tokens += (double)(now_ms - p->refilled_ms) * p->budget / 1000.0;
		if (p->tokens > p->budget)
			p->tokens = p->budget;	/* at most one second's burst */
		p->refilled_ms = now_ms;
	}
}

long xen_pace_take(struct xen_pace *p, uint64_t now_ms, struct xen_dirty *dirty)
{
	long next = -1;
	uint32_t i, id, last = p->cursor;

	refill(p, now_ms);
	for (i = 0; i < XEN_DOMID_FIRST_RESERVED; i++) {
		uint64_t due;

		id = (p->cursor + i) % XEN_DOMID_FIRST_RESERVED;
		if (!p->pending[id / 64]) {
			/* the rest of an empty word, not across the wrap */
			uint32_t skip = 63 - id % 64;

			if (id + skip >= XEN_DOMID_FIRST_RESERVED)
				skip = XEN_DOMID_FIRST_RESERVED - 1 - id;
			i += skip;
			continue;
		}
		if (!(p->pending[id / 64] & (1ull << (id % 64))))
			continue;
		due = p->last_read_ms[id] ? p->last_read_ms[id] + p->interval_ms : 0;
		if (due > now_ms) {
			if (next < 0 || (long)(due - now_ms) < next)
				next = (long)(due - now_ms);
			continue;
		}
		if (p->tokens <= 0) {
			/* out of budget: wait until it is positive again */
			long wait = (long)(-p->tokens * 1000.0 / p->budget) + 1;

			if (next < 0 || wait < next)
				next = wait;
			continue;
		}
		xen_dirty_add(dirty, id);
		p->tokens -= p->cost;
		p->pending[id / 64] &= ~(1ull << (id % 64));
		last = id + 1;
	}
	p->cursor = last % XEN_DOMID_FIRST_RESERVED;
	return next;
}
