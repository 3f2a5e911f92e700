#include "sim_hv.h"
#include "sim_shared.h"

#include <stdbool.h>
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

/* What the hypervisor says of domain id at time t; false: no such domain. */
static bool domain_info(struct sim_model *m, unsigned id, double t, xc_domaininfo_t *out,
			unsigned *vcpus)
{
	const struct sim_domain *d = &m->domains[id];
	unsigned long long target, max, cur, cpu;
	unsigned online = d->vcpus ? d->vcpus_online : 1;
	unsigned flags = state_flags(d->state);
	char uuid[33];
	unsigned i;

	if (!d->exists) {
		first_seen[id] = 0;
		return false;
	}
	if (!first_seen[id])
		first_seen[id] = t;
	target = store_number(m, "/local/domain/%u/memory/target", id, 262144);
	max = store_number(m, "/local/domain/%u/memory/static-max", id, target);
	cur = d->mem_current_kib ? d->mem_current_kib : target;
	cpu = d->cpu_time_ns + sim_cpu_burn_ns(flags, online, t - first_seen[id]);
	uuid_hex(m, id, uuid);
	*vcpus = d->vcpus ? d->vcpus : 1;
	memset(out, 0, sizeof(*out));
	out->domain = (domid_t)id;
	out->flags = flags;
	out->tot_pages = cur / 4;
	out->max_pages = max / 4;
	out->cpu_time = cpu;
	out->nr_online_vcpus = online;
	out->max_vcpu_id = *vcpus - 1;
	for (i = 0; i < 16; i++) {
		unsigned hi = (unsigned)(strchr("0123456789abcdef", uuid[2 * i] | 0x20) - "0123456789abcdef");
		unsigned lo = (unsigned)(strchr("0123456789abcdef", uuid[2 * i + 1] | 0x20) - "0123456789abcdef");

		out->handle[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void *sim_hv_domains(struct sim_model *m, size_t *len)
{
	double t = now();
	size_t n = 0, cap = 64;
	char *buf = malloc(3 + cap * sizeof(xc_domaininfo_t));
	unsigned id, vcpus;

	if (!buf)
		return NULL;
	memcpy(buf, "ok\n", 3);
	for (id = 0; id < SIM_MAX_DOMID; id++) {
		xc_domaininfo_t info;

		if (!domain_info(m, id, t, &info, &vcpus))
			continue;
		if (n == cap) {
			char *grown = realloc(buf, 3 + (cap *= 2) * sizeof(info));

			if (!grown) {
				free(buf);
				return NULL;
			}
			buf = grown;
		}
		memcpy(buf + 3 + n++ * sizeof(info), &info, sizeof(info));
	}
	*len = 3 + n * sizeof(xc_domaininfo_t);
	return buf;
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
		xc_domaininfo_t d;
		unsigned vcpus, online, flags;
		unsigned long long cpu;

		if (!domain_info(m, id, t, &d, &vcpus))
			continue;
		online = d.nr_online_vcpus;
		flags = d.flags;
		cpu = d.cpu_time;
		fprintf(f, "dom %u flags=%x tot_kib=%llu max_kib=%llu cpu_ns=%llu online=%u "
			"max_vcpu_id=%u uuid=", id, flags, (unsigned long long)d.tot_pages * 4,
			(unsigned long long)d.max_pages * 4, cpu, online, vcpus - 1);
		for (i = 0; i < 16; i++)
			fprintf(f, "%02x", d.handle[i]);
		fputc('\n', f);
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
