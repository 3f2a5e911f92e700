/*
 * A conceptual table served from the current snapshot with net-snmp's
 * table_container and cache helpers.  Rows are rebuilt lazily, on the
 * first request after a new snapshot arrived, and point into that
 * snapshot, which the table keeps referenced while it uses it.
 */
#ifndef XENSNMP_TABLE_H
#define XENSNMP_TABLE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>

#include "core/xen_snapshot.h"

struct xensnmp_row {
	netsnmp_index index;		/* first: the container's key */
	oid idx[2];
	const struct xen_domain *dom;
	const void *item;		/* vCPU, VIF or VBD; NULL for domains */
};

struct xensnmp_table;

struct xensnmp_table_def {
	const char *name;
	const oid *oid;
	size_t oid_len;
	unsigned min_column, max_column;
	unsigned n_index;		/* 1: domain; 2: domain + item */
	/* calls xensnmp_table_add_row for every row of the snapshot */
	void (*fill)(struct xensnmp_table *t, const struct xen_snapshot *snap);
	/* sets var to the column's value; false when it is not known */
	bool (*value)(const struct xensnmp_row *row, unsigned column,
		      netsnmp_variable_list *var);
};

struct xensnmp_table {
	const struct xensnmp_table_def *def;
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
int xensnmp_table_register(struct xensnmp_table *t,
			   const struct xensnmp_table_def *def);
void xensnmp_table_unregister(struct xensnmp_table *t);

/* Helpers for value functions. */
void xensnmp_set_string(netsnmp_variable_list *var, const void *data, size_t len);
void xensnmp_set_utf8(netsnmp_variable_list *var, const struct xen_bytes *b);
void xensnmp_set_int(netsnmp_variable_list *var, long v);
void xensnmp_set_gauge(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_unsigned(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_counter64(netsnmp_variable_list *var, uint64_t v);
void xensnmp_set_sources(netsnmp_variable_list *var, unsigned sources);
void xensnmp_set_date(netsnmp_variable_list *var, const struct timespec *t);

#endif
