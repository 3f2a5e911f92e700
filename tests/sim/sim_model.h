/*
 * The simulated host: what a scenario or a control command says about
 * the host and its domains, written into the xenstore tree as libxl
 * lays out a real Xen 4.17 host (docs/misc/xenstore-paths, libxl).
 */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_store.h"
#include "sim_xenstore.h"

#define SIM_MAX_DOMID 32752	/* DOMID_FIRST_RESERVED */

struct sim_host {
	char name[64], xen_version[32];
	unsigned cpus, cpu_mhz;
	uint64_t total_mem_kib, free_mem_kib;
};

/* what only the hypervisor knows, kept for the hypercall stand-in */
struct sim_domain {
	int exists;
	char state[16];
	unsigned vcpus, vcpus_online;
	uint64_t cpu_time_ns, mem_current_kib;
};

/* a domain xend manages while it is not running (xend's "halted" list) */
struct sim_managed {
	char uuid[40], name[64];
	uint64_t mem_kib, mem_max_kib;
	unsigned vcpus;
	bool suspended;		/* saved (xm suspend): Xen-API status 3 */
};

struct sim_model {
	struct sim_store *store;
	struct sim_xs *xs;		/* NULL while loading */
	struct sim_host host;
	struct sim_domain *domains;	/* indexed by domid */
	struct sim_managed *managed;	/* for the simulated xend */
	size_t n_managed;
};

struct sim_model *model_new(struct sim_store *store);
void model_free(struct sim_model *m);

/*
 * Runs one command: host, domain (= add), remove, set, vif, vbd, write, rm,
 * guest-write DOMID RELPATH VALUE (only where libxl lets the guest write),
 * managed UUID key=value... (add or change a halted managed domain: name,
 * mem_kib, mem_max_kib, vcpus), unmanage UUID.
 * Returns 0, or -1 with a message in err.
 */
int model_command(struct sim_model *m, int argc, char **argv, char *err, size_t errlen);

/*
 * What a toolstack (libxl, through the stand-in) does to domain id: op is
 * pause, unpause, shutdown, reboot, destroy (value unused), mem (target
 * KiB) or vcpus (online count).  shutdown and reboot write
 * control/shutdown as libxl does and then play a guest that complies and
 * xl's daemon: shutdown removes the domain, reboot builds it again under
 * a new domid with the same UUID.  destroy removes the domain, its
 * backend directories and its /vm node, as libxl_domain_destroy.
 */
int model_toolstack(struct sim_model *m, const char *op, unsigned id, unsigned long long value,
		    char *err, size_t errlen);

/* 1 when a guest may write this path relative to its home (libxl's rwperm). */
int model_guest_writable(const char *rel);

/* Loads a scenario file: one command per line, # comments. */
int model_load_scenario(struct sim_model *m, const char *file);

/* Adds n generated guests after the highest domid in use. */
int model_generate(struct sim_model *m, unsigned n);

unsigned model_domain_count(const struct sim_model *m);

#endif
