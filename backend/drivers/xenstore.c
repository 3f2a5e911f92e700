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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>
#include <xenstore_lib.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"
#include "parse/xen_parse.h"

#define XSD_WATCH_TOKEN "xensnmp"
#define PATH_LEN 3072		/* XENSTORE_ABS_PATH_MAX */

struct xsd {
	struct xs_handle *h;
	struct xen_log_queue *log;
	uint64_t requests;
	int lost_errno;		/* non-zero once a request failed fatally */
};

static const char *const watched[] = {
	"@introduceDomain", "@releaseDomain", "/local/domain", "/vm",
};

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
	v = xs_read(d->h, XBT_NULL, path, len);
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
	v = xs_directory(d->h, XBT_NULL, path, num);
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
 * Lists the numeric children of path, sorted; other names are ignored
 * (a device or vCPU id is always a number). Returns the count.
 */
static size_t list_ids(struct xsd *d, const char *path, unsigned **ids)
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
		    v <= UINT32_MAX)
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

	n = list_ids(d, mkpath(path, sizeof(path), "%s/cpu", home), &ids);
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
 * The backend path a frontend names, checked to be a backend directory
 * (a guest must not make us read elsewhere); "" when absent or bogus.
 */
static void read_backend_path(struct xsd *d, const char *fe, char *be,
			      size_t be_len, int *backend_domid,
			      unsigned *known)
{
	char path[PATH_LEN];
	unsigned len;
	uint64_t id;
	char *v;

	be[0] = '\0';
	v = xsd_read(d, mkpath(path, sizeof(path), "%s/backend", fe), &len);
	if (v && len < be_len && strncmp(v, "/local/domain/", 14) == 0 &&
	    strstr(v, "/backend/") && !strstr(v, ".."))
		memcpy(be, v, len + 1);
	free(v);
	if (read_u64(d, mkpath(path, sizeof(path), "%s/backend-id", fe), &id) && id < 0x7FF0) {
		*backend_domid = (int)id;
		*known |= XEN_DEV_HAVE_BACKEND_DOMID;
	}
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

static void read_vifs(struct xsd *d, const char *home,
		      struct xen_domain *dom)
{
	char dir[PATH_LEN], fe[PATH_LEN], be[PATH_LEN], path[PATH_LEN];
	unsigned *ids;
	size_t n, i;

	n = list_ids(d, mkpath(dir, sizeof(dir), "%s/device/vif", home), &ids);
	if (n == 0 || !(dom->vifs = xen_calloc(n, sizeof(*dom->vifs)))) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		struct xen_vif *vif = &dom->vifs[i];

		vif->devid = ids[i];
		if (!mkpath(fe, sizeof(fe), "%s/%u", dir, ids[i]))
			continue;
		read_backend_path(d, fe, be, sizeof(be), &vif->backend_domid,
				  &vif->known);
		if (be[0]) {
			read_bytes(d, mkpath(path, sizeof(path), "%s/mac", be), &vif->mac);
			read_bytes(d, mkpath(path, sizeof(path), "%s/bridge", be), &vif->bridge);
			read_bytes(d, mkpath(path, sizeof(path), "%s/vifname", be), &vif->ifname);
			read_bytes(d, mkpath(path, sizeof(path), "%s/script", be), &vif->script);
			if (read_state(d, be, &vif->state))
				vif->known |= XEN_DEV_HAVE_STATE;
		}
		if (!xen_bytes_known(&vif->mac)) {
			read_bytes(d, mkpath(path, sizeof(path), "%s/mac", fe), &vif->mac);
		}
		if (!xen_bytes_known(&vif->ifname) && be[0]) {
			/* libxl's name for the backend netdev when none is set */
			char name[32];
			int len = snprintf(name, sizeof(name), "vif%u.%u",
					   dom->domid, ids[i]);

			xen_bytes_set(&vif->ifname, name, (size_t)len);
		}
	}
	dom->n_vifs = n;
	free(ids);
}

static void read_vbds(struct xsd *d, const char *home,
		      struct xen_domain *dom)
{
	char dir[PATH_LEN], fe[PATH_LEN], be[PATH_LEN], path[PATH_LEN];
	unsigned *ids;
	size_t n, i;

	n = list_ids(d, mkpath(dir, sizeof(dir), "%s/device/vbd", home), &ids);
	if (n == 0 || !(dom->vbds = xen_calloc(n, sizeof(*dom->vbds)))) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		struct xen_vbd *vbd = &dom->vbds[i];

