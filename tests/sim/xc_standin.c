/*
 * A stand-in for the libxenctrl calls the hypervisor driver makes, for
 * tests only: loaded in place of the real library with LD_PRELOAD, it
 * answers from the simulated host (xensimd), whose control socket it
 * finds in XENSIM_CONTROL.  Without it, like the real library without
 * /dev/xen/privcmd, opening fails with ENOENT; not as root, EACCES.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>

#include "sim_call.h"
#include "sim_shared.h"

struct sim_vcpu {
	unsigned domid, id, online, running, blocked, cpu;
	unsigned long long cpu_ns;
};

/*
 * What a handle keeps is what real libxenctrl keeps: no domain list.  A
 * hypercall copies the hypervisor's list into the caller's buffer at each
 * call, so xc_domain_getinfolist copies its chunk from the simulated
 * host's shared list (or a reply fetched for the call) straight into the
 * caller's; the vCPUs parsed for xc_vcpu_getinfo are dropped when the
 * next listing starts.  Anything more would be counted in the agent's
 * memory without being the agent's.
 */
struct xc_interface_core {
	/* the domain list the simulated host keeps in shared memory
	 * (sim_shared.h); NULL: asked for over the socket instead */
	const unsigned char *shared;
	struct sim_vcpu *vcpus;
	size_t n_vcpus, cap_vcpus;
	bool vcpus_stale;		/* none parsed, or a listing started since */
	unsigned cpus, cpu_mhz;
	unsigned long long total_kib, free_kib;
	char version[32];
};

/* the simulated host's hypervisor view ("hv-dump"), or NULL */
static char *fetch_dump(void)
{
	const char *argv[] = { "hv-dump" };
	char *buf = sim_call(1, argv);

	if (buf && strncmp(buf, "ok\n", 3) != 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct sim_vcpu *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Reads the space-separated fields of a dump line in order: each a
 * number after its "name=" (or a bare number where names[i] is "").
 * Hand-parsed, not sscanf: at 10,000 domains the stand-in's parsing
 * would otherwise be most of the agent's measured CPU time.  Returns
 * the number of fields read.
 */
static unsigned parse_fields(const char *p, const char *const *names,
			     unsigned long long *out, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		char *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, names[i], len) != 0)
			break;
		p += len;
		out[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
	return i;
}

static const unsigned char *open_shared(void);
static void forget_vcpus(xc_interface *xch);

/* re-reads the simulated host's facts and, with vcpus, its vCPUs; 0 or
 * -1 with errno */
static int refresh(xc_interface *xch, bool vcpus)
{
	char *dump = fetch_dump(), *line, *save = NULL;
	int rc = 0;

	if (!dump) {
		errno = EIO;
		return -1;
	}
	if (vcpus)
		forget_vcpus(xch);
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "host ", 5) == 0) {
			sscanf(line, "host cpus=%u cpu_mhz=%u total_kib=%llu free_kib=%llu version=%31s",
			       &xch->cpus, &xch->cpu_mhz, &xch->total_kib, &xch->free_kib, xch->version);
		} else if (vcpus && strncmp(line, "vcpu ", 5) == 0) {
			struct sim_vcpu *v, *grown = xch->vcpus;

			if (xch->n_vcpus == xch->cap_vcpus) {
				xch->cap_vcpus = xch->cap_vcpus ? 2 * xch->cap_vcpus : 64;
				grown = realloc(xch->vcpus, xch->cap_vcpus * sizeof(*grown));
				if (!grown) {
					errno = ENOMEM;
					rc = -1;
					break;
				}
			}
			xch->vcpus = grown;
			static const char *const names[] = {
				"", "", "online=", "running=", "blocked=", "cpu_ns=", "cpu=",
			};
			unsigned long long f[7];

			v = &xch->vcpus[xch->n_vcpus];
			if (parse_fields(line + 5, names, f, 7) == 7) {
				*v = (struct sim_vcpu){
					.domid = (unsigned)f[0], .id = (unsigned)f[1],
					.online = (unsigned)f[2], .running = (unsigned)f[3],
					.blocked = (unsigned)f[4], .cpu_ns = f[5], .cpu = (unsigned)f[6],
				};
				xch->n_vcpus++;
			}
		}
	}
	if (vcpus && rc == 0) {
		if (xch->n_vcpus)
			qsort(xch->vcpus, xch->n_vcpus, sizeof(*xch->vcpus), cmp_vcpu);
		xch->vcpus_stale = false;
	}
	/* parsed: the text is not kept (it would count in the agent's memory) */
	free(dump);
	return rc;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	xc_interface *xch;

	(void)logger; (void)dombuild_logger; (void)open_flags;
	if (!getenv("XENSIM_CONTROL")) {
		errno = ENOENT;
		return NULL;
	}
	if (geteuid() != 0) {
		errno = EACCES;
		return NULL;
	}
	xch = calloc(1, sizeof(*xch));
	if (!xch)
		return NULL;
	xch->shared = open_shared();
	xch->vcpus_stale = true;	/* none parsed yet */
	/* the host answers: its facts are kept, its vCPUs not parsed */
	if (refresh(xch, false) < 0) {
		if (xch->shared)
			munmap((void *)xch->shared, SIM_SHARED_SIZE);
		free(xch);
		errno = ENOENT;
		return NULL;
	}
	return xch;
}

