/*
 * xdmControl: the spin lock, the control table indexed by UUID and the
 * results table.  One handler serves the whole subtree, so that the lock
 * and the control objects of one PDU reach it in one call (through
 * AgentX too: the master forwards one registration's varbinds in one
 * TestSet).
 *
 * A SET goes through net-snmp's phases:
 *   RESERVE1  each varbind alone: writable at all (mode, Domain-0), type,
 *             the SYNTAX range;
 *   RESERVE2  the PDU against the snapshot served: the lock present and
 *             current, the UUID's row there and unambiguous, the value
 *             within the domain's maximum, the transition sensible;
 *   ACTION    the lock is incremented (UNDO puts it back);
 *   COMMIT    each request gets its results row (inProgress) and is
 *             queued for the connection's control thread; nothing here
 *             waits on Xen.  A queue that cannot take it: commitFailed.
 * The outcome comes back through xensnmp_control_collect, and each
 * finished request is told as xdmActionFinished (xensnmp_control_announce).
 *
 * Everything here runs in net-snmp's one agent thread.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "xensnmp_control.h"
#include "xensnmp_notify.h"
#include "xensnmp_oids.h"
#include "xensnmp_values.h"

#define UUID_LEN 16
#define LOCK_MAX 2147483647L
#define MEM_TARGET_MIN 16384	/* KiB; the MIB's range */
#define VCPUS_MAX 4096

static const oid control_oid[] = { XENSNMP_CONTROL_OID };
#define ROOT_LEN OID_LENGTH(control_oid)
#define ROW_OID_LEN (ROOT_LEN + 3 + UUID_LEN)	/* root.2.1.column.uuid */
#define RESULT_OID_LEN (ROOT_LEN + 4)		/* root.3.1.column.index */

struct result {
	uint32_t index;
	int request;			/* XENSNMP_REQUEST_* */
	uint32_t value;
	uint8_t uuid[UUID_LEN];
	struct xen_bytes name;		/* owned copy; data NULL: none */
	uint32_t domid;
	int status;			/* XENSNMP_RESULT_* */
	char detail[256];
	struct timespec requested, ended;	/* ended zero while in progress */
	char requester[XENSNMP_UTF8_MAX + 1];
	bool announce;			/* ended; xdmActionFinished not sent yet */
};

struct control_row {
	uint8_t uuid[UUID_LEN];
	const struct xen_domain *dom;	/* points into rows_snap */
	bool ambiguous;			/* two running domains hold the UUID */
};

/* One varbind of the SET in progress. */
struct set_item {
	oid name[ROW_OID_LEN];
	unsigned column;		/* XENCTL_* */
	uint8_t uuid[UUID_LEN];
	long value;
	bool acts;			/* not noAction: queued at COMMIT */
	uint32_t domid;			/* RESERVE2: where the snapshot has it */
	char dom_name[64];
};

static struct {
	const struct xensnmp_state *state;
	netsnmp_handler_registration *reg;
	long lock;
	bool allow_dom0;
	struct result results[XENSNMP_RESULTS_MAX];	/* ascending index */
	size_t n_results;
	uint32_t last_index;
	struct xen_snapshot *rows_snap;	/* referenced while rows point into it */
	struct control_row *rows;	/* sorted by UUID */
	size_t n_rows;
	/* the SET being processed: net-snmp handles one SET at a time */
	struct {
		bool have_lock;
		long lock_value, lock_before;
		bool lock_applied;
		struct set_item *items;
		size_t n_items, cap_items;
		char requester[XENSNMP_UTF8_MAX + 1];
	} set;
} ctl;

static const uint8_t nil_uuid[UUID_LEN];

/* ---- rows ----------------------------------------------------------- */

static int row_cmp(const void *a, const void *b)
{
	const struct control_row *x = a, *y = b;
	int c = memcmp(x->uuid, y->uuid, UUID_LEN);

	if (c)
		return c;
	return x->dom->domid < y->dom->domid ? -1 : x->dom->domid > y->dom->domid;
}

/* The control rows of the snapshot served, rebuilt when it changed. */
static void load_rows(void)
{
	struct xen_snapshot *snap = ctl.state->snap;
	size_t i, n = 0;

	if (snap == ctl.rows_snap)
		return;
	free(ctl.rows);
	ctl.rows = NULL;
	ctl.n_rows = 0;
	xen_snapshot_unref(ctl.rows_snap);
	ctl.rows_snap = xen_snapshot_ref(snap);
	if (!snap || !snap->n_domains)
		return;
	ctl.rows = calloc(snap->n_domains, sizeof(*ctl.rows));
	if (!ctl.rows)
		return;
	for (i = 0; i < snap->n_domains; i++) {
		const struct xen_domain *dom = snap->domains[i];
		struct control_row *r = &ctl.rows[n];

		if (dom->domid >= XEN_DOMID_SHUTOFF_BASE)
			continue;	/* not running: nothing to act on */
		if (dom->domid == 0) {
			memset(r->uuid, 0, UUID_LEN);	/* Domain-0: the nil UUID */
		} else {
			if (!(dom->known & XEN_DOM_HAVE_UUID) ||
			    memcmp(dom->uuid, nil_uuid, UUID_LEN) == 0)
				continue;
			memcpy(r->uuid, dom->uuid, UUID_LEN);
		}
		r->dom = dom;
		n++;
	}
	qsort(ctl.rows, n, sizeof(*ctl.rows), row_cmp);
	/* one row per UUID: the newest domain, marked when two hold it */
	ctl.n_rows = 0;
	for (i = 0; i < n; i++) {
		if (ctl.n_rows && memcmp(ctl.rows[ctl.n_rows - 1].uuid, ctl.rows[i].uuid,
					 UUID_LEN) == 0) {
			ctl.rows[ctl.n_rows - 1].dom = ctl.rows[i].dom;
			ctl.rows[ctl.n_rows - 1].ambiguous = true;
			continue;
		}
		ctl.rows[ctl.n_rows++] = ctl.rows[i];
	}
}

