/*
 * The xenstore driver: domain list, names, UUIDs, memory targets, vCPU
 * availability and VIF/VBD backend details, read through libxenstore as
 * libxl lays them out (/local/domain/<id>, /vm/<uuid>, dom0's backend/).
 *
 * It only ever reads, and watches @introduceDomain, @releaseDomain and
 * the subtrees it reads so that a change costs one domain's re-read.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>
#include <xenstore_lib.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"
#include "core/xen_pace.h"
#include "parse/xen_parse.h"

#define XSD_WATCH_TOKEN "xensnmp"
#define PATH_LEN 3072		/* XENSTORE_ABS_PATH_MAX */

/* Change-driven re-reads of one domain: at most one per this interval. */
#define XSD_MIN_INTERVAL_MS 1000
/* Requests per second the change-driven re-reads may spend in all. */
#define XSD_BUDGET_PER_S 4000

struct xsd {
	struct xs_handle *h;	/* the watches, and their events */
	/*
	 * Every request: a second connection that holds no watch, so that
	 * libxenstore runs no reader thread on it and a reply is read by the
	 * asking thread itself, not handed over between threads (a sixth of
	 * the agent's CPU for a full gathering, docs/architecture.md).
	 * xenstored orders each connection's replies, not the two together:
	 * an event read on h is followed by reads on rh that see its change or
	 * later, which is all the re-reads need.
	 */
	struct xs_handle *rh;
	struct xen_log_queue *log;
	uint64_t requests;
	int lost_errno;		/* non-zero once a request failed fatally */
	uint64_t last_gather_ms;	/* now_ms() of the last gathering or heartbeat */
	uint64_t heartbeat_ms;		/* a look's heartbeat after this long (0: none) */
	/* XENSNMP_XENSTORE_EVENTS=all: every event re-reads its domain at
	 * once, as before filtering and pacing (for measuring their gain) */
	bool unfiltered;
	struct xen_pace pace;
	int epoll_fd;		/* the watch pipe and pace_timer, as one fd */
	int pace_timer;		/* a timerfd: when a paced domain is due */
	char *mismatched[256];	/* backends already logged as not pointing back */
	size_t n_mismatched;
};

/*
 * Four watches, whatever the number of domains: xenstored keeps each
 * watch in memory and fires it for its whole subtree, so per-node watches
 * (some five per domain) would cost tens of thousands on a large host and
 * a request each per arrival, for events the filter below drops as
 * cheaply (note_event: no request is made for a path the agent does not
 * read).
 */
