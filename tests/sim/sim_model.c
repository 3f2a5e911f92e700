#include "sim_model.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOM_PATH_MAX 256

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int parse_domid(const char *s, unsigned *id)
{
	unsigned long long v;

	if (parse_uint(s, SIM_MAX_DOMID - 1, &v))
		return -1;
	*id = (unsigned)v;
	return 0;
}

/* splits "key=value"; returns the value or NULL */
static const char *kv(const char *arg, char *key, size_t keylen)
{
	const char *eq = strchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= keylen)
		return NULL;
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	return eq + 1;
}

static void wr(struct sim_model *m, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wr(struct sim_model *m, const char *value, const char *fmt, ...)
{
	char path[DOM_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	store_write(m->store, path, value, strlen(value));
}

static void rm(struct sim_model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rm(struct sim_model *m, const char *fmt, ...)
{
	char path[DOM_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	store_rm(m->store, path);
}

/* the domain's /vm/<uuid> path, or "" (dom0 under libxl has none) */
static void vm_path(struct sim_model *m, unsigned id, char *out, size_t size)
{
	struct sim_node *n = store_lookupf(m->store, "/local/domain/%u/vm", id);

	if (n && n->len < size && n->len > 0) {
		memcpy(out, n->value, n->len);
		out[n->len] = '\0';
	} else {
		out[0] = '\0';
	}
}

static int domain_exists(struct sim_model *m, unsigned id)
{
	return store_lookupf(m->store, "/local/domain/%u", id) != NULL;
}

static void write_vcpus(struct sim_model *m, unsigned id, unsigned vcpus, unsigned online)
{
	unsigned i;

	rm(m, "/local/domain/%u/cpu", id);
	for (i = 0; i < vcpus; i++)
		wr(m, i < online ? "online" : "offline", "/local/domain/%u/cpu/%u/availability", id, i);
}

static const char *const domain_keys[] = {
	"name", "uuid", "ostype", "start_time", "mem_target_kib", "mem_max_kib", "vcpus",
	"vcpus_online", "state", "cpu_time_ns", "mem_current_kib", NULL,
};

static int known_key(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return 1;
	return 0;
}

/* shut down (for any reason) or crashed: what xenstored tells of */
static bool is_down(const char *state)
{
	return strcmp(state, "shutdown") == 0 || strcmp(state, "rebooting") == 0 ||
	       strcmp(state, "crashed") == 0;
}

/* applies key=value settings to a domain that exists (or is being made) */
static int domain_apply(struct sim_model *m, unsigned id, int argc, char **argv,
			char *err, size_t errlen)
{
	struct sim_domain *d = &m->domains[id];
	long long vcpus = -1, online = -1;
	char key[32], vm[DOM_PATH_MAX];
	const char *val;
	int i;

	for (i = 0; i < argc; i++) {
		if (!(val = kv(argv[i], key, sizeof(key))) || !known_key(key, domain_keys))
			return fail(err, errlen, "bad domain setting '%s'", argv[i]);
	}
	vm_path(m, id, vm, sizeof(vm));
	for (i = 0; i < argc; i++) {
		unsigned long long n;

		val = kv(argv[i], key, sizeof(key));
		if (strcmp(key, "name") == 0) {
			wr(m, val, "/local/domain/%u/name", id);
			if (vm[0])
				wr(m, val, "%s/name", vm);
		} else if (strcmp(key, "ostype") == 0 && vm[0]) {
			wr(m, val, "%s/image/ostype", vm);
		} else if (strcmp(key, "start_time") == 0 && vm[0]) {
			wr(m, val, "%s/start_time", vm);
		} else if (strcmp(key, "mem_target_kib") == 0) {
			wr(m, val, "/local/domain/%u/memory/target", id);
		} else if (strcmp(key, "mem_max_kib") == 0) {
			wr(m, val, "/local/domain/%u/memory/static-max", id);
		} else if (strcmp(key, "vcpus") == 0 || strcmp(key, "vcpus_online") == 0) {
			if (parse_uint(val, 4096, &n))
				return fail(err, errlen, "bad %s '%s'", key, val);
			*(key[5] == '\0' ? &vcpus : &online) = (long long)n;
		} else if (strcmp(key, "state") == 0) {
			bool was_down = is_down(d->state);

			snprintf(d->state, sizeof(d->state), "%s", val);
			/* as xenstored, which tells @releaseDomain watchers when it
			 * first sees a domain shut down or crashed */
			if (!was_down && m->xs && is_down(val))
				sim_xs_fire_special(m->xs, "@releaseDomain");
		} else if (strcmp(key, "cpu_time_ns") == 0 || strcmp(key, "mem_current_kib") == 0) {
			if (parse_uint(val, UINT64_MAX, &n))
				return fail(err, errlen, "bad %s '%s'", key, val);
			*(key[0] == 'c' ? &d->cpu_time_ns : &d->mem_current_kib) = n;
		}
		/* uuid is fixed when the domain is made */
	}
	if (vcpus >= 0 || online >= 0) {
		if (vcpus < 0)
			vcpus = d->vcpus;
		if (online < 0)
			online = vcpus;
		if (online > vcpus)
			return fail(err, errlen, "vcpus_online > vcpus");
		d->vcpus = (unsigned)vcpus;
		d->vcpus_online = (unsigned)online;
		/* libxl writes cpu/ for guests only; dom0's vCPUs are the hypervisor's to tell */
		if (id != 0)
			write_vcpus(m, id, (unsigned)vcpus, (unsigned)online);
	}
	return 0;
}

static int cmd_add(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	char key[32], uuid[64] = "", idstr[16];
	const char *val;
	unsigned id;
	int i;

	if (argc < 2 || parse_domid(argv[1], &id))
		return fail(err, errlen, "usage: add DOMID key=value...");
	if (domain_exists(m, id))
		return fail(err, errlen, "domain %u exists", id);
	for (i = 2; i < argc; i++)
		if ((val = kv(argv[i], key, sizeof(key))) && strcmp(key, "uuid") == 0)
			snprintf(uuid, sizeof(uuid), "%s", val);
	/* libxl gives every guest a /vm/<uuid>; dom0 has none */
	if (!uuid[0] && id != 0)
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x", id);
	memset(&m->domains[id], 0, sizeof(m->domains[id]));
	m->domains[id].exists = 1;
	snprintf(m->domains[id].state, sizeof(m->domains[id].state), "running");
	if (uuid[0]) {
		wr(m, uuid, "/vm/%s/uuid", uuid);
		wr(m, "", "/vm/%s/name", uuid);
	}
	wr(m, "", "/local/domain/%u/name", id);
	snprintf(idstr, sizeof(idstr), "%u", id);
	wr(m, idstr, "/local/domain/%u/domid", id);
	if (uuid[0]) {
		char vm[DOM_PATH_MAX];

		snprintf(vm, sizeof(vm), "/vm/%s", uuid);
		wr(m, vm, "/local/domain/%u/vm", id);
		wr(m, "", "/local/domain/%u/control/shutdown", id);
	}
	if (domain_apply(m, id, argc - 2, argv + 2, err, errlen)) {
		char *rmv[] = { "remove", argv[1] };
		char dummy[8];

		model_command(m, 2, rmv, dummy, sizeof(dummy));
		return -1;
	}
	if (m->xs)
		sim_xs_fire_special(m->xs, "@introduceDomain");
	return 0;
}

static int cmd_remove(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	static const char *const kinds[] = { "vif", "vbd", "qdisk", "tap", NULL };
	char vm[DOM_PATH_MAX];
	unsigned id;
	int i;

	if (argc != 2 || parse_domid(argv[1], &id))
		return fail(err, errlen, "usage: remove DOMID");
	if (!domain_exists(m, id))
		return fail(err, errlen, "no domain %u", id);
	vm_path(m, id, vm, sizeof(vm));
	for (i = 0; kinds[i]; i++)
		rm(m, "/local/domain/0/backend/%s/%u", kinds[i], id);
	rm(m, "/local/domain/%u", id);
	if (vm[0])
		rm(m, "%s", vm);
	m->domains[id].exists = 0;
	if (m->xs)
		sim_xs_fire_special(m->xs, "@releaseDomain");
	return 0;
}

static int cmd_set(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	unsigned id;

	if (argc < 3 || parse_domid(argv[1], &id))
		return fail(err, errlen, "usage: set DOMID key=value...");
	if (!domain_exists(m, id))
		return fail(err, errlen, "no domain %u", id);
	return domain_apply(m, id, argc - 2, argv + 2, err, errlen);
}

/* vif / vbd DOMID DEVID key=value...: frontend and dom0 backend as libxl writes them */
static int cmd_device(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	static const char *const vif_keys[] = { "mac", "bridge", "vifname", "script", "state", NULL };
	static const char *const vbd_keys[] = {
		"dev", "params", "mode", "type", "device_type", "backend", "state", NULL,
	};
	int is_vif = strcmp(argv[0], "vif") == 0;
	const char *kind = argv[0], *state = "4", *val;
	char key[32], fe[DOM_PATH_MAX], be[DOM_PATH_MAX], idstr[16];
	unsigned long long devid;
	unsigned id;
	int i;

	if (argc < 3 || parse_domid(argv[1], &id) || parse_uint(argv[2], 0x7fffffff, &devid))
		return fail(err, errlen, "usage: %s DOMID DEVID key=value...", argv[0]);
	if (!domain_exists(m, id))
		return fail(err, errlen, "no domain %u", id);
	for (i = 3; i < argc; i++) {
		if (!(val = kv(argv[i], key, sizeof(key))) ||
		    !known_key(key, is_vif ? vif_keys : vbd_keys))
			return fail(err, errlen, "bad %s setting '%s'", argv[0], argv[i]);
		if (strcmp(key, "backend") == 0)
			kind = val;
		if (strcmp(key, "state") == 0)
			state = val;
	}
	if (!*kind || strspn(kind, "abcdefghijklmnopqrstuvwxyz") != strlen(kind))
		return fail(err, errlen, "bad backend kind '%s'", kind);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%llu", id, is_vif ? "vif" : "vbd", devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%llu", kind, id, devid);
	snprintf(idstr, sizeof(idstr), "%u", id);

	wr(m, fe, "%s/frontend", be);
	wr(m, idstr, "%s/frontend-id", be);
	wr(m, "1", "%s/online", be);
	wr(m, state, "%s/state", be);
	wr(m, be, "%s/backend", fe);
	wr(m, "0", "%s/backend-id", fe);
	wr(m, state, "%s/state", fe);
	if (is_vif) {
		snprintf(idstr, sizeof(idstr), "%llu", devid);
		wr(m, idstr, "%s/handle", fe);
		wr(m, idstr, "%s/handle", be);
		wr(m, "vif", "%s/type", be);
		wr(m, "connected", "%s/hotplug-status", be);
	} else {
		snprintf(idstr, sizeof(idstr), "%llu", devid);
		wr(m, idstr, "%s/virtual-device", fe);
		wr(m, "0", "%s/removable", be);
		wr(m, "1", "%s/bootable", be);
	}
	for (i = 3; i < argc; i++) {
		val = kv(argv[i], key, sizeof(key));
		if (strcmp(key, "backend") == 0 || strcmp(key, "state") == 0)
			continue;
		if (strcmp(key, "device_type") == 0) {
			wr(m, val, "%s/device-type", be);
			wr(m, val, "%s/device-type", fe);
			continue;
		}
		wr(m, val, "%s/%s", be, key);
		if (strcmp(key, "mac") == 0)	/* libxl writes the MAC on both sides */
			wr(m, val, "%s/mac", fe);
	}
	return 0;
}

static int cmd_host(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	struct sim_host *h = &m->host;
	char key[32];
	const char *val;
	int i;

	for (i = 1; i < argc; i++) {
		unsigned long long n = 0;

		if (!(val = kv(argv[i], key, sizeof(key))))
			return fail(err, errlen, "bad host setting '%s'", argv[i]);
		if (strcmp(key, "name") == 0) {
			snprintf(h->name, sizeof(h->name), "%s", val);
			continue;
		}
		if (strcmp(key, "xen_version") == 0) {
			snprintf(h->xen_version, sizeof(h->xen_version), "%s", val);
			continue;
		}
		if (parse_uint(val, UINT64_MAX, &n))
			return fail(err, errlen, "bad number in '%s'", argv[i]);
		if (strcmp(key, "cpus") == 0)
			h->cpus = (unsigned)n;
		else if (strcmp(key, "cpu_mhz") == 0)
			h->cpu_mhz = (unsigned)n;
		else if (strcmp(key, "total_mem_kib") == 0)
			h->total_mem_kib = n;
		else if (strcmp(key, "free_mem_kib") == 0)
			h->free_mem_kib = n;
		else
			return fail(err, errlen, "unknown host setting '%s'", key);
	}
	return 0;
}

/* managed UUID key=value...: a domain xend knows while it is not running */
static int cmd_managed(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	struct sim_managed *d = NULL, tmp;
	char key[32];
	const char *val;
	size_t i;
	int a;

	if (argc < 2 || strlen(argv[1]) != 36)
		return fail(err, errlen, "usage: managed UUID key=value...");
	for (i = 0; i < m->n_managed; i++)
		if (strcmp(m->managed[i].uuid, argv[1]) == 0)
			d = &m->managed[i];
	if (d) {
		tmp = *d;
	} else {
		memset(&tmp, 0, sizeof(tmp));
		snprintf(tmp.uuid, sizeof(tmp.uuid), "%s", argv[1]);
		tmp.vcpus = 1;
		tmp.mem_kib = tmp.mem_max_kib = 262144;
	}
	for (a = 2; a < argc; a++) {
		unsigned long long n = 0;

		if (!(val = kv(argv[a], key, sizeof(key))))
			return fail(err, errlen, "bad managed setting '%s'", argv[a]);
		if (strcmp(key, "name") == 0) {
			snprintf(tmp.name, sizeof(tmp.name), "%s", val);
			continue;
		}
		if (parse_uint(val, UINT64_MAX, &n))
			return fail(err, errlen, "bad number in '%s'", argv[a]);
		if (strcmp(key, "mem_kib") == 0)
			tmp.mem_kib = n;
		else if (strcmp(key, "mem_max_kib") == 0)
			tmp.mem_max_kib = n;
		else if (strcmp(key, "vcpus") == 0 && n <= 4096)
			tmp.vcpus = (unsigned)n;
		else if (strcmp(key, "suspended") == 0 && n <= 1)
			tmp.suspended = n == 1;
		else
			return fail(err, errlen, "bad managed setting '%s'", argv[a]);
	}
	if (!d) {
		struct sim_managed *grown = realloc(m->managed, (m->n_managed + 1) * sizeof(*grown));

		if (!grown)
			return fail(err, errlen, "out of memory");
		m->managed = grown;
		d = &m->managed[m->n_managed++];
	}
	*d = tmp;
	return 0;
}

static int cmd_unmanage(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	size_t i;

	if (argc != 2)
		return fail(err, errlen, "usage: unmanage UUID");
	for (i = 0; i < m->n_managed; i++) {
		if (strcmp(m->managed[i].uuid, argv[1]) == 0) {
			m->managed[i] = m->managed[--m->n_managed];
			return 0;
		}
	}
	return fail(err, errlen, "no managed domain %s", argv[1]);
}

/*
 * The subtrees of its home a guest may write: libxl creates them with the
 * guest's rwperm (libxl_create.c; device/ frontends in libxl_device.c).
 * Everything else in the home is dom0's, read-only to the guest.
 */
int model_guest_writable(const char *rel)
{
	static const char *const writable[] = {
		"device", "data", "drivers", "feature", "attr", "error", "control", NULL,
	};
	const char *const *w;

	for (w = writable; *w; w++) {
		size_t len = strlen(*w);

		if (strncmp(rel, *w, len) == 0 && (rel[len] == '\0' || rel[len] == '/'))
			return 1;
	}
	return 0;
}

/* guest-write DOMID RELPATH VALUE: a write the guest itself could make */
static int cmd_guest_write(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	char path[DOM_PATH_MAX];
	unsigned id;
	int rc;

	if (argc != 4 || parse_domid(argv[1], &id))
		return fail(err, errlen, "usage: guest-write DOMID RELPATH VALUE");
	if (!domain_exists(m, id))
		return fail(err, errlen, "no domain %u", id);
	if (!model_guest_writable(argv[2]))
		return fail(err, errlen, "guest-write %s: %s", argv[2], strerror(EACCES));
	snprintf(path, sizeof(path), "/local/domain/%u/%s", id, argv[2]);
	rc = store_write(m->store, path, argv[3], strlen(argv[3]));
	return rc ? fail(err, errlen, "guest-write %s: %s", path, strerror(rc)) : 0;
}

/* a node's value as text, or "" */
static void node_text(struct sim_model *m, char *out, size_t size, const char *fmt, unsigned id)
	__attribute__((format(printf, 4, 0)));

static void node_text(struct sim_model *m, char *out, size_t size, const char *fmt, unsigned id)
{
	struct sim_node *n = store_lookupf(m->store, fmt, id);

	out[0] = '\0';
	if (n && n->len < size) {
		memcpy(out, n->value, n->len);
		out[n->len] = '\0';
	}
}

/*
 * reboot: the guest asked to reboot, and the toolstack (xl's per-domain
 * daemon) destroys it and builds it again from its configuration under a
 * new domid, the next one up as Xen hands them out: same UUID, name,
 * memory and vCPUs, a new start time.
 */
static int toolstack_reboot(struct sim_model *m, unsigned id, char *err, size_t errlen)
{
	char name[128], uuid[64], ostype[64], target[32], max[32], sid[16], vm[DOM_PATH_MAX];
	char a_name[160], a_uuid[80], a_ostype[80], a_target[64], a_max[64], a_vcpus[32],
	     a_online[32], a_start[64];
	const struct sim_domain *d = &m->domains[id];
	unsigned vcpus = d->vcpus, online = d->vcpus_online, next = id, i;
	char *rmv[] = { "remove", sid };
	char *add[10];
	int n = 0;

	vm_path(m, id, vm, sizeof(vm));
	node_text(m, name, sizeof(name), "/local/domain/%u/name", id);
	snprintf(uuid, sizeof(uuid), "%.40s", vm[0] ? vm + strlen("/vm/") : "");
	ostype[0] = '\0';
	if (vm[0]) {
		struct sim_node *o = store_lookupf(m->store, "%s/image/ostype", vm);

		if (o && o->len < sizeof(ostype)) {
			memcpy(ostype, o->value, o->len);
			ostype[o->len] = '\0';
		}
	}
	node_text(m, target, sizeof(target), "/local/domain/%u/memory/target", id);
	node_text(m, max, sizeof(max), "/local/domain/%u/memory/static-max", id);
	for (i = 1; i < SIM_MAX_DOMID; i++) {
		unsigned c = (id + i) % SIM_MAX_DOMID;

		if (c && !domain_exists(m, c)) {
			next = c;
			break;
		}
	}
	if (next == id)
		return fail(err, errlen, "no free domid");
	snprintf(sid, sizeof(sid), "%u", id);
	if (model_command(m, 2, rmv, err, errlen))
		return -1;
	snprintf(sid, sizeof(sid), "%u", next);
	add[n++] = "add";
	add[n++] = sid;
	snprintf(a_name, sizeof(a_name), "name=%s", name);
	add[n++] = a_name;
	if (uuid[0]) {
		snprintf(a_uuid, sizeof(a_uuid), "uuid=%s", uuid);
		add[n++] = a_uuid;
	}
	if (ostype[0]) {
		snprintf(a_ostype, sizeof(a_ostype), "ostype=%s", ostype);
		add[n++] = a_ostype;
	}
	if (target[0]) {
		snprintf(a_target, sizeof(a_target), "mem_target_kib=%s", target);
		add[n++] = a_target;
	}
	if (max[0]) {
		snprintf(a_max, sizeof(a_max), "mem_max_kib=%s", max);
		add[n++] = a_max;
	}
	snprintf(a_vcpus, sizeof(a_vcpus), "vcpus=%u", vcpus ? vcpus : 1);
	add[n++] = a_vcpus;
	snprintf(a_online, sizeof(a_online), "vcpus_online=%u", vcpus ? online : 1);
	add[n++] = a_online;
	snprintf(a_start, sizeof(a_start), "start_time=%lld.00", (long long)time(NULL));
	add[n++] = a_start;
	return model_command(m, n, add, err, errlen);
}

int model_toolstack(struct sim_model *m, const char *op, unsigned id, unsigned long long value,
		    char *err, size_t errlen)
{
	struct sim_domain *d;
	char sid[16], arg[64];
	char *cmd[] = { "set", sid, arg };

	if (id >= SIM_MAX_DOMID || !domain_exists(m, id))
		return fail(err, errlen, "no domain %u", id);
	d = &m->domains[id];
	snprintf(sid, sizeof(sid), "%u", id);
	if (strcmp(op, "pause") == 0 || strcmp(op, "unpause") == 0) {
		snprintf(arg, sizeof(arg), "state=%s", op[0] == 'p' ? "paused" : "running");
		return model_command(m, 3, cmd, err, errlen);
	}
	if (strcmp(op, "shutdown") == 0 || strcmp(op, "reboot") == 0) {
		char *rmv[] = { "remove", sid };

		/* what libxl writes for the guest to read */
		wr(m, op[0] == 's' ? "poweroff" : "reboot", "/local/domain/%u/control/shutdown", id);
		/* the guest complies; the toolstack destroys it (on_poweroff=destroy) */
		if (op[0] == 's')
			return model_command(m, 2, rmv, err, errlen);
		return toolstack_reboot(m, id, err, errlen);
	}
	if (strcmp(op, "destroy") == 0) {
		char *rmv[] = { "remove", sid };

		return model_command(m, 2, rmv, err, errlen);
	}
	if (strcmp(op, "mem") == 0) {
		int rc;

		snprintf(arg, sizeof(arg), "mem_target_kib=%llu", value);
		rc = model_command(m, 3, cmd, err, errlen);
		if (!rc)
			d->mem_current_kib = value;	/* the balloon reaches it at once */
		return rc;
	}
	if (strcmp(op, "vcpus") == 0) {
		if (!value || value > d->vcpus)
			return fail(err, errlen, "vcpus %llu out of 1..%u", value, d->vcpus);
		snprintf(arg, sizeof(arg), "vcpus_online=%llu", value);
		return model_command(m, 3, cmd, err, errlen);
	}
	return fail(err, errlen, "unknown toolstack operation '%s'", op);
}

int model_command(struct sim_model *m, int argc, char **argv, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	if (argc < 1)
		return fail(err, errlen, "empty command");
	if (strcmp(argv[0], "host") == 0)
		return cmd_host(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "domain") == 0 || strcmp(argv[0], "add") == 0)
		return cmd_add(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "remove") == 0)
		return cmd_remove(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "managed") == 0)
		return cmd_managed(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "unmanage") == 0)
		return cmd_unmanage(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "set") == 0)
		return cmd_set(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "vif") == 0 || strcmp(argv[0], "vbd") == 0)
		return cmd_device(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "guest-write") == 0)
		return cmd_guest_write(m, argc, argv, err, errlen);
	if (strcmp(argv[0], "write") == 0) {
		if (argc != 3)
			return fail(err, errlen, "usage: write PATH VALUE");
		rc = store_write(m->store, argv[1], argv[2], strlen(argv[2]));
		return rc ? fail(err, errlen, "write %s: %s", argv[1], strerror(rc)) : 0;
	}
	if (strcmp(argv[0], "rm") == 0) {
		if (argc != 2)
			return fail(err, errlen, "usage: rm PATH");
		rc = store_rm(m->store, argv[1]);
		return rc ? fail(err, errlen, "rm %s: %s", argv[1], strerror(rc)) : 0;
	}
	return fail(err, errlen, "unknown command '%s'", argv[0]);
}