static const struct control_row *find_row(const uint8_t *uuid)
{
	size_t lo = 0, hi = ctl.n_rows;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(ctl.rows[mid].uuid, uuid, UUID_LEN);

		if (!c)
			return &ctl.rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct result *latest_result(const uint8_t *uuid)
{
	size_t i;

	for (i = ctl.n_results; i-- > 0;)
		if (memcmp(ctl.results[i].uuid, uuid, UUID_LEN) == 0)
			return &ctl.results[i];
	return NULL;
}

static bool in_progress(const uint8_t *uuid)
{
	size_t i;

	for (i = 0; i < ctl.n_results; i++)
		if (ctl.results[i].status == XENSNMP_RESULT_IN_PROGRESS &&
		    memcmp(ctl.results[i].uuid, uuid, UUID_LEN) == 0)
			return true;
	return false;
}

static struct result *find_result(uint32_t index)
{
	size_t lo = 0, hi = ctl.n_results;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ctl.results[mid].index == index)
			return &ctl.results[mid];
		if (ctl.results[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- values ----------------------------------------------------------- */

static bool row_value(const struct control_row *row, unsigned column,
		      netsnmp_variable_list *var)
{
	const struct xen_domain *dom = row->dom;
	const struct result *r;

	switch (column) {
	case XENCTL_DOMAIN_INDEX:
		xensnmp_set_unsigned(var, dom->domid);
		return true;
	case XENCTL_NAME:
		if (!xen_bytes_known(&dom->name))
			return false;
		xensnmp_set_utf8(var, &dom->name);
		return true;
	case XENCTL_ACTION:
		xensnmp_set_int(var, XENSNMP_ACTION_NO_ACTION);
		return true;
	case XENCTL_MEM_TARGET:
		if (!(dom->known & XEN_DOM_HAVE_MEM_TARGET))
			return false;
		xensnmp_set_unsigned(var, xensnmp_clamp32(dom->mem_target_kib));
		return true;
	case XENCTL_VCPUS_ONLINE:
		if (!(dom->known & XEN_DOM_HAVE_VCPUS_ONLINE))
			return false;
		xensnmp_set_unsigned(var, dom->vcpus_online);
		return true;
	case XENCTL_LAST_RESULT:
		r = latest_result(row->uuid);
		xensnmp_set_unsigned(var, r ? r->index : 0);
		return true;
	}
	return false;
}

static bool result_value(const struct result *r, unsigned column,
			 netsnmp_variable_list *var)
{
	switch (column) {
	case XENRES_REQUEST:
		xensnmp_set_int(var, r->request);
		return true;
	case XENRES_VALUE:
		xensnmp_set_unsigned(var, r->value);
		return true;
	case XENRES_UUID:
		xensnmp_set_string(var, r->uuid, UUID_LEN);
		return true;
	case XENRES_NAME:
		if (r->name.data)
			xensnmp_set_utf8(var, &r->name);
		else
			xensnmp_set_string(var, "", 0);
		return true;
	case XENRES_DOMAIN_ID:
		xensnmp_set_int(var, (long)r->domid);
		return true;
	case XENRES_STATUS:
		xensnmp_set_int(var, r->status);
		return true;
	case XENRES_DETAIL:
		xensnmp_set_text(var, r->detail, strlen(r->detail), XENSNMP_UTF8_MAX);
		return true;
	case XENRES_REQUEST_TIME:
		xensnmp_set_date(var, &r->requested);
		return true;
	case XENRES_END_TIME:
		if (!r->ended.tv_sec && !r->ended.tv_nsec)
			return false;
		xensnmp_set_date(var, &r->ended);
		return true;
	case XENRES_REQUESTER:
		xensnmp_set_text(var, r->requester, strlen(r->requester), XENSNMP_UTF8_MAX);
		return true;
	}
	return false;
}

/* ---- addressing --------------------------------------------------------- */

enum target { T_NONE, T_LOCK, T_ROW, T_RESULT };

struct address {
	enum target target;
	unsigned column;
	uint8_t uuid[UUID_LEN];
	uint32_t index;
	bool object_known;	/* the name is under a defined object */
};

static void parse_name(const oid *name, size_t len, struct address *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	if (len <= ROOT_LEN || snmp_oid_compare(name, ROOT_LEN, control_oid, ROOT_LEN) != 0)
		return;
	switch (name[ROOT_LEN]) {
	case XENCTL_NODE_SPIN_LOCK:
		a->object_known = true;
		if (len == ROOT_LEN + 2 && name[ROOT_LEN + 1] == 0)
			a->target = T_LOCK;
		return;
	case XENCTL_NODE_TABLE:
		if (len < ROOT_LEN + 3 || name[ROOT_LEN + 1] != 1 ||
		    name[ROOT_LEN + 2] < XENCTL_FIRST_COLUMN || name[ROOT_LEN + 2] > XENCTL_LAST_COLUMN)
			return;
		a->object_known = true;
		a->column = (unsigned)name[ROOT_LEN + 2];
		if (len != ROW_OID_LEN)
			return;
		for (i = 0; i < UUID_LEN; i++) {
			if (name[ROOT_LEN + 3 + i] > 255)
				return;
			a->uuid[i] = (uint8_t)name[ROOT_LEN + 3 + i];
		}
		a->target = T_ROW;
		return;
	case XENCTL_NODE_RESULT_TABLE:
		if (len < ROOT_LEN + 3 || name[ROOT_LEN + 1] != 1 ||
		    name[ROOT_LEN + 2] < XENRES_FIRST_COLUMN || name[ROOT_LEN + 2] > XENRES_LAST_COLUMN)
			return;
		a->object_known = true;
		a->column = (unsigned)name[ROOT_LEN + 2];
		if (len != RESULT_OID_LEN || name[ROOT_LEN + 3] < 1 ||
		    name[ROOT_LEN + 3] > 4294967295UL)
			return;
		a->index = (uint32_t)name[ROOT_LEN + 3];
		a->target = T_RESULT;
		return;
	}
}

static void row_oid(oid *buf, unsigned column, const uint8_t *uuid)
{
	size_t i;

	memcpy(buf, control_oid, sizeof(control_oid));
	buf[ROOT_LEN] = XENCTL_NODE_TABLE;
	buf[ROOT_LEN + 1] = 1;
	buf[ROOT_LEN + 2] = column;
	for (i = 0; i < UUID_LEN; i++)
		buf[ROOT_LEN + 3 + i] = uuid[i];
}

static void result_oid(oid *buf, unsigned column, uint32_t index)
{
	memcpy(buf, control_oid, sizeof(control_oid));
	buf[ROOT_LEN] = XENCTL_NODE_RESULT_TABLE;
	buf[ROOT_LEN + 1] = 1;
	buf[ROOT_LEN + 2] = column;
	buf[ROOT_LEN + 3] = index;
}

static bool get_value(const oid *name, size_t len, netsnmp_variable_list *var)
{
	struct address a;
	const struct control_row *row;
	const struct result *r;

	parse_name(name, len, &a);
	switch (a.target) {
	case T_LOCK:
		xensnmp_set_int(var, ctl.lock);
		return true;
	case T_ROW:
		row = find_row(a.uuid);
		return row && row_value(row, a.column, var);
	case T_RESULT:
		r = find_result(a.index);
		return r && result_value(r, a.column, var);
	case T_NONE:
		break;
	}
	return false;
}

/* The first instance after name that has a value: into var (name and value). */
static bool next_value(const oid *name, size_t len, netsnmp_variable_list *var)
{
	oid buf[ROW_OID_LEN];
	unsigned col;
	size_t lo, hi;

	memcpy(buf, control_oid, sizeof(control_oid));
	buf[ROOT_LEN] = XENCTL_NODE_SPIN_LOCK;
	buf[ROOT_LEN + 1] = 0;
	if (snmp_oid_compare(buf, ROOT_LEN + 2, name, len) > 0) {
		snmp_set_var_objid(var, buf, ROOT_LEN + 2);
		xensnmp_set_int(var, ctl.lock);
		return true;
	}
	for (col = XENCTL_FIRST_COLUMN; col <= XENCTL_LAST_COLUMN; col++) {
		/* the first row after name in this column */
		lo = 0;
		hi = ctl.n_rows;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			row_oid(buf, col, ctl.rows[mid].uuid);
			if (snmp_oid_compare(buf, ROW_OID_LEN, name, len) > 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		for (; lo < ctl.n_rows; lo++) {
			row_oid(buf, col, ctl.rows[lo].uuid);
			snmp_set_var_objid(var, buf, ROW_OID_LEN);
			if (row_value(&ctl.rows[lo], col, var))
				return true;
		}
	}
	for (col = XENRES_FIRST_COLUMN; col <= XENRES_LAST_COLUMN; col++) {
		lo = 0;
		hi = ctl.n_results;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			result_oid(buf, col, ctl.results[mid].index);
			if (snmp_oid_compare(buf, RESULT_OID_LEN, name, len) > 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		for (; lo < ctl.n_results; lo++) {
			result_oid(buf, col, ctl.results[lo].index);
			snmp_set_var_objid(var, buf, RESULT_OID_LEN);
			if (result_value(&ctl.results[lo], col, var))
				return true;
		}
	}
	return false;
}

/* ---- xdmActionFinished ------------------------------------------------------ */

/* The notification's objects: the row's own columns, so it says exactly
 * what the table says; NULL when out of memory. */
static netsnmp_variable_list *result_varbinds(const struct result *r)
{
	static const unsigned columns[] = {	/* xdmActionFinished's OBJECTS */
		XENRES_REQUEST, XENRES_VALUE, XENRES_UUID, XENRES_NAME,
		XENRES_DOMAIN_ID, XENRES_STATUS, XENRES_DETAIL,
	};
	netsnmp_variable_list *list = NULL, *v;
	oid name[RESULT_OID_LEN];
	size_t i;

	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		result_oid(name, columns[i], r->index);
		v = snmp_varlist_add_variable(&list, name, RESULT_OID_LEN, ASN_NULL, NULL, 0);
		if (!v) {
			snmp_free_varbind(list);
			return NULL;
		}
		result_value(r, columns[i], v);	/* every one of these has a value */
	}
	return list;
}

void xensnmp_control_announce(void)
{
	size_t i;

	for (i = 0; i < ctl.n_results; i++)
		if (ctl.results[i].announce) {
			ctl.results[i].announce = false;
			xensnmp_notify_action_finished(result_varbinds(&ctl.results[i]));
		}
}

/* ---- requests and results ------------------------------------------------ */

static void format_uuid(const uint8_t *u, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

static const char *column_name(unsigned column)
{
	switch (column) {
	case XENCTL_ACTION: return "xdmControlAction";
	case XENCTL_MEM_TARGET: return "xdmControlMemTarget";
	case XENCTL_VCPUS_ONLINE: return "xdmControlVcpusOnline";
	}
	return "xdmControl";
}

static int request_of(const struct set_item *it)
{
	if (it->column == XENCTL_MEM_TARGET)
		return XENSNMP_REQUEST_SET_MEM_TARGET;
	if (it->column == XENCTL_VCPUS_ONLINE)
		return XENSNMP_REQUEST_SET_VCPUS;
	return (int)it->value;	/* XenControlRequest shares the action numbers */
}

static const char *request_name(int request)
{
	switch (request) {
	case XENSNMP_REQUEST_PAUSE: return "pause";
	case XENSNMP_REQUEST_UNPAUSE: return "unpause";
	case XENSNMP_REQUEST_SHUTDOWN: return "shutdown";
	case XENSNMP_REQUEST_REBOOT: return "reboot";
	case XENSNMP_REQUEST_DESTROY: return "destroy";
	case XENSNMP_REQUEST_SET_MEM_TARGET: return "setMemTarget";
	case XENSNMP_REQUEST_SET_VCPUS: return "setVcpus";
	}
	return "?";
}

static enum xen_control_op op_of(int request)
{
	switch (request) {
	case XENSNMP_REQUEST_PAUSE: return XEN_CONTROL_PAUSE;
	case XENSNMP_REQUEST_UNPAUSE: return XEN_CONTROL_UNPAUSE;
	case XENSNMP_REQUEST_SHUTDOWN: return XEN_CONTROL_SHUTDOWN;
	case XENSNMP_REQUEST_REBOOT: return XEN_CONTROL_REBOOT;
	case XENSNMP_REQUEST_DESTROY: return XEN_CONTROL_DESTROY;
	case XENSNMP_REQUEST_SET_MEM_TARGET: return XEN_CONTROL_MEM_TARGET;
	}
	return XEN_CONTROL_VCPUS;
}

/*
 * Who sent the PDU, as far as this form of the module can tell.  A
 * community is a password: it is never written, only the version.
 */
static void describe_requester(netsnmp_agent_request_info *reqinfo, char *out, size_t len)
{
	netsnmp_agent_session *asp = reqinfo->asp;
	netsnmp_pdu *pdu = asp ? asp->pdu : NULL;
	char *peer = NULL;

	/* the agent role: 1 is an AgentX subagent */
	if (netsnmp_ds_get_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE)) {
		snprintf(out, len, "AgentX master (it passes no requester)");
		return;
	}
	if (!pdu) {
		snprintf(out, len, "unknown");
		return;
	}
	if (asp->session) {
		netsnmp_transport *t = snmp_sess_transport(snmp_sess_pointer(asp->session));

		if (t)
			peer = netsnmp_transport_peer_string(t, pdu->transport_data,
							     pdu->transport_data_length);
	}
	if (pdu->version == SNMP_VERSION_3)
		snprintf(out, len, "SNMPv3 user %.*s from %s",
			 (int)(pdu->securityNameLen < 64 ? pdu->securityNameLen : 64),
			 pdu->securityName ? pdu->securityName : "",
			 peer ? peer : "unknown address");
	else
		snprintf(out, len, "SNMP%s community from %s",
			 pdu->version == SNMP_VERSION_1 ? "v1" : "v2c",
			 peer ? peer : "unknown address");
	free(peer);
}

static struct result *new_result(void)
{
	struct result *r;

	if (ctl.n_results == XENSNMP_RESULTS_MAX) {
		xen_bytes_clear(&ctl.results[0].name);
		memmove(ctl.results, ctl.results + 1,
			(XENSNMP_RESULTS_MAX - 1) * sizeof(*ctl.results));
		ctl.n_results--;
	}
	r = &ctl.results[ctl.n_results++];
	memset(r, 0, sizeof(*r));
	if (++ctl.last_index == 0)	/* after 2^32 - 1 requests */
		ctl.last_index = 1;
	r->index = ctl.last_index;
	clock_gettime(CLOCK_REALTIME, &r->requested);
	return r;
}

static void refuse(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req,
		   int error, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answers req with error and logs why, with the requester. */
static void refuse(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req,
		   int error, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!ctl.set.requester[0])
		describe_requester(reqinfo, ctl.set.requester, sizeof(ctl.set.requester));
	snmp_log(LOG_NOTICE, "xensnmp: control: SET refused (%s): %s; from %s\n",
		 snmp_errstring(error), why, ctl.set.requester);
	netsnmp_set_request_error(reqinfo, req, error);
}

static void set_clear(void)
{
	free(ctl.set.items);
	memset(&ctl.set, 0, sizeof(ctl.set));
}

static struct set_item *find_item(const oid *name, size_t len)
{
	size_t i;

	for (i = 0; i < ctl.set.n_items; i++)
		if (snmp_oid_compare(ctl.set.items[i].name, ROW_OID_LEN, name, len) == 0)
			return &ctl.set.items[i];
	return NULL;
}

/* RESERVE1: each varbind on its own. */
static void reserve1(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	char why[256];
	bool writable = ctl.state->conn &&
			xen_conn_control_state(ctl.state->conn, why, sizeof(why)) != XEN_CONTROL_NONE;
	netsnmp_request_info *req;

	set_clear();
	if (!ctl.state->conn)
		snprintf(why, sizeof(why), "no connection");
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;
		struct address a;
		struct set_item *it;
		long v;

		parse_name(var->name, var->name_length, &a);
		if (a.target == T_RESULT || (a.target == T_ROW && a.column != XENCTL_ACTION &&
					     a.column != XENCTL_MEM_TARGET &&
					     a.column != XENCTL_VCPUS_ONLINE)) {
			refuse(reqinfo, req, SNMP_ERR_NOTWRITABLE, "a read-only object");
			return;
		}
		if (a.target == T_NONE) {
			refuse(reqinfo, req, a.object_known ? SNMP_ERR_NOCREATION : SNMP_ERR_NOTWRITABLE,
			       "no such instance");
			return;
		}
		if (!writable) {
			refuse(reqinfo, req, SNMP_ERR_NOTWRITABLE, "control unavailable: %s", why);
			return;
		}
		if (var->type != (a.target == T_LOCK || a.column == XENCTL_ACTION ? ASN_INTEGER
										 : ASN_UNSIGNED)) {
			refuse(reqinfo, req, SNMP_ERR_WRONGTYPE, "wrong type");
			return;
		}
		v = *var->val.integer;
		if (a.target == T_LOCK) {
			if (v < 0 || v > LOCK_MAX) {
				refuse(reqinfo, req, SNMP_ERR_WRONGVALUE, "lock value %ld", v);
				return;
			}
			if (ctl.set.have_lock) {
				refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE, "the lock twice in one PDU");
				return;
			}
			ctl.set.have_lock = true;
			ctl.set.lock_value = v;
			continue;
		}
		if (a.column == XENCTL_ACTION && (v < XENSNMP_ACTION_NO_ACTION ||
						   v > XENSNMP_ACTION_DESTROY)) {
			refuse(reqinfo, req, SNMP_ERR_WRONGVALUE, "no action %ld", v);
			return;
		}
		if (a.column == XENCTL_MEM_TARGET &&
		    ((unsigned long)v < MEM_TARGET_MIN || (unsigned long)v > 4294967295UL)) {
			refuse(reqinfo, req, SNMP_ERR_WRONGVALUE, "memory target %lu KiB below %u",
			       (unsigned long)v, MEM_TARGET_MIN);
			return;
		}
		if (a.column == XENCTL_VCPUS_ONLINE &&
		    ((unsigned long)v < 1 || (unsigned long)v > VCPUS_MAX)) {
			refuse(reqinfo, req, SNMP_ERR_WRONGVALUE, "%lu vCPUs", (unsigned long)v);
			return;
		}
		/* Domain-0: never paused, stopped or destroyed */
		if (memcmp(a.uuid, nil_uuid, UUID_LEN) == 0) {
			if (a.column == XENCTL_ACTION && v != XENSNMP_ACTION_NO_ACTION) {
				refuse(reqinfo, req, SNMP_ERR_WRONGVALUE,
				       "Domain-0 cannot be paused, unpaused, shut down, rebooted or destroyed");
				return;
			}
			if (a.column != XENCTL_ACTION && !ctl.allow_dom0) {
				refuse(reqinfo, req, SNMP_ERR_NOTWRITABLE,
				       "Domain-0's memory and vCPUs are not writable (xensnmpControlDom0 no)");
				return;
			}
		}
		if (ctl.set.n_items == ctl.set.cap_items) {
			size_t cap = ctl.set.cap_items ? 2 * ctl.set.cap_items : 8;
			struct set_item *grown = realloc(ctl.set.items, cap * sizeof(*grown));

			if (!grown) {
				netsnmp_set_request_error(reqinfo, req, SNMP_ERR_RESOURCEUNAVAILABLE);
				return;
			}
			ctl.set.items = grown;
			ctl.set.cap_items = cap;
		}
		it = &ctl.set.items[ctl.set.n_items++];
		memset(it, 0, sizeof(*it));
		memcpy(it->name, var->name, sizeof(it->name));
		it->column = a.column;
		memcpy(it->uuid, a.uuid, UUID_LEN);
		it->value = v;
		it->acts = !(a.column == XENCTL_ACTION && v == XENSNMP_ACTION_NO_ACTION);
	}
}

/* Why the request makes no sense in the domain's state, or NULL. */
static const char *senseless(const struct set_item *it, const struct xen_domain *dom)
{
	int state;

	if (!(dom->known & XEN_DOM_HAVE_STATE))
		return NULL;	/* the driver checks when it acts */
	state = xensnmp_domain_state(dom);
	if (state == XENSNMP_STATE_DYING)
		return "the domain is being destroyed";
	switch (request_of(it)) {
	case XENSNMP_REQUEST_PAUSE:
		return state == XENSNMP_STATE_RUNNING || state == XENSNMP_STATE_BLOCKED
		       ? NULL : state == XENSNMP_STATE_PAUSED ? "the domain is paused already"
		       : "the domain is not running";
	case XENSNMP_REQUEST_UNPAUSE:
		return state == XENSNMP_STATE_PAUSED ? NULL : "the domain is not paused";
	case XENSNMP_REQUEST_DESTROY:
		return NULL;
	}
	/* shutdown, reboot, memory, vCPUs: a live domain */
	return state == XENSNMP_STATE_RUNNING || state == XENSNMP_STATE_BLOCKED ||
	       state == XENSNMP_STATE_PAUSED ? NULL : "the domain has shut down";
}

/* RESERVE2: the PDU as a whole, against the snapshot served. */
static void reserve2(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	netsnmp_request_info *req;
	size_t i, j;

	load_rows();
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;
		struct set_item *it;
		const struct control_row *row;
		const struct xen_domain *dom;
		const char *why;
		char uuid[37];

		struct address a;

		parse_name(var->name, var->name_length, &a);
		if (a.target == T_LOCK) {
			if (ctl.set.lock_value != ctl.lock) {
				refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE,
				       "stale lock %ld (the lock is %ld): a repeated or late PDU",
				       ctl.set.lock_value, ctl.lock);
				return;
			}
			continue;
		}
		it = find_item(var->name, var->name_length);
		if (!it || !it->acts)
			continue;
		format_uuid(it->uuid, uuid);
		if (!ctl.set.have_lock) {
			refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE,
			       "%s for %s without xdmControlSpinLock in the same PDU",
			       column_name(it->column), uuid);
			return;
		}
		for (j = 0; j < (size_t)(it - ctl.set.items); j++)
			if (ctl.set.items[j].acts &&
			    memcmp(ctl.set.items[j].uuid, it->uuid, UUID_LEN) == 0) {
				refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE,
				       "two requests for %s in one PDU", uuid);
				return;
			}
		row = find_row(it->uuid);
		if (!row) {
			refuse(reqinfo, req, SNMP_ERR_NOCREATION, "no running domain holds UUID %s", uuid);
			return;
		}
		if (row->ambiguous) {
			refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE,
			       "two running domains hold UUID %s (a migration?)", uuid);
			return;
		}
		dom = row->dom;
		if (it->column == XENCTL_MEM_TARGET && (dom->known & XEN_DOM_HAVE_MEM_MAX) &&
		    (uint64_t)it->value > dom->mem_max_kib) {
			refuse(reqinfo, req, SNMP_ERR_WRONGVALUE,
			       "memory target %ld KiB above the maximum %llu KiB of %s", it->value,
			       (unsigned long long)dom->mem_max_kib, uuid);
			return;
		}
		if (it->column == XENCTL_VCPUS_ONLINE && (dom->known & XEN_DOM_HAVE_VCPUS_MAX) &&
		    (uint64_t)it->value > dom->vcpus_max) {
			refuse(reqinfo, req, SNMP_ERR_WRONGVALUE, "%ld vCPUs, %s has %u", it->value,
			       uuid, dom->vcpus_max);
			return;
		}
		/* behind a request still being carried out, the state served is
		 * not the one this request will meet: the driver checks then */
		if (!in_progress(it->uuid) && (why = senseless(it, dom))) {
			refuse(reqinfo, req, SNMP_ERR_INCONSISTENTVALUE, "%s %s: %s",
			       request_name(request_of(it)), uuid, why);
			return;
		}
		it->domid = dom->domid;
		i = xen_bytes_known(&dom->name) ? dom->name.len : 0;
		if (i >= sizeof(it->dom_name))
			i = sizeof(it->dom_name) - 1;
		memcpy(it->dom_name, i ? dom->name.data : "", i);
		it->dom_name[i] = '\0';
	}
}

