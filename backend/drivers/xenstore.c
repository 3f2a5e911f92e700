/*
 * The xenstore driver: domain list, names, UUIDs, memory targets, vCPU
 * availability and VIF/VBD backend details, as libxl lays them out
 * (/local/domain/<id>, /vm/<uuid>, dom0's backend/).  Watches go through
 * libxenstore; reads go many at a time through the pipe (xenstore_pipe.h).
 *
 * It only ever reads, and watches @introduceDomain, @releaseDomain and
 * the subtrees it reads so that a change costs one domain's re-read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xenstore_lib.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"
#include "core/xen_pace.h"
#include "drivers/xenstore_pipe.h"
#include "parse/xen_parse.h"

#define XSD_WATCH_TOKEN "xensnmp"
#define PATH_LEN 3072		/* XENSTORE_ABS_PATH_MAX */

/* Change-driven re-reads of one domain: at most one per this interval. */
#define XSD_MIN_INTERVAL_MS 1000
/* Requests per second the change-driven re-reads may spend in all. */
#define XSD_BUDGET_PER_S 4000

struct xsd {
	/*
	 * The watches, and their events; also the listings too large for one
	 * reply, which libxenstore pages.
	 */
	struct xs_handle *h;
	/*
	 * Every other request: a connection of our own that holds no watch,
	 * with many requests in flight (xenstore_pipe.h).  xenstored orders
	 * each connection's replies, not the two together: an event read on
	 * h is followed by reads on the pipe that see its change or later,
	 * which is all the re-reads need.
	 */
	struct xs_pipe *pipe;
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

/*
 * A directory that may be too large for one reply (every domain's, or
 * every domain's with a kind of backend): libxenstore's xs_directory,
 * which pages it (XS_DIRECTORY_PART), on the watch connection.  A few a
 * whole gathering; a domain's own directories go through the pipe.
 */
static char **xsd_directory(struct xsd *d, const char *path, unsigned *num)
{
	char **v;

	*num = 0;
	if (d->lost_errno || !path)
		return NULL;
	d->requests++;
	v = xs_directory(d->h, XBT_NULL, path, num);
	if (!v && !node_error(errno))
		d->lost_errno = errno ? errno : EIO;
	if (!v)
		*num = 0;
	return v;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/*
 * The numeric names among len bytes of NUL-terminated names, below
 * limit, sorted; other names are ignored (a domain, device or vCPU id is
 * always a number).  Returns the count.
 */
static size_t ids_from_names(const char *names, size_t len, uint64_t limit,
			     unsigned **ids)
{
	const char *p, *end = names + len;
	size_t n = 0, max = 0;

	for (p = names; p < end; p += strlen(p) + 1)
		max++;
	*ids = max ? xen_calloc(max, sizeof(**ids)) : NULL;
	for (p = names; p < end; p += strlen(p) + 1) {
		uint64_t v;

		if (*p && xen_parse_u64(p, strlen(p), &v) == 0 &&
		    v <= UINT32_MAX && v < limit)
			(*ids)[n++] = (unsigned)v;
	}
	if (n)
		qsort(*ids, n, sizeof(**ids), cmp_uint);
	return n;
}

/* ids_from_names of a directory listed by xsd_directory. */
static size_t list_ids(struct xsd *d, const char *path, unsigned **ids,
		       uint64_t limit)
{
	unsigned num;
	char **names = xsd_directory(d, path, &num);
	size_t n = 0;

	*ids = NULL;
	/* xs_directory lays the names end to end after the pointers */
	if (names && num)
		n = ids_from_names(names[0], (size_t)(names[num - 1] - names[0]) +
				   strlen(names[num - 1]) + 1, limit, ids);
	free(names);
	return n;
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
 * Reading a domain: every node it needs is asked for at once, through
 * the pipe, with the domains around it; a reply that names more nodes
 * (the vm path, a directory of vCPUs or devices) asks for those in turn.
 * Each request's tag says which node it is: a field, and for a vCPU or
 * device its index and which of its nodes.
 */
enum field {
	F_NAME, F_HOME, F_VM, F_UUID, F_OSTYPE, F_START_TIME, F_MEM_TARGET,
	F_MEM_MAX, F_CPUS, F_VCPU, F_VIFS, F_VIF, F_VBDS, F_VBD,
};
#define TAG(field, key, index) ((uint32_t)(field) | (uint32_t)(key) << 4 | \
				(uint32_t)(index) << 8)
#define TAG_FIELD(tag) ((tag) & 15u)
#define TAG_KEY(tag) (((tag) >> 4) & 15u)
#define TAG_INDEX(tag) ((tag) >> 8)

/*
 * A device's nodes under its backend directory.  The first two are the
 * cross-check libxl makes since XSA-175: the backend's frontend-id is
 * this domain and its frontend node is this device's frontend path; a
 * device that fails it is dropped when the domain is done.
 */
enum { K_FRONTEND_ID, K_FRONTEND, K_STATE, K_STRINGS, N_DEV_KEYS = K_STRINGS + 4 };
static const char *const vif_keys[N_DEV_KEYS] = {
	"frontend-id", "frontend", "state", "mac", "bridge", "vifname", "script",
};
static const char *const vbd_keys[N_DEV_KEYS] = {
	"frontend-id", "frontend", "state", "dev", "params", "mode", "device-type",
};
enum { CHECK_ID = 1, CHECK_FRONTEND = 2, CHECKED = 3 };

struct dom_read {
	struct xsd *d;
	struct xen_domain *dom;		/* NULL once lost */
	const struct kind_sets *ks;	/* NULL: list every kind */
	size_t slot;			/* index in the gathering's list */
	bool reread;			/* a change-driven re-read */
	bool gone;			/* its home has vanished */
	unsigned vbd_lists;		/* vbd kind directories still to come */
	unsigned *vbd_ids[3];
	size_t n_vbd_ids[3];
	uint8_t *vif_checks, *vbd_checks;	/* CHECK_* a device passed */
	uint64_t requests;
};

static void on_reply(void *ctx, uint32_t tag, int err, char *v, unsigned len);

/* Asks for a node; a path that does not fit is skipped as missing. */
static void ask(struct dom_read *r, uint32_t type, const char *path, uint32_t tag)
{
	if (!path || r->d->lost_errno ||
	    xs_pipe_queue(r->d->pipe, type, path, on_reply, r, tag) < 0)
		return;
	r->requests++;
	r->d->requests++;
}

static bool parse_u64(const char *v, unsigned len, uint64_t *out)
{
	return v && xen_parse_u64(v, len, out) == 0;
}

/*
 * The directories of a domain's own that a reading lists: its vCPUs
 * (F_CPUS), its vifs' backends (F_VIFS) and its vbds' of one kind
 * (F_VBDS, vbd_kinds[k]).
 */
static const char *own_dir(char *buf, size_t len, enum field f, unsigned k,
			   uint32_t domid)
{
	if (f == F_CPUS)
		return mkpath(buf, len, "/local/domain/%u/cpu", domid);
	return mkpath(buf, len, "/local/domain/%u/backend/%s/%u", TRUSTED_BACKEND_DOMID,
		      f == F_VIFS ? "vif" : vbd_kinds[k], domid);
}

/* A device's backend directory, or (key set) one of its nodes. */
static const char *device_path(char *buf, size_t len, const char *kind,
			       uint32_t domid, unsigned devid, const char *key)
{
	return mkpath(buf, len, "/local/domain/%u/backend/%s/%u/%u%s%s",
		      TRUSTED_BACKEND_DOMID, kind, domid, devid, key ? "/" : "",
		      key ? key : "");
}

/* The ids in a domain's own directory (E2BIG: listed again by pages). */
static size_t reply_ids(struct dom_read *r, int err, const char *v, unsigned len,
			enum field f, unsigned k, unsigned **ids)
{
	char path[PATH_LEN];

	*ids = NULL;
	if (err == E2BIG)
		return list_ids(r->d, own_dir(path, sizeof(path), f, k, r->dom->domid),
				ids, UINT32_MAX);
	return err ? 0 : ids_from_names(v, len, UINT32_MAX, ids);
}

static void got_vcpus(struct dom_read *r, unsigned *ids, size_t n)
{
	struct xen_domain *dom = r->dom;
	char path[PATH_LEN];
	size_t i;

	if (n == 0)
		return;
	dom->vcpus = xen_calloc(n, sizeof(*dom->vcpus));
	for (i = 0; i < n; i++) {
		dom->vcpus[i].id = ids[i];
		dom->vcpus[i].sources = XEN_SRC_XENSTORE;
		ask(r, XS_READ, mkpath(path, sizeof(path), "/local/domain/%u/cpu/%u/availability",
				       dom->domid, ids[i]), TAG(F_VCPU, 0, i));
	}
	dom->n_vcpus = n;
	dom->vcpus_max = (unsigned)n;
	dom->known |= XEN_DOM_HAVE_VCPUS_MAX;
}

static void ask_device(struct dom_read *r, enum field f, const char *kind,
		       unsigned devid, size_t index)
{
	const char *const *keys = f == F_VIF ? vif_keys : vbd_keys;
	char path[PATH_LEN];
	unsigned k;

	for (k = 0; k < N_DEV_KEYS; k++)
		ask(r, XS_READ, device_path(path, sizeof(path), kind, r->dom->domid,
					    devid, keys[k]), TAG(f, k, index));
}

static void got_vifs(struct dom_read *r, unsigned *ids, size_t n)
{
	struct xen_domain *dom = r->dom;
	size_t i;

	if (n == 0)
		return;
	dom->vifs = xen_calloc(n, sizeof(*dom->vifs));
	r->vif_checks = xen_calloc(n, 1);
	dom->n_vifs = n;
	for (i = 0; i < n; i++) {
		dom->vifs[i].devid = ids[i];
		dom->vifs[i].backend_domid = (int)TRUSTED_BACKEND_DOMID;
		dom->vifs[i].known |= XEN_DEV_HAVE_BACKEND_DOMID;
		ask_device(r, F_VIF, "vif", ids[i], i);
	}
}

/* Once every kind's directory is in: one vbd per backend, kinds in order. */
static void got_vbds(struct dom_read *r)
{
	struct xen_domain *dom = r->dom;
	size_t total = 0, i, k, n = 0;

	for (k = 0; k < 3; k++)
		total += r->n_vbd_ids[k];
	if (total == 0)
		return;
	dom->vbds = xen_calloc(total, sizeof(*dom->vbds));
	r->vbd_checks = xen_calloc(total, 1);
	dom->n_vbds = total;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < r->n_vbd_ids[k]; i++, n++) {
			struct xen_vbd *vbd = &dom->vbds[n];

			vbd->devid = r->vbd_ids[k][i];
			vbd->backend_domid = (int)TRUSTED_BACKEND_DOMID;
			vbd->known |= XEN_DEV_HAVE_BACKEND_DOMID;
			xen_bytes_set(&vbd->backend_type, vbd_kinds[k], strlen(vbd_kinds[k]));
			ask_device(r, F_VBD, vbd_kinds[k], vbd->devid, n);
		}
	}
}

