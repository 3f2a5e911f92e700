/*
 * VM-MIB (RFC 7666) beside XEN-DOMAIN-MIB, served from the same
 * snapshots: the vmHypervisor scalars, vmNumber, vmTableLastChange, the
 * five tables, the per-VM and bulk notifications, and the map from VM
 * UUIDs to vmIndex values that keeps a VM's index while the domain is
 * rebooted, saved and restored or migrated away and back, and across
 * agent restarts (net-snmp's persistent storage).
 *
 * Everything here runs on the agent's main thread (net-snmp's).  The
 * pure parts (state mapping, the index map, VirtualMachineList) are
 * declared here for unit tests.
 */
#ifndef XENSNMP_VMMIB_H
#define XENSNMP_VMMIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/xen_snapshot.h"
#include "xensnmp_table.h"

#define XENSNMP_VM_DOM0_INDEX 1		/* Domain-0's vmIndex, always */
#define XENSNMP_VM_DEFAULT_HOLD 86400	/* seconds a departed VM keeps its index */
#define XENSNMP_VM_MAX_HOLD 31536000
/* net-snmp persistent file <persistent dir>/xensnmp-vmindex.conf */
#define XENSNMP_VM_STORE_TYPE "xensnmp-vmindex"

/* --- states (VirtualMachineOperState, VirtualMachineAdminState) --------- */

/* The VM-MIB operational state of a domain; unknown(1) when not known. */
int xensnmp_vm_oper_state(const struct xen_domain *d);
/* Its administrative state, or 0 when the run state is not known. */
int xensnmp_vm_admin_state(const struct xen_domain *d);

/* --- the index map ----------------------------------------------------------- */

struct xensnmp_vm_slot {
	uint8_t uuid[16];
	bool used;		/* the index belongs to uuid */
	bool present;		/* in the last snapshot */
	bool seen;		/* in the snapshot being taken up */
	time_t departed;	/* wall clock when it left; 0 while present */
};

struct xensnmp_vm_map {
	struct xensnmp_vm_slot *slots;	/* by vmIndex; 0 and 1 (Domain-0) unused */
	size_t n_slots, cap_slots;
	uint32_t *by_uuid;		/* indexes of used slots, sorted by UUID */
	size_t n_used, cap_by_uuid;
	unsigned hold;			/* seconds */
	bool dirty;			/* changed since last saved */
};

/* The index uuid holds, or 0. */
uint32_t xensnmp_vm_map_find(const struct xensnmp_vm_map *m, const uint8_t uuid[16]);
/*
 * The index of uuid, marked seen: its own, else the lowest index above
 * Domain-0's that no VM holds, taking over one whose VM left at least
 * hold seconds before now.
 */
uint32_t xensnmp_vm_map_assign(struct xensnmp_vm_map *m, const uint8_t uuid[16], time_t now);
/* Before taking up a snapshot: nothing seen yet. */
void xensnmp_vm_map_begin(struct xensnmp_vm_map *m);
/* After: the present VMs not seen left at now; returns true when any
 * VM came or went. */
bool xensnmp_vm_map_end(struct xensnmp_vm_map *m, time_t now);
/* One stored entry (departed 0: present when stored); -1 with a reason
 * when it conflicts with the map or is out of range. */
int xensnmp_vm_map_load(struct xensnmp_vm_map *m, uint32_t index, const uint8_t uuid[16],
			time_t departed, const char **why);
void xensnmp_vm_map_clear(struct xensnmp_vm_map *m);

/*
 * VirtualMachineList: the bitmap of the n indexes (each >= 1) into out,
 * vmIndex 1 as the first octet's most significant bit, as long as the
 * highest index needs; returns its length, 0 when out_max is too small.
 */
size_t xensnmp_vm_list(const uint32_t *indexes, size_t n, uint8_t *out, size_t out_max);

/* --- the module's side -------------------------------------------------------- */

/* Registers VM-MIB's objects, its config tokens and its comparison of
 * snapshots (after xensnmp_notify_init).  state must outlive them. */
void xensnmp_vmmib_init(const struct xensnmp_state *state);
void xensnmp_vmmib_deinit(void);
/* Before each reading of the configuration: the default hold. */
void xensnmp_vmmib_reset_config(void);
/* The module took up snap: gives its VMs their indexes; call before the
 * notifications and before any request sees snap. */
void xensnmp_vmmib_snapshot(struct xen_snapshot *snap);

#endif