static struct result *result_for(const struct set_item *it)
{
	struct result *r = new_result();

	r->request = request_of(it);
	r->value = it->column == XENCTL_ACTION ? 0 : (uint32_t)it->value;
	memcpy(r->uuid, it->uuid, UUID_LEN);
	xen_bytes_set(&r->name, it->dom_name, strlen(it->dom_name));
	r->domid = it->domid;
	r->status = XENSNMP_RESULT_IN_PROGRESS;
	snprintf(r->requester, sizeof(r->requester), "%s", ctl.set.requester);
	return r;
}

static void record_failure(struct result *r, const char *why)
{
	char uuid[37];

	r->status = XENSNMP_RESULT_FAILED;
	snprintf(r->detail, sizeof(r->detail), "%s", why);
	clock_gettime(CLOCK_REALTIME, &r->ended);
	format_uuid(r->uuid, uuid);
	snmp_log(LOG_ERR, "xensnmp: control #%u: %s %s (domid %u, %s) from %s: failed: %s\n",
		 r->index, request_name(r->request), r->name.data ? r->name.data : "", r->domid,
		 uuid, r->requester, why);
	r->announce = true;
	xensnmp_control_announce();	/* never carried out: no snapshot to wait for */
}

/*
 * ACTION: the lock moves, and a request that cannot be taken now (the
 * toolstack connection is down) fails here, where the error still
 * reaches the manager as commitFailed: through AgentX, an error in
 * COMMIT (the CleanupSet) is never reported.
 */
