/*
 * What the simulated hypervisor knows (run state, pages, CPU time,
 * vCPUs, host facts), as text for the libxenctrl stand-in (xc_standin.c),
 * which fetches it over the control socket with "hv-dump".
 */
#ifndef SIM_HV_H
#define SIM_HV_H

#include "sim_model.h"

/* Returns a malloc'd dump, "ok" on its first line. */
char *sim_hv_dump(struct sim_model *m);
/*
 * The domain list alone as the hypercall returns it ("hv-domains", and
 * what xensimd writes into the stand-ins' shared memory, sim_shared.h):
 * "ok\n" and then xc_domaininfo_t records, *len bytes in all (malloc'd;
 * NULL when out of memory).  Binary, so the stand-in's cost for the
 * agent's cheap look stays near the real hypercall's (a copy), not a
 * parse of text that grows with the host.
 */
void *sim_hv_domains(struct sim_model *m, size_t *len);

#endif