static const char *const watched[] = {
	"@introduceDomain", "@releaseDomain", "/local/domain", "/vm",
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Formats a xenstore path into buf; NULL when it would not fit, so that
 * an over-long path is skipped like a missing node, never truncated.
 */
static const char *mkpath(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *mkpath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

/* errno values that say "this node", not "this connection" */
static bool node_error(int err)
{
	return err == ENOENT || err == EACCES || err == EPERM;
}

static void *xsd_read(struct xsd *d, const char *path, unsigned *len)
{
	void *v;

	if (d->lost_errno || !path)
		return NULL;
	d->requests++;
	v = xs_read(d->rh, XBT_NULL, path, len);
	if (!v && !node_error(errno))
		d->lost_errno = errno ? errno : EIO;
	return v;
}

static char **xsd_directory(struct xsd *d, const char *path, unsigned *num)
{
	char **v;

	*num = 0;
	if (d->lost_errno || !path)
		return NULL;
	d->requests++;
	v = xs_directory(d->rh, XBT_NULL, path, num);
	if (!v && !node_error(errno))
		d->lost_errno = errno ? errno : EIO;
	if (!v)
		*num = 0;
	return v;
}

/* Reads path into *b; leaves it unknown when the node is missing. */
static void read_bytes(struct xsd *d, const char *path, struct xen_bytes *b)
{
	unsigned len;
	char *v = xsd_read(d, path, &len);

	if (v) {
		xen_bytes_set(b, v, len);
		free(v);
	}
}

static bool read_u64(struct xsd *d, const char *path, uint64_t *out)
{
	unsigned len;
	char *v = xsd_read(d, path, &len);
	bool ok = v && xen_parse_u64(v, len, out) == 0;

	free(v);
	return ok;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/*
 * Lists the numeric children of path below limit, sorted; other names are
 * ignored (a domain, device or vCPU id is always a number). Returns the
 * count.
 */
static size_t list_ids(struct xsd *d, const char *path, unsigned **ids,
		       uint64_t limit)
{
	unsigned num, i;
	size_t n = 0;
	char **names = xsd_directory(d, path, &num);

	*ids = NULL;
	if (!names || num == 0) {
		free(names);
		return 0;
	}
	*ids = xen_calloc(num, sizeof(**ids));
	for (i = 0; *ids && i < num; i++) {
		uint64_t v;

		if (xen_parse_u64(names[i], strlen(names[i]), &v) == 0 &&
		    v <= UINT32_MAX && v < limit)
			(*ids)[n++] = (unsigned)v;
	}
	free(names);
	if (n)
		qsort(*ids, n, sizeof(**ids), cmp_uint);
	return n;
}

static void read_vcpus(struct xsd *d, const char *home,
		       struct xen_domain *dom)
{
	char path[PATH_LEN];
	unsigned *ids;
	size_t n, i, online = 0, known = 0;

	n = list_ids(d, mkpath(path, sizeof(path), "%s/cpu", home), &ids, UINT32_MAX);
	if (n == 0 || !(dom->vcpus = xen_calloc(n, sizeof(*dom->vcpus)))) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		struct xen_vcpu *v = &dom->vcpus[i];
		unsigned len;
		char *avail;

		v->id = ids[i];
		v->sources = XEN_SRC_XENSTORE;
		avail = xsd_read(d, mkpath(path, sizeof(path), "%s/cpu/%u/availability", home,
			 ids[i]), &len);
		if (avail && (strcmp(avail, "online") == 0 ||
			      strcmp(avail, "offline") == 0)) {
			v->online = avail[1] == 'n';
			v->known |= XEN_VCPU_HAVE_AVAILABILITY;
			online += v->online;
			known++;
		}
		free(avail);
	}
	dom->n_vcpus = n;
	dom->vcpus_max = (unsigned)n;
	dom->known |= XEN_DOM_HAVE_VCPUS_MAX;
	if (known == n) {
		dom->vcpus_online = (unsigned)online;
		dom->known |= XEN_DOM_HAVE_VCPUS_ONLINE;
	}
	free(ids);
}

/*
 * Devices are found from the trusted side only (XSA-175): the backend
 * directories the toolstack made in the backend domain's home,
 * /local/domain/<backend>/backend/<kind>/<domid>/<devid>.  The frontend's
 * own backend and backend-id nodes are written by the guest and are never
 * followed.  Backend domain: dom0 only.  Driver domains would be found
 * through libxl's /libxl/<domid>/device/<type>/<devid>/backend, which only
 * dom0 can write; until then devices served by them are not listed.
 */
#define TRUSTED_BACKEND_DOMID 0u

static const char *const vbd_kinds[] = { "vbd", "qdisk", "vbd3" };

/*
 * A full gathering lists each backend kind's directory once
 * (/local/domain/0/backend/<kind>: the domains that have such devices)
 * instead of listing every domain's directory of every kind, most of
 * which do not exist: two requests a domain fewer on a host whose guests
 * have a vif and one kind of disk.  A re-read of one domain lists its own.
 */
enum { KIND_VIF, KIND_VBD0, N_KINDS = KIND_VBD0 + 3 };
struct kind_sets {
	unsigned *ids[N_KINDS];	/* sorted domids that have such a backend */
	size_t n[N_KINDS];
};

static const char *kind_name(unsigned k)
{
	return k == KIND_VIF ? "vif" : vbd_kinds[k - KIND_VBD0];
}

static void list_kinds(struct xsd *d, struct kind_sets *ks)
{
	char dir[PATH_LEN];
	unsigned k;

	for (k = 0; k < N_KINDS; k++)
		ks->n[k] = list_ids(d, mkpath(dir, sizeof(dir), "/local/domain/%u/backend/%s",
					      TRUSTED_BACKEND_DOMID, kind_name(k)),
				    &ks->ids[k], XEN_DOMID_FIRST_RESERVED);
}

static void free_kinds(struct kind_sets *ks)
{
	unsigned k;

	for (k = 0; k < N_KINDS; k++)
		free(ks->ids[k]);
}

/* Whether domid may have backends of kind k (always, without sets). */
static bool may_have(const struct kind_sets *ks, unsigned k, uint32_t domid)
{
	unsigned key = domid;

	return !ks || (ks->n[k] &&
		       bsearch(&key, ks->ids[k], ks->n[k], sizeof(unsigned), cmp_uint));
}

/* A device that failed the cross-check is logged once, not on every read. */
static void note_mismatch(struct xsd *d, const char *be)
{
	size_t i;

	for (i = 0; i < d->n_mismatched; i++)
		if (strcmp(d->mismatched[i], be) == 0)
			return;
	if (d->n_mismatched == sizeof(d->mismatched) / sizeof(d->mismatched[0]))
		return;		/* enough said: the rest go unlogged */
	d->mismatched[d->n_mismatched] = xen_strdup(be);
	if (!d->mismatched[d->n_mismatched])
		return;
	d->n_mismatched++;
	xen_log(d->log, XEN_LOG_INFO,
		"xenstore: %s does not point back at its frontend; device not served",
		be);
}

/*
 * The cross-check libxl makes since XSA-175: the backend's frontend-id
 * is this domain and its frontend node is this device's frontend path.
 */
static bool backend_points_back(struct xsd *d, const char *be, uint32_t domid,
				const char *fe_type, unsigned devid)
{
	char path[PATH_LEN], want[PATH_LEN];
	unsigned len;
	uint64_t id;
	bool ok;
	char *fe;

	if (!read_u64(d, mkpath(path, sizeof(path), "%s/frontend-id", be), &id) ||
	    id != domid) {
		if (!d->lost_errno)
			note_mismatch(d, be);
		return false;
	}
	fe = xsd_read(d, mkpath(path, sizeof(path), "%s/frontend", be), &len);
	ok = fe && mkpath(want, sizeof(want), "/local/domain/%u/device/%s/%u",
			  domid, fe_type, devid) &&
	     strlen(want) == len && memcmp(fe, want, len) == 0;
	free(fe);
	if (!ok && !d->lost_errno)
		note_mismatch(d, be);
	return ok;
}

static bool read_state(struct xsd *d, const char *dir, int *state)
{
	char path[PATH_LEN];
	uint64_t v;

	if (!read_u64(d, mkpath(path, sizeof(path), "%s/state", dir), &v) ||
	    v > 8)
		return false;
	*state = (int)v;
	return true;
}

static void read_vifs(struct xsd *d, struct xen_domain *dom, const struct kind_sets *ks)
{
	char dir[PATH_LEN], be[PATH_LEN], path[PATH_LEN];
	unsigned *ids;
	size_t n, i, kept = 0;

	if (!may_have(ks, KIND_VIF, dom->domid))
		return;
	n = list_ids(d, mkpath(dir, sizeof(dir), "/local/domain/%u/backend/vif/%u",
			       TRUSTED_BACKEND_DOMID, dom->domid), &ids, UINT32_MAX);
	if (n == 0 || !(dom->vifs = xen_calloc(n, sizeof(*dom->vifs)))) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		struct xen_vif *vif = &dom->vifs[kept];

		if (!mkpath(be, sizeof(be), "%s/%u", dir, ids[i]) ||
		    !backend_points_back(d, be, dom->domid, "vif", ids[i]))
			continue;
		vif->devid = ids[i];
		vif->backend_domid = (int)TRUSTED_BACKEND_DOMID;
		vif->known |= XEN_DEV_HAVE_BACKEND_DOMID;
		read_bytes(d, mkpath(path, sizeof(path), "%s/mac", be), &vif->mac);
		read_bytes(d, mkpath(path, sizeof(path), "%s/bridge", be), &vif->bridge);
		read_bytes(d, mkpath(path, sizeof(path), "%s/vifname", be), &vif->ifname);
		read_bytes(d, mkpath(path, sizeof(path), "%s/script", be), &vif->script);
		if (read_state(d, be, &vif->state))
			vif->known |= XEN_DEV_HAVE_STATE;
		if (!xen_bytes_known(&vif->ifname)) {
			/* libxl's name for the backend netdev when none is set */
			char name[32];
			int len = snprintf(name, sizeof(name), "vif%u.%u",
					   dom->domid, ids[i]);

			xen_bytes_set(&vif->ifname, name, (size_t)len);
		}
		kept++;
	}
	dom->n_vifs = kept;
	free(ids);
}

static bool have_vbd(const struct xen_domain *dom, size_t n, unsigned devid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (dom->vbds[i].devid == devid)
			return true;
	return false;
}

static int cmp_vbd(const void *a, const void *b)
{
	unsigned x = ((const struct xen_vbd *)a)->devid;
	unsigned y = ((const struct xen_vbd *)b)->devid;

	return (x > y) - (x < y);
}

static void read_vbds(struct xsd *d, struct xen_domain *dom, const struct kind_sets *ks)
{
	char dir[PATH_LEN], be[PATH_LEN], path[PATH_LEN];
	unsigned *ids[3];
	size_t n[3], total = 0, kept = 0, k, i;

	/* blkback's vbd, QEMU's qdisk and blktap3's vbd3 all serve a vbd */
	for (k = 0; k < 3; k++) {
		ids[k] = NULL;
		n[k] = !may_have(ks, KIND_VBD0 + k, dom->domid) ? 0 :
			list_ids(d, mkpath(dir, sizeof(dir), "/local/domain/%u/backend/%s/%u",
					   TRUSTED_BACKEND_DOMID, vbd_kinds[k], dom->domid),
				 &ids[k], UINT32_MAX);
		total += n[k];
	}
	if (total && (dom->vbds = xen_calloc(total, sizeof(*dom->vbds)))) {
		for (k = 0; k < 3; k++) {
			for (i = 0; i < n[k]; i++) {
				struct xen_vbd *vbd = &dom->vbds[kept];

				if (have_vbd(dom, kept, ids[k][i]) ||
				    !mkpath(be, sizeof(be), "/local/domain/%u/backend/%s/%u/%u",
					    TRUSTED_BACKEND_DOMID, vbd_kinds[k], dom->domid, ids[k][i]) ||
				    !backend_points_back(d, be, dom->domid, "vbd", ids[k][i]))
					continue;
				vbd->devid = ids[k][i];
				vbd->backend_domid = (int)TRUSTED_BACKEND_DOMID;
				vbd->known |= XEN_DEV_HAVE_BACKEND_DOMID;
				xen_bytes_set(&vbd->backend_type, vbd_kinds[k], strlen(vbd_kinds[k]));
				read_bytes(d, mkpath(path, sizeof(path), "%s/dev", be), &vbd->dev);
				read_bytes(d, mkpath(path, sizeof(path), "%s/params", be), &vbd->params);
				read_bytes(d, mkpath(path, sizeof(path), "%s/mode", be), &vbd->mode);
				read_bytes(d, mkpath(path, sizeof(path), "%s/device-type", be),
					   &vbd->device_type);
				if (read_state(d, be, &vbd->state))
					vbd->known |= XEN_DEV_HAVE_STATE;
				kept++;
			}
		}
		qsort(dom->vbds, kept, sizeof(*dom->vbds), cmp_vbd);
		dom->n_vbds = kept;
	}
	for (k = 0; k < 3; k++)
		free(ids[k]);
}

static void read_vm_node(struct xsd *d, struct xen_domain *dom)
{
	char path[PATH_LEN];
	unsigned len;
	char *v;

	v = xsd_read(d, mkpath(path, sizeof(path), "%s/uuid", dom->vm_path), &len);
	if (v && xen_parse_uuid(v, len, dom->uuid) == 0)
		dom->known |= XEN_DOM_HAVE_UUID;
	free(v);
	read_bytes(d, mkpath(path, sizeof(path), "%s/image/ostype", dom->vm_path), &dom->os_type);
	v = xsd_read(d, mkpath(path, sizeof(path), "%s/start_time", dom->vm_path), &len);
	if (v && xen_parse_timestamp(v, len, &dom->start_time) == 0)
		dom->known |= XEN_DOM_HAVE_START_TIME;
	free(v);
}

/*
 * A domain and its name: NULL when its home has vanished (or on a lost
 * connection, which d->lost_errno tells apart).
 */
static struct xen_domain *read_named(struct xsd *d, uint32_t domid, const char *home)
{
	char path[PATH_LEN];
	struct xen_domain *dom;
	unsigned len;
	char *v;

	dom = xen_domain_new(domid);
	if (!dom)
		return NULL;
	dom->sources = XEN_SRC_XENSTORE;

	v = xsd_read(d, mkpath(path, sizeof(path), "%s/name", home), &len);
	if (v) {
		xen_bytes_set(&dom->name, v, len);
		free(v);
	} else if (!d->lost_errno) {
		/* no name: gone, or still being built; the list decides */
		unsigned num;
		char **children = xsd_directory(d, home, &num);

		if (!children) {
			xen_domain_unref(dom);
			return NULL;
		}
		free(children);
	}
	if (d->lost_errno) {
		xen_domain_unref(dom);
		return NULL;
	}
	return dom;
}

/*
 * Reads one domain, whole or (quick) its name only; its devices of the
 * kinds ks says it has (NULL: of every kind). Returns NULL when it has
 * vanished (or on a lost connection, which d->lost_errno tells apart).
 */
static struct xen_domain *read_domain(struct xsd *d, uint32_t domid, bool quick,
				      const struct kind_sets *ks)
{
	char home[64], path[PATH_LEN];
	struct xen_domain *dom;
	unsigned len;
	uint64_t kib;
	char *v;

	mkpath(home, sizeof(home), "/local/domain/%u", domid);
	dom = read_named(d, domid, home);
	if (!dom || quick)
		return dom;

	v = xsd_read(d, mkpath(path, sizeof(path), "%s/vm", home), &len);
	if (v && len > 4 && strncmp(v, "/vm/", 4) == 0 && !strstr(v, "..") &&
	    len < PATH_LEN - 32)
		dom->vm_path = xen_strdup(v);
	free(v);
	if (dom->vm_path)
		read_vm_node(d, dom);

	if (read_u64(d, mkpath(path, sizeof(path), "%s/memory/target", home), &kib)) {
		dom->mem_target_kib = kib;
		dom->known |= XEN_DOM_HAVE_MEM_TARGET;
	}
	if (read_u64(d, mkpath(path, sizeof(path), "%s/memory/static-max", home), &kib)) {
		dom->mem_max_kib = kib;
		dom->known |= XEN_DOM_HAVE_MEM_MAX;
	}
	read_vcpus(d, home, dom);
	read_vifs(d, dom, ks);
	read_vbds(d, dom, ks);

	if (d->lost_errno) {
		xen_domain_unref(dom);
		return NULL;
	}
	return dom;
}

/* The previous view's domids, for a gathering that does not relist. */
static size_t prev_domids(const struct xen_snapshot *prev, unsigned **ids)
{
	size_t i, n = prev ? prev->n_domains : 0;

	*ids = n ? xen_calloc(n, sizeof(**ids)) : NULL;
	if (!*ids)
		return 0;
	for (i = 0; i < n; i++)
		(*ids)[i] = prev->domains[i]->domid;
	return n;
}

/*
 * A gathering that read nothing still asks xenstored one thing, the
 * cheapest request it answers (a computed path, no tree lookup): a hung
 * xenstored then holds this gathering, and the snapshot is called stale
 * as when a read hangs, instead of merging another source's change with
 * a view xenstored may no longer keep up to date.  One request a
 * gathering, whatever the number of domains; a quiet host's periodic
 * gathering (nobody read, no look saw a change) sends it only with a
 * heartbeat configured.
 */
static void heartbeat(struct xsd *d)
{
	char *path;

	d->requests++;
	path = xs_get_domain_path(d->rh, 0);
	if (!path && !node_error(errno))
		d->lost_errno = errno ? errno : EIO;
	free(path);
}

/*
 * Changes arrive as watch events, so a look sends nothing, unless the
 * configuration asks for a heartbeat (env->heartbeat_seconds): then one
 * when xenstored was last asked anything that long ago, so that a hung
 * xenstored holds the look and the snapshot is reported stale (and
 * notified) within that and the staleness limit although nobody reads,
 * for one request in that time whatever the number of domains.
 */
static int xsd_probe(void *priv, const struct xen_snapshot *view)
{
	struct xsd *d = priv;
	uint64_t now = now_ms();

	(void)view;
	if (d->heartbeat_ms && now - d->last_gather_ms >= d->heartbeat_ms) {
		d->last_gather_ms = now;
		heartbeat(d);
	}
	return d->lost_errno ? -1 : 0;
}

static int xsd_gather(void *priv, const struct xen_snapshot *prev,
			 const struct xen_dirty *dirty,
			 struct xen_snapshot *out, char *why, size_t why_len)
{
	struct xsd *d = priv;
	unsigned *ids;
	size_t n, i, paced = 0;
	uint64_t paced_requests = 0, requests_before = d->requests;
	char host[256];
	struct kind_sets kinds = { { NULL }, { 0 } };
	bool whole = (!prev || dirty->full) && !dirty->quick;

	if (whole)
		list_kinds(d, &kinds);
	if (!prev || dirty->full || dirty->relist)
		/* ids from DOMID_FIRST_RESERVED up are no domains (DOMID_SELF...) */
		n = list_ids(d, "/local/domain", &ids, XEN_DOMID_FIRST_RESERVED);
	else
		n = prev_domids(prev, &ids);

	for (i = 0; i < n && !d->lost_errno; i++) {
		const struct xen_domain *old = xen_snapshot_find(prev, ids[i]);
		struct xen_domain *dom;
		uint64_t before = d->requests;

		if (old && !xen_dirty_has(dirty, ids[i])) {
			dom = xen_domain_ref((struct xen_domain *)old);
		} else {
			dom = read_domain(d, ids[i], dirty->quick, whole ? &kinds : NULL);
			if (!dirty->quick)
				xen_pace_read(&d->pace, ids[i], now_ms());
			/* only change-driven re-reads count against the budget */
			if (old && !dirty->full) {
				paced_requests += d->requests - before;
				paced++;
			}
		}
		if (dom && xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
	}
	xen_pace_spend(&d->pace, paced_requests, paced);
	free(ids);
	free_kinds(&kinds);
	if (d->requests == requests_before && (!dirty->periodic || d->heartbeat_ms))
		heartbeat(d);
	d->last_gather_ms = now_ms();
	if (d->lost_errno) {
		snprintf(why, why_len, "xenstore request failed: %s",
			 strerror(d->lost_errno));
		return -1;
	}

	/* xenstore has no host name; dom0's own is the host's name */
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		xen_bytes_set(&out->host.name, host, strlen(host));
		out->host.known |= XEN_HOST_HAVE_NAME;
	}
	out->sources |= XEN_SRC_XENSTORE;
	return 0;
}

/* Whether rest (after the base) is name, or name followed by '/'. */
static bool is_or_under(const char *rest, const char *name)
{
	size_t len = strlen(name);

	return strncmp(rest, name, len) == 0 &&
	       (rest[len] == '\0' || rest[len] == '/');
}

/* Whether rest is exactly one of the names, or a directory above one. */
static bool names_read(const char *rest, const char *const *names)
{
	size_t len = strlen(rest);

	for (; *names; names++)
		if (strncmp(*names, rest, len) == 0 &&
		    ((*names)[len] == '\0' || (*names)[len] == '/'))
			return true;
	return false;
}

/* The nodes read under a domain's home, relative to it (read_domain). */
static bool home_node_read(const char *rest)
{
	static const char *const read_nodes[] = {
		"name", "vm", "memory/target", "memory/static-max", NULL,
	};
	const char *p;
	uint64_t id;

	if (names_read(rest, read_nodes))
		return true;
	if (!is_or_under(rest, "cpu"))
		return false;
	/* cpu, cpu/<n>, cpu/<n>/availability */
	if (rest[3] == '\0')
		return true;
	p = strchr(rest + 4, '/');
	if (xen_parse_u64(rest + 4, p ? (size_t)(p - rest - 4) : strlen(rest + 4), &id))
		return false;
	return !p || strcmp(p, "/availability") == 0;
}

/* The nodes read in a backend directory (read_vifs, read_vbds). */
static bool backend_node_read(const char *key)
{
	static const char *const read_nodes[] = {
		"frontend", "frontend-id", "state", "mac", "bridge", "vifname",
		"script", "dev", "params", "mode", "device-type", NULL,
	};
	const char *const *n;

	for (n = read_nodes; *n; n++)
		if (strcmp(key, *n) == 0)
			return true;
	return false;
}

static bool backend_kind_read(const char *kind, size_t len)
{
	size_t k;

	if (len == 3 && strncmp(kind, "vif", 3) == 0)
		return true;
	for (k = 0; k < sizeof(vbd_kinds) / sizeof(vbd_kinds[0]); k++)
		if (strlen(vbd_kinds[k]) == len && strncmp(kind, vbd_kinds[k], len) == 0)
			return true;
	return false;
}

enum event_kind { EV_NONE, EV_RELIST, EV_FULL, EV_DOMAIN };

/*
 * A backend path in the trusted backend domain's home, rest being what
 * follows "/backend/": <kind>[/<domid>[/<devid>[/<key>...]]].
 */
static enum event_kind backend_event(const char *rest, bool unfiltered,
				     uint32_t *domid)
{
	const char *slash = strchr(rest, '/'), *key;
	uint64_t devid;
	size_t len;

	if (!slash)	/* a whole kind appeared or went: the toolstack's doing */
		return backend_kind_read(rest, strlen(rest)) || unfiltered ? EV_FULL : EV_NONE;
	if (!backend_kind_read(rest, (size_t)(slash - rest)) && !unfiltered)
		return EV_NONE;
	if (!xen_path_domid(slash, "", domid, &key))
		return EV_NONE;
	if (*domid >= XEN_DOMID_FIRST_RESERVED)
		return EV_NONE;
	if (unfiltered || key[0] == '\0')
		return EV_DOMAIN;
	/* /<devid>[/<key>] */
	slash = strchr(key + 1, '/');
	len = slash ? (size_t)(slash - key - 1) : strlen(key + 1);
	if (xen_parse_u64(key + 1, len, &devid))
		return EV_NONE;
	return !slash || backend_node_read(slash + 1) ? EV_DOMAIN : EV_NONE;
}

/* The /vm/<uuid> nodes read (read_vm_node), or a /vm/<uuid> dir itself. */
static bool vm_node_read(const char *rest)
{
	static const char *const read_nodes[] = {
		"uuid", "image/ostype", "start_time", NULL,
	};

	return rest[0] == '\0' || (rest[0] == '/' && names_read(rest + 1, read_nodes));
}

/*
 * Maps a watch event to what must be re-read: the domain list for the
 * special watches and the top directories; one domain for a node it
 * reads in a domain's home, in the trusted backend domain's backend
 * directory for that domain, or in the domain's /vm/<uuid>.  Events on
 * nodes the agent does not read (a guest's data/, its frontends, its
 * control/) are dropped without a request, unless unfiltered.
 */
static enum event_kind note_event(const struct xen_snapshot *view,
				  const char *path, bool unfiltered,
				  uint32_t *domid)
{
	const char *rest;
	size_t i;

	if (path[0] == '@' || strcmp(path, "/local/domain") == 0 ||
	    strcmp(path, "/vm") == 0)
		return EV_RELIST;
	if (xen_path_domid(path, "/local/domain", domid, &rest)) {
		if (*domid >= XEN_DOMID_FIRST_RESERVED)
			return EV_NONE;
		if (rest[0] == '\0')
			return EV_RELIST;	/* a home appeared or went */
		if (*domid == TRUSTED_BACKEND_DOMID &&
		    strncmp(rest, "/backend/", 9) == 0) {
			uint32_t fe;
			enum event_kind k = backend_event(rest + 9, unfiltered, &fe);

			if (k != EV_NONE) {
				*domid = fe;
				return k;
			}
		}
		if (unfiltered)
			return EV_DOMAIN;
		if (strcmp(rest, "/backend") == 0 && *domid == TRUSTED_BACKEND_DOMID)
			return EV_FULL;
		return home_node_read(rest + 1) ? EV_DOMAIN : EV_NONE;
	}
	if (strncmp(path, "/vm/", 4) == 0 && view) {
		for (i = 0; i < view->n_domains; i++) {
			const struct xen_domain *dom = view->domains[i];
			size_t len = dom->vm_path ? strlen(dom->vm_path) : 0;

			if (len && strncmp(path, dom->vm_path, len) == 0 &&
			    (path[len] == '\0' || path[len] == '/')) {
				if (!unfiltered && !vm_node_read(path + len))
					return EV_NONE;
				*domid = dom->domid;
				return EV_DOMAIN;
			}
		}
	}
	return EV_NONE;
}

/* Arms the pace timer for ms from now, or disarms it (ms < 0). */
static void arm_pace_timer(struct xsd *d, long ms)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (ms >= 0) {
		if (ms == 0)
			ms = 1;		/* zero would disarm */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	}
	timerfd_settime(d->pace_timer, 0, &its, NULL);
}

