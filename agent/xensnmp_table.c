/* Snapshot-backed tables over net-snmp's table_container (see header). */
#include <stdlib.h>
#include <string.h>

#include "xensnmp_table.h"

/* the name net-snmp's table_container helper gives its handler */
#define TABLE_CONTAINER_HANDLER "table_container"

oid xensnmp_domain_index(const struct xen_domain *dom)
{
	return dom->domid;
}

void xensnmp_table_add_row(struct xensnmp_table *t, const struct xen_domain *dom,
			   const void *item, oid item_index)
{
	oid idx[2] = { xensnmp_domain_index(dom), item_index };

	xensnmp_table_add_indexed_row(t, dom, item, idx);
}

void xensnmp_table_add_indexed_row(struct xensnmp_table *t, const struct xen_domain *dom,
				   const void *item, const oid *idx)
{
	struct xensnmp_row *row;

	if (t->n_rows == t->cap_rows)
		return;		/* sized by the fill pass; never grows */
	row = &t->rows[t->n_rows++];
	memcpy(row->idx, idx, t->def->n_index * sizeof(oid));
	row->index.oids = row->idx;
	row->index.len = t->def->n_index;
	row->dom = dom;
	row->item = item;
}

void xensnmp_table_clear(struct xensnmp_table *t)
{
	if (t->container)
		CONTAINER_CLEAR(t->container, NULL, NULL);
	free(t->rows);
	t->rows = NULL;
	t->n_rows = t->cap_rows = 0;
	xen_snapshot_unref(t->snap);
	t->snap = NULL;
}

/*
 * A new snapshot with the same rows as the last (the same indexes in the
 * same order: no domain or device came or went) only moves the rows'
 * pointers to its objects.  The container, keyed by index, is left as it
 * is, so a snapshot that changed one domain costs a pass over the rows,
 * not a rebuild of the container.  false: the rows differ (or no memory
 * for the pass), rebuild.
 */
static bool refill_in_place(struct xensnmp_table *t, struct xen_snapshot *snap)
{
	struct xensnmp_table fresh = { .def = t->def, .state = t->state };
	size_t i, n = t->def->count(snap);
	bool same;

	if (!t->snap || n != t->n_rows || n == 0)
		return false;
	fresh.rows = calloc(n, sizeof(*fresh.rows));
	if (!fresh.rows)
		return false;
	fresh.cap_rows = n;
	t->def->fill(&fresh, snap);
	same = fresh.n_rows == n;
	for (i = 0; same && i < n; i++)
		same = memcmp(fresh.rows[i].idx, t->rows[i].idx,
			      t->def->n_index * sizeof(oid)) == 0;
	for (i = 0; same && i < n; i++) {
		t->rows[i].dom = fresh.rows[i].dom;
		t->rows[i].item = fresh.rows[i].item;
	}
	free(fresh.rows);
	if (same) {
		xen_snapshot_unref(t->snap);
		t->snap = xen_snapshot_ref(snap);
	}
	return same;
}

int xensnmp_table_load(struct xensnmp_table *t, struct xen_snapshot *snap)
{
	size_t i;

	if (snap == t->snap)
		return 0;	/* same snapshot: rows are current */
	if (snap && refill_in_place(t, snap))
		return 0;
	xensnmp_table_clear(t);
	if (!snap)
		return 0;
	t->cap_rows = t->def->count(snap);
	t->rows = t->cap_rows ? calloc(t->cap_rows, sizeof(*t->rows)) : NULL;
	if (t->cap_rows && !t->rows) {
		t->cap_rows = 0;
		return -1;
	}
	t->snap = xen_snapshot_ref(snap);
	t->def->fill(t, snap);
	if (t->container)
		for (i = 0; i < t->n_rows; i++)
			CONTAINER_INSERT(t->container, &t->rows[i]);
	return 0;
}

static int load_rows(netsnmp_cache *cache, void *magic)
{
	struct xensnmp_table *t = magic;

	(void)cache;
	return xensnmp_table_load(t, t->state->snap);
}

static void free_rows(netsnmp_cache *cache, void *magic)
{
	(void)cache;
	xensnmp_table_clear(magic);
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
	xensnmp_note_read(t->state);
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
			   const struct xensnmp_table_def *def,
			   const struct xensnmp_state *state)
{
	netsnmp_table_registration_info *tinfo;
	netsnmp_mib_handler *handler;

	memset(t, 0, sizeof(*t));
	t->def = def;
	t->state = state;
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
	{
		int type = def->integer_index ? ASN_INTEGER : ASN_UNSIGNED;

		netsnmp_table_helper_add_indexes(tinfo, type,
						 def->n_index > 1 ? type : 0,
						 def->n_index > 2 ? type : 0, 0);
	}
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
		xensnmp_table_clear(t);
		free(t->container->container_name);
		t->container->container_name = NULL;
		CONTAINER_FREE(t->container);
		t->container = NULL;
	}
}
