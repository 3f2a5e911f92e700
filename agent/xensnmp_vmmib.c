/*
 * VM-MIB (RFC 7666) from the snapshots XEN-DOMAIN-MIB is served from
 * (see xensnmp_vmmib.h; the object-by-object account is docs/vm-mib.md).
 *
 * A VM is a UUID: every domain of a snapshot with a known UUID is a
 * view of one VM, Domain-0 is VM 1, and a domain without a UUID yet
 * (libxl writes /vm a moment after it creates the domain) is left out
 * until it has one.  Where two domains share a UUID (a reboot's old and
 * new domid in one snapshot, a toolstack-kept row and its running
 * domain) the live one is the VM's.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xen_alloc.h"
#include "parse/xen_parse.h"
#include "xensnmp_notify.h"
#include "xensnmp_oids.h"
#include "xensnmp_values.h"
#include "xensnmp_vmmib.h"

/* --- states ------------------------------------------------------------------ */

int xensnmp_vm_oper_state(const struct xen_domain *d)
{
	if (!(d->known & XEN_DOM_HAVE_STATE))
		return VM_OPER_UNKNOWN;
	switch (d->state) {
	case XEN_RUN_RUNNING:
	case XEN_RUN_BLOCKED:
		return VM_OPER_RUNNING;
	case XEN_RUN_PAUSED:
		return VM_OPER_PAUSED;
	case XEN_RUN_SHUTDOWN:
		if ((d->known & XEN_DOM_HAVE_SHUTDOWN) && d->shutdown == XEN_SHUTDOWN_CRASH)
			return VM_OPER_CRASHED;
		/* stopped for xl save or migration: its memory is being copied out */
		if ((d->known & XEN_DOM_HAVE_SHUTDOWN) && d->shutdown == XEN_SHUTDOWN_SUSPEND)
			return VM_OPER_SUSPENDING;
		/* stopped, still in memory until the toolstack destroys it */
		return VM_OPER_SHUTTINGDOWN;
	case XEN_RUN_CRASHED:
		return VM_OPER_CRASHED;
	case XEN_RUN_DYING:
		return VM_OPER_SHUTTINGDOWN;
	case XEN_RUN_SHUTOFF:
		return VM_OPER_SHUTDOWN;
	case XEN_RUN_SUSPENDED:
		return VM_OPER_SUSPENDED;
	case XEN_RUN_UNKNOWN:
		break;
	}
	return VM_OPER_UNKNOWN;
}

int xensnmp_vm_admin_state(const struct xen_domain *d)
{
	switch (xensnmp_vm_oper_state(d)) {
	case VM_OPER_RUNNING:
		return VM_ADMIN_RUNNING;
	case VM_OPER_PAUSED:
		return VM_ADMIN_PAUSED;
	case VM_OPER_SUSPENDING:
	case VM_OPER_SUSPENDED:
		return VM_ADMIN_SUSPENDED;
	case VM_OPER_SHUTTINGDOWN:
	case VM_OPER_SHUTDOWN:
	case VM_OPER_CRASHED:
		return VM_ADMIN_SHUTDOWN;
	default:
		return 0;
	}
}

/* --- the index map ------------------------------------------------------------ */

