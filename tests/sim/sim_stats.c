#include "sim_stats.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long generation;
static double started;

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mkdirs(const char *path)
{
	char tmp[1024], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int swap_link(const char *root, const char *name, unsigned long gen)
{
	char target[64], link[1024], tmp[1024];

	snprintf(target, sizeof(target), "%s.%lu", name, gen);
	snprintf(link, sizeof(link), "%s/%s", root, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.new", root, name);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -1;
	return rename(tmp, link);
}

/* calls fn for every backend device of one kind in dom0's xenstore home */
static void each_backend(struct sim_model *m, const char *kind,
			 void (*fn)(void *arg, const char *domid, const char *devid, struct sim_node *dev),
			 void *arg)
{
	struct sim_node *k = store_lookupf(m->store, "/local/domain/0/backend/%s", kind);
	size_t i, j;

	for (i = 0; k && i < k->nkids; i++)
		for (j = 0; j < k->kids[i]->nkids; j++)
			fn(arg, k->kids[i]->name, k->kids[i]->kids[j]->name, k->kids[i]->kids[j]);
}

struct writer {
	struct sim_model *m;
	FILE *netdev;
	char sys[1024];
	double t;
};

static unsigned long long grow(double t, const char *a, const char *b, unsigned long long rate)
{
	return (unsigned long long)(t * rate) * (strtoul(a, NULL, 10) + 1) + strtoul(b, NULL, 10);
}

static void write_vif(void *arg, const char *domid, const char *devid, struct sim_node *dev)
{
	struct writer *w = arg;
	struct sim_node *vn = store_lookupf(w->m->store, "%s/vifname", dev->path);
	char ifname[64], path[1400], node[128];

	if (vn && vn->len && vn->len < sizeof(ifname))
		snprintf(ifname, sizeof(ifname), "%s", vn->value);
	else
		snprintf(ifname, sizeof(ifname), "vif%s.%s", domid, devid);
	/* dom0's view: what the backend receives, the guest sent */
	fprintf(w->netdev, "%8s: %llu %llu 0 %llu 0 0 0 0 %llu %llu 0 %llu 0 0 0 0\n", ifname,
		grow(w->t, domid, devid, 1000), grow(w->t, domid, devid, 10),
		grow(w->t, domid, devid, 0) / 2, grow(w->t, domid, devid, 3000),
		grow(w->t, domid, devid, 20), 0ULL);
	snprintf(path, sizeof(path), "%s/class/net/%s/device", w->sys, ifname);
	if (mkdirs(path) == 0) {
		snprintf(path, sizeof(path), "%s/class/net/%s/device/nodename", w->sys, ifname);
		snprintf(node, sizeof(node), "backend/vif/%s/%s\n", domid, devid);
		write_file(path, node);
		/* a stand-in for the kernel's interface index: fixed per device */
		snprintf(path, sizeof(path), "%s/class/net/%s/ifindex", w->sys, ifname);
		snprintf(node, sizeof(node), "%lu\n",
			 100 + strtoul(domid, NULL, 10) * 16 + strtoul(devid, NULL, 10));
		write_file(path, node);
	}
}

static void write_vbd(void *arg, const char *domid, const char *devid, struct sim_node *dev)
{
	static const char *const names[] = { "rd_req", "wr_req", "rd_sect", "wr_sect", "oo_req" };
	static const unsigned long long rates[] = { 50, 20, 400, 160, 0 };
	struct writer *w = arg;
	char dir[1400], path[1500], val[32];
	unsigned i;

	(void)dev;
	snprintf(dir, sizeof(dir), "%s/bus/xen-backend/devices/vbd-%s-%s/statistics", w->sys, domid,
		 devid);
	if (mkdirs(dir) < 0)
		return;
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(val, sizeof(val), "%llu\n", grow(w->t, domid, devid, rates[i]));
		write_file(path, val);
	}
}

int sim_stats_write(struct sim_model *m, const char *root)
{
	struct writer w = { .m = m };
	char dir[1024], old[1100];
	unsigned long gen = ++generation;

	if (!started)
		started = seconds();
	w.t = seconds() - started;
	snprintf(dir, sizeof(dir), "%s/proc.%lu/net", root, gen);
	snprintf(w.sys, sizeof(w.sys), "%s/sys.%lu", root, gen);
	if (mkdirs(dir) < 0 || mkdirs(w.sys) < 0)
		return -1;
	snprintf(old, sizeof(old), "%s/bus/xen-backend/devices", w.sys);
	if (mkdirs(old) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/proc.%lu/net/dev", root, gen);
	w.netdev = fopen(dir, "w");
	if (!w.netdev)
		return -1;
	fputs("Inter-|   Receive                                                |  Transmit\n"
	      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	      "    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", w.netdev);
	each_backend(m, "vif", write_vif, &w);
	fclose(w.netdev);
	each_backend(m, "vbd", write_vbd, &w);
	if (swap_link(root, "proc", gen) < 0 || swap_link(root, "sys", gen) < 0)
		return -1;
	/* keep the previous generation for readers still in it */
	if (gen > 2) {
		snprintf(old, sizeof(old), "%s/proc.%lu", root, gen - 2);
		rm_tree(old);
		snprintf(old, sizeof(old), "%s/sys.%lu", root, gen - 2);
		rm_tree(old);
	}
	return 0;
}
