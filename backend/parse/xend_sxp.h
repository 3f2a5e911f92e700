/*
 * xend's SXP replies mapped onto snapshot rows, without any HTTP: what
 * the xend driver does with a body once it has one (and what the unit
 * tests and the fuzz target feed directly).
 */
#ifndef XEND_SXP_H
#define XEND_SXP_H

#include <stddef.h>

#include "core/xen_snapshot.h"

/*
 * A reply of GET /xend/domain?detail=1 (running domains) or
 * ...&state=halted (managed domains that are not running): a list of
 * "(domain ...)" entries.  Adds to out one row per running domain (keyed
 * by domid) and one XEN_RUN_SHUTOFF row per domain without a domid, keyed
 * from XEN_DOMID_SHUTOFF_BASE (see xen_snapshot.h) past the keys already
 * in out; a UUID already in out is not added twice.  Entries that make no
 * sense are skipped.  Returns 0, or -1 with *why when the body is not SXP
 * or not a list (nothing is added then).
 */
int xend_parse_domains(const char *sxp, size_t len, struct xen_snapshot *out,
		       char *why, size_t why_len);

/* A reply of GET /xend/node/: "(node ...)" into host.  0, or -1 with *why. */
int xend_parse_node(const char *sxp, size_t len, struct xen_host *host,
		    char *why, size_t why_len);

#endif