int xc_interface_close(xc_interface *xch)
{
	if (xch) {
		forget_vcpus(xch);
		if (xch->shared)
			munmap((void *)xch->shared, SIM_SHARED_SIZE);
		free(xch);
	}
	return 0;
}

int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
	if (refresh(xch, false) < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	info->nr_cpus = xch->cpus;
	info->max_cpu_id = xch->cpus ? xch->cpus - 1 : 0;
	info->cpu_khz = xch->cpu_mhz * 1000u;
	info->total_pages = xch->total_kib / 4;
	info->free_pages = xch->free_kib / 4;
	return 0;
}

int xc_version(xc_interface *xch, int cmd, void *arg)
{
	unsigned major = 0, minor = 0;
	int used = 0;

	if (sscanf(xch->version, "%u.%u%n", &major, &minor, &used) < 2) {
		errno = EINVAL;
		return -1;
	}
	if (cmd == XENVER_version)
		return (int)(major << 16 | minor);
	if (cmd == XENVER_extraversion) {
		snprintf(arg, sizeof(xen_extraversion_t), "%s", xch->version + used);
		return 0;
	}
	errno = ENOSYS;
	return -1;
}

static void forget_vcpus(xc_interface *xch)
{
	free(xch->vcpus);
	xch->vcpus = NULL;
	xch->n_vcpus = xch->cap_vcpus = 0;
	xch->vcpus_stale = true;
}

/*
 * Copies from recs (n records sorted by domid) the chunk that starts at
 * first_domain, at most max records, into info, their CPU time carried on
 * by burn_s seconds; returns how many.
 */
static unsigned copy_chunk(const xc_domaininfo_t *recs, size_t n, uint32_t first_domain,
			   unsigned max, xc_domaininfo_t *info, double burn_s)
{
	size_t lo = 0, hi = n, i;
	unsigned got = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (recs[mid].domain < first_domain)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < n && got < max; i++) {
		info[got] = recs[i];
		if (burn_s > 0)
			info[got].cpu_time += sim_cpu_burn_ns(info[got].flags, info[got].nr_online_vcpus,
							      burn_s);
		got++;
	}
	return got;
}

/*
 * Asks the simulated host to keep its domain list in a memfd of ours
 * (sim_shared.h), and maps it; NULL when it cannot.
 */
static const unsigned char *open_shared(void)
{
	char path[64], *reply;
	const char *argv[] = { "hv-share", path };
	int fd = memfd_create("xcsim-domains", MFD_CLOEXEC);
	void *map = MAP_FAILED;
	bool ok;

	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)getpid(), fd);
	if (ftruncate(fd, (off_t)SIM_SHARED_SIZE) == 0)
		map = mmap(NULL, SIM_SHARED_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	reply = map != MAP_FAILED ? sim_call(2, argv) : NULL;
	ok = reply && strncmp(reply, "ok", 2) == 0;
	free(reply);
	close(fd);		/* the mapping and the host's open file keep it */
	if (!ok && map != MAP_FAILED)
		munmap(map, SIM_SHARED_SIZE);
	return ok ? map : NULL;
}

/*
 * A chunk of the domain list copied out of the shared memory under its
 * sequence count, as the hypercall copies the hypervisor's list: no
 * request.  Returns how many records, or -1 with errno.
 */
