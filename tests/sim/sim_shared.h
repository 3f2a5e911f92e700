/*
 * The simulated hypervisor's domain list in shared memory, as the
 * hypervisor keeps it for the hypercall to copy: the libxenctrl stand-in
 * (xc_standin.c) makes a memfd of SIM_SHARED_SIZE bytes and hands the
 * simulated host its /proc/PID/fd/N ("hv-share"); the host writes the
 * xc_domaininfo_t records after the header after each control command
 * and, at most every SIM_SHARED_PERIOD_MS, after its store changed (a
 * memory target is read from it), under a sequence count: odd while it
 * writes, so a reader that saw the same even count before and after its
 * copy has a whole list.  A look then costs the agent a copy, as the
 * hypercall does, and no request.  A host with nothing new only renews
 * alive_ns every SIM_SHARED_PERIOD_MS, so that an idle host costs
 * neither side a list; the reader carries CPU time on from written_ns.
 */
#ifndef SIM_SHARED_H
#define SIM_SHARED_H

#include <stdint.h>
#include <time.h>

#include <xenctrl.h>

struct sim_shared_header {
	uint32_t seq;		/* odd: being written */
	uint32_t n;		/* records after the header */
	uint64_t written_ns;	/* CLOCK_MONOTONIC: when the records were made */
	uint64_t alive_ns;	/* CLOCK_MONOTONIC: older than SIM_SHARED_LOST_MS,
				 * the host is gone or restarted */
};
#define SIM_SHARED_HEADER 64u	/* the records' offset */
#define SIM_SHARED_MAX 32752u	/* DOMID_FIRST_RESERVED: domains at most */
#define SIM_SHARED_SIZE (SIM_SHARED_HEADER + SIM_SHARED_MAX * sizeof(xc_domaininfo_t))
#define SIM_SHARED_PERIOD_MS 200
#define SIM_SHARED_LOST_MS 2000

/* The header's clock, CLOCK_MONOTONIC in nanoseconds: both sides read it. */
static inline uint64_t sim_shared_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * The simulated host's rule for CPU time: a running domain burns half a
 * CPU per online vCPU.  What it adds in s seconds, in nanoseconds: the
 * host's list (sim_hv.c) and the stand-in, which carries a shared record
 * on from when it was written to when it is read, as the hypercall reads
 * the time at its call, both use it.
 */
static inline unsigned long long sim_cpu_burn_ns(uint32_t flags, unsigned online, double s)
{
	return flags & XEN_DOMINF_running ? (unsigned long long)(s * 5e8 * online) : 0;
}

#endif