/* the position in by_uuid where uuid is or would go */
static size_t uuid_pos(const struct xensnmp_vm_map *m, const uint8_t uuid[16], bool *found)
{
	size_t lo = 0, hi = m->n_used;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(m->slots[m->by_uuid[mid]].uuid, uuid, 16);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t xensnmp_vm_map_find(const struct xensnmp_vm_map *m, const uint8_t uuid[16])
{
	bool found;
	size_t pos = uuid_pos(m, uuid, &found);

	return found ? m->by_uuid[pos] : 0;
}

static void ensure_slots(struct xensnmp_vm_map *m, size_t index)
{
	if (index < m->n_slots)
		return;
	xen_grow(&m->slots, &m->cap_slots, index + 1, sizeof(*m->slots));
	memset(&m->slots[m->n_slots], 0, (index + 1 - m->n_slots) * sizeof(*m->slots));
	m->n_slots = index + 1;
}

static void forget(struct xensnmp_vm_map *m, uint32_t index)
{
	bool found;
	size_t pos = uuid_pos(m, m->slots[index].uuid, &found);

	if (found) {
		memmove(&m->by_uuid[pos], &m->by_uuid[pos + 1],
			(m->n_used - pos - 1) * sizeof(*m->by_uuid));
		m->n_used--;
	}
	memset(&m->slots[index], 0, sizeof(m->slots[index]));
	m->dirty = true;
}

static void remember(struct xensnmp_vm_map *m, uint32_t index, const uint8_t uuid[16])
{
	size_t pos;
	bool found;

	memcpy(m->slots[index].uuid, uuid, 16);
	m->slots[index].used = true;
	pos = uuid_pos(m, uuid, &found);
	xen_grow(&m->by_uuid, &m->cap_by_uuid, m->n_used + 1, sizeof(*m->by_uuid));
	memmove(&m->by_uuid[pos + 1], &m->by_uuid[pos], (m->n_used - pos) * sizeof(*m->by_uuid));
	m->by_uuid[pos] = index;
	m->n_used++;
	m->dirty = true;
}

static bool expired(const struct xensnmp_vm_map *m, const struct xensnmp_vm_slot *s, time_t now)
{
	return !s->present && !s->seen && now - s->departed >= (time_t)m->hold;
}

uint32_t xensnmp_vm_map_assign(struct xensnmp_vm_map *m, const uint8_t uuid[16], time_t now)
{
	uint32_t index = xensnmp_vm_map_find(m, uuid);
	size_t i;

	if (!index) {
		for (i = XENSNMP_VM_DOM0_INDEX + 1; i < m->n_slots; i++)
			if (!m->slots[i].used || expired(m, &m->slots[i], now))
				break;
		if (i > INT32_MAX)
			return 0;	/* VirtualMachineIndex is an Integer32 */
		ensure_slots(m, i);
		if (m->slots[i].used)
			forget(m, (uint32_t)i);
		index = (uint32_t)i;
		remember(m, index, uuid);
	}
	m->slots[index].seen = true;
	return index;
}

void xensnmp_vm_map_begin(struct xensnmp_vm_map *m)
{
	size_t i;

	for (i = 0; i < m->n_slots; i++)
		m->slots[i].seen = false;
}

bool xensnmp_vm_map_end(struct xensnmp_vm_map *m, time_t now)
{
	bool changed = false;
	size_t i;

	for (i = 0; i < m->n_slots; i++) {
		struct xensnmp_vm_slot *s = &m->slots[i];

		if (!s->used || s->seen == s->present)
			continue;
		s->present = s->seen;
		s->departed = s->present ? 0 : now;
		m->dirty = changed = true;
	}
	return changed;
}

int xensnmp_vm_map_load(struct xensnmp_vm_map *m, uint32_t index, const uint8_t uuid[16],
			time_t departed, const char **why)
{
	static const uint8_t nil[16];

	if (index <= XENSNMP_VM_DOM0_INDEX || index > INT32_MAX) {
		*why = "index out of range (Domain-0 has 1, the others 2 to 2147483647)";
		return -1;
	}
	if (memcmp(uuid, nil, 16) == 0) {
		*why = "the nil UUID";
		return -1;
	}
	if (xensnmp_vm_map_find(m, uuid)) {
		*why = "UUID already has an index";
		return -1;
	}
	if (index < m->n_slots && m->slots[index].used) {
		*why = "index already taken";
		return -1;
	}
	ensure_slots(m, index);
	remember(m, index, uuid);
	/* what was present when stored has been gone since it was read */
	m->slots[index].present = false;
	m->slots[index].departed = departed ? departed : time(NULL);
	m->dirty = false;
	return 0;
}

void xensnmp_vm_map_clear(struct xensnmp_vm_map *m)
{
	free(m->slots);
	free(m->by_uuid);
	m->slots = NULL;
	m->by_uuid = NULL;
	m->n_slots = m->n_used = m->cap_slots = m->cap_by_uuid = 0;
	m->dirty = false;
}

size_t xensnmp_vm_list(const uint32_t *indexes, size_t n, uint8_t *out, size_t out_max)
{
	uint32_t max = 0;
	size_t i, len;

	for (i = 0; i < n; i++)
		if (indexes[i] > max)
			max = indexes[i];
	len = ((size_t)max + 7) / 8;
	if (len > out_max)
		return 0;
	memset(out, 0, len);
	for (i = 0; i < n; i++)
		if (indexes[i])
			out[(indexes[i] - 1) / 8] |= (uint8_t)(0x80 >> ((indexes[i] - 1) % 8));
	return len;
}

/* --- views: a snapshot's VMs in index order ------------------------------------- */

struct vm_entry {
	uint32_t index;
	const struct xen_domain *dom;
};

struct vm_view {
	struct xen_snapshot *snap;	/* a reference */
	struct vm_entry *vms;		/* sorted by index, one per index */
	size_t n;
};

/* which of two domains with one UUID is the VM's: the live one, then the newer */
static int rank(const struct xen_domain *d)
{
	if (d->domid >= XEN_DOMID_SHUTOFF_BASE)
		return 0;
	switch (xensnmp_vm_oper_state(d)) {
	case VM_OPER_RUNNING:
	case VM_OPER_PAUSED:
		return 3;
	case VM_OPER_UNKNOWN:
		return 1;
	default:
		return 2;
	}
}

static bool prefer(const struct xen_domain *a, const struct xen_domain *b)
{
	return rank(a) != rank(b) ? rank(a) > rank(b) : a->domid > b->domid;
}

static int by_index(const void *a, const void *b)
{
	const struct vm_entry *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static void view_clear(struct vm_view *v)
{
	xen_snapshot_unref(v->snap);
	free(v->vms);
	memset(v, 0, sizeof(*v));
}

/* v's VMs of snap: with assign, new UUIDs get indexes (and the map marks
 * who is present); without, a UUID the map does not know is left out */
static void view_build(struct vm_view *v, struct xensnmp_vm_map *m, struct xen_snapshot *snap,
		       bool assign, time_t now)
{
	size_t i, k = 0;

	view_clear(v);
	v->snap = xen_snapshot_ref(snap);
	if (!snap || !snap->n_domains)
		return;
	v->vms = xen_calloc(snap->n_domains, sizeof(*v->vms));
	for (i = 0; i < snap->n_domains; i++) {
		const struct xen_domain *d = snap->domains[i];
		uint32_t index;

		if (d->domid == 0)
			index = XENSNMP_VM_DOM0_INDEX;
		else if (!(d->known & XEN_DOM_HAVE_UUID))
			continue;
		else if (assign)
			index = xensnmp_vm_map_assign(m, d->uuid, now);
		else
			index = xensnmp_vm_map_find(m, d->uuid);
		if (index)
			v->vms[v->n++] = (struct vm_entry){ index, d };
	}
	qsort(v->vms, v->n, sizeof(*v->vms), by_index);
	for (i = 0; i < v->n; i++) {	/* one domain per VM */
		if (k && v->vms[k - 1].index == v->vms[i].index) {
			if (prefer(v->vms[i].dom, v->vms[k - 1].dom))
				v->vms[k - 1] = v->vms[i];
			continue;
		}
		v->vms[k++] = v->vms[i];
	}
	v->n = k;
}

/* --- the module's state ----------------------------------------------------------- */

#define N_BULK 10	/* vmBulkRunning .. vmBulkDeleted */

/* All fields: main thread only (callbacks, alarms and requests run there). */
static struct {
	const struct xensnmp_state *state;	/* the module's; outlives us */
	struct xensnmp_vm_map map;
	struct vm_view cur;			/* the VMs of state->snap */
	bool started;				/* the first snapshot was taken up */
	bool store_read;			/* a stored line was read */
	uint32_t table_last_change;		/* vmHvUpTime then */
	unsigned hold;				/* configured hold, seconds */
	struct xensnmp_table tables[5];
	netsnmp_handler_registration *hv_reg, *number_reg, *last_change_reg;
	netsnmp_handler_registration *per_vm_reg, *bulk_reg;
	/* one comparison, from its summaries to its details */
	struct pending_bulk {	/* VMs of one bulk notification not sent yet */
		uint32_t *idx;
		size_t n, cap;
	} bulk[N_BULK];
	unsigned bulk_alarm;	/* one-shot; set while a bulk notification waits for a token */
	/* new VMs not told yet: no name while a source that names domains
	 * is connected (libxl writes it just after creating the domain) */
	struct fresh_vm {
		uint32_t index;
		struct timespec since;	/* CLOCK_MONOTONIC, first seen */
	} *fresh;
	size_t n_fresh, cap_fresh;
	unsigned fresh_alarm;
	struct transition {
		uint32_t index;
		int prev_state;		/* 0: not in the last snapshot */
		int state;		/* 0: gone (deleted) */
		const struct xen_domain *dom;	/* the VM's domain, now or last */
	} *changes;
	size_t n_changes, cap_changes;
} vm = { .hold = XENSNMP_VM_DEFAULT_HOLD };

/* TimeTicks since the hypervisor started: dom0's boot clock (see docs/vm-mib.md) */
static uint32_t hv_uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 100 + (uint64_t)ts.tv_nsec / 10000000);
}

