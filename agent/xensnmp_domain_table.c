/* xdmDomainTable: one row per domain of the snapshot. */
#include "xensnmp_oids.h"
#include "xensnmp_tables.h"
#include "xensnmp_values.h"

static const oid domain_table_oid[] = { XENSNMP_DOMAIN_TABLE_OID };

static size_t count_domains(const struct xen_snapshot *snap)
{
	return snap->n_domains;
}

static void fill_domains(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->n_domains; i++)
		xensnmp_table_add_row(t, snap->domains[i], NULL, 0);
}

bool xensnmp_domain_value(const struct xensnmp_row *row, unsigned column,
			 netsnmp_variable_list *var)
{
	const struct xen_domain *dom = row->dom;
	struct timespec now;

	switch (column) {
	case XENDOM_ID:
		/* a domain that is not running has no domid */
		xensnmp_set_int(var, dom->domid >= XEN_DOMID_SHUTOFF_BASE ? -1 : (long)dom->domid);
		return true;
	case XENDOM_NAME:
		if (!xen_bytes_known(&dom->name))
			return false;
		xensnmp_set_utf8(var, &dom->name);
		return true;
	case XENDOM_UUID:
		if (!(dom->known & XEN_DOM_HAVE_UUID))
			return false;
		xensnmp_set_string(var, dom->uuid, sizeof(dom->uuid));
		return true;
	case XENDOM_STATE:
		if (!(dom->known & XEN_DOM_HAVE_STATE))
			return false;
		xensnmp_set_int(var, xensnmp_domain_state(dom));
		return true;
	case XENDOM_SHUTDOWN_REASON:
		if (!(dom->known & XEN_DOM_HAVE_SHUTDOWN))
			return false;
		xensnmp_set_int(var, xensnmp_shutdown_reason(dom->shutdown));
		return true;
	case XENDOM_OS_TYPE:
		if (!xen_bytes_known(&dom->os_type))
			return false;
		xensnmp_set_utf8(var, &dom->os_type);
		return true;
	case XENDOM_MEM_CURRENT:
		if (!(dom->known & XEN_DOM_HAVE_MEM_CURRENT))
			return false;
		xensnmp_set_gauge(var, dom->mem_current_kib);
		return true;
	case XENDOM_MEM_TARGET:
		if (!(dom->known & XEN_DOM_HAVE_MEM_TARGET))
			return false;
		xensnmp_set_gauge(var, dom->mem_target_kib);
		return true;
	case XENDOM_MEM_MAX:
		if (!(dom->known & XEN_DOM_HAVE_MEM_MAX))
			return false;
		xensnmp_set_gauge(var, dom->mem_max_kib);
		return true;
	case XENDOM_VCPUS_ONLINE:
		if (!(dom->known & XEN_DOM_HAVE_VCPUS_ONLINE))
			return false;
		xensnmp_set_gauge(var, dom->vcpus_online);
		return true;
	case XENDOM_VCPUS_MAX:
		if (!(dom->known & XEN_DOM_HAVE_VCPUS_MAX))
			return false;
		xensnmp_set_gauge(var, dom->vcpus_max);
		return true;
	case XENDOM_CPU_TIME:
		if (!(dom->known & XEN_DOM_HAVE_CPU_TIME))
			return false;
		xensnmp_set_counter64(var, dom->cpu_time_ns);
		return true;
	case XENDOM_UPTIME:
		if (!(dom->known & XEN_DOM_HAVE_START_TIME) ||
		    xensnmp_domain_state(dom) == XENSNMP_STATE_SHUTOFF ||
		    xensnmp_domain_state(dom) == XENSNMP_STATE_SUSPENDED)
			return false;
		/* at request time, as the MIB says */
		clock_gettime(CLOCK_REALTIME, &now);
		xensnmp_set_unsigned(var, now.tv_sec > dom->start_time.tv_sec
				     ? (uint64_t)(now.tv_sec - dom->start_time.tv_sec)
				     : 0);
		return true;
	case XENDOM_START_TIME:
		if (!(dom->known & XEN_DOM_HAVE_START_TIME))
			return false;
		xensnmp_set_date(var, &dom->start_time);
		return true;
	case XENDOM_DATA_SOURCES:
		xensnmp_set_sources(var, dom->sources);
		return true;
	case XENDOM_DISCONTINUITY_TIME:
		xensnmp_set_timestamp(var, &dom->counters_since);
		return true;
	case XENDOM_ACTION:
		xensnmp_set_int(var, XENSNMP_ACTION_NO_ACTION);
		return true;
	case XENDOM_SET_MEM_TARGET:
	case XENDOM_SET_VCPUS:
		xensnmp_set_unsigned(var, 0);
		return true;
	case XENDOM_LAST_ACTION_RESULT:
		xensnmp_set_int(var, XENSNMP_RESULT_NONE);
		return true;
	}
	return false;
}

const struct xensnmp_table_def xensnmp_domain_table_def = {
	.name = "xdmDomainTable",
	.oid = domain_table_oid,
	.oid_len = OID_LENGTH(domain_table_oid),
	.min_column = XENDOM_FIRST_COLUMN,
	.max_column = XENDOM_LAST_COLUMN,
	.n_index = 1,
	.count = count_domains,
	.fill = fill_domains,
	.value = xensnmp_domain_value,
};
