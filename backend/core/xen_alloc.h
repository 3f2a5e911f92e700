/*
 * Memory for the whole backend, and its one out-of-memory policy:
 * ABORT.  As libvirt and OpenBSD do, a failed allocation ends the process
 * with a message on stderr instead of returning NULL.  The alternative
 * (carrying ENOMEM up through every parser and driver) is what let a
 * failed allocation while listing domains publish an empty view as a
 * success, so that every domain vanished for a refresh.  An agent that
 * cannot allocate a few kilobytes cannot serve SNMP either; its
 * supervisor (systemd, snmpd's AgentX reconnect) restarts it and the
 * next snapshot is complete.  So: never a partial view.
 *
 * Every allocation in backend/ goes through these; nothing checks their
 * result.  Array growth goes through xen_grow, not hand-written doubling.
 */
#ifndef XEN_ALLOC_H
#define XEN_ALLOC_H

#include <stddef.h>

void *xen_alloc(size_t size);			/* zeroed */
void *xen_calloc(size_t n, size_t size);	/* zeroed; n * size checked */
void *xen_realloc(void *p, size_t size);
void *xen_reallocarray(void *p, size_t n, size_t size);
char *xen_strdup(const char *s);
char *xen_strndup(const char *s, size_t n);

/*
 * Makes room for at least need elements of elem_size in *items, whose
 * capacity is *cap: doubles (from a start of 16) until it fits.  Elements
 * past the old capacity are left uninitialised.
 */
void xen_grow(void *items, size_t *cap, size_t need, size_t elem_size);

/*
 * Gives the pages of freed memory back to the system (glibc's
 * malloc_trim; nothing elsewhere).  A gathering replaces a domain's
 * objects whose counters moved, the old ones are freed when the SNMP side
 * lets go of the snapshot, and glibc keeps the freed pages of the
 * gathering threads' arenas otherwise: at 10,000 domains with dom0's
 * statistics, 1.3 KiB a domain.  Called once the host has gone quiet
 * after a change, not on every gathering: pages given back are faulted
 * in again by the next one.
 */
void xen_alloc_release(void);

/* Aborts with a message; for a size that overflows. */
void xen_alloc_failed(size_t size) __attribute__((noreturn));

#endif