/* --- persistence ------------------------------------------------------------------- */

/* "vmIndex INDEX UUID DEPARTED" in the persistent file */
static void parse_store_line(const char *token, char *line)
{
	char uuid_text[64], extra[2];
	unsigned long index;
	long long departed;
	uint8_t uuid[16];
	const char *why = NULL;

	(void)token;
	vm.store_read = true;
	if (vm.started)
		return;		/* the map in memory is newer than the file */
	if (sscanf(line, "%lu %63s %lld %1s", &index, uuid_text, &departed, extra) != 3 ||
	    xen_parse_uuid(uuid_text, strlen(uuid_text), uuid) < 0 || departed < 0) {
		config_perror("xensnmp: a stored vmIndex line must be INDEX UUID DEPARTED; ignored");
		return;
	}
	if (xensnmp_vm_map_load(&vm.map, (uint32_t)(index > UINT32_MAX ? 0 : index), uuid,
				(time_t)departed, &why) < 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "xensnmp: stored vmIndex %lu ignored: %s", index, why);
		config_perror(msg);
	}
}

static void format_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

/* Rewrites the file with the whole map, the way net-snmp saves its own
 * persistent data (the old file kept as a backup until written). */
static void save_map(void)
{
	size_t i, len = 0, cap = 96 * (vm.map.n_used + 1);
	char *buf, uuid[37];

	if (!vm.map.dirty)
		return;
	vm.map.dirty = false;
	if (netsnmp_ds_get_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE) ||
	    netsnmp_ds_get_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE))
		return;
	buf = malloc(cap);
	if (!buf) {
		snmp_log(LOG_ERR, "xensnmp: out of memory: vmIndex map not saved\n");
		vm.map.dirty = true;
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < vm.map.n_slots; i++) {
		const struct xensnmp_vm_slot *s = &vm.map.slots[i];

		if (!s->used)
			continue;
		format_uuid(s->uuid, uuid);
		len += (size_t)snprintf(buf + len, cap - len, "vmIndex %zu %s %lld\n", i, uuid,
					(long long)(s->present ? 0 : s->departed));
	}
	snmp_save_persistent(XENSNMP_VM_STORE_TYPE);
	if (len)
		read_config_store(XENSNMP_VM_STORE_TYPE, buf);
	snmp_clean_persistent(XENSNMP_VM_STORE_TYPE);
	free(buf);
}

/* The plugin registers its handler while snmpd reads its configuration,
 * possibly after the persistent files were read: then read ours now. */
static void read_store_once(void)
{
	char path[1024];
	struct stat st;

	if (vm.store_read ||
	    netsnmp_ds_get_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD))
		return;
	snprintf(path, sizeof(path), "%s/%s.conf", get_persistent_directory(),
		 XENSNMP_VM_STORE_TYPE);
	if (stat(path, &st) == 0)
		read_config_with_type(path, XENSNMP_VM_STORE_TYPE);
}

/* --- taking up a snapshot ------------------------------------------------------------ */

void xensnmp_vmmib_snapshot(struct xen_snapshot *snap)
{
	time_t now = time(NULL);
	bool changed;

	if (snap == vm.cur.snap)
		return;
	if (!vm.started)
		read_store_once();
	vm.map.hold = vm.hold;
	xensnmp_vm_map_begin(&vm.map);
	view_build(&vm.cur, &vm.map, snap, true, now);
	changed = xensnmp_vm_map_end(&vm.map, now);
	/* rows came or went (Domain-0's never does), or the first rows */
	if (changed || !vm.started)
		vm.table_last_change = hv_uptime();
	vm.started = true;
	save_map();
}

/* --- tables ---------------------------------------------------------------------------- */

static const oid vm_table_oid[] = { VMMIB_TABLE_OID };
static const oid cpu_table_oid[] = { VMMIB_CPU_TABLE_OID };
static const oid affinity_table_oid[] = { VMMIB_CPU_AFFINITY_TABLE_OID };
static const oid storage_table_oid[] = { VMMIB_STORAGE_TABLE_OID };
static const oid network_table_oid[] = { VMMIB_NETWORK_TABLE_OID };

/* the view of snap, or none when the tables ask for another snapshot */
static const struct vm_view *view_of(const struct xen_snapshot *snap)
{
	return snap == vm.cur.snap ? &vm.cur : NULL;
}

static size_t count_vms(const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);

	return v ? v->n : 0;
}

static void fill_vms(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i;

	for (i = 0; v && i < v->n; i++) {
		oid idx[1] = { v->vms[i].index };

		xensnmp_table_add_indexed_row(t, v->vms[i].dom, NULL, idx);
	}
}

static void set_int32(netsnmp_variable_list *var, uint64_t v)
{
	xensnmp_set_int(var, v > INT32_MAX ? INT32_MAX : (long)v);
}

static void set_timeticks(netsnmp_variable_list *var, uint64_t centiseconds)
{
	/* TimeTicks count modulo 2^32 (RFC 2578) */
	snmp_set_var_typed_integer(var, ASN_TIMETICKS, (uint32_t)centiseconds);
}