		vbd->devid = ids[i];
		if (!mkpath(fe, sizeof(fe), "%s/%u", dir, ids[i]))
			continue;
		read_backend_path(d, fe, be, sizeof(be), &vbd->backend_domid,
				  &vbd->known);
		if (be[0]) {
			/* backend type: the path component after "/backend/" */
			const char *type = strstr(be, "/backend/") + 9;
			const char *slash = strchr(type, '/');

			if (slash)
				xen_bytes_set(&vbd->backend_type, type,
					      (size_t)(slash - type));
			read_bytes(d, mkpath(path, sizeof(path), "%s/dev", be), &vbd->dev);
			read_bytes(d, mkpath(path, sizeof(path), "%s/params", be), &vbd->params);
			read_bytes(d, mkpath(path, sizeof(path), "%s/mode", be), &vbd->mode);
			read_bytes(d, mkpath(path, sizeof(path), "%s/device-type", be), &vbd->device_type);
			if (read_state(d, be, &vbd->state))
				vbd->known |= XEN_DEV_HAVE_STATE;
		}
		if (!xen_bytes_known(&vbd->device_type)) {
			read_bytes(d, mkpath(path, sizeof(path), "%s/device-type", fe), &vbd->device_type);
		}
	}
	dom->n_vbds = n;
	free(ids);
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
 * Reads one domain. Returns NULL when it has vanished (or on a lost
 * connection, which d->lost_errno tells apart).
 */
static struct xen_domain *read_domain(struct xsd *d, uint32_t domid)
{
	char home[64], path[PATH_LEN];
	struct xen_domain *dom;
	unsigned len;
	uint64_t kib;
	char *v;

	mkpath(home, sizeof(home), "/local/domain/%u", domid);
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
	read_vifs(d, home, dom);
	read_vbds(d, home, dom);

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

static int xsd_gather(void *priv, const struct xen_snapshot *prev,
			 const struct xen_dirty *dirty,
			 struct xen_snapshot *out, char *why, size_t why_len)
{
	struct xsd *d = priv;
	unsigned *ids;
	size_t n, i;
	char host[256];

	if (!prev || dirty->full || dirty->relist)
		n = list_ids(d, "/local/domain", &ids);
	else
		n = prev_domids(prev, &ids);

	for (i = 0; i < n && !d->lost_errno; i++) {
		const struct xen_domain *old = xen_snapshot_find(prev, ids[i]);
		struct xen_domain *dom;

		if (old && !xen_dirty_has(dirty, ids[i]))
			dom = xen_domain_ref((struct xen_domain *)old);
		else
			dom = read_domain(d, ids[i]);
		if (dom && xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
	}
	free(ids);
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

/*
 * Maps a watch event to what must be re-read: the domain list for the
 * special watches and the top directories, one domain for a path inside
 * a domain's home or inside dom0's backend directory for that domain.
 */
static void note_event(const struct xen_snapshot *view, const char *path,
		       struct xen_dirty *dirty)
{
	const char *rest;
	uint32_t domid, fe;
	size_t i;

	if (path[0] == '@' || strcmp(path, "/local/domain") == 0 ||
	    strcmp(path, "/vm") == 0) {
		dirty->relist = true;
		return;
	}
	if (xen_path_domid(path, "/local/domain", &domid, &rest)) {
		if (rest[0] == '\0') {
			dirty->relist = true;	/* a home appeared or went */
			return;
		}
		if (strncmp(rest, "/backend/", 9) == 0) {
			const char *kind = rest + 9, *slash = strchr(kind, '/');
			char prefix[PATH_LEN];

			if (slash) {
				if (mkpath(prefix, sizeof(prefix),
					   "/local/domain/%u/backend/%.*s",
					   domid, (int)(slash - kind), kind) &&
				    xen_path_domid(path, prefix, &fe, NULL)) {
					xen_dirty_add(dirty, fe);
					return;
				}
			}
		}
		xen_dirty_add(dirty, domid);
		return;
	}
	if (strncmp(path, "/vm/", 4) == 0 && view) {
		for (i = 0; i < view->n_domains; i++) {
			const struct xen_domain *dom = view->domains[i];
			size_t len = dom->vm_path ? strlen(dom->vm_path) : 0;

			if (len && strncmp(path, dom->vm_path, len) == 0 &&
			    (path[len] == '\0' || path[len] == '/')) {
				xen_dirty_add(dirty, dom->domid);
				return;
			}
		}
	}
}

static int xsd_read_events(void *priv, const struct xen_snapshot *view,
			      struct xen_dirty *dirty)
{
	struct xsd *d = priv;
	char **ev;

	while ((ev = xs_check_watch(d->h)) != NULL) {
		note_event(view, ev[XS_WATCH_PATH], dirty);
		free(ev);
	}
	if (errno != EAGAIN) {
		d->lost_errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

static int xsd_event_fd(void *priv)
{
	struct xsd *d = priv;

	return xs_fileno(d->h);
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

	if (!d)
		return;
	xs_close(d->h);
	free(d);
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
};
