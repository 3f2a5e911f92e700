/*
 * Device statistics that dom0 shows to anyone, no privileges needed:
 * VIF counters from /proc/net/dev, VBD counters from blkback's sysfs
 * statistics.  Counters are turned to the guest's point of view: what
 * the backend interface transmits, the guest receives.
 *
 * This view only adds to devices other drivers found (see xen_merge.c).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"
#include "parse/xen_parse.h"

struct stats_drv {
	char proc_root[256], sys_root[256];
	uint64_t requests;
};

/* one device's counters, before they are grouped by domain */
struct dev_stat {
	uint32_t domid;
	unsigned devid;
	bool is_vif;
	struct xen_vif vif;
	struct xen_vbd vbd;
};

struct stat_list {
	struct dev_stat *items;
	size_t n, cap;
};

static struct dev_stat *stat_add(struct stat_list *l)
{
	xen_grow(&l->items, &l->cap, l->n + 1, sizeof(*l->items));
	memset(&l->items[l->n], 0, sizeof(l->items[0]));
	return &l->items[l->n++];
}

static int read_small_file(struct stats_drv *d, const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	d->requests++;
	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64_file(struct stats_drv *d, const char *path, uint64_t *out)
{
	char buf[64];

	return read_small_file(d, path, buf, sizeof(buf)) == 0 &&
	       xen_parse_u64(buf, strlen(buf), out) == 0 ? 0 : -1;
}

/* which guest device a dom0 interface serves: sysfs nodename, else vifD.N */
static bool vif_owner(struct stats_drv *d, const char *ifname, uint32_t *domid, unsigned *devid)
{
	char path[512], node[128], tail;

	if (snprintf(path, sizeof(path), "%s/class/net/%s/device/nodename", d->sys_root, ifname)
	    < (int)sizeof(path) &&
	    read_small_file(d, path, node, sizeof(node)) == 0 &&
	    sscanf(node, "backend/vif/%" SCNu32 "/%u%c", domid, devid, &tail) == 2)
		return true;
	return sscanf(ifname, "vif%" SCNu32 ".%u%c", domid, devid, &tail) == 2;
}

static int read_net_dev(struct stats_drv *d, struct stat_list *l, char *why, size_t why_len)
{
	char path[512], line[512];
	FILE *f;
	int lineno = 0;

	snprintf(path, sizeof(path), "%s/net/dev", d->proc_root);
	d->requests++;
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t c[16], ifindex;
		char *colon, *name;
		struct dev_stat *s;
		uint32_t domid;
		unsigned devid;

		/* two header lines, then "name: 16 counters" */
		if (++lineno <= 2)
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		name = line + strspn(line, " ");
		if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
			   &c[8], &c[9], &c[10], &c[11]) != 12)
			continue;
		if (!vif_owner(d, name, &domid, &devid) || !(s = stat_add(l)))
			continue;
		s->domid = domid;
		s->devid = devid;
		s->is_vif = true;
		s->vif.devid = devid;
		s->vif.known = XEN_DEV_HAVE_RX | XEN_DEV_HAVE_TX;
		/* the interface's index in dom0, which is its ifIndex in IF-MIB */
		if (snprintf(path, sizeof(path), "%s/class/net/%s/ifindex", d->sys_root, name)
		    < (int)sizeof(path) && read_u64_file(d, path, &ifindex) == 0 &&
		    ifindex >= 1 && ifindex <= INT32_MAX) {
			s->vif.ifindex = (unsigned)ifindex;
			s->vif.known |= XEN_DEV_HAVE_IFINDEX;
		}
		/* the guest receives what the backend transmits, and back */
		s->vif.rx_bytes = c[8];
		s->vif.rx_packets = c[9];
		s->vif.rx_errors = c[10];
		s->vif.rx_drops = c[11];
		s->vif.tx_bytes = c[0];
		s->vif.tx_packets = c[1];
		s->vif.tx_errors = c[2];
		s->vif.tx_drops = c[3];
	}
	fclose(f);
	return 0;
}

static void read_vbd_stats(struct stats_drv *d, struct stat_list *l)
{
	char dir[512], path[1024];
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/bus/xen-backend/devices", d->sys_root);
	d->requests++;
	dp = opendir(dir);
	if (!dp)
		return;		/* no blkback here: no VBD counters */
	while ((e = readdir(dp)) != NULL) {
		static const char *const names[] = { "rd_req", "wr_req", "rd_sect", "wr_sect", "oo_req" };
		uint64_t v[5];
		uint32_t domid;
		unsigned devid, i;
		struct dev_stat *s;
		char tail;

		if (sscanf(e->d_name, "vbd-%" SCNu32 "-%u%c", &domid, &devid, &tail) != 2 &&
		    sscanf(e->d_name, "tap-%" SCNu32 "-%u%c", &domid, &devid, &tail) != 2)
			continue;
		for (i = 0; i < 5; i++) {
			snprintf(path, sizeof(path), "%s/%s/statistics/%s", dir, e->d_name, names[i]);
			if (read_u64_file(d, path, &v[i]) < 0)
				break;
		}
		if (i < 5 || !(s = stat_add(l)))
			continue;
		s->domid = domid;
		s->devid = devid;
		s->vbd.devid = devid;
		s->vbd.known = XEN_DEV_HAVE_IO;
		s->vbd.rd_reqs = v[0];
		s->vbd.wr_reqs = v[1];
		s->vbd.rd_bytes = v[2] * 512;	/* sectors of 512 octets */
		s->vbd.wr_bytes = v[3] * 512;
		s->vbd.oo_reqs = v[4];
	}
	closedir(dp);
}