static bool vm_value(const struct xensnmp_row *row, unsigned column, netsnmp_variable_list *var)
{
	const struct xen_domain *d = row->dom;
	int oper = xensnmp_vm_oper_state(d);
	struct timespec now;

	switch (column) {
	case VM_NAME:
		if (!xen_bytes_known(&d->name))
			return false;
		xensnmp_set_utf8(var, &d->name);
		return true;
	case VM_UUID:
		/* UUIDorZero: Domain-0 may have none */
		xensnmp_set_string(var, d->uuid, d->known & XEN_DOM_HAVE_UUID ? sizeof(d->uuid) : 0);
		return true;
	case VM_OSTYPE:
		if (!xen_bytes_known(&d->os_type))
			return false;
		xensnmp_set_utf8(var, &d->os_type);
		return true;
	case VM_ADMIN_STATE:
		if (!xensnmp_vm_admin_state(d))
			return false;
		xensnmp_set_int(var, xensnmp_vm_admin_state(d));
		return true;
	case VM_OPER_STATE:
		xensnmp_set_int(var, oper);
		return true;
	case VM_AUTO_START:
		/* not a Xen notion: the toolstack's start-up scripts decide */
		xensnmp_set_int(var, VM_AUTOSTART_UNKNOWN);
		return true;
	case VM_PERSISTENT:
		xensnmp_set_int(var, d->domid >= XEN_DOMID_SHUTOFF_BASE ? VM_PERSISTENT_PERSISTENT
									: VM_PERSISTENT_UNKNOWN);
		return true;
	case VM_CUR_CPU_NUMBER:
		if (!(d->known & XEN_DOM_HAVE_VCPUS_ONLINE))
			return false;
		set_int32(var, d->vcpus_online);
		return true;
	case VM_MIN_CPU_NUMBER:
	case VM_MIN_MEM:
		/* Xen sets no lower bound on online vCPUs or memory */
		xensnmp_set_int(var, -1);
		return true;
	case VM_MAX_CPU_NUMBER:
		if (!(d->known & XEN_DOM_HAVE_VCPUS_MAX))
			return false;
		set_int32(var, d->vcpus_max);
		return true;
	case VM_MEM_UNIT:
		xensnmp_set_int(var, 1024);	/* KiB, Xen's own unit */
		return true;
	case VM_CUR_MEM:
		if (!(d->known & XEN_DOM_HAVE_MEM_CURRENT))
			return false;
		set_int32(var, d->mem_current_kib);
		return true;
	case VM_MAX_MEM:
		if (!(d->known & XEN_DOM_HAVE_MEM_MAX))
			return false;
		set_int32(var, d->mem_max_kib);
		return true;
	case VM_UP_TIME:
		/* since the domain was built: a reboot is shutdown then running */
		if (!(d->known & XEN_DOM_HAVE_START_TIME) || oper == VM_OPER_SHUTDOWN ||
		    oper == VM_OPER_SUSPENDED)
			return false;
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec < d->start_time.tv_sec)
			set_timeticks(var, 0);
		else
			set_timeticks(var, (uint64_t)(now.tv_sec - d->start_time.tv_sec) * 100 +
						   (uint64_t)(now.tv_nsec / 10000000) -
						   (uint64_t)(d->start_time.tv_nsec / 10000000));
		return true;
	case VM_CPU_TIME:
		if (!(d->known & XEN_DOM_HAVE_CPU_TIME))
			return false;
		xensnmp_set_counter64(var, d->cpu_time_ns / 1000);
		return true;
	}
	return false;
}

static size_t count_cpus(const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, n = 0;

	for (i = 0; v && i < v->n; i++)
		n += v->vms[i].dom->n_vcpus;
	return n;
}

static void fill_cpus(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, j;

	for (i = 0; v && i < v->n; i++)
		for (j = 0; j < v->vms[i].dom->n_vcpus; j++) {
			const struct xen_vcpu *c = &v->vms[i].dom->vcpus[j];
			/* VirtualMachineCpuIndex starts at 1, Xen's vCPU ids at 0 */
			oid idx[2] = { v->vms[i].index, (oid)c->id + 1 };

			xensnmp_table_add_indexed_row(t, v->vms[i].dom, c, idx);
		}
}

static bool cpu_value(const struct xensnmp_row *row, unsigned column, netsnmp_variable_list *var)
{
	const struct xen_vcpu *c = row->item;

	if (column != VMCPU_CORE_TIME || !(c->known & XEN_VCPU_HAVE_CPU_TIME))
		return false;
	xensnmp_set_counter64(var, c->cpu_time_ns / 1000);
	return true;
}

/* The snapshot carries no vCPU affinity (see docs/vm-mib.md): no rows. */
static size_t count_none(const struct xen_snapshot *snap)
{
	(void)snap;
	return 0;
}

static void fill_none(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	(void)t;
	(void)snap;
}

static bool no_value(const struct xensnmp_row *row, unsigned column, netsnmp_variable_list *var)
{
	(void)row;
	(void)column;
	(void)var;
	return false;
}

static size_t count_storage(const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, n = 0;

	for (i = 0; v && i < v->n; i++)
		n += v->vms[i].dom->n_vbds;
	return n;
}

static void fill_storage(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, j;

	for (i = 0; v && i < v->n; i++)
		for (j = 0; j < v->vms[i].dom->n_vbds; j++) {
			const struct xen_vbd *b = &v->vms[i].dom->vbds[j];
			/* the virtual device number; no Xen disk numbers 0 */
			oid idx[2] = { v->vms[i].index, b->devid };

			if (b->devid >= 1 && b->devid <= INT32_MAX)
				xensnmp_table_add_indexed_row(t, v->vms[i].dom, b, idx);
		}
}

