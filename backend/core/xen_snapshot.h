/*
 * An immutable picture of a Xen host: host facts, domains and their
 * devices, each value with a flag saying whether it is known.
 *
 * Snapshots and domains are reference counted and never change once
 * published, so the gathering thread and the SNMP thread can share them
 * without locks; a new snapshot reuses the domain objects that did not
 * change.
 */
#ifndef XEN_SNAPSHOT_H
#define XEN_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Which driver supplied a value; bit numbers match XenDataSources. */
enum xen_source {
	XEN_SRC_XENSTORE = 1u << 0,
	XEN_SRC_XEND = 1u << 1,
	XEN_SRC_HYPERVISOR = 1u << 2,
	XEN_SRC_DOM0_STATS = 1u << 3,
};

enum xen_run_state {
	XEN_RUN_UNKNOWN = 0,
	XEN_RUN_RUNNING,
	XEN_RUN_BLOCKED,
	XEN_RUN_PAUSED,
	XEN_RUN_SHUTDOWN,
	XEN_RUN_CRASHED,
	XEN_RUN_DYING,
	XEN_RUN_SHUTOFF,	/* defined but not running (xend managed) */
	XEN_RUN_SUSPENDED,	/* defined, not running, state saved (xend) */
};

enum xen_shutdown_code {	/* public/sched.h SHUTDOWN_* + 1, 0 = none */
	XEN_SHUTDOWN_NONE = 0,
	XEN_SHUTDOWN_POWEROFF,
	XEN_SHUTDOWN_REBOOT,
	XEN_SHUTDOWN_SUSPEND,
	XEN_SHUTDOWN_CRASH,
	XEN_SHUTDOWN_WATCHDOG,
	XEN_SHUTDOWN_SOFT_RESET,
	XEN_SHUTDOWN_UNKNOWN,
};

/* A string as read: raw bytes (may hold any byte, NUL included). */
struct xen_bytes {
	char *data;		/* NUL-terminated for convenience; NULL = unknown */
	size_t len;
};

enum xen_vcpu_known {
	XEN_VCPU_HAVE_AVAILABILITY = 1u << 0,
	XEN_VCPU_HAVE_STATE = 1u << 1,
	XEN_VCPU_HAVE_CPU_TIME = 1u << 2,
	XEN_VCPU_HAVE_PHYS_CPU = 1u << 3,
};

struct xen_vcpu {
	unsigned id;
	unsigned known;		/* enum xen_vcpu_known */
	unsigned sources;	/* enum xen_source */
	bool online;		/* requested availability (xenstore) */
	enum { XEN_VCPU_RUNNING = 1, XEN_VCPU_BLOCKED, XEN_VCPU_OFFLINE } state;
	uint64_t cpu_time_ns;
	int phys_cpu;
};

enum xen_dev_known {
	XEN_DEV_HAVE_BACKEND_DOMID = 1u << 0,
	XEN_DEV_HAVE_STATE = 1u << 1,
	XEN_DEV_HAVE_RX = 1u << 2,	/* vif rx_* counters */
	XEN_DEV_HAVE_TX = 1u << 3,	/* vif tx_* counters */
	XEN_DEV_HAVE_IO = 1u << 4,	/* vbd request/byte counters */
	XEN_DEV_HAVE_IFINDEX = 1u << 5,	/* vif: dom0's interface index */
};

struct xen_vif {
	unsigned devid;
	unsigned known;		/* enum xen_dev_known */
	struct xen_bytes mac, bridge, ifname, script;
	int backend_domid;
	int state;		/* XenbusState of the backend */
	unsigned ifindex;	/* dom0's index of the backend interface (ifindex) */
	/* counters from the guest's point of view: rx = into the guest */
	uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
	struct timespec counters_since;	/* see xen_snapshot_mark_new */
};

struct xen_vbd {
	unsigned devid;
	unsigned known;		/* enum xen_dev_known */
	struct xen_bytes dev, params, mode, device_type, backend_type;
	int backend_domid;
	int state;
	uint64_t rd_reqs, wr_reqs, rd_bytes, wr_bytes, oo_reqs;
	struct timespec counters_since;	/* see xen_snapshot_mark_new */
};

enum xen_domain_known {
	XEN_DOM_HAVE_UUID = 1u << 0,
	XEN_DOM_HAVE_STATE = 1u << 1,
	XEN_DOM_HAVE_MEM_CURRENT = 1u << 2,
	XEN_DOM_HAVE_MEM_TARGET = 1u << 3,
	XEN_DOM_HAVE_MEM_MAX = 1u << 4,
	XEN_DOM_HAVE_VCPUS_ONLINE = 1u << 5,
	XEN_DOM_HAVE_VCPUS_MAX = 1u << 6,
	XEN_DOM_HAVE_CPU_TIME = 1u << 7,
	XEN_DOM_HAVE_START_TIME = 1u << 8,
	XEN_DOM_HAVE_SHUTDOWN = 1u << 9,
};

/*
 * Domains a toolstack knows while they are not running (xend's managed
 * shut-off domains) have no domid; the driver that reports them keys them
 * from here up: 65536 + (first 4 UUID octets, big-endian, mod 2147418112),
 * the next free key on collision, wrapping to 65536 after 2147483647.
 */