static void action(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	netsnmp_request_info *req;
	enum xen_control_state st;
	char why[256];

	if (!ctl.set.requester[0])
		describe_requester(reqinfo, ctl.set.requester, sizeof(ctl.set.requester));
	st = xen_conn_control_state(ctl.state->conn, why, sizeof(why));
	if (st == XEN_CONTROL_DOWN || st == XEN_CONTROL_NONE) {
		for (req = requests; req; req = req->next) {
			struct set_item *it = find_item(req->requestvb->name,
							req->requestvb->name_length);
			struct xen_control_request none = { 0 };

			if (!it || !it->acts)
				continue;
			/* refused, and asks the connection to try the toolstack again */
			xen_conn_control_submit(ctl.state->conn, &none, why, sizeof(why));
			record_failure(result_for(it), why);
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_COMMITFAILED);
			return;
		}
	}
	if (ctl.set.have_lock) {
		ctl.set.lock_before = ctl.lock;
		ctl.lock = ctl.lock == LOCK_MAX ? 0 : ctl.lock + 1;
		ctl.set.lock_applied = true;
	}
}

/* COMMIT: each request gets its row and goes to the control thread. */
static void commit(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	netsnmp_request_info *req;

	if (!ctl.set.requester[0])
		describe_requester(reqinfo, ctl.set.requester, sizeof(ctl.set.requester));
	for (req = requests; req; req = req->next) {
		struct set_item *it = find_item(req->requestvb->name, req->requestvb->name_length);
		struct xen_control_request xr;
		struct result *r;
		char uuid[37], why[256];

		if (!it || !it->acts)
			continue;
		format_uuid(it->uuid, uuid);
		r = result_for(it);

		memset(&xr, 0, sizeof(xr));
		xr.id = r->index;
		xr.op = op_of(r->request);
		xr.domid = it->domid;
		memcpy(xr.uuid, it->uuid, UUID_LEN);
		snprintf(xr.name, sizeof(xr.name), "%s", it->dom_name);
		xr.value = r->value;
		if (xen_conn_control_submit(ctl.state->conn, &xr, why, sizeof(why)) < 0) {
			/* lost between ACTION and now: recorded, and said where it can be */
			record_failure(r, why);
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_COMMITFAILED);
			continue;
		}
		if (r->request == XENSNMP_REQUEST_SET_MEM_TARGET ||
		    r->request == XENSNMP_REQUEST_SET_VCPUS)
			snmp_log(LOG_NOTICE, "xensnmp: control #%u: %s %u for %s (domid %u, %s) from %s: "
				 "accepted\n", r->index, request_name(r->request), r->value,
				 it->dom_name, it->domid, uuid, r->requester);
		else
			snmp_log(LOG_NOTICE, "xensnmp: control #%u: %s %s (domid %u, %s) from %s: "
				 "accepted\n", r->index, request_name(r->request), it->dom_name,
				 it->domid, uuid, r->requester);
	}
}