int model_load_scenario(struct sim_model *m, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[8192], err[256];
	unsigned lineno = 0;

	if (!f) {
		fprintf(stderr, "xensimd: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *argv[64], *p = line, *save = NULL;
		int argc = 0;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (!*p || *p == '#')
			continue;
		if (strncmp(p, "write ", 6) == 0) {
			/* the value is the rest of the line, spaces and all */
			char *path = p + 6 + strspn(p + 6, " \t"), *sp = strpbrk(path, " \t");

			argv[argc++] = "write";
			argv[argc++] = path;
			argv[argc++] = sp ? sp + 1 : "";
			if (sp)
				*sp = '\0';
		} else {
			for (p = strtok_r(p, " \t", &save); p && argc < 64; p = strtok_r(NULL, " \t", &save))
				argv[argc++] = p;
		}
		if (model_command(m, argc, argv, err, sizeof(err))) {
			fprintf(stderr, "xensimd: %s:%u: %s\n", file, lineno, err);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int model_generate(struct sim_model *m, unsigned n)
{
	unsigned id = 1, made = 0;
	char err[256];

	if (!domain_exists(m, 0)) {
		char *dom0[] = { "add", "0", "name=Domain-0", "mem_target_kib=1048576",
				 "mem_max_kib=1048576", "vcpus=2" };

		if (model_command(m, 6, dom0, err, sizeof(err)))
			return -1;
	}
	for (; made < n && id < SIM_MAX_DOMID; id++) {
		char sid[16], name[32], uuid[64], mac[32], params[64];
		char *add[] = { "add", sid, name, uuid, "ostype=linux", "start_time=1700000000.00",
				"mem_target_kib=524288", "mem_max_kib=1048576", "vcpus=2",
				"state=running" };
		char *vif[] = { "vif", sid, "0", mac, "bridge=xenbr0", "script=vif-bridge" };
		char *vbd[] = { "vbd", sid, "51712", "dev=xvda", params, "mode=w", "type=phy",
				"device_type=disk" };

		if (domain_exists(m, id))
			continue;
		snprintf(sid, sizeof(sid), "%u", id);
		snprintf(name, sizeof(name), "name=guest%u", id);
		snprintf(uuid, sizeof(uuid), "uuid=6a1e0000-0000-4000-8000-%012x", id);
		snprintf(mac, sizeof(mac), "mac=00:16:3e:%02x:%02x:%02x", (id >> 16) & 0xff,
			 (id >> 8) & 0xff, id & 0xff);
		snprintf(params, sizeof(params), "params=/dev/vg0/guest%u", id);
		if (model_command(m, 10, add, err, sizeof(err)) ||
		    model_command(m, 6, vif, err, sizeof(err)) ||
		    model_command(m, 8, vbd, err, sizeof(err))) {
			fprintf(stderr, "xensimd: generating domain %u: %s\n", id, err);
			return -1;
		}
		made++;
	}
	return made == n ? 0 : -1;
}

unsigned model_domain_count(const struct sim_model *m)
{
	unsigned i, n = 0;

	for (i = 0; i < SIM_MAX_DOMID; i++)
		n += m->domains[i].exists != 0;
	return n;
}

struct sim_model *model_new(struct sim_store *store)
{
	struct sim_model *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->store = store;
	m->domains = calloc(SIM_MAX_DOMID, sizeof(*m->domains));
	if (!m->domains)
		abort();
	snprintf(m->host.name, sizeof(m->host.name), "xenhost");
	snprintf(m->host.xen_version, sizeof(m->host.xen_version), "4.17.7");
	store_write(store, "/local/domain", "", 0);
	store_write(store, "/vm", "", 0);
	store_write(store, "/tool/xenstored", "", 0);
	return m;
}

void model_free(struct sim_model *m)
{
	if (!m)
		return;
	free(m->domains);
	free(m->managed);
	free(m);
}