static int shared_chunk(xc_interface *xch, uint32_t first_domain, unsigned max,
			xc_domaininfo_t *info)
{
	const struct sim_shared_header *h = (const void *)xch->shared;
	unsigned tries;

	/* the host writes for a few milliseconds at most: wait up to 2 s */
	for (tries = 0; tries < 20000; tries++) {
		uint32_t seq = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE), n;
		uint64_t written, alive, now_ns;
		unsigned got;

		if (tries)
			usleep(100);
		if (seq & 1)
			continue;
		n = __atomic_load_n(&h->n, __ATOMIC_RELAXED);
		written = __atomic_load_n(&h->written_ns, __ATOMIC_RELAXED);
		alive = __atomic_load_n(&h->alive_ns, __ATOMIC_RELAXED);
		if (n > SIM_SHARED_MAX) {
			errno = EIO;
			return -1;
		}
		now_ns = sim_shared_now_ns();
		/* CPU time at the call, as the hypercall reads it: carried on
		 * from when the records were written */
		got = copy_chunk((const void *)(xch->shared + SIM_SHARED_HEADER), n, first_domain,
				 max, info, now_ns > written ? (double)(now_ns - written) / 1e9 : 0);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->seq, __ATOMIC_RELAXED) != seq)
			continue;
		/* a host that stopped writing has gone (or restarted): ask anew */
		if (now_ns > alive + SIM_SHARED_LOST_MS * 1000000ull) {
			munmap((void *)xch->shared, SIM_SHARED_SIZE);
			xch->shared = open_shared();
			if (!xch->shared) {
				errno = EIO;
				return -1;
			}
			h = (const void *)xch->shared;
			tries = 0;
			continue;
		}
		return (int)got;
	}
	errno = EAGAIN;
	return -1;
}

/*
 * The same over the socket ("hv-domains"): binary records, fetched for
 * this call and let go after it, as a hypercall's bounce buffer is.
 */
static int socket_chunk(uint32_t first_domain, unsigned max, xc_domaininfo_t *info)
{
	const char *argv[] = { "hv-domains" };
	size_t len = 0, n, i;
	char *buf = sim_call_len(1, argv, &len);
	xc_domaininfo_t rec;
	unsigned got = 0;

	if (!buf || len < 3 || strncmp(buf, "ok\n", 3) != 0 ||
	    (len - 3) % sizeof(xc_domaininfo_t) != 0) {
		free(buf);
		errno = EIO;
		return -1;
	}
	/* sorted by domid; the records start 3 bytes in, so each is copied
	 * out rather than read in place */
	n = (len - 3) / sizeof(rec);
	for (i = 0; i < n && got < max; i++) {
		memcpy(&rec, buf + 3 + i * sizeof(rec), sizeof(rec));
		if (rec.domain >= first_domain)
			info[got++] = rec;
	}
	free(buf);
	return (int)got;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
			  xc_domaininfo_t *info)
{
	/* a new listing: the vCPUs parsed before it are out of date */
	if (first_domain == 0)
		forget_vcpus(xch);
	if (xch->shared)
		return shared_chunk(xch, first_domain, max_domains, info);
	return socket_chunk(first_domain, max_domains, info);
}

/*
 * A lookup, not a scan: the real call is one hypercall whatever the
 * number of domains, so the agent's measured cost must not grow with
 * the square of the host's size through the stand-in.
 */
int xc_vcpu_getinfo(xc_interface *xch, uint32_t domid, uint32_t vcpu, xc_vcpuinfo_t *info)
{
	struct sim_vcpu key = { .domid = domid, .id = vcpu };
	const struct sim_vcpu *v;

	/* the vCPUs as of the list just read, not of an older dump */
	if (xch->vcpus_stale && refresh(xch, true) < 0)
		return -1;
	v = xch->n_vcpus ? bsearch(&key, xch->vcpus, xch->n_vcpus, sizeof(key), cmp_vcpu) : NULL;

	if (!v) {
		errno = ESRCH;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->online = (uint8_t)v->online;
	info->running = (uint8_t)v->running;
	info->blocked = (uint8_t)v->blocked;
	info->cpu_time = v->cpu_ns;
	info->cpu = v->cpu;
	return 0;
}
