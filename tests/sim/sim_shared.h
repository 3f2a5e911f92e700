/*
 * The simulated hypervisor's domain list in shared memory, as the
 * hypervisor keeps it for the hypercall to copy: the libxenctrl stand-in
 * (xc_standin.c) makes a memfd of SIM_SHARED_SIZE bytes and hands the
 * simulated host its /proc/PID/fd/N ("hv-share"); the host writes the
 * xc_domaininfo_t records after the header whenever its model may have
 * changed and every SIM_SHARED_PERIOD_MS (CPU time moves), under a
 * sequence count: odd while it writes, so a reader that saw the same even
 * count before and after its copy has a whole list.  A look then costs
 * the agent a copy, as the hypercall does, and no request.
 */
#ifndef SIM_SHARED_H
#define SIM_SHARED_H

#include <stdint.h>

#include <xenctrl.h>

struct sim_shared_header {
	uint32_t seq;		/* odd: being written */
	uint32_t n;		/* records after the header */
	uint64_t written_ns;	/* CLOCK_MONOTONIC: older than SIM_SHARED_LOST_MS,
				 * the host is gone or restarted */
};
#define SIM_SHARED_HEADER 64u	/* the records' offset */
#define SIM_SHARED_MAX 32752u	/* DOMID_FIRST_RESERVED: domains at most */
#define SIM_SHARED_SIZE (SIM_SHARED_HEADER + SIM_SHARED_MAX * sizeof(xc_domaininfo_t))
#define SIM_SHARED_PERIOD_MS 200
#define SIM_SHARED_LOST_MS 2000

#endif
