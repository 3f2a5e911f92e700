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

#endif
