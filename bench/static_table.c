/*
 * The benchmark floor: a table of the same shape as xdmDomainTable
 * (19 columns, 2..16 and 20..23, one integer index) whose rows are built
 * once at init and never change, served through the same net-snmp
 * helper as the product (table_container over a netsnmp_index
 * container, a MODE_GET handler filling the values).  Walking it
 * measures what net-snmp itself costs, with no Xen access and no
 * snapshot behind the rows.
 *
 * Its OID, 1.3.6.1.4.1.99999.9.2, is on an arc used by the benchmark
 * only; nothing in XEN-DOMAIN-MIB lives under 99999.9.
 *
 * XENSNMP_BENCH_ROWS (default 1000) sets the number of rows at init.
 * The same source is built as the AgentX subagent static_subagent and
 * as the snmpd plugin static_table.so ("dlmod static_table PATH").
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "static_table.h"

#define STATIC_TABLE_NAME "benchStaticTable"
#define STATIC_DEFAULT_ROWS 1000
#define STATIC_MAX_ROWS 1000000
#define FIRST_COLUMN 2
#define LAST_COLUMN 23

static const oid static_table_oid[] = { 1, 3, 6, 1, 4, 1, 99999, 9, 2 };

struct static_row {
	netsnmp_index index;	/* first: the container compares these */
	oid idx[1];
	long id;
	char name[24];
	size_t name_len;
	uint8_t uuid[16];
	long state;
	long shutdown_reason;
	uint32_t mem_current, mem_target, mem_max;
	uint32_t vcpus_online, vcpus_max;
	uint64_t cpu_time;
	uint32_t uptime;
	uint8_t start_time[11];
	uint8_t sources[1];
};

static struct static_row *rows;
static size_t n_rows;
static netsnmp_handler_registration *reg;
static netsnmp_table_registration_info *tinfo;
static netsnmp_container *container;
static int registered;

static size_t rows_wanted(void)
{
	const char *s = getenv("XENSNMP_BENCH_ROWS");
	char *end;
	long n;

	if (!s || !*s)
		return STATIC_DEFAULT_ROWS;
	n = strtol(s, &end, 10);
	if (*end || n < 0 || n > STATIC_MAX_ROWS) {
		snmp_log(LOG_WARNING, STATIC_TABLE_NAME
			 ": XENSNMP_BENCH_ROWS=%s ignored\n", s);
		return STATIC_DEFAULT_ROWS;
	}
	return (size_t)n;
}

static void fill_row(struct static_row *r, size_t i)
{
	size_t k;

	r->idx[0] = i;
	r->index.oids = r->idx;
	r->index.len = 1;
	r->id = (long)i;
	r->name_len = (size_t)snprintf(r->name, sizeof(r->name),
				       i ? "guest-%05zu" : "Domain-0", i);
	for (k = 0; k < sizeof(r->uuid); k++)
		r->uuid[k] = (uint8_t)((i >> (8 * (k % 4))) ^ (k * 17));
	r->state = 2;
	r->shutdown_reason = 1;
	r->mem_current = r->mem_target = 1048576;
	r->mem_max = 2097152;
	r->vcpus_online = r->vcpus_max = 2;
	r->cpu_time = (uint64_t)i * 1000000007u + 5000000000u;
	r->uptime = 3600;
	/* 2024-01-02,03:04:05.0,+0:0 */
	memcpy(r->start_time, "\x07\xe8\x01\x02\x03\x04\x05\x00+\x00\x00", 11);
	r->sources[0] = 0x80;
}

static void set_int(netsnmp_variable_list *var, u_char type, long v)
{
	snmp_set_var_typed_integer(var, type, v);
}