static int cmp_stat(const void *a, const void *b)
{
	const struct dev_stat *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	if (x->is_vif != y->is_vif)
		return x->is_vif ? -1 : 1;
	return (x->devid > y->devid) - (x->devid < y->devid);
}

static int stats_gather(void *priv, const struct xen_snapshot *prev, const struct xen_dirty *dirty,
			struct xen_snapshot *out, char *why, size_t why_len)
{
	struct stats_drv *d = priv;
	struct stat_list l = { 0 };
	size_t i = 0;

	/*
	 * Counters move all the time: a refresh tick reads them all.  A
	 * gathering between ticks that names no domain (the hypervisor's
	 * probe saw a state change) keeps the last counters; one that names
	 * domains may have new devices to find, and reads all.
	 */
	if (prev && !dirty->tick && !xen_dirty_any_event(dirty)) {
		for (i = 0; i < prev->n_domains; i++)
			xen_snapshot_add_domain(out, xen_domain_ref(prev->domains[i]));
		out->sources |= XEN_SRC_DOM0_STATS;
		return 0;
	}
	if (read_net_dev(d, &l, why, why_len) < 0)
		return -1;
	read_vbd_stats(d, &l);
	if (l.n)
		qsort(l.items, l.n, sizeof(*l.items), cmp_stat);
	while (i < l.n) {
		struct xen_domain *dom = xen_domain_new(l.items[i].domid);
		size_t j, nvif = 0, nvbd = 0;

		for (j = i; j < l.n && l.items[j].domid == l.items[i].domid; j++)
			l.items[j].is_vif ? nvif++ : nvbd++;
		if (dom) {
			dom->sources = XEN_SRC_DOM0_STATS;
			dom->vifs = nvif ? xen_calloc(nvif, sizeof(*dom->vifs)) : NULL;
			dom->vbds = nvbd ? xen_calloc(nvbd, sizeof(*dom->vbds)) : NULL;
			for (; i < j; i++) {
				if (l.items[i].is_vif && dom->vifs)
					dom->vifs[dom->n_vifs++] = l.items[i].vif;
				else if (!l.items[i].is_vif && dom->vbds)
					dom->vbds[dom->n_vbds++] = l.items[i].vbd;
			}
			if (xen_snapshot_add_domain(out, dom) < 0)
				xen_domain_unref(dom);
		}
		i = j;
	}
	free(l.items);
	out->sources |= XEN_SRC_DOM0_STATS;
	return 0;
}

/* Whether ROOT/REL can be opened; if not, says why. */
static bool can_open(const char *root, const char *rel, char *why, size_t why_len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

static void *stats_open(const struct xen_driver_env *env, char *why, size_t why_len)
{
	struct stats_drv *d = xen_calloc(1, sizeof(*d));

	if (!d) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	snprintf(d->proc_root, sizeof(d->proc_root), "%s", env->proc_root ? env->proc_root : "/proc");
	snprintf(d->sys_root, sizeof(d->sys_root), "%s", env->sys_root ? env->sys_root : "/sys");
	/* a kernel without Xen backends has nothing of ours to count */
	if (!can_open(d->sys_root, "bus/xen-backend", why, why_len) ||
	    !can_open(d->proc_root, "net/dev", why, why_len)) {
		free(d);
		return NULL;
	}
	return d;
}

static void stats_close(void *priv)
{
	free(priv);
}

static uint64_t stats_requests(void *priv)
{
	return ((struct stats_drv *)priv)->requests;
}

/*
 * Everything this driver reads is a running counter: a tick nobody
 * asked for need not read it.  Devices come and go through xenstore,
 * whose watches make a gathering anyway.
 */
static int stats_probe(void *priv, const struct xen_snapshot *view)
{
	(void)priv;
	(void)view;
	return 0;
}

const struct xen_driver_ops xen_dom0_stats_driver = {
	.name = "dom0 statistics",
	.source = XEN_SRC_DOM0_STATS,
	.needs_privilege = false,
	.open = stats_open,
	.close = stats_close,
	.gather = stats_gather,
	.requests = stats_requests,
	.probe = stats_probe,
};