static bool bytes_are(const struct xen_bytes *b, const char *s)
{
	return xen_bytes_known(b) && b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

static bool bytes_start(const struct xen_bytes *b, const char *s)
{
	return xen_bytes_known(b) && b->len >= strlen(s) && memcmp(b->data, s, strlen(s)) == 0;
}

static int source_type(const struct xen_vbd *b)
{
	if (!xen_bytes_known(&b->params))
		return VM_SOURCE_UNKNOWN;
	if (bytes_start(&b->params, "/dev/"))
		return VM_SOURCE_BLOCK;
	/* blkback serves an image file through a loop device: raw */
	if (bytes_are(&b->backend_type, "vbd") && bytes_start(&b->params, "/"))
		return VM_SOURCE_RAW;
	return VM_SOURCE_OTHER;
}

/* the emulation the guest sees, from the virtual device name's prefix
 * (xen-vbd-interface(7)); NULL when the name says nothing */
static const char *media_string(const struct xen_vbd *b)
{
	if (bytes_start(&b->dev, "xvd"))
		return "xen-vbd";
	if (bytes_start(&b->dev, "hd"))
		return "IDE";
	if (bytes_start(&b->dev, "sd"))
		return "SCSI";
	return NULL;
}

static bool set_counter(netsnmp_variable_list *var, bool known, uint64_t v)
{
	if (known)
		xensnmp_set_counter64(var, v);
	return known;
}

static bool storage_value(const struct xensnmp_row *row, unsigned column,
			  netsnmp_variable_list *var)
{
	const struct xen_vbd *b = row->item;
	bool io = b->known & XEN_DEV_HAVE_IO;
	const char *s;

	switch (column) {
	case VMSTOR_PARENT:
		xensnmp_set_int(var, 0);	/* no HOST-RESOURCES-MIB beside us */
		return true;
	case VMSTOR_SOURCE_TYPE:
		xensnmp_set_int(var, source_type(b));
		return true;
	case VMSTOR_SOURCE_TYPE_STRING:
		if (!xen_bytes_known(&b->backend_type))
			return false;
		xensnmp_set_utf8(var, &b->backend_type);
		return true;
	case VMSTOR_RESOURCE_ID:
		if (!xen_bytes_known(&b->params))
			return false;
		xensnmp_set_utf8(var, &b->params);
		return true;
	case VMSTOR_ACCESS:
		xensnmp_set_int(var, !xen_bytes_known(&b->mode) ? VM_ACCESS_UNKNOWN
				     : b->mode.data[0] == 'r' ? VM_ACCESS_READONLY
				     : b->mode.data[0] == 'w' ? VM_ACCESS_READWRITE
				     : VM_ACCESS_UNKNOWN);
		return true;
	case VMSTOR_MEDIA_TYPE:
		xensnmp_set_int(var, !xen_bytes_known(&b->device_type) ? VM_MEDIA_UNKNOWN
				     : bytes_are(&b->device_type, "disk") ? VM_MEDIA_HARD_DISK
				     : bytes_are(&b->device_type, "cdrom") ? VM_MEDIA_OPTICAL_DISK
				     : VM_MEDIA_OTHER);
		return true;
	case VMSTOR_MEDIA_TYPE_STRING:
		if (!(s = media_string(b)))
			return false;
		xensnmp_set_string(var, s, strlen(s));
		return true;
	case VMSTOR_SIZE_UNIT:
		xensnmp_set_int(var, 1048576);
		return true;
	case VMSTOR_DEFINED_SIZE:
	case VMSTOR_ALLOCATED_SIZE:
		xensnmp_set_int(var, -1);	/* "not available" (the RFC's value) */
		return true;
	case VMSTOR_READ_IOS:
		return set_counter(var, io, b->rd_reqs);
	case VMSTOR_WRITE_IOS:
		return set_counter(var, io, b->wr_reqs);
	case VMSTOR_READ_OCTETS:
		return set_counter(var, io, b->rd_bytes);
	case VMSTOR_WRITE_OCTETS:
		return set_counter(var, io, b->wr_bytes);
	}
	return false;	/* the latencies: blkback does not count them */
}

static size_t count_networks(const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, n = 0;

	for (i = 0; v && i < v->n; i++)
		n += v->vms[i].dom->n_vifs;
	return n;
}

static void fill_networks(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	const struct vm_view *v = view_of(snap);
	size_t i, j;

	for (i = 0; v && i < v->n; i++)
		for (j = 0; j < v->vms[i].dom->n_vifs; j++) {
			const struct xen_vif *f = &v->vms[i].dom->vifs[j];
			/* VirtualMachineNetworkIndex starts at 1, Xen's devids at 0 */
			oid idx[2] = { v->vms[i].index, (oid)f->devid + 1 };

			if (f->devid < INT32_MAX)
				xensnmp_table_add_indexed_row(t, v->vms[i].dom, f, idx);
		}
}

static bool network_value(const struct xensnmp_row *row, unsigned column,
			  netsnmp_variable_list *var)
{
	const struct xen_vif *f = row->item;
	uint8_t mac[6];

	switch (column) {
	case VMNET_IF_INDEX:
		/* zero when dom0 shows no such interface (the RFC's rule) */
		xensnmp_set_int(var, f->known & XEN_DEV_HAVE_IFINDEX ? (long)f->ifindex : 0);
		return true;
	case VMNET_PARENT:
		xensnmp_set_int(var, 0);	/* a software bridge, no physical parent */
		return true;
	case VMNET_PHYS_ADDRESS:
		if (!xen_bytes_known(&f->mac) || xen_parse_mac(f->mac.data, f->mac.len, mac) < 0)
			return false;
		xensnmp_set_string(var, mac, sizeof(mac));
		return true;
	}
	return false;	/* vmNetworkModel: not in xenstore */
}

static const struct xensnmp_table_def table_defs[5] = {
	{
		.name = "vmTable", .oid = vm_table_oid, .oid_len = OID_LENGTH(vm_table_oid),
		.min_column = VM_FIRST_COLUMN, .max_column = VM_LAST_COLUMN,
		.n_index = 1, .integer_index = true,
		.count = count_vms, .fill = fill_vms, .value = vm_value,
	},
	{
		.name = "vmCpuTable", .oid = cpu_table_oid, .oid_len = OID_LENGTH(cpu_table_oid),
		.min_column = VMCPU_FIRST_COLUMN, .max_column = VMCPU_LAST_COLUMN,
		.n_index = 2, .integer_index = true,
		.count = count_cpus, .fill = fill_cpus, .value = cpu_value,
	},
	{
		.name = "vmCpuAffinityTable", .oid = affinity_table_oid,
		.oid_len = OID_LENGTH(affinity_table_oid),
		.min_column = VMAFF_AFFINITY, .max_column = VMAFF_AFFINITY,
		.n_index = 3, .integer_index = true,
		.count = count_none, .fill = fill_none, .value = no_value,
	},
	{
		.name = "vmStorageTable", .oid = storage_table_oid,
		.oid_len = OID_LENGTH(storage_table_oid),
		.min_column = VMSTOR_PARENT, .max_column = VMSTOR_WRITE_LATENCY,
		.n_index = 2, .integer_index = true,
		.count = count_storage, .fill = fill_storage, .value = storage_value,
	},
	{
		.name = "vmNetworkTable", .oid = network_table_oid,
		.oid_len = OID_LENGTH(network_table_oid),
		.min_column = VMNET_FIRST_COLUMN, .max_column = VMNET_LAST_COLUMN,
		.n_index = 2, .integer_index = true,
		.count = count_networks, .fill = fill_networks, .value = network_value,
	},
};

/* --- scalars ------------------------------------------------------------------------------ */

static const oid objects_oid[] = { VMMIB_OBJECTS_OID };
static const oid hv_oid[] = { VMMIB_HYPERVISOR_OID };

static int hv_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
		      netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	/* SNMPv2-SMI zeroDotZero: the Xen Project has no enterprise number */
	static const oid zero_dot_zero[] = { 0, 0 };
	static const char software[] = "Xen";
	const struct xen_snapshot *snap = vm.state->snap;
	netsnmp_request_info *req;

	(void)handler;
	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	xensnmp_note_read(vm.state);
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;

		if (req->processed || var->name_length <= OID_LENGTH(hv_oid))
			continue;
		switch (var->name[OID_LENGTH(hv_oid)]) {
		case VMHV_SOFTWARE:
			xensnmp_set_string(var, software, strlen(software));
			break;
		case VMHV_VERSION:
			if (!snap || !(snap->host.known & XEN_HOST_HAVE_VERSION))
				netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
			else
				xensnmp_set_utf8(var, &snap->host.xen_version);
			break;
		case VMHV_OBJECT_ID:
			snmp_set_var_typed_value(var, ASN_OBJECT_ID, zero_dot_zero,
						 sizeof(zero_dot_zero));
			break;
		case VMHV_UP_TIME:
			snmp_set_var_typed_integer(var, ASN_TIMETICKS, hv_uptime());
			break;
		default:
			netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		}
	}
	return SNMP_ERR_NOERROR;
}