static int row_value(const struct static_row *r, unsigned column,
		     netsnmp_variable_list *var)
{
	struct counter64 c;

	switch (column) {
	case 2:
		set_int(var, ASN_INTEGER, r->id);
		return 1;
	case 3:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, r->name, r->name_len);
		return 1;
	case 4:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, r->uuid, sizeof(r->uuid));
		return 1;
	case 5:
		set_int(var, ASN_INTEGER, r->state);
		return 1;
	case 6:
		set_int(var, ASN_INTEGER, r->shutdown_reason);
		return 1;
	case 7:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, "linux", 5);
		return 1;
	case 8:
		set_int(var, ASN_GAUGE, r->mem_current);
		return 1;
	case 9:
		set_int(var, ASN_GAUGE, r->mem_target);
		return 1;
	case 10:
		set_int(var, ASN_GAUGE, r->mem_max);
		return 1;
	case 11:
		set_int(var, ASN_GAUGE, r->vcpus_online);
		return 1;
	case 12:
		set_int(var, ASN_GAUGE, r->vcpus_max);
		return 1;
	case 13:
		c.high = (u_long)(r->cpu_time >> 32);
		c.low = (u_long)(r->cpu_time & 0xFFFFFFFFu);
		snmp_set_var_typed_value(var, ASN_COUNTER64, &c, sizeof(c));
		return 1;
	case 14:
		set_int(var, ASN_UNSIGNED, r->uptime);
		return 1;
	case 15:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, r->start_time,
					 sizeof(r->start_time));
		return 1;
	case 16:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, r->sources,
					 sizeof(r->sources));
		return 1;
	case 20:
		set_int(var, ASN_INTEGER, 1);
		return 1;
	case 21:
	case 22:
		set_int(var, ASN_UNSIGNED, 0);
		return 1;
	case 23:
		set_int(var, ASN_INTEGER, 1);
		return 1;
	}
	return 0;	/* 17..19: no such column, as in xdmDomainTable */
}

static int static_handler(netsnmp_mib_handler *handler,
			  netsnmp_handler_registration *reginfo,
			  netsnmp_agent_request_info *reqinfo,
			  netsnmp_request_info *requests)
{
	netsnmp_request_info *req;

	(void)handler;
	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (req = requests; req; req = req->next) {
		struct static_row *row;
		netsnmp_table_request_info *ti;

		if (req->processed)
			continue;
		row = netsnmp_container_table_row_extract(req);
		ti = netsnmp_extract_table_info(req);
		if (!row || !ti || !row_value(row, ti->colnum, req->requestvb))
			netsnmp_set_request_error(reqinfo, req,
						  SNMP_NOSUCHINSTANCE);
	}
	return SNMP_ERR_NOERROR;
}

void init_static_table(void)
{
	netsnmp_mib_handler *handler;
	size_t i, want = rows_wanted();

	handler = netsnmp_create_handler(STATIC_TABLE_NAME, static_handler);
	if (!handler)
		goto fail;
	reg = netsnmp_handler_registration_create(STATIC_TABLE_NAME, handler,
						  static_table_oid,
						  OID_LENGTH(static_table_oid),
						  HANDLER_CAN_RONLY);
	tinfo = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	container = netsnmp_container_find("static_table:table_container");
	rows = want ? calloc(want, sizeof(*rows)) : NULL;
	if (!reg || !tinfo || !container || (want && !rows))
		goto fail;
	container->container_name = strdup(STATIC_TABLE_NAME);
	netsnmp_table_helper_add_indexes(tinfo, ASN_UNSIGNED, 0);
	tinfo->min_column = FIRST_COLUMN;
	tinfo->max_column = LAST_COLUMN;

	for (i = 0; i < want; i++) {
		fill_row(&rows[i], i);
		if (CONTAINER_INSERT(container, &rows[i]) == 0)
			n_rows++;
	}
	if (netsnmp_container_table_register(reg, tinfo, container,
					     TABLE_CONTAINER_KEY_NETSNMP_INDEX)
	    != MIB_REGISTERED_OK) {
		reg = NULL;	/* the failed registration has freed it */
		goto fail;
	}
	registered = 1;
	snmp_log(LOG_INFO, STATIC_TABLE_NAME ": %zu rows\n", n_rows);
	return;
fail:
	snmp_log(LOG_ERR, STATIC_TABLE_NAME ": cannot register\n");
	deinit_static_table();
}

void deinit_static_table(void)
{
	if (reg && registered)
		netsnmp_unregister_handler(reg);
	else if (reg)
		netsnmp_handler_registration_free(reg);
	reg = NULL;
	registered = 0;
	if (tinfo)
		netsnmp_table_registration_info_free(tinfo);
	tinfo = NULL;
	if (container) {
		CONTAINER_CLEAR(container, NULL, NULL);
		free(container->container_name);
		container->container_name = NULL;
		CONTAINER_FREE(container);
		container = NULL;
	}
	free(rows);
	rows = NULL;
	n_rows = 0;
}
