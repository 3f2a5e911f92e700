/*
 * The hypervisor driver: real run state, CPU time, memory pages, vCPUs
 * and host facts through libxenctrl hypercalls.  Root only.
 *
 * Xen reports domains in chunks (xc_domain_getinfolist); a domain that
 * vanishes between the list and a vCPU query is simply skipped.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

#include "parse/xen_parse.h"
#include "core/xen_alloc.h"
#include "core/xen_driver.h"

#define GETINFO_CHUNK 1024
#define PAGE_KIB 4	/* x86 pages */

/*
 * What the probe compares of a list entry, packed with no padding so that
 * one memcmp compares it: the last gathering's list is kept as an array
 * of these, read in order, so a look at 10,000 domains walks two arrays
 * instead of chasing 10,000 domain objects.
 */
struct hv_seen {
	uint32_t domid;
	uint16_t state_class;	/* enum xen_run_state, blocked counted as running */
	uint16_t shutdown;	/* enum xen_shutdown_code */
	uint32_t online;
	uint32_t max_vcpu_id;
	uint64_t tot_pages;
	uint8_t handle[16];
};
_Static_assert(sizeof(struct hv_seen) == 40, "struct hv_seen has no padding");

struct hv_drv {
	xc_interface *xch;
	xentoollog_logger quiet;	/* libxenctrl would print to stderr */
	struct xen_log_queue *log;
	xc_domaininfo_t *info;
	uint64_t requests;
	struct hv_seen *seen;		/* the last gathering's list, by domid */
	size_t n_seen, cap_seen;
	/* the one before it, while a gathering runs; freed after it, so that
	 * a quiet host keeps one list (40 bytes a domain), not two */
	struct hv_seen *before;
	size_t n_before;
};

static void quiet_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
			   int errnoval, const char *context, const char *format, va_list al)
{
	(void)logger; (void)level; (void)errnoval; (void)context; (void)format; (void)al;
}

static void quiet_destroy(struct xentoollog_logger *logger)
{
	(void)logger;
}