static int xsd_read_events(void *priv, const struct xen_snapshot *view,
			      struct xen_dirty *dirty)
{
	struct xsd *d = priv;
	uint64_t expirations;
	char **ev;

	/* the timer only says "look at the pending domains again" */
	if (read(d->pace_timer, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: it has not expired */
	}
	while ((ev = xs_check_watch(d->h)) != NULL) {
		uint32_t domid = 0;

		switch (note_event(view, ev[XS_WATCH_PATH], d->unfiltered, &domid)) {
		case EV_RELIST:
			dirty->relist = true;
			break;
		case EV_FULL:
			dirty->full = true;
			break;
		case EV_DOMAIN:
			if (d->unfiltered)
				xen_dirty_add(dirty, domid);
			else
				xen_pace_note(&d->pace, domid);
			break;
		case EV_NONE:
			break;
		}
		free(ev);
	}
	if (errno != EAGAIN) {
		d->lost_errno = errno ? errno : EIO;
		return -1;
	}
	arm_pace_timer(d, xen_pace_take(&d->pace, now_ms(), dirty));
	return 0;
}

static int xsd_event_fd(void *priv)
{
	struct xsd *d = priv;

	return d->epoll_fd;
}

static uint64_t xsd_requests(void *priv)
{
	return ((struct xsd *)priv)->requests;
}

/* Tells whether a candidate path can be reached, before libxenstore tries. */
static int probe_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err = 0;

