/*
 * A conceptual table served from the current snapshot with net-snmp's
 * table_container and cache helpers.  Rows are rebuilt lazily, on the
 * first request after a new snapshot arrived, and point into that
 * snapshot, which the table keeps referenced while it uses it.
 *
 * The table reads what it serves from a struct xensnmp_state that its
 * owner (the module) hands over at registration; net-snmp gives it back
 * through the handler's myvoid and the cache's magic, so nothing here
 * calls back into the module.
 */
#ifndef XENSNMP_TABLE_H
#define XENSNMP_TABLE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>

#include "core/xen_conn.h"
#include "core/xen_snapshot.h"

/* What the handlers serve: owned by the module, read during requests
 * (all in net-snmp's one agent thread). */
struct xensnmp_state {
	struct xen_snapshot *snap;	/* current snapshot; NULL before the first */
	struct xen_conn *conn;		/* for the status scalars; NULL when closed */
	unsigned refresh;		/* seconds */
};

/* A request read served data: the next refresh tick gathers (an idle
 * tick nobody reads after gathers nothing, see xen_conn.h). */
static inline void xensnmp_note_read(const struct xensnmp_state *state)
{
	if (state->conn)
		xen_conn_note_read(state->conn);
}

struct xensnmp_row {
	netsnmp_index index;		/* first: the container's key */
	oid idx[3];
	const struct xen_domain *dom;
	const void *item;		/* vCPU, VIF or VBD; NULL for domains */
};

struct xensnmp_table;

struct xensnmp_table_def {
	const char *name;
	const oid *oid;
	size_t oid_len;
	unsigned min_column, max_column;
	unsigned n_index;		/* 1: domain; 2: domain + item; at most 3 */
	bool integer_index;		/* indexes are Integer32 (VM-MIB), not Unsigned32 */
	/* the number of rows fill will add for snap */
	size_t (*count)(const struct xen_snapshot *snap);
	/* calls xensnmp_table_add_row for every row of the snapshot */
	void (*fill)(struct xensnmp_table *t, const struct xen_snapshot *snap);
	/* sets var to the column's value; false when it is not known */
	bool (*value)(const struct xensnmp_row *row, unsigned column,
		      netsnmp_variable_list *var);
};

struct xensnmp_table {
	const struct xensnmp_table_def *def;
	const struct xensnmp_state *state;	/* the owner's; outlives the table */
	netsnmp_handler_registration *reg;
	netsnmp_table_registration_info *tinfo;	/* ours: net-snmp does not free it */
	netsnmp_container *container;
	netsnmp_cache *cache;
	struct xen_snapshot *snap;	/* what the rows point into */
	struct xensnmp_row *rows;	/* one block for all rows */
	size_t n_rows, cap_rows;
};

/* The index of a domain row: see XenDomainIndex in the MIB. */
oid xensnmp_domain_index(const struct xen_domain *dom);

void xensnmp_table_add_row(struct xensnmp_table *t, const struct xen_domain *dom,
			   const void *item, oid item_index);
/* The same with the row's index given in full (def->n_index sub-ids). */
void xensnmp_table_add_indexed_row(struct xensnmp_table *t, const struct xen_domain *dom,
				   const void *item, const oid *idx);
/* Sizes t's rows for snap (def->count) and fills them (def->fill);
 * 0, or -1 when out of memory (then t has no rows).  For the cache's
 * load callback and for unit tests. */
int xensnmp_table_load(struct xensnmp_table *t, struct xen_snapshot *snap);
void xensnmp_table_clear(struct xensnmp_table *t);
int xensnmp_table_register(struct xensnmp_table *t,
			   const struct xensnmp_table_def *def,
			   const struct xensnmp_state *state);
void xensnmp_table_unregister(struct xensnmp_table *t);

#endif
