/* xend's SXP replies mapped onto snapshot rows (see xend_sxp.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/sxp.h"
#include "parse/xen_parse.h"
#include "parse/xend_sxp.h"

#define DOMID_MAX_KEY (XEN_DOMID_SHUTOFF_BASE + XEN_DOMID_SHUTOFF_SPAN - 1)

static struct sxp_doc *parse_body(const char *buf, size_t len, char *why,
				  size_t why_len)
{
	struct sxp_error err;
	struct sxp_doc *doc = sxp_parse(buf, len, NULL, &err);

	if (!doc)
		snprintf(why, why_len, "malformed SXP at offset %zu: %s",
			 err.offset, err.msg);
	return doc;
}

/* An unsigned number; Python 2 may print a long with a trailing 'L'. */
static bool get_u64(const struct sxp *list, const char *name, uint64_t *out)
{
	size_t len;
	const char *v = sxp_value(list, name, &len);

	if (v && len > 1 && v[len - 1] == 'L')
		len--;
	return v && xen_parse_u64(v, len, out) == 0;
}

/* MiB as xend writes memory sizes, into KiB. */
static bool get_mib(const struct sxp *list, const char *name, uint64_t *kib)
{
	uint64_t mib;

	if (!get_u64(list, name, &mib) || mib > (UINT64_MAX >> 10))
		return false;
	*kib = mib << 10;
	return true;
}

static bool get_bytes(const struct sxp *list, const char *name,
		      struct xen_bytes *b)
{
	size_t len;
	const char *v = sxp_value(list, name, &len);

	return v && xen_bytes_set(b, v, len) == 0;
}

/* Seconds with an optional fraction ("137.189121425") into ns. */
static bool get_seconds_ns(const struct sxp *list, const char *name,
			   uint64_t *ns)
{
	struct timespec ts;
	size_t len;
	const char *v = sxp_value(list, name, &len);

	if (!v || xen_parse_timestamp(v, len, &ts) < 0 ||
	    (uint64_t)ts.tv_sec > (UINT64_MAX - 999999999u) / 1000000000u)
		return false;
	*ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return true;
}

/*
 * Bits set in a decimal number of any size up to 160 digits (vcpu_avail
 * is a Python long, one bit per vCPU).  -1 when it is not such a number.
 */
static int decimal_popcount(const char *s, size_t len)
{
	uint32_t limbs[18] = { 0 };	/* little-endian base 2^32 */
	size_t i, j;
	int bits = 0;

	if (len > 1 && s[len - 1] == 'L')
		len--;
	if (len == 0 || len > 160)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < len;) {
		size_t n = len - i < 9 ? len - i : 9;
		uint64_t mul = 1, carry = 0;

		for (j = 0; j < n; j++, i++) {
			carry = carry * 10 + (uint64_t)(s[i] - '0');
			mul *= 10;
		}
		for (j = 0; j < sizeof(limbs) / sizeof(limbs[0]); j++) {
			uint64_t v = (uint64_t)limbs[j] * mul + carry;

			limbs[j] = (uint32_t)v;
			carry = v >> 32;
		}
	}
	for (j = 0; j < sizeof(limbs) / sizeof(limbs[0]); j++)
		bits += __builtin_popcount(limbs[j]);
	return bits;
}

/*
 * xend's 6-letter state, one position per flag of
 * (running, blocked, paused, shutdown, crashed, dying), '-' when clear.
 * The most telling flag wins, as libvirt reads it.
 */
static bool state_flags(const char *s, size_t len, enum xen_run_state *out)
{
	static const char letters[] = "rbpscd";
	unsigned flags = 0, i;

	if (len != 6)
		return false;
	for (i = 0; i < 6; i++) {
		if (s[i] == letters[i])
			flags |= 1u << i;
		else if (s[i] != '-')
			return false;
	}
	if (flags & (1u << 4))
		*out = XEN_RUN_CRASHED;
	else if (flags & (1u << 5))
		*out = XEN_RUN_DYING;
	else if (flags & (1u << 3))
		*out = XEN_RUN_SHUTDOWN;
	else if (flags & (1u << 2))
		*out = XEN_RUN_PAUSED;
	else if (flags & (1u << 1))
		*out = XEN_RUN_BLOCKED;
	else
		*out = XEN_RUN_RUNNING;	/* "r" or runnable ("------") */
	return true;
}

/* Xen-API power state, as xend 4.x writes "status". */
static bool power_state(uint64_t status, enum xen_run_state *out)
{
	switch (status) {
	case 1: *out = XEN_RUN_PAUSED; return true;
	case 2: *out = XEN_RUN_RUNNING; return true;
	case 3: *out = XEN_RUN_SUSPENDED; return true;
	case 4: *out = XEN_RUN_SHUTDOWN; return true;
	case 5: *out = XEN_RUN_CRASHED; return true;
	default: return false;
	}
}

