/* Snapshot-backed tables over net-snmp's table_container (see header). */
#include <stdlib.h>
#include <string.h>

#include "xensnmp.h"
#include "xensnmp_table.h"
#include "xensnmp_values.h"

/* the name net-snmp's table_container helper gives its handler */
#define TABLE_CONTAINER_HANDLER "table_container"

oid xensnmp_domain_index(const struct xen_domain *dom)
{
	return dom->domid;
}

void xensnmp_table_add_row(struct xensnmp_table *t, const struct xen_domain *dom,
			   const void *item, oid item_index)
{
	struct xensnmp_row *row;

	if (t->n_rows == t->cap_rows)
		return;		/* sized by the fill pass; never grows */
	row = &t->rows[t->n_rows++];
	row->idx[0] = xensnmp_domain_index(dom);
	row->idx[1] = item_index;
	row->index.oids = row->idx;
	row->index.len = t->def->n_index;
	row->dom = dom;
	row->item = item;
}

/* Counts the rows a snapshot will give, so one allocation holds them. */
static size_t count_rows(const struct xensnmp_table *t,
			 const struct xen_snapshot *snap)
{
	size_t i, n = 0;

	for (i = 0; i < snap->n_domains; i++) {
		const struct xen_domain *dom = snap->domains[i];

		if (t->def->n_index == 1)
			n++;
		else
			n += dom->n_vcpus + dom->n_vifs + dom->n_vbds;
	}
	return n;
}

static void clear_rows(struct xensnmp_table *t)
{
	CONTAINER_CLEAR(t->container, NULL, NULL);
	free(t->rows);
	t->rows = NULL;
	t->n_rows = t->cap_rows = 0;
	xen_snapshot_unref(t->snap);
	t->snap = NULL;
}

static int load_rows(netsnmp_cache *cache, void *magic)
{
	struct xensnmp_table *t = magic;
	struct xen_snapshot *snap = xensnmp_current_snapshot();
	size_t i;

	(void)cache;
	if (snap == t->snap)
		return 0;	/* same snapshot: rows are current */
	clear_rows(t);
	if (!snap)
		return 0;
	t->cap_rows = count_rows(t, snap);
	t->rows = t->cap_rows ? calloc(t->cap_rows, sizeof(*t->rows)) : NULL;
	if (t->cap_rows && !t->rows) {
		t->cap_rows = 0;
		return -1;
	}
	t->snap = xen_snapshot_ref(snap);
	t->def->fill(t, snap);
	for (i = 0; i < t->n_rows; i++)
		CONTAINER_INSERT(t->container, &t->rows[i]);
	return 0;
}

static void free_rows(netsnmp_cache *cache, void *magic)
{
	(void)cache;
	clear_rows(magic);
}

static int table_handler(netsnmp_mib_handler *handler,
			 netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo,
			 netsnmp_request_info *requests)
{
	struct xensnmp_table *t = handler->myvoid;
	netsnmp_request_info *req;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (req = requests; req; req = req->next) {
		struct xensnmp_row *row;
		netsnmp_table_request_info *tinfo;

		if (req->processed)
			continue;
		row = netsnmp_container_table_row_extract(req);
		tinfo = netsnmp_extract_table_info(req);
		if (!row || !tinfo ||
		    !t->def->value(row, tinfo->colnum, req->requestvb))
			netsnmp_set_request_error(reqinfo, req,
						  SNMP_NOSUCHINSTANCE);
	}
	return SNMP_ERR_NOERROR;
}