/* vmNumber and vmTableLastChange: scalars with the subid in myvoid */
static int objects_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	unsigned subid = (unsigned)(uintptr_t)handler->myvoid;
	netsnmp_request_info *req;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	xensnmp_note_read(vm.state);
	for (req = requests; req; req = req->next) {
		if (req->processed)
			continue;
		if (!vm.started)
			netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
		else if (subid == VMOBJ_NUMBER)
			set_int32(req->requestvb, vm.cur.n);
		else
			snmp_set_var_typed_integer(req->requestvb, ASN_TIMETICKS,
						   vm.table_last_change);
	}
	return SNMP_ERR_NOERROR;
}

static netsnmp_handler_registration *register_object(const char *name, unsigned subid)
{
	oid o[OID_LENGTH(objects_oid) + 1];
	netsnmp_handler_registration *reg;

	memcpy(o, objects_oid, sizeof(objects_oid));
	o[OID_LENGTH(objects_oid)] = subid;
	reg = netsnmp_create_handler_registration(name, objects_handler, o, OID_LENGTH(o),
						  HANDLER_CAN_RONLY);
	if (!reg)
		return NULL;
	reg->handler->myvoid = (void *)(uintptr_t)subid;
	if (netsnmp_register_scalar(reg) != MIB_REGISTERED_OK)
		return NULL;
	return reg;
}

/* --- notifications ---------------------------------------------------------------------------- */

static const oid notifications_oid[] = { VMMIB_NOTIFICATIONS_OID };

/* the per-VM notification for a new operational state; 0: none */
static unsigned per_vm_notification(int state)
{
	switch (state) {
	case VM_OPER_RUNNING: return VMNOTIF_RUNNING;
	case VM_OPER_SHUTTINGDOWN: return VMNOTIF_SHUTTINGDOWN;
	case VM_OPER_SHUTDOWN: return VMNOTIF_SHUTDOWN;
	case VM_OPER_PAUSED: return VMNOTIF_PAUSED;
	case VM_OPER_SUSPENDING: return VMNOTIF_SUSPENDING;
	case VM_OPER_SUSPENDED: return VMNOTIF_SUSPENDED;
	case VM_OPER_RESUMING: return VMNOTIF_RESUMING;
	case VM_OPER_MIGRATING: return VMNOTIF_MIGRATING;
	case VM_OPER_CRASHED: return VMNOTIF_CRASHED;
	case 0: return VMNOTIF_DELETED;
	default: return 0;
	}
}

static netsnmp_variable_list *start_list(unsigned notification)
{
	return xensnmp_notification_start(notifications_oid, OID_LENGTH(notifications_oid),
					  notification);
}

static const oid entry_oid[] = { VMMIB_TABLE_OID, 1 };

static netsnmp_variable_list *per_vm_varbinds(const struct transition *c)
{
	const struct xen_domain *d = c->dom;
	netsnmp_variable_list *list = start_list(per_vm_notification(c->state)), *v;

	if (!list)
		return NULL;
	if (!(v = xensnmp_varbind_add(&list, entry_oid, OID_LENGTH(entry_oid), VM_NAME, c->index)))
		goto fail;
	if (xen_bytes_known(&d->name))
		xensnmp_set_utf8(v, &d->name);
	else
		xensnmp_set_string(v, "", 0);
	if (!(v = xensnmp_varbind_add(&list, entry_oid, OID_LENGTH(entry_oid), VM_UUID, c->index)))
		goto fail;
	xensnmp_set_string(v, d->uuid, d->known & XEN_DOM_HAVE_UUID ? sizeof(d->uuid) : 0);
	/* the state it left */
	if (!(v = xensnmp_varbind_add(&list, entry_oid, OID_LENGTH(entry_oid), VM_OPER_STATE, c->index)))
		goto fail;
	xensnmp_set_int(v, c->prev_state);
	if (!c->state) {
		if (!(v = xensnmp_varbind_add(&list, entry_oid, OID_LENGTH(entry_oid), VM_PERSISTENT, c->index)))
			goto fail;
		xensnmp_set_int(v, d->domid >= XEN_DOMID_SHUTOFF_BASE ? VM_PERSISTENT_PERSISTENT
								      : VM_PERSISTENT_UNKNOWN);
	}
	return list;
fail:
	snmp_free_varbind(list);
	return NULL;
}

static void add_change(uint32_t index, int prev_state, int state, const struct xen_domain *dom)
{
	xen_grow(&vm.changes, &vm.cap_changes, vm.n_changes + 1, sizeof(*vm.changes));
	vm.changes[vm.n_changes++] = (struct transition){ index, prev_state, state, dom };
}

/* how long a new VM's notification waits for its name, as xdmDomainCreated */
#define DESCRIBE_WAIT_NS 500000000LL

static bool undescribed(const struct xen_domain *d, const struct xen_snapshot *snap)
{
	return !xen_bytes_known(&d->name) && (snap->sources & (XEN_SRC_XENSTORE | XEN_SRC_XEND));
}