/* "poweroff"... as xend 3.x writes it, or public/sched.h's number. */
static enum xen_shutdown_code shutdown_code(const char *s, size_t len)
{
	static const char *const names[] = {
		"poweroff", "reboot", "suspend", "crash", "watchdog",
		"soft_reset",
	};
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return (enum xen_shutdown_code)(XEN_SHUTDOWN_POWEROFF + i);
	if (len == 4 && memcmp(s, "halt", 4) == 0)
		return XEN_SHUTDOWN_POWEROFF;
	if (xen_parse_u64(s, len, &n) == 0 && n <= 5)
		return (enum xen_shutdown_code)(XEN_SHUTDOWN_POWEROFF + n);
	return XEN_SHUTDOWN_UNKNOWN;
}

static void read_running(const struct sxp *e, struct xen_domain *dom)
{
	enum xen_run_state st;
	uint64_t v;
	size_t len;
	const char *s;
	int online = -1;

	s = sxp_value(e, "state", &len);
	if (s && state_flags(s, len, &st)) {
		dom->state = st;
		dom->known |= XEN_DOM_HAVE_STATE;
	} else if (!s && get_u64(e, "status", &v) && power_state(v, &st)) {
		dom->state = st;
		dom->known |= XEN_DOM_HAVE_STATE;
	}
	if (dom->known & XEN_DOM_HAVE_STATE) {
		dom->shutdown = XEN_SHUTDOWN_NONE;
		s = sxp_value(e, "shutdown_reason", &len);
		if (dom->state == XEN_RUN_SHUTDOWN || dom->state == XEN_RUN_CRASHED)
			dom->shutdown = s ? shutdown_code(s, len)
				: dom->state == XEN_RUN_CRASHED ? XEN_SHUTDOWN_CRASH
				: XEN_SHUTDOWN_UNKNOWN;
		dom->known |= XEN_DOM_HAVE_SHUTDOWN;
	}
	if (get_seconds_ns(e, "cpu_time", &dom->cpu_time_ns))
		dom->known |= XEN_DOM_HAVE_CPU_TIME;
	s = sxp_value(e, "start_time", &len);
	if (s && xen_parse_timestamp(s, len, &dom->start_time) == 0)
		dom->known |= XEN_DOM_HAVE_START_TIME;

	s = sxp_value(e, "vcpu_avail", &len);
	if (s)
		online = decimal_popcount(s, len);
	if (online < 0 && get_u64(e, "online_vcpus", &v) && v <= 65536)
		online = (int)v;
	if (online >= 0) {
		if ((dom->known & XEN_DOM_HAVE_VCPUS_MAX) &&
		    (unsigned)online > dom->vcpus_max)
			online = (int)dom->vcpus_max;
		dom->vcpus_online = (unsigned)online;
		dom->known |= XEN_DOM_HAVE_VCPUS_ONLINE;
	}
}

/*
 * One "(domain ...)" entry; NULL when it is to be skipped.  *shutoff says
 * the row has no domid yet (a managed domain that is not running).
 */
static struct xen_domain *read_entry(const struct sxp *e, bool *shutoff)
{
	struct xen_domain *dom;
	const struct sxp *image;
	uint32_t domid = 0;
	uint8_t uuid[16];
	bool have_uuid;
	uint64_t v;
	size_t len;
	const char *s;

