/*
 * xdmControl: domain control addressed by UUID under a host-wide spin
 * lock, and the host's results table.  See xensnmp_control.c and the
 * MIB's DESCRIPTIONs for the rules.
 */
#ifndef XENSNMP_CONTROL_H
#define XENSNMP_CONTROL_H

#include <stdbool.h>

#include "xensnmp_table.h"

/* the number of requests xdmControlResultTable keeps (the MIB says 100) */
#define XENSNMP_RESULTS_MAX 100

/*
 * Registers xdmControl, served from state (which must outlive it): 0, or
 * -1.  allow_dom0 lets Domain-0's memory target and vCPUs be written.
 */
int xensnmp_control_register(const struct xensnmp_state *state);
void xensnmp_control_unregister(void);
void xensnmp_control_allow_dom0(bool allow);

/* Takes the outcomes the connection posted into the results table (and
 * the log); the module calls it when the connection's notify fd fires,
 * before it takes up the snapshot published with them. */
void xensnmp_control_collect(struct xen_conn *conn);

/* Sends xdmActionFinished for each request that ended since the last
 * call; the module calls it after the notifications of the snapshot it
 * took up, which shows what those requests did.  (A request that fails
 * before it reaches the connection is announced at once.) */
void xensnmp_control_announce(void);

#endif