static void on_fresh_due(unsigned reg, void *clientarg)
{
	(void)reg;
	(void)clientarg;
	vm.fresh_alarm = 0;
	if (vm.n_fresh && vm.state->conn)
		xen_conn_request_refresh(vm.state->conn, false);
}

/* the position of index in the fresh list, or n_fresh */
static size_t fresh_pos(uint32_t index)
{
	size_t i;

	for (i = 0; i < vm.n_fresh && vm.fresh[i].index != index; i++)
		;
	return i;
}

/*
 * Whether the new VM at index is told now; a nameless one waits for its
 * name, at most DESCRIBE_WAIT_NS, in the fresh list.
 */
static bool tell_new(uint32_t index, const struct xen_domain *d, const struct xen_snapshot *cur,
		     const struct timespec *now)
{
	size_t i = fresh_pos(index);

	if (undescribed(d, cur)) {
		if (i == vm.n_fresh) {
			xen_grow(&vm.fresh, &vm.cap_fresh, vm.n_fresh + 1, sizeof(*vm.fresh));
			vm.fresh[vm.n_fresh++] = (struct fresh_vm){ index, *now };
			/* a snapshot after the wait tells it, named or not */
			if (!vm.fresh_alarm) {
				struct timeval wait = { 0, DESCRIBE_WAIT_NS / 1000 + 50000 };

				vm.fresh_alarm = snmp_alarm_register_hr(wait, 0, on_fresh_due, NULL);
			}
			return false;
		}
		if ((now->tv_sec - vm.fresh[i].since.tv_sec) * 1000000000LL +
		    (now->tv_nsec - vm.fresh[i].since.tv_nsec) < DESCRIBE_WAIT_NS)
			return false;
	}
	if (i < vm.n_fresh)
		vm.fresh[i] = vm.fresh[--vm.n_fresh];
	return true;
}

/*
 * The VMs whose operational state changed from prev to cur, deletions
 * first, each in index order.  A VM new in cur left shutdown(11): it did
 * not run before.  So did one whose state prev did not know: xenstore
 * often shows a new domain before the hypervisor's list does, and no
 * notification told that unknown state.  Changes to unknown, other or
 * preparing are none.
 */
static void compare(const struct xen_snapshot *prev, const struct xen_snapshot *cur)
{
	struct timespec mono;
	struct vm_view before = { 0 };
	const struct vm_view *after = view_of(cur);
	size_t i = 0, j = 0;

	vm.n_changes = 0;
	if (!after)
		return;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	view_build(&before, &vm.map, (struct xen_snapshot *)(uintptr_t)prev, false, 0);
	for (i = 0; i < before.n; i++) {
		while (j < after->n && after->vms[j].index < before.vms[i].index)
			j++;
		if (j >= after->n || after->vms[j].index != before.vms[i].index) {
			size_t f = fresh_pos(before.vms[i].index);

			if (f < vm.n_fresh)	/* gone before it was told */
				vm.fresh[f] = vm.fresh[--vm.n_fresh];
			add_change(before.vms[i].index, xensnmp_vm_oper_state(before.vms[i].dom), 0,
				   before.vms[i].dom);
		}
	}
	for (i = 0, j = 0; j < after->n; j++) {
		int now = xensnmp_vm_oper_state(after->vms[j].dom), was = VM_OPER_SHUTDOWN;

		while (i < before.n && before.vms[i].index < after->vms[j].index)
			i++;
		if (fresh_pos(after->vms[j].index) < vm.n_fresh ||
		    i >= before.n || before.vms[i].index != after->vms[j].index ||
		    xensnmp_vm_oper_state(before.vms[i].dom) == VM_OPER_UNKNOWN) {
			/* new (or not told yet): it was not running */
			if (!tell_new(after->vms[j].index, after->vms[j].dom, cur, &mono))
				continue;
		} else {
			was = xensnmp_vm_oper_state(before.vms[i].dom);
		}
		if (now != was && per_vm_notification(now))
			add_change(after->vms[j].index, was, now, after->vms[j].dom);
	}
	view_clear(&before);
}

/* the per-VM notifications in the order of their bulk forms (11..20) */
static const unsigned bulk_order[N_BULK] = {
	VMNOTIF_RUNNING, VMNOTIF_SHUTTINGDOWN, VMNOTIF_SHUTDOWN, VMNOTIF_PAUSED,
	VMNOTIF_SUSPENDING, VMNOTIF_SUSPENDED, VMNOTIF_RESUMING, VMNOTIF_MIGRATING,
	VMNOTIF_CRASHED, VMNOTIF_DELETED,
};

static void on_bulk_due(unsigned reg, void *clientarg);

/*
 * Sends each bulk notification that has VMs and gets a token.  One that
 * gets none keeps its VMs and gathers more, and goes with the next
 * comparison or a second later (an alarm set only while one waits): a
 * storm delays a summary but loses no VM from it.
 */
static void flush_bulk(void)
{
	bool waiting = false;
	size_t k;

	for (k = 0; k < N_BULK; k++) {
		struct pending_bulk *b = &vm.bulk[k];
		netsnmp_variable_list *list, *v;
		uint32_t max = 0;
		uint8_t *bits;
		size_t i, len;

		if (!b->n)
			continue;
		if (!xensnmp_notify_enabled(XENSNMP_NOTIFY_VM_BULK)) {
			b->n = 0;	/* switched off: nothing to tell */
			continue;
		}
		if (!xensnmp_notify_try_send(XENSNMP_NOTIFY_VM_BULK)) {
			waiting = true;
			continue;
		}
		for (i = 0; i < b->n; i++)
			if (b->idx[i] > max)
				max = b->idx[i];
		bits = xen_calloc((size_t)max / 8 + 1, 1);
		len = xensnmp_vm_list(b->idx, b->n, bits, (size_t)max / 8 + 1);
		/* the bulk form of per-VM notification N is N + 10 */
		list = start_list(bulk_order[k] + VMNOTIF_BULK_RUNNING - VMNOTIF_RUNNING);
		v = list ? xensnmp_varbind_add(&list, objects_oid, OID_LENGTH(objects_oid), VMOBJ_AFFECTED_VMS, 0)
			 : NULL;
		if (v) {
			xensnmp_set_string(v, bits, len);
		} else {
			snmp_free_varbind(list);
			list = NULL;
		}
		xensnmp_notify_send(list, "a VM-MIB bulk notification");
		free(bits);
		b->n = 0;
	}
	if (waiting && !vm.bulk_alarm)
		vm.bulk_alarm = snmp_alarm_register(1, 0, on_bulk_due, NULL);
}