	if (!sxp_atom_is(e->kids, "domain"))
		return NULL;
	s = sxp_value(e, "uuid", &len);
	have_uuid = s && xen_parse_uuid(s, len, uuid) == 0;
	/* xend gives Domain-0 the nil UUID: that is no UUID */
	if (have_uuid) {
		static const uint8_t nil[16];

		have_uuid = memcmp(uuid, nil, sizeof(nil)) != 0;
	}
	s = sxp_value(e, "domid", &len);
	if (s && xen_parse_domid(s, len, &domid) == 0)
		*shutoff = false;
	else if (!s || (len > 0 && s[0] == '-'))
		*shutoff = true;	/* None or -1: not running */
	else
		return NULL;
	if (*shutoff && !have_uuid)
		return NULL;
	dom = xen_domain_new(domid);
	if (!dom)
		return NULL;
	dom->sources = XEN_SRC_XEND;
	if (have_uuid) {
		memcpy(dom->uuid, uuid, 16);
		dom->known |= XEN_DOM_HAVE_UUID;
	}
	get_bytes(e, "name", &dom->name);
	image = sxp_child(e, "image");
	if (image && (s = sxp_name(image->kids->next)) != NULL)
		xen_bytes_set(&dom->os_type, s, image->kids->next->kids->len);
	if (get_mib(e, "memory", &dom->mem_target_kib))
		dom->known |= XEN_DOM_HAVE_MEM_TARGET;
	if (get_mib(e, "maxmem", &dom->mem_max_kib))
		dom->known |= XEN_DOM_HAVE_MEM_MAX;
	if (get_u64(e, "vcpus", &v) && v <= 65536) {
		dom->vcpus_max = (unsigned)v;
		dom->known |= XEN_DOM_HAVE_VCPUS_MAX;
	}
	if (*shutoff) {
		/* Xen-API power state 3: suspended (saved), else halted */
		dom->state = get_u64(e, "status", &v) && v == 3
			     ? XEN_RUN_SUSPENDED : XEN_RUN_SHUTOFF;
		dom->shutdown = XEN_SHUTDOWN_NONE;
		dom->known |= XEN_DOM_HAVE_STATE | XEN_DOM_HAVE_SHUTDOWN;
	} else {
		read_running(e, dom);
	}
	return dom;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t shutoff_base(const uint8_t uuid[16])
{
	uint32_t v = (uint32_t)uuid[0] << 24 | (uint32_t)uuid[1] << 16 |
		     (uint32_t)uuid[2] << 8 | uuid[3];

	return XEN_DOMID_SHUTOFF_BASE + v % XEN_DOMID_SHUTOFF_SPAN;
}

static int cmp_shutoff(const void *a, const void *b)
{
	const struct xen_domain *x = *(struct xen_domain *const *)a;
	const struct xen_domain *y = *(struct xen_domain *const *)b;
	uint32_t bx = shutoff_base(x->uuid), by = shutoff_base(y->uuid);

	if (bx != by)
		return (bx > by) - (bx < by);
	return memcmp(x->uuid, y->uuid, 16);
}

struct uuid_key {
	uint8_t b[16];
};

static int cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct uuid_key));
}

static bool key_in(const uint32_t *keys, size_t n, uint32_t key)
{
	return n && bsearch(&key, keys, n, sizeof(*keys), cmp_u32) != NULL;
}

/*
 * Keys the shut-off rows: in order of base key then UUID, each takes its
 * base or the next free key, wrapping to the base after the last key.
 * Rows whose UUID is already in out (or earlier in the list) are dropped.
 * Takes over the references in rows.
 */