	if (stat(path, &st) < 0)
		return errno;
	if (!S_ISSOCK(st.st_mode))
		return ENOTSOCK;
	if (strlen(path) >= sizeof(sun.sun_path))
		return ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int probe_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

enum xsd_via { VIA_RO_SOCKET, VIA_SOCKET, VIA_DEVICE };

/* The xenbus device libxenstore falls back to (it does not export it). */
static const char *xenbus_device_path(void)
{
	const char *env = getenv("XENSTORED_PATH");

	if (env)
		return env;
	return access("/dev/xen/xenbus", F_OK) == 0 ? "/dev/xen/xenbus"
						     : "/proc/xen/xenbus";
}

static const char *const via_name[] = {
	[VIA_RO_SOCKET] = "read-only socket",
	[VIA_SOCKET] = "socket",
	[VIA_DEVICE] = "xenbus device",
};

static void xsd_close(void *priv)
{
	struct xsd *d = priv;

	size_t i;

	if (!d)
		return;
	if (d->rh)
		xs_close(d->rh);
	if (d->h)
		xs_close(d->h);
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	if (d->pace_timer >= 0)
		close(d->pace_timer);
	xen_pace_free(&d->pace);
	for (i = 0; i < d->n_mismatched; i++)
		free(d->mismatched[i]);
	free(d);
}

/*
 * The pace and its timer, polled with the watch pipe through one epoll
 * fd, so that a deferred re-read wakes the gathering thread when due.
 */
static int open_pacing(struct xsd *d, char *why, size_t why_len)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const char *events = getenv("XENSNMP_XENSTORE_EVENTS");

