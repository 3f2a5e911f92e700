#include "sim_hv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenctrl.h>

/* when each domain was first seen, so running domains' CPU time moves */
static double first_seen[SIM_MAX_DOMID];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long store_number(struct sim_model *m, const char *fmt, unsigned id,
				       unsigned long long fallback)
	__attribute__((format(printf, 2, 0)));

static unsigned long long store_number(struct sim_model *m, const char *fmt, unsigned id,
				       unsigned long long fallback)
{
	struct sim_node *n = store_lookupf(m->store, fmt, id);

	if (!n || !n->len)
		return fallback;
	return strtoull(n->value, NULL, 10);
}

/* the UUID as 32 hex digits, or 32 zeros (dom0, or none) */
static void uuid_hex(struct sim_model *m, unsigned id, char out[33])
{
	struct sim_node *vm, *u;
	size_t i, o = 0;

	memset(out, '0', 32);
	out[32] = '\0';
	vm = store_lookupf(m->store, "/local/domain/%u/vm", id);
	if (!vm || !vm->len || vm->len > 100)
		return;
	u = store_lookupf(m->store, "%s/uuid", vm->value);
	if (!u)
		return;
	for (i = 0; i < u->len && o < 32; i++)
		if (strchr("0123456789abcdefABCDEF", u->value[i]) && u->value[i])
			out[o++] = u->value[i];
}

static unsigned state_flags(const char *state)
{
	if (strcmp(state, "blocked") == 0)
		return XEN_DOMINF_blocked;
	if (strcmp(state, "paused") == 0)
		return XEN_DOMINF_paused;
	if (strcmp(state, "shutdown") == 0)
		return XEN_DOMINF_shutdown | (SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift);
	if (strcmp(state, "rebooting") == 0)
		return XEN_DOMINF_shutdown | (SHUTDOWN_reboot << XEN_DOMINF_shutdownshift);
	if (strcmp(state, "crashed") == 0)
		return XEN_DOMINF_shutdown | (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
	if (strcmp(state, "dying") == 0)
		return XEN_DOMINF_dying;
	return XEN_DOMINF_running;
}

char *sim_hv_dump(struct sim_model *m)
{
	const struct sim_host *h = &m->host;
	double t = now();
	size_t size = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &size);
	unsigned id, i;

	if (!f)
		return NULL;
	fprintf(f, "ok\nhost cpus=%u cpu_mhz=%u total_kib=%llu free_kib=%llu version=%s\n",
		h->cpus ? h->cpus : 4, h->cpu_mhz ? h->cpu_mhz : 2000,
		(unsigned long long)(h->total_mem_kib ? h->total_mem_kib : 16777216),
		(unsigned long long)h->free_mem_kib, h->xen_version);
	for (id = 0; id < SIM_MAX_DOMID; id++) {
		const struct sim_domain *d = &m->domains[id];
		unsigned long long target, max, cur, cpu;
		unsigned vcpus = d->vcpus ? d->vcpus : 1;
		unsigned online = d->vcpus ? d->vcpus_online : 1;
		unsigned flags = state_flags(d->state);
		char uuid[33];

		if (!d->exists) {
			first_seen[id] = 0;
			continue;
		}
		if (!first_seen[id])
			first_seen[id] = t;
		target = store_number(m, "/local/domain/%u/memory/target", id, 262144);
		max = store_number(m, "/local/domain/%u/memory/static-max", id, target);
		cur = d->mem_current_kib ? d->mem_current_kib : target;
		/* a running domain burns half a CPU per online vCPU */
		cpu = d->cpu_time_ns;
		if (flags & XEN_DOMINF_running)
			cpu += (unsigned long long)((t - first_seen[id]) * 5e8 * online);
		uuid_hex(m, id, uuid);
		fprintf(f, "dom %u flags=%x tot_kib=%llu max_kib=%llu cpu_ns=%llu online=%u "
			"max_vcpu_id=%u uuid=%s\n", id, flags, cur, max, cpu, online, vcpus - 1, uuid);
		for (i = 0; i < vcpus; i++) {
			int up = i < online;

			fprintf(f, "vcpu %u %u online=%d running=%d blocked=%d cpu_ns=%llu cpu=%u\n",
				id, i, up, up && (flags & XEN_DOMINF_running) != 0,
				up && !(flags & XEN_DOMINF_running), up ? cpu / online : 0,
				i % (h->cpus ? h->cpus : 4));
		}
	}
	fclose(f);
	return buf;
}