int xensnmp_table_register(struct xensnmp_table *t,
			   const struct xensnmp_table_def *def)
{
	netsnmp_table_registration_info *tinfo;
	netsnmp_mib_handler *handler;

	memset(t, 0, sizeof(*t));
	t->def = def;
	handler = netsnmp_create_handler(def->name, table_handler);
	if (!handler)
		return -1;
	handler->myvoid = t;
	t->reg = netsnmp_handler_registration_create(def->name, handler,
						     def->oid, def->oid_len,
						     HANDLER_CAN_RONLY);
	tinfo = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	t->tinfo = tinfo;
	t->container = netsnmp_container_find("xensnmp_table:table_container");
	if (!t->reg || !tinfo || !t->container) {
		SNMP_FREE(tinfo);
		t->tinfo = NULL;
		return -1;
	}
	t->container->container_name = strdup(def->name);
	netsnmp_table_helper_add_indexes(tinfo, ASN_UNSIGNED,
					 def->n_index > 1 ? ASN_UNSIGNED : 0, 0);
	tinfo->min_column = def->min_column;
	tinfo->max_column = def->max_column;

	/* timeout -1: ask load_rows on every request; it is cheap when
	 * the snapshot has not changed */
	t->cache = netsnmp_cache_create(-1, load_rows, free_rows, def->oid,
					(int)def->oid_len);
	if (!t->cache)
		return -1;
	t->cache->flags |= NETSNMP_CACHE_DONT_FREE_BEFORE_LOAD |
			   NETSNMP_CACHE_DONT_FREE_EXPIRED |
			   NETSNMP_CACHE_DONT_AUTO_RELEASE;
	t->cache->magic = t;

	if (netsnmp_container_table_register(t->reg, tinfo, t->container,
					     TABLE_CONTAINER_KEY_NETSNMP_INDEX)
	    != MIB_REGISTERED_OK)
		return -1;
	/* load the rows before the container helper looks them up */
	netsnmp_inject_handler_before(t->reg, netsnmp_cache_handler_get(t->cache),
				      TABLE_CONTAINER_HANDLER);
	return 0;
}

void xensnmp_table_unregister(struct xensnmp_table *t)
{
	if (!t->reg)
		return;
	netsnmp_unregister_handler(t->reg);
	t->reg = NULL;
	if (t->tinfo)
		netsnmp_table_registration_info_free(t->tinfo);
	t->tinfo = NULL;
	if (t->container) {
		clear_rows(t);
		free(t->container->container_name);
		t->container->container_name = NULL;
		CONTAINER_FREE(t->container);
		t->container = NULL;
	}
}

void xensnmp_set_string(netsnmp_variable_list *var, const void *data, size_t len)
{
	snmp_set_var_typed_value(var, ASN_OCTET_STR, data, len);
}

void xensnmp_set_utf8(netsnmp_variable_list *var, const struct xen_bytes *b)
{
	char buf[XENSNMP_UTF8_MAX];
	size_t n = xensnmp_utf8_clean(b->data, b->len, buf, sizeof(buf));

	snmp_set_var_typed_value(var, ASN_OCTET_STR, buf, n);
}

void xensnmp_set_int(netsnmp_variable_list *var, long v)
{
	snmp_set_var_typed_integer(var, ASN_INTEGER, v);
}

void xensnmp_set_gauge(netsnmp_variable_list *var, uint64_t v)
{
	snmp_set_var_typed_integer(var, ASN_GAUGE, xensnmp_clamp32(v));
}

void xensnmp_set_unsigned(netsnmp_variable_list *var, uint64_t v)
{
	snmp_set_var_typed_integer(var, ASN_UNSIGNED, xensnmp_clamp32(v));
}

void xensnmp_set_counter64(netsnmp_variable_list *var, uint64_t v)
{
	struct counter64 c = { .high = v >> 32, .low = v & 0xFFFFFFFFu };

	snmp_set_var_typed_value(var, ASN_COUNTER64, &c, sizeof(c));
}

void xensnmp_set_sources(netsnmp_variable_list *var, unsigned sources)
{
	uint8_t bits[1];
	size_t n = xensnmp_sources_bits(sources, bits);

	snmp_set_var_typed_value(var, ASN_OCTET_STR, bits, n);
}

void xensnmp_set_date(netsnmp_variable_list *var, const struct timespec *t)
{
	uint8_t buf[11];
	size_t n = xensnmp_date_and_time(t, buf);

	snmp_set_var_typed_value(var, ASN_OCTET_STR, buf, n);
}