/* A device node's reply: the cross-check, its state or one of its strings. */
static void got_device_node(struct dom_read *r, unsigned key, int devid,
			    const char *fe_type, uint8_t *check, int *state,
			    unsigned *known, struct xen_bytes *strings[4],
			    const char *v, unsigned len)
{
	char want[PATH_LEN];
	uint64_t u;

	if (!v)
		return;
	switch (key) {
	case K_FRONTEND_ID:
		if (parse_u64(v, len, &u) && u == r->dom->domid)
			*check |= CHECK_ID;
		break;
	case K_FRONTEND:
		if (mkpath(want, sizeof(want), "/local/domain/%u/device/%s/%d",
			   r->dom->domid, fe_type, devid) &&
		    strlen(want) == len && memcmp(v, want, len) == 0)
			*check |= CHECK_FRONTEND;
		break;
	case K_STATE:
		if (parse_u64(v, len, &u) && u <= 8) {
			*state = (int)u;
			*known |= XEN_DEV_HAVE_STATE;
		}
		break;
	default:
		xen_bytes_set(strings[key - K_STRINGS], v, len);
	}
}

static void on_reply(void *ctx, uint32_t tag, int err, char *v, unsigned len)
{
	struct dom_read *r = ctx;
	struct xen_domain *dom = r->dom;
	unsigned index = TAG_INDEX(tag), key = TAG_KEY(tag), *ids;
	char path[PATH_LEN];
	uint64_t u;
	size_t n;

	if (err && !node_error(err) && err != E2BIG) {
		if (!r->d->lost_errno)
			r->d->lost_errno = err;
		return;
	}
	if (err)
		v = NULL;
	switch (TAG_FIELD(tag)) {
	case F_NAME:
		if (v)
			xen_bytes_set(&dom->name, v, len);
		else	/* no name: gone, or still being built */
			ask(r, XS_DIRECTORY, mkpath(path, sizeof(path), "/local/domain/%u",
						    dom->domid), TAG(F_HOME, 0, 0));
		break;
	case F_HOME:
		r->gone = err && err != E2BIG;
		break;
	case F_VM:
		if (v && len > 4 && strncmp(v, "/vm/", 4) == 0 && !strstr(v, "..") &&
		    len < PATH_LEN - 32) {
			dom->vm_path = xen_strdup(v);
			ask(r, XS_READ, mkpath(path, sizeof(path), "%s/uuid", v),
			    TAG(F_UUID, 0, 0));
			ask(r, XS_READ, mkpath(path, sizeof(path), "%s/image/ostype", v),
			    TAG(F_OSTYPE, 0, 0));
			ask(r, XS_READ, mkpath(path, sizeof(path), "%s/start_time", v),
			    TAG(F_START_TIME, 0, 0));
		}
		break;
	case F_UUID:
		if (v && xen_parse_uuid(v, len, dom->uuid) == 0)
			dom->known |= XEN_DOM_HAVE_UUID;
		break;
	case F_OSTYPE:
		if (v)
			xen_bytes_set(&dom->os_type, v, len);
		break;
	case F_START_TIME:
		if (v && xen_parse_timestamp(v, len, &dom->start_time) == 0)
			dom->known |= XEN_DOM_HAVE_START_TIME;
		break;
	case F_MEM_TARGET:
		if (parse_u64(v, len, &u)) {
			dom->mem_target_kib = u;
			dom->known |= XEN_DOM_HAVE_MEM_TARGET;
		}
		break;
	case F_MEM_MAX:
		if (parse_u64(v, len, &u)) {
			dom->mem_max_kib = u;
			dom->known |= XEN_DOM_HAVE_MEM_MAX;
		}
		break;
	case F_CPUS:
		n = reply_ids(r, err, v, len, F_CPUS, 0, &ids);
		got_vcpus(r, ids, n);
		free(ids);
		break;
	case F_VCPU:
		if (v && (strcmp(v, "online") == 0 || strcmp(v, "offline") == 0)) {
			dom->vcpus[index].online = v[1] == 'n';
			dom->vcpus[index].known |= XEN_VCPU_HAVE_AVAILABILITY;
		}
		break;
	case F_VIFS:
		n = reply_ids(r, err, v, len, F_VIFS, 0, &ids);
		got_vifs(r, ids, n);
		free(ids);
		break;
	case F_VIF: {
		struct xen_vif *vif = &dom->vifs[index];
		struct xen_bytes *strings[4] = { &vif->mac, &vif->bridge, &vif->ifname, &vif->script };

		got_device_node(r, key, (int)vif->devid, "vif", &r->vif_checks[index],
				&vif->state, &vif->known, strings, v, len);
		break;
	}
	case F_VBDS:
		r->n_vbd_ids[index] = reply_ids(r, err, v, len, F_VBDS, index,
						&r->vbd_ids[index]);
		if (--r->vbd_lists == 0)
			got_vbds(r);
		break;
	case F_VBD: {
		struct xen_vbd *vbd = &dom->vbds[index];
		struct xen_bytes *strings[4] = { &vbd->dev, &vbd->params, &vbd->mode, &vbd->device_type };

		got_device_node(r, key, (int)vbd->devid, "vbd", &r->vbd_checks[index],
				&vbd->state, &vbd->known, strings, v, len);
		break;
	}
	}
}