static void gather_bulk(void)
{
	size_t i, k;

	if (!xensnmp_notify_enabled(XENSNMP_NOTIFY_VM_BULK))
		return;
	for (i = 0; i < vm.n_changes; i++)
		for (k = 0; k < N_BULK; k++)
			if (bulk_order[k] == per_vm_notification(vm.changes[i].state)) {
				struct pending_bulk *b = &vm.bulk[k];

				xen_grow(&b->idx, &b->cap, b->n + 1, sizeof(*b->idx));
				b->idx[b->n++] = vm.changes[i].index;
			}
}

static void on_bulk_due(unsigned reg, void *clientarg)
{
	(void)reg;
	(void)clientarg;
	vm.bulk_alarm = 0;
	flush_bulk();
}

static void send_per_vm(void)
{
	size_t i;

	for (i = 0; i < vm.n_changes; i++)
		if (xensnmp_notify_may_send(XENSNMP_NOTIFY_VM_PER_VM))
			xensnmp_notify_send(per_vm_varbinds(&vm.changes[i]),
					    "a VM-MIB per-VM notification");
}

static void on_compare(const struct xen_snapshot *prev, const struct xen_snapshot *cur,
		       enum xensnmp_notify_phase phase)
{
	if (phase == XENSNMP_NOTIFY_SUMMARIES) {
		compare(prev, cur);
		gather_bulk();
		flush_bulk();
	} else {
		send_per_vm();
		vm.n_changes = 0;	/* its domains belong to prev */
	}
}

/* --- configuration and registration ----------------------------------------------------------- */

static void parse_hold_token(const char *token, char *line)
{
	long seconds;

	(void)token;
	if (!xensnmp_config_long(line, 0, XENSNMP_VM_MAX_HOLD, &seconds))
		config_perror("xensnmpVmIndexHold takes a whole number of seconds, 0 to 31536000; "
			      "keeping the previous hold");
	else
		vm.hold = (unsigned)seconds;
}

void xensnmp_vmmib_reset_config(void)
{
	vm.hold = XENSNMP_VM_DEFAULT_HOLD;
}

void xensnmp_vmmib_init(const struct xensnmp_state *state)
{
	oid o[OID_LENGTH(objects_oid) + 1];
	size_t i;

	vm.state = state;
	register_app_config_handler("xensnmpVmIndexHold", parse_hold_token, NULL,
				    "seconds a departed VM keeps its vmIndex (default 86400)");
	register_config_handler(XENSNMP_VM_STORE_TYPE, "vmIndex", parse_store_line, NULL, NULL);

	vm.hv_reg = netsnmp_create_handler_registration("vmHypervisor", hv_handler, hv_oid,
							OID_LENGTH(hv_oid), HANDLER_CAN_RONLY);
	if (!vm.hv_reg ||
	    netsnmp_register_scalar_group(vm.hv_reg, VMHV_FIRST, VMHV_LAST) != MIB_REGISTERED_OK) {
		vm.hv_reg = NULL;
		snmp_log(LOG_ERR, "xensnmp: cannot register vmHypervisor\n");
	}
	vm.number_reg = register_object("vmNumber", VMOBJ_NUMBER);
	vm.last_change_reg = register_object("vmTableLastChange", VMOBJ_TABLE_LAST_CHANGE);
	memcpy(o, objects_oid, sizeof(objects_oid));
	o[OID_LENGTH(objects_oid)] = VMOBJ_PER_VMNOTIFICATIONS_ENABLED;
	vm.per_vm_reg = xensnmp_notify_register_switch("vmPerVMNotificationsEnabled", o,
						       OID_LENGTH(o), XENSNMP_NOTIFY_VM_PER_VM);
	o[OID_LENGTH(objects_oid)] = VMOBJ_BULK_NOTIFICATIONS_ENABLED;
	vm.bulk_reg = xensnmp_notify_register_switch("vmBulkNotificationsEnabled", o,
						     OID_LENGTH(o), XENSNMP_NOTIFY_VM_BULK);
	if (!vm.number_reg || !vm.last_change_reg || !vm.per_vm_reg || !vm.bulk_reg)
		snmp_log(LOG_ERR, "xensnmp: cannot register the VM-MIB scalars\n");
	for (i = 0; i < sizeof(table_defs) / sizeof(table_defs[0]); i++)
		if (xensnmp_table_register(&vm.tables[i], &table_defs[i], state) < 0)
			snmp_log(LOG_ERR, "xensnmp: cannot register %s\n", table_defs[i].name);
	if (!xensnmp_notify_listen(on_compare))
		snmp_log(LOG_ERR, "xensnmp: VM-MIB notifications cannot be sent\n");
}

void xensnmp_vmmib_deinit(void)
{
	netsnmp_handler_registration **regs[] = {
		&vm.hv_reg, &vm.number_reg, &vm.last_change_reg, &vm.per_vm_reg, &vm.bulk_reg,
	};
	size_t i;

	unregister_app_config_handler("xensnmpVmIndexHold");
	unregister_config_handler(XENSNMP_VM_STORE_TYPE, "vmIndex");
	for (i = 0; i < sizeof(vm.tables) / sizeof(vm.tables[0]); i++)
		xensnmp_table_unregister(&vm.tables[i]);
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (*regs[i])
			netsnmp_unregister_handler(*regs[i]);
		*regs[i] = NULL;
	}
	view_clear(&vm.cur);
	xensnmp_vm_map_clear(&vm.map);
	if (vm.bulk_alarm)
		snmp_alarm_unregister(vm.bulk_alarm);
	vm.bulk_alarm = 0;
	for (i = 0; i < N_BULK; i++) {
		free(vm.bulk[i].idx);
		memset(&vm.bulk[i], 0, sizeof(vm.bulk[i]));
	}
	if (vm.fresh_alarm)
		snmp_alarm_unregister(vm.fresh_alarm);
	vm.fresh_alarm = 0;
	free(vm.fresh);
	vm.fresh = NULL;
	vm.n_fresh = vm.cap_fresh = 0;
	free(vm.changes);
	vm.changes = NULL;
	vm.n_changes = vm.cap_changes = 0;
	vm.started = vm.store_read = false;
}
