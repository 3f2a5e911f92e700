/*
 * A fixture /proc and /sys for the dom0 statistics driver: /proc/net/dev
 * with a line per backend VIF, sysfs nodename links, and blkback's VBD
 * statistics, with counters that move.  Each rewrite is a new generation
 * swapped in by renaming a symlink, so a reader never sees half of one.
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include "sim_model.h"

/* Writes ROOT/proc and ROOT/sys for the host as it is now; 0 or -1. */
int sim_stats_write(struct sim_model *m, const char *root);

#endif