	d->unfiltered = events && strcmp(events, "all") == 0;
	if (xen_pace_init(&d->pace, XSD_MIN_INTERVAL_MS, XSD_BUDGET_PER_S) < 0) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	d->pace_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->pace_timer < 0 || d->epoll_fd < 0 ||
	    epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->pace_timer, &ev) < 0 ||
	    epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, xs_fileno(d->h), &ev) < 0) {
		snprintf(why, why_len, "xenstore event fd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Open order for reads: the legacy read-only socket where the library
 * still has one (Xen up to 4.14), the main socket, the xenbus device.
 */
static void *xsd_open(const struct xen_driver_env *env, char *why,
			 size_t why_len)
{
	const char *paths[3];
	struct xsd *d;
	unsigned i, j;
	int err = ENOENT;

	paths[VIA_RO_SOCKET] = xs_daemon_socket_ro();
	paths[VIA_SOCKET] = xs_daemon_socket();
	paths[VIA_DEVICE] = xenbus_device_path();
	/* since Xen 4.15 the library names the main socket for both */
	if (paths[VIA_RO_SOCKET] && paths[VIA_SOCKET] &&
	    strcmp(paths[VIA_RO_SOCKET], paths[VIA_SOCKET]) == 0)
		paths[VIA_RO_SOCKET] = NULL;

	d = xen_calloc(1, sizeof(*d));
	if (!d) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	d->log = env->log;
	d->heartbeat_ms = (uint64_t)env->heartbeat_seconds * 1000u;
	d->epoll_fd = d->pace_timer = -1;
	for (i = 0; i < 3 && !d->h; i++) {
		bool seen = false;

		if (!paths[i])
			continue;
		for (j = 0; j < i; j++)
			seen |= paths[j] && strcmp(paths[j], paths[i]) == 0;
		if (seen)
			continue;	/* same path as an earlier candidate */
		err = i == VIA_DEVICE ? probe_device(paths[i])
				      : probe_socket(paths[i]);
		if (err) {
			xen_log(d->log, XEN_LOG_INFO, "xenstore: %s %s: %s",
				via_name[i], paths[i], strerror(err));
			continue;
		}
		d->h = xs_open(i == VIA_RO_SOCKET ? XS_OPEN_READONLY : 0);
		if (d->h && !(d->rh = xs_open(i == VIA_RO_SOCKET ? XS_OPEN_READONLY : 0))) {
			err = errno;
			xs_close(d->h);
			d->h = NULL;
			errno = err;
		}
		if (!d->h) {
			err = errno;
			xen_log(d->log, XEN_LOG_INFO,
				"xenstore: %s %s: xs_open: %s", via_name[i],
				paths[i], strerror(err));
			continue;
		}
		xen_log(d->log, XEN_LOG_INFO, "xenstore: connected via %s %s",
			via_name[i], paths[i]);
	}
	if (!d->h) {
		snprintf(why, why_len, "no xenstore reachable (%s)",
			 strerror(err));
		free(d);
		return NULL;
	}
	if (open_pacing(d, why, why_len) < 0) {
		xsd_close(d);
		return NULL;
	}
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		d->requests++;
		if (!xs_watch(d->h, watched[i], XSD_WATCH_TOKEN)) {
			snprintf(why, why_len, "xenstore watch %s: %s",
				 watched[i], strerror(errno));
			xsd_close(d);
			return NULL;
		}
	}
	return d;
}

const struct xen_driver_ops xen_xenstore_driver = {
	.name = "xenstore",
	.source = XEN_SRC_XENSTORE,
	.needs_privilege = false,
	.open = xsd_open,
	.close = xsd_close,
	.event_fd = xsd_event_fd,
	.read_events = xsd_read_events,
	.gather = xsd_gather,
	.requests = xsd_requests,
	.probe = xsd_probe,
	.quick_names = true,
};
