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

/* Aborts with a message; for a size that overflows. */
void xen_alloc_failed(size_t size) __attribute__((noreturn));

#endif
