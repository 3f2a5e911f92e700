/*
 * The definitions of XEN-DOMAIN-MIB's tables and host scalars: how each
 * table counts and fills its rows from a snapshot and what each column
 * serves.  Declared here, apart from the module that registers them, so
 * that unit tests can run them against a hand-made snapshot.
 */
#ifndef XENSNMP_TABLES_H
#define XENSNMP_TABLES_H

#include "xensnmp_table.h"

extern const struct xensnmp_table_def xensnmp_domain_table_def;
extern const struct xensnmp_table_def xensnmp_vcpu_table_def;
extern const struct xensnmp_table_def xensnmp_vif_table_def;
extern const struct xensnmp_table_def xensnmp_vbd_table_def;

/* The value functions of the tables above (their def->value). */
bool xensnmp_domain_value(const struct xensnmp_row *row, unsigned column,
			  netsnmp_variable_list *var);
bool xensnmp_vcpu_value(const struct xensnmp_row *row, unsigned column,
			netsnmp_variable_list *var);
bool xensnmp_vif_value(const struct xensnmp_row *row, unsigned column,
		       netsnmp_variable_list *var);
bool xensnmp_vbd_value(const struct xensnmp_row *row, unsigned column,
		       netsnmp_variable_list *var);

/*
 * xdmHost: sets var to scalar subid's value from snap (may be NULL),
 * the connection status st and the refresh interval; false when the
 * instance is absent.
 */
bool xensnmp_host_value(unsigned subid, const struct xen_snapshot *snap,
			const struct xen_conn_status *st, unsigned refresh,
			netsnmp_variable_list *var);

/* Registers xdmHost, served from state (which must outlive it). */
netsnmp_handler_registration *
xensnmp_register_host_scalars(const struct xensnmp_state *state);

#endif