/* Asks for one domain, whole or (quick) its name only. */
static void start_read(struct dom_read *r, struct xsd *d, uint32_t domid,
		       bool quick, const struct kind_sets *ks)
{
	char home[64], path[PATH_LEN];
	unsigned k;

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->ks = ks;
	r->dom = xen_domain_new(domid);
	r->dom->sources = XEN_SRC_XENSTORE;
	mkpath(home, sizeof(home), "/local/domain/%u", domid);
	ask(r, XS_READ, mkpath(path, sizeof(path), "%s/name", home), TAG(F_NAME, 0, 0));
	if (quick)
		return;
	ask(r, XS_READ, mkpath(path, sizeof(path), "%s/vm", home), TAG(F_VM, 0, 0));
	ask(r, XS_READ, mkpath(path, sizeof(path), "%s/memory/target", home),
	    TAG(F_MEM_TARGET, 0, 0));
	ask(r, XS_READ, mkpath(path, sizeof(path), "%s/memory/static-max", home),
	    TAG(F_MEM_MAX, 0, 0));
	ask(r, XS_DIRECTORY, own_dir(path, sizeof(path), F_CPUS, 0, domid), TAG(F_CPUS, 0, 0));
	if (may_have(ks, KIND_VIF, domid))
		ask(r, XS_DIRECTORY, own_dir(path, sizeof(path), F_VIFS, 0, domid),
		    TAG(F_VIFS, 0, 0));
	/* blkback's vbd, QEMU's qdisk and blktap3's vbd3 all serve a vbd */
	for (k = 0; k < 3; k++)
		if (may_have(ks, KIND_VBD0 + k, domid))
			r->vbd_lists++;
	for (k = 0; k < 3; k++)
		if (may_have(ks, KIND_VBD0 + k, domid))
			ask(r, XS_DIRECTORY, own_dir(path, sizeof(path), F_VBDS, k, domid),
			    TAG(F_VBDS, 0, k));
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

static void note_device_mismatch(struct xsd *d, const char *kind, uint32_t domid,
				 unsigned devid)
{
	char be[PATH_LEN];

	if (!d->lost_errno && device_path(be, sizeof(be), kind, domid, devid, NULL))
		note_mismatch(d, be);
}

/* Keeps the devices that passed the cross-check (and the first vbd of a devid). */
static void keep_checked(struct dom_read *r)
{
	struct xen_domain *dom = r->dom;
	size_t i, kept = 0;

	for (i = 0; i < dom->n_vifs; i++) {
		struct xen_vif vif = dom->vifs[i];

		if (r->vif_checks[i] != CHECKED) {
			note_device_mismatch(r->d, "vif", dom->domid, vif.devid);
			xen_vif_clear_strings(&vif);
			continue;
		}
		if (!xen_bytes_known(&vif.ifname)) {
			/* libxl's name for the backend netdev when none is set */
			char name[32];
			int len = snprintf(name, sizeof(name), "vif%u.%u", dom->domid, vif.devid);

			xen_bytes_set(&vif.ifname, name, (size_t)len);
		}
		dom->vifs[kept++] = vif;
	}
	dom->n_vifs = kept;

	for (i = kept = 0; i < dom->n_vbds; i++) {
		struct xen_vbd vbd = dom->vbds[i];
		bool dup = have_vbd(dom, kept, vbd.devid);

		if (dup || r->vbd_checks[i] != CHECKED) {
			/* backend_type is the kind of backend it was found under */
			if (!dup)
				note_device_mismatch(r->d, vbd.backend_type.data,
						     dom->domid, vbd.devid);
			xen_vbd_clear_strings(&vbd);
			continue;
		}
		dom->vbds[kept++] = vbd;
	}
	dom->n_vbds = kept;
	if (kept)
		qsort(dom->vbds, kept, sizeof(*dom->vbds), cmp_vbd);
}

/*
 * The domain read, once every reply is in: NULL when its home has
 * vanished (or on a lost connection, which d->lost_errno tells apart).
 */
static struct xen_domain *finish_read(struct dom_read *r)
{
	struct xen_domain *dom = r->dom;
	size_t i, online = 0, known = 0;
	unsigned k;

	if (!r->d->lost_errno && !r->gone) {
		for (i = 0; i < dom->n_vcpus; i++) {
			known += !!(dom->vcpus[i].known & XEN_VCPU_HAVE_AVAILABILITY);
			online += dom->vcpus[i].online;
		}
		if (dom->n_vcpus && known == dom->n_vcpus) {
			dom->vcpus_online = (unsigned)online;
			dom->known |= XEN_DOM_HAVE_VCPUS_ONLINE;
		}
		keep_checked(r);
	} else {
		xen_domain_unref(dom);
		dom = NULL;
	}
	free(r->vif_checks);
	free(r->vbd_checks);
	for (k = 0; k < 3; k++)
		free(r->vbd_ids[k]);
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

static void heard(void *ctx, uint32_t tag, int err, char *v, unsigned len)
{
	struct xsd *d = ctx;

	(void)tag, (void)v, (void)len;
	if (err && !node_error(err) && !d->lost_errno)
		d->lost_errno = err;
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
	int err;

	d->requests++;
	if (xs_pipe_queue(d->pipe, XS_GET_DOMAIN_PATH, "0", heard, d, 0) == 0 &&
	    (err = xs_pipe_run(d->pipe)) != 0 && !d->lost_errno)
		d->lost_errno = err;
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

/*
 * Domains asked for at once: enough to keep the pipe full across the
 * gaps where a domain's replies name its next nodes, and few enough that
 * what waits for them stays small.
 */
#define READ_BATCH 256

static int xsd_gather(void *priv, const struct xen_snapshot *prev,
			 const struct xen_dirty *dirty,
			 struct xen_snapshot *out, char *why, size_t why_len)
{
	struct xsd *d = priv;
	unsigned *ids;
	size_t n, i, j, k, paced = 0;
	uint64_t paced_requests = 0, requests_before = d->requests, now;
	char host[256];
	struct kind_sets kinds = { { NULL }, { 0 } };
	bool whole = (!prev || dirty->full) && !dirty->quick;
	struct xen_domain **got;
	struct dom_read *reads;
	int err;

	if (whole)
		list_kinds(d, &kinds);
	if (!prev || dirty->full || dirty->relist)
		/* ids from DOMID_FIRST_RESERVED up are no domains (DOMID_SELF...) */
		n = list_ids(d, "/local/domain", &ids, XEN_DOMID_FIRST_RESERVED);
	else
		n = prev_domids(prev, &ids);

	got = n ? xen_calloc(n, sizeof(*got)) : NULL;
	reads = xen_calloc(n < READ_BATCH ? n + 1 : READ_BATCH, sizeof(*reads));
	for (i = 0; i < n && !d->lost_errno;) {
		for (k = 0; i < n && k < READ_BATCH; i++) {
			const struct xen_domain *old = xen_snapshot_find(prev, ids[i]);

			if (old && !xen_dirty_has(dirty, ids[i])) {
				got[i] = xen_domain_ref((struct xen_domain *)old);
				continue;
			}
			start_read(&reads[k], d, ids[i], dirty->quick, whole ? &kinds : NULL);
			reads[k].slot = i;
			/* only change-driven re-reads count against the budget */
			reads[k++].reread = old && !dirty->full;
		}
		if ((err = xs_pipe_run(d->pipe)) != 0 && !d->lost_errno)
			d->lost_errno = err;
		now = now_ms();
		for (j = 0; j < k; j++) {
			got[reads[j].slot] = finish_read(&reads[j]);
			if (!dirty->quick)
				xen_pace_read(&d->pace, ids[reads[j].slot], now);
			if (reads[j].reread) {
				paced_requests += reads[j].requests;
				paced++;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (got[i] && (d->lost_errno || xen_snapshot_add_domain(out, got[i]) < 0))
			xen_domain_unref(got[i]);
	free(got);
	free(reads);
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
	xs_pipe_close(d->pipe);
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
		/* the connection for reads first: it tells whether the path
		 * can be reached at all, before libxenstore tries */
		d->pipe = xs_pipe_open(paths[i], i == VIA_DEVICE);
		if (!d->pipe) {
			err = errno;
			xen_log(d->log, XEN_LOG_INFO, "xenstore: %s %s: %s",
				via_name[i], paths[i], strerror(err));
			continue;
		}
		d->h = xs_open(i == VIA_RO_SOCKET ? XS_OPEN_READONLY : 0);
		if (!d->h) {
			err = errno;
			xs_pipe_close(d->pipe);
			d->pipe = NULL;
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