void xensnmp_control_collect(struct xen_conn *conn)
{
	struct xen_control_outcome out[16];
	size_t n, i;

	while ((n = xen_conn_control_take(conn, out, 16)) > 0) {
		for (i = 0; i < n; i++) {
			struct result *r = out[i].id <= UINT32_MAX ? find_result((uint32_t)out[i].id)
								   : NULL;
			char uuid[37];

			if (!r)
				continue;	/* pushed out of the table meanwhile */
			r->status = out[i].ok ? XENSNMP_RESULT_SUCCESS : XENSNMP_RESULT_FAILED;
			snprintf(r->detail, sizeof(r->detail), "%s", out[i].detail);
			clock_gettime(CLOCK_REALTIME, &r->ended);
			r->announce = true;	/* by xensnmp_control_announce */
			format_uuid(r->uuid, uuid);
			snmp_log(out[i].ok ? LOG_NOTICE : LOG_ERR,
				 "xensnmp: control #%u: %s %s (domid %u, %s) from %s: %s%s "
				 "(toolstack %.3f s, seen %.3f s later)\n",
				 r->index, request_name(r->request), r->name.data ? r->name.data : "",
				 r->domid, uuid, r->requester, out[i].ok ? "success" : "failed: ",
				 out[i].detail, out[i].act_seconds, out[i].seen_seconds);
		}
	}
}