static void *hv_open(const struct xen_driver_env *env, char *why, size_t why_len)
{
	struct hv_drv *d = xen_calloc(1, sizeof(*d));

	if (!d || !(d->info = xen_calloc(GETINFO_CHUNK, sizeof(*d->info)))) {
		free(d);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	d->quiet.vmessage = quiet_vmessage;
	d->quiet.destroy = quiet_destroy;
	d->log = env->log;
	d->xch = xc_interface_open(&d->quiet, &d->quiet, 0);
	if (!d->xch) {
		snprintf(why, why_len, "no hypercall interface (%s)", strerror(errno));
		free(d->info);
		free(d);
		return NULL;
	}
	xen_log(d->log, XEN_LOG_INFO, "hypervisor: hypercall interface open");
	return d;
}

static void hv_close(void *priv)
{
	struct hv_drv *d = priv;

	if (!d)
		return;
	xc_interface_close(d->xch);
	free(d->info);
	free(d->seen);
	free(d->before);
	free(d);
}

static uint64_t hv_requests(void *priv)
{
	return ((struct hv_drv *)priv)->requests;
}

static bool uuid_is_nil(const uint8_t *u)
{
	static const uint8_t nil[16];

	return memcmp(u, nil, sizeof(nil)) == 0;
}

static void state_of(uint32_t flags, enum xen_run_state *state,
		     enum xen_shutdown_code *shutdown)
{
	unsigned code = (flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;

	*shutdown = XEN_SHUTDOWN_NONE;
	if (flags & XEN_DOMINF_dying) {
		*state = XEN_RUN_DYING;
	} else if (flags & XEN_DOMINF_shutdown) {
		/* public/sched.h SHUTDOWN_* codes, shifted past "none" */
		*shutdown = code <= SHUTDOWN_soft_reset ? (enum xen_shutdown_code)(code + 1)
							: XEN_SHUTDOWN_UNKNOWN;
		*state = code == SHUTDOWN_crash ? XEN_RUN_CRASHED : XEN_RUN_SHUTDOWN;
	} else if (flags & XEN_DOMINF_paused) {
		*state = XEN_RUN_PAUSED;
	} else if (flags & XEN_DOMINF_blocked) {
		*state = XEN_RUN_BLOCKED;
	} else {
		/* running, or runnable and waiting for a pCPU */
		*state = XEN_RUN_RUNNING;
	}
}

static void fill_state(struct xen_domain *dom, uint32_t flags)
{
	dom->known |= XEN_DOM_HAVE_STATE | XEN_DOM_HAVE_SHUTDOWN;
	state_of(flags, &dom->state, &dom->shutdown);
}

static void fill_vcpus(struct hv_drv *d, struct xen_domain *dom, unsigned max_vcpu_id)
{
	unsigned n = max_vcpu_id + 1, i, got = 0;

	if (max_vcpu_id == XEN_INVALID_MAX_VCPU_ID || n > 4096)
		return;
	dom->vcpus = xen_calloc(n, sizeof(*dom->vcpus));
	if (!dom->vcpus)
		return;
	for (i = 0; i < n; i++) {
		xc_vcpuinfo_t vi;
		struct xen_vcpu *v = &dom->vcpus[got];

		d->requests++;
		if (xc_vcpu_getinfo(d->xch, dom->domid, i, &vi) < 0)
			continue;	/* the domain went away meanwhile */
		v->id = i;
		v->sources = XEN_SRC_HYPERVISOR;
		v->known = XEN_VCPU_HAVE_STATE | XEN_VCPU_HAVE_CPU_TIME | XEN_VCPU_HAVE_PHYS_CPU;
		v->state = !vi.online ? XEN_VCPU_OFFLINE : vi.running ? XEN_VCPU_RUNNING
								   : XEN_VCPU_BLOCKED;
		v->cpu_time_ns = vi.cpu_time;
		v->phys_cpu = vi.online && vi.cpu <= INT_MAX ? (int)vi.cpu : -1;
		got++;
	}
	dom->n_vcpus = got;
}

static struct xen_domain *domain_from_info(struct hv_drv *d, const xc_domaininfo_t *in)
{
	struct xen_domain *dom = xen_domain_new(in->domain);

	if (!dom)
		return NULL;
	dom->sources = XEN_SRC_HYPERVISOR;
	fill_state(dom, in->flags);
	dom->mem_current_kib = in->tot_pages * PAGE_KIB;
	dom->known |= XEN_DOM_HAVE_MEM_CURRENT;
	/*
	 * max_pages is the hypervisor's current allocation limit, which
	 * libxl keeps at the balloon target plus slack: not the configured
	 * maximum that xdmDomainMemMax reports (xenstore's static-max,
	 * xend's maxmem), so it is not reported.
	 */
	dom->cpu_time_ns = in->cpu_time;
	dom->vcpus_online = in->nr_online_vcpus;
	dom->known |= XEN_DOM_HAVE_CPU_TIME | XEN_DOM_HAVE_VCPUS_ONLINE;
	if (in->max_vcpu_id != XEN_INVALID_MAX_VCPU_ID) {
		dom->vcpus_max = in->max_vcpu_id + 1;
		dom->known |= XEN_DOM_HAVE_VCPUS_MAX;
	}
	/* dom0's handle is all zeros: that is no UUID */
	if (!uuid_is_nil(in->handle)) {
		memcpy(dom->uuid, in->handle, sizeof(dom->uuid));
		dom->known |= XEN_DOM_HAVE_UUID;
	}
	fill_vcpus(d, dom, in->max_vcpu_id);
	return dom;
}

static void fill_host(struct hv_drv *d, struct xen_host *h)
{
	xc_physinfo_t pi = { 0 };
	xen_extraversion_t extra = { 0 };
	char version[64];
	int v;

	d->requests++;
	if (xc_physinfo(d->xch, &pi) == 0) {
		h->cpus = pi.nr_cpus;
		h->cpu_mhz = pi.cpu_khz / 1000;
		h->total_mem_kib = pi.total_pages * PAGE_KIB;
		h->free_mem_kib = pi.free_pages * PAGE_KIB;
		h->known |= XEN_HOST_HAVE_CPUS | XEN_HOST_HAVE_CPU_MHZ |
			    XEN_HOST_HAVE_TOTAL_MEM | XEN_HOST_HAVE_FREE_MEM;
	}
	d->requests += 2;
	v = xc_version(d->xch, XENVER_version, NULL);
	if (v >= 0 && xc_version(d->xch, XENVER_extraversion, &extra) == 0) {
		extra[sizeof(extra) - 1] = '\0';
		snprintf(version, sizeof(version), "%d.%d%s", v >> 16, v & 0xffff, extra);
		if (xen_bytes_set(&h->xen_version, version, strlen(version)) == 0)
			h->known |= XEN_HOST_HAVE_VERSION;
	}
}

/* Running and blocked are one state for change detection: a live guest
 * flips between them many times a second (whether it held a pCPU at the
 * instant of the hypercall), and each flip would be a gathering. */
static enum xen_run_state state_class(enum xen_run_state state)
{
	return state == XEN_RUN_BLOCKED ? XEN_RUN_RUNNING : state;
}

static struct hv_seen seen_of(const xc_domaininfo_t *in)
{
	struct hv_seen e;
	enum xen_run_state state;
	enum xen_shutdown_code shutdown;

	memset(&e, 0, sizeof(e));
	state_of(in->flags, &state, &shutdown);
	e.domid = in->domain;
	e.state_class = (uint16_t)state_class(state);
	e.shutdown = (uint16_t)shutdown;
	e.online = in->nr_online_vcpus;
	e.max_vcpu_id = in->max_vcpu_id;
	e.tot_pages = in->tot_pages;
	memcpy(e.handle, in->handle, sizeof(e.handle));
	return e;
}

/* Reads the domain list into d->seen and the view into out; keep: reuse
 * prev's object of a domain whose list entry did not change. */
static int gather_list(struct hv_drv *d, const struct xen_snapshot *prev, bool keep,
		       struct xen_snapshot *out, char *why, size_t why_len)
{
	uint32_t first = 0;
	size_t at = 0;

	fill_host(d, &out->host);
	/* the last list becomes the one to compare with; the new one is read
	 * into an array of the last one's size (it grows if domains came) */
	d->before = d->seen;
	d->n_before = d->n_seen;
	d->cap_seen = d->n_before ? d->n_before : 16;
	d->seen = xen_reallocarray(NULL, d->cap_seen, sizeof(*d->seen));
	d->n_seen = 0;
	for (;;) {
		int n, i;

		d->requests++;
		n = xc_domain_getinfolist(d->xch, first, GETINFO_CHUNK, d->info);
		if (n < 0) {
			snprintf(why, why_len, "xc_domain_getinfolist: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct xen_domain *dom;
			const struct xen_domain *old = NULL;
			struct hv_seen now;

			if (d->info[i].domain >= XEN_DOMID_FIRST_RESERVED)
				continue;	/* names no domain */
			now = seen_of(&d->info[i]);
			xen_grow(&d->seen, &d->cap_seen, d->n_seen + 1, sizeof(*d->seen));
			d->seen[d->n_seen++] = now;
			/* both lists sorted by domid; the probe's rule of a change */
			while (at < d->n_before && d->before[at].domid < now.domid)
				at++;
			if (keep && at < d->n_before &&
			    memcmp(&now, &d->before[at], sizeof(now)) == 0)
				old = xen_snapshot_find(prev, now.domid);
			dom = old ? xen_domain_ref((struct xen_domain *)old)
				  : domain_from_info(d, &d->info[i]);
			if (!dom || xen_snapshot_add_domain(out, dom) < 0) {
				xen_domain_unref(dom);
				snprintf(why, why_len, "out of memory");
				return -1;
			}
		}
		if (n < GETINFO_CHUNK)
			break;
		first = d->info[n - 1].domain + 1u;
	}
	out->sources |= XEN_SRC_HYPERVISOR;
	return 0;
}

static int hv_gather(void *priv, const struct xen_snapshot *prev, const struct xen_dirty *dirty,
		     struct xen_snapshot *out, char *why, size_t why_len)
{
	struct hv_drv *d = priv;

	/*
	 * A refresh tick reads everything: run state and CPU time change all
	 * the time.  A gathering between ticks (a change event or the probe)
	 * keeps the domains whose list entry shows no change but CPU time,
	 * vCPUs and all: their counters wait for the tick, and no vCPU is
	 * queried for them.
	 */
	bool keep = prev && !dirty->tick && !dirty->full;
	int rc = gather_list(d, prev, keep, out, why, why_len);

	free(d->before);
	d->before = NULL;
	d->n_before = 0;
	return rc;
}

/*
 * The cheap change detector: the domain list (one hypercall per 1,024
 * domains) against the list the last gathering read (d->seen, the list
 * behind view), on everything but CPU time and running against
 * blocked.  A vCPU
 * whose state changes runs, so its domain's CPU time moves too; that
 * alone is a counter, and waits for a reader or the idle refresh.
 */
static int hv_probe(void *priv, const struct xen_snapshot *view)
{
	struct hv_drv *d = priv;
	uint32_t first = 0;
	size_t at = 0;

	if (!view)
		return 1;
	for (;;) {
		int n, i;

		d->requests++;
		n = xc_domain_getinfolist(d->xch, first, GETINFO_CHUNK, d->info);
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++) {
			struct hv_seen now;

			if (d->info[i].domain >= XEN_DOMID_FIRST_RESERVED)
				continue;
			now = seen_of(&d->info[i]);
			/* both lists are sorted by domid: a new, gone or
			 * changed domain is the first entry that differs */
			if (at >= d->n_seen || memcmp(&now, &d->seen[at], sizeof(now)) != 0)
				return 1;
			at++;
		}
		if (n < GETINFO_CHUNK)
			break;
		first = d->info[n - 1].domain + 1u;
	}
	return at != d->n_seen;
}

const struct xen_driver_ops xen_hypervisor_driver = {
	.name = "hypervisor",
	.source = XEN_SRC_HYPERVISOR,
	.needs_privilege = true,
	.quick_first = true,
	.open = hv_open,
	.close = hv_close,
	.gather = hv_gather,
	.requests = hv_requests,
	.probe = hv_probe,
};