static void add_shutoff(struct xen_snapshot *out, struct xen_domain **rows,
			size_t n)
{
	uint32_t *taken, *mine = NULL, last = 0;
	uint8_t prev_uuid[16];
	struct uuid_key *uuids;
	size_t n_uuids = 0;
	size_t n_taken = 0, n_mine = 0, i, n_out = out->n_domains;
	bool have_last = false, wrapped = false;

	qsort(rows, n, sizeof(*rows), cmp_shutoff);
	taken = calloc(n_out + 1, sizeof(*taken));
	mine = calloc(n + 1, sizeof(*mine));
	for (i = 0; taken && i < n_out; i++)
		if (out->domains[i]->domid >= XEN_DOMID_SHUTOFF_BASE)
			taken[n_taken++] = out->domains[i]->domid;
	if (taken)
		qsort(taken, n_taken, sizeof(*taken), cmp_u32);
	uuids = calloc(n_out + 1, sizeof(*uuids));
	for (i = 0; uuids && i < n_out; i++)
		if (out->domains[i]->known & XEN_DOM_HAVE_UUID)
			memcpy(uuids[n_uuids++].b, out->domains[i]->uuid, 16);
	if (uuids)
		qsort(uuids, n_uuids, sizeof(*uuids), cmp_uuid);
	for (i = 0; i < n; i++) {
		struct xen_domain *dom = rows[i];
		uint32_t key = shutoff_base(dom->uuid);
		bool dup = i > 0 && memcmp(prev_uuid, dom->uuid, 16) == 0;

		memcpy(prev_uuid, dom->uuid, 16);
		if (!taken || !mine || !uuids || dup ||
		    (n_uuids && bsearch(dom->uuid, uuids, n_uuids, sizeof(*uuids),
					cmp_uuid))) {
			xen_domain_unref(dom);
			continue;
		}
		/* everything from this base up to the last key given is taken */
		if (have_last && (wrapped || key <= last))
			key = last + 1;
		for (;;) {
			if (key > DOMID_MAX_KEY || key < XEN_DOMID_SHUTOFF_BASE) {
				key = XEN_DOMID_SHUTOFF_BASE;
				wrapped = true;
			}
			if (!key_in(taken, n_taken, key) &&
			    !(wrapped && key_in(mine, n_mine, key)))
				break;
			key++;
		}
		if (!wrapped)
			mine[n_mine++] = key;	/* ascending */
		last = key;
		have_last = true;
		dom->domid = key;
		if (xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
	}
	free(taken);
	free(mine);
	free(uuids);
}

int xend_parse_domains(const char *buf, size_t len, struct xen_snapshot *out,
		       char *why, size_t why_len)
{
	struct sxp_doc *doc = parse_body(buf, len, why, why_len);
	const struct sxp *root, *e;
	struct xen_domain **shutoff = NULL;
	uint8_t seen[0x7FF0 / 8] = { 0 };	/* domids added by this reply */
	size_t n_shutoff = 0;

	if (!doc)
		return -1;
	root = sxp_root(doc);
	if (!sxp_is_list(root)) {
		snprintf(why, why_len, "expected a list of domains, got an atom");
		sxp_free(doc);
		return -1;
	}
	/* a single "(domain ...)" is a list of one */
	e = sxp_atom_is(root->kids, "domain") ? root : root->kids;
	if (e == root || root->len == 0)
		shutoff = calloc(1, sizeof(*shutoff));
	else
		shutoff = calloc(root->len, sizeof(*shutoff));
	if (!shutoff) {
		snprintf(why, why_len, "out of memory");
		sxp_free(doc);
		return -1;
	}
	for (; e; e = e == root ? NULL : e->next) {
		struct xen_domain *dom;
		bool off = false;

		if (!sxp_is_list(e) || !(dom = read_entry(e, &off)))
			continue;
		if (off) {
			shutoff[n_shutoff++] = dom;
			continue;
		}
		/* a running domain listed twice: the first entry wins */
		if ((seen[dom->domid / 8] & (1u << (dom->domid % 8))) ||
		    xen_snapshot_add_domain(out, dom) < 0)
			xen_domain_unref(dom);
		else
			seen[dom->domid / 8] |= (uint8_t)(1u << (dom->domid % 8));
	}
	add_shutoff(out, shutoff, n_shutoff);
	free(shutoff);
	sxp_free(doc);
	return 0;
}

int xend_parse_node(const char *buf, size_t len, struct xen_host *host,
		    char *why, size_t why_len)
{
	struct sxp_doc *doc = parse_body(buf, len, why, why_len);
	const struct sxp *node;
	const char *major, *minor, *extra;
	size_t l_major, l_minor, l_extra = 0;
	uint64_t v, dummy;

	if (!doc)
		return -1;
	node = sxp_root(doc);
	if (!sxp_atom_is(sxp_is_list(node) ? node->kids : NULL, "node")) {
		snprintf(why, why_len, "expected (node ...)");
		sxp_free(doc);
		return -1;
	}
	major = sxp_value(node, "xen_major", &l_major);
	minor = sxp_value(node, "xen_minor", &l_minor);
	extra = sxp_value(node, "xen_extra", &l_extra);
	if (major && minor && xen_parse_u64(major, l_major, &dummy) == 0 &&
	    xen_parse_u64(minor, l_minor, &dummy) == 0 && l_extra < 256) {
		char version[320];
		int n = snprintf(version, sizeof(version), "%.*s.%.*s%.*s",
				 (int)l_major, major, (int)l_minor, minor,
				 extra ? (int)l_extra : 0, extra ? extra : "");

		if (n > 0 && (size_t)n < sizeof(version) &&
		    xen_bytes_set(&host->xen_version, version, (size_t)n) == 0)
			host->known |= XEN_HOST_HAVE_VERSION;
	}
	if (get_bytes(node, "host", &host->name))
		host->known |= XEN_HOST_HAVE_NAME;
	if (get_u64(node, "nr_cpus", &v) && v <= UINT32_MAX) {
		host->cpus = (unsigned)v;
		host->known |= XEN_HOST_HAVE_CPUS;
	}
	if (get_u64(node, "cpu_mhz", &v) && v <= UINT32_MAX) {
		host->cpu_mhz = (unsigned)v;
		host->known |= XEN_HOST_HAVE_CPU_MHZ;
	}
	if (get_mib(node, "total_memory", &host->total_mem_kib))
		host->known |= XEN_HOST_HAVE_TOTAL_MEM;
	if (get_mib(node, "free_memory", &host->free_mem_kib))
		host->known |= XEN_HOST_HAVE_FREE_MEM;
	sxp_free(doc);
	return 0;
}