/* ---- the handler ---------------------------------------------------------- */

static int control_handler(netsnmp_mib_handler *handler,
			   netsnmp_handler_registration *reginfo,
			   netsnmp_agent_request_info *reqinfo,
			   netsnmp_request_info *requests)
{
	netsnmp_request_info *req;
	struct address a;

	(void)handler;
	(void)reginfo;
	switch (reqinfo->mode) {
	case MODE_GET:
		load_rows();
		for (req = requests; req; req = req->next) {
			if (req->processed)
				continue;
			if (!get_value(req->requestvb->name, req->requestvb->name_length,
				       req->requestvb)) {
				parse_name(req->requestvb->name, req->requestvb->name_length, &a);
				netsnmp_set_request_error(reqinfo, req, a.object_known
							  ? SNMP_NOSUCHINSTANCE : SNMP_NOSUCHOBJECT);
			}
		}
		break;
	case MODE_GETNEXT:
		load_rows();
		for (req = requests; req; req = req->next) {
			oid name[MAX_OID_LEN];
			size_t len = req->requestvb->name_length;

			if (req->processed)
				continue;
			if (len > MAX_OID_LEN)
				len = MAX_OID_LEN;
			memcpy(name, req->requestvb->name, len * sizeof(oid));
			/* past the end: left untouched, the agent goes on */
			next_value(name, len, req->requestvb);
		}
		break;
	case MODE_SET_RESERVE1:
		reserve1(reqinfo, requests);
		break;
	case MODE_SET_RESERVE2:
		reserve2(reqinfo, requests);
		break;
	case MODE_SET_ACTION:
		action(reqinfo, requests);
		break;
	case MODE_SET_UNDO:
		if (ctl.set.lock_applied)
			ctl.lock = ctl.set.lock_before;
		set_clear();
		break;
	case MODE_SET_COMMIT:
		commit(reqinfo, requests);
		break;
	case MODE_SET_FREE:
		set_clear();
		break;
	}
	return SNMP_ERR_NOERROR;
}

