/*
 * The XEN-DOMAIN-MIB module: one init function for both forms, the
 * AgentX subagent xensnmpd and the snmpd plugin loaded with
 * "dlmod xensnmp PATH".
 */
#ifndef XENSNMP_H
#define XENSNMP_H

#include <stdbool.h>

#include "core/xen_conn.h"
#include "core/xen_snapshot.h"

#define XENSNMP_DEFAULT_REFRESH 5	/* seconds */
/* Seconds between gatherings while nothing changes and nobody reads
 * (xensnmpIdleRefresh): the age of the running counters a first request
 * after a quiet spell is served (the hypervisor's domain list is still
 * looked at every refresh, so a state change is gathered at once). */
#define XENSNMP_IDLE_REFRESH 60
/* xensnmpProbeInterval: how often (ms) the hypervisor's domain list is
 * looked at between refresh ticks, so a state change is served within
 * about this long; a look is most of an idle agent's cost, and this is
 * the slowest that still serves a change within a second */
#define XENSNMP_PROBE_INTERVAL_MS 750
/*
 * xensnmpXenstoreHeartbeat: seconds a quiet xenstored may go unasked
 * before a look asks it one cheap thing; 0 (the default): never, so an
 * idle host sends xenstored nothing, and a hung one is found by the next
 * read or change.
 */
#define XENSNMP_XENSTORE_HEARTBEAT 0

/* Settings fixed on xensnmpd's command line; config tokens do not
 * override them. Call before init_xensnmp(). */
void xensnmp_set_mode(enum xen_mode mode);
void xensnmp_set_refresh(unsigned seconds);

/* The module's entry points (net-snmp's dlmod naming). */
void init_xensnmp(void);
void deinit_xensnmp(void);

/* Parses "auto", "read-only" or "read-write"; -1 if none. */
int xensnmp_parse_mode(const char *word);

#endif