#define XEN_DOMID_SHUTOFF_BASE 65536u
#define XEN_DOMID_SHUTOFF_SPAN 2147418112u

/* The most views a domain can be merged from (one per gathering driver). */
#define XEN_MAX_PARTS 4

struct xen_domain {
	int refcnt;		/* atomic; owned by the snapshots holding it */
	uint32_t domid;
	unsigned known;		/* enum xen_domain_known */
	unsigned sources;	/* enum xen_source: who filled this row */
	struct xen_bytes name, os_type;
	uint8_t uuid[16];
	enum xen_run_state state;
	enum xen_shutdown_code shutdown;
	uint64_t mem_current_kib, mem_target_kib, mem_max_kib;
	unsigned vcpus_online, vcpus_max;
	uint64_t cpu_time_ns;
	struct timespec start_time;	/* wall clock */
	struct timespec counters_since;	/* see xen_snapshot_mark_new */
	char *vm_path;		/* xenstore /vm/<uuid> path, internal */
	size_t n_vcpus, n_vifs, n_vbds;
	struct xen_vcpu *vcpus;	/* sorted by id */
	struct xen_vif *vifs;	/* sorted by devid */
	struct xen_vbd *vbds;	/* sorted by devid */
	/*
	 * A domain merged from several drivers' views (xen_merge.c) holds a
	 * reference to the domain object of each view it was built from, in
	 * view order (NULL where a view had none), and borrows their strings:
	 * name, os_type, vm_path and the devices' strings point into the
	 * parts, which are immutable and live as long as it does.  An array
	 * of vCPUs, VIFs or VBDs that only one part has (a primary view's,
	 * not statistics') is borrowed too; xen_snapshot_mark_new copies it
	 * before writing its counters_since.  All NULL for a domain a driver
	 * built, which owns its strings and arrays.
	 */
	struct xen_domain *parts[XEN_MAX_PARTS];
};

enum xen_host_known {
	XEN_HOST_HAVE_VERSION = 1u << 0,
	XEN_HOST_HAVE_NAME = 1u << 1,
	XEN_HOST_HAVE_CPUS = 1u << 2,
	XEN_HOST_HAVE_CPU_MHZ = 1u << 3,
	XEN_HOST_HAVE_TOTAL_MEM = 1u << 4,
	XEN_HOST_HAVE_FREE_MEM = 1u << 5,
};

struct xen_host {
	unsigned known;		/* enum xen_host_known */
	struct xen_bytes xen_version, name;
	unsigned cpus, cpu_mhz;
	uint64_t total_mem_kib, free_mem_kib;
};

struct xen_snapshot {
	int refcnt;		/* atomic */
	uint64_t generation;	/* increases with every published snapshot */
	struct timespec taken;	/* wall clock at the end of the last gathering
				 * that read the running counters (a refresh
				 * tick's); one between ticks keeps it */
	unsigned sources;	/* drivers that contributed */
	struct xen_host host;
	size_t n_domains, cap_domains;
	struct xen_domain **domains;	/* sorted by domid, no duplicates */
};

/* Reference counting; both accept NULL. */
struct xen_snapshot *xen_snapshot_ref(struct xen_snapshot *snap);
void xen_snapshot_unref(struct xen_snapshot *snap);
struct xen_domain *xen_domain_ref(struct xen_domain *dom);
void xen_domain_unref(struct xen_domain *dom);

/* Building: a new empty snapshot (refcnt 1) and a new empty domain. */
struct xen_snapshot *xen_snapshot_new(void);
struct xen_domain *xen_domain_new(uint32_t domid);
/* Takes over the caller's reference to dom; keeps domains sorted. */
int xen_snapshot_add_domain(struct xen_snapshot *snap, struct xen_domain *dom);
void xen_snapshot_sort(struct xen_snapshot *snap);

/*
 * Marks the domains and devices of snap that are new instances compared
 * with prev, the snapshot published before it: their counters_since
 * becomes now (CLOCK_MONOTONIC); the others keep prev's.  A domain is new
 * when prev has no domain with its domid, or one with another UUID or
 * start time, or when its CPU time went backwards; a device is new when
 * its domain is, when prev's domain has no device with its devid, or when
 * a counter went backwards.  With no prev (the first snapshot) nothing is
 * new: counters_since stays zero, "no discontinuity since the start".
 * Call before publishing snap; it writes only fields that change, so
 * objects shared with prev are not written.
 */
void xen_snapshot_mark_new(struct xen_snapshot *snap,
			   const struct xen_snapshot *prev,
			   const struct timespec *now);

/* Lookup by domid (binary search); NULL when absent. Borrowed pointer. */
const struct xen_domain *xen_snapshot_find(const struct xen_snapshot *snap,
					   uint32_t domid);

/* Helpers for the fields. */
int xen_bytes_set(struct xen_bytes *b, const void *data, size_t len);
void xen_bytes_clear(struct xen_bytes *b);
bool xen_bytes_known(const struct xen_bytes *b);
/* Frees a device's own strings (of a domain a driver built). */
void xen_vif_clear_strings(struct xen_vif *vif);
void xen_vbd_clear_strings(struct xen_vbd *vbd);

#endif