void xensnmp_control_allow_dom0(bool allow)
{
	ctl.allow_dom0 = allow;
}

int xensnmp_control_register(const struct xensnmp_state *state)
{
	netsnmp_handler_registration *reg;
	uint32_t seed;
	struct timespec now;

	ctl.state = state;
	/* a random start: a PDU made before a restart meets another value
	 * (snmpd's own random() sequence is left alone) */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
		clock_gettime(CLOCK_REALTIME, &now);
		seed = (uint32_t)(now.tv_nsec ^ now.tv_sec ^ getpid());
	}
	ctl.lock = (long)(seed & (uint32_t)LOCK_MAX);
	reg = netsnmp_create_handler_registration("xdmControl", control_handler, control_oid,
						  ROOT_LEN, HANDLER_CAN_RWRITE);
	if (!reg)
		return -1;
	if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
		return -1;	/* net-snmp freed reg */
	ctl.reg = reg;
	return 0;
}

void xensnmp_control_unregister(void)
{
	size_t i;

	if (ctl.reg)
		netsnmp_unregister_handler(ctl.reg);
	ctl.reg = NULL;
	set_clear();
	free(ctl.rows);
	ctl.rows = NULL;
	ctl.n_rows = 0;
	xen_snapshot_unref(ctl.rows_snap);
	ctl.rows_snap = NULL;
	for (i = 0; i < ctl.n_results; i++)
		xen_bytes_clear(&ctl.results[i].name);
	ctl.n_results = 0;
	ctl.state = NULL;
}
