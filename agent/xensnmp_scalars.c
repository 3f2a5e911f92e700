/* xdmHost: the host scalars, from the snapshot and the connection status. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <string.h>

#include "xensnmp.h"
#include "xensnmp_oids.h"
#include "xensnmp_table.h"

static const oid host_oid[] = { XENSNMP_HOST_OID };
static netsnmp_handler_registration *host_reg;

static bool host_value(unsigned subid, const struct xen_snapshot *snap,
		       const struct xen_conn_status *st,
		       netsnmp_variable_list *var)
{
	const struct xen_host *h = snap ? &snap->host : NULL;
	unsigned known = h ? h->known : 0;

	switch (subid) {
	case XENHOST_XEN_VERSION:
		if (!(known & XEN_HOST_HAVE_VERSION))
			return false;
		xensnmp_set_utf8(var, &h->xen_version);
		return true;
	case XENHOST_NAME:
		if (!(known & XEN_HOST_HAVE_NAME))
			return false;
		xensnmp_set_utf8(var, &h->name);
		return true;
	case XENHOST_CPUS:
		if (!(known & XEN_HOST_HAVE_CPUS))
			return false;
		xensnmp_set_gauge(var, h->cpus);
		return true;
	case XENHOST_CPU_MHZ:
		if (!(known & XEN_HOST_HAVE_CPU_MHZ))
			return false;
		xensnmp_set_gauge(var, h->cpu_mhz);
		return true;
	case XENHOST_TOTAL_MEMORY:
		if (!(known & XEN_HOST_HAVE_TOTAL_MEM))
			return false;
		xensnmp_set_gauge(var, h->total_mem_kib / 1024);
		return true;
	case XENHOST_FREE_MEMORY:
		if (!(known & XEN_HOST_HAVE_FREE_MEM))
			return false;
		xensnmp_set_gauge(var, h->free_mem_kib / 1024);
		return true;
	case XENHOST_DOMAIN_COUNT:
		if (!snap)
			return false;
		xensnmp_set_gauge(var, snap->n_domains);
		return true;
	case XENHOST_ACCESS_MODE:
		xensnmp_set_int(var, st->read_write ? XENSNMP_ACCESS_READ_WRITE
						    : XENSNMP_ACCESS_READ_ONLY);
		return true;
	case XENHOST_DRIVERS:
		xensnmp_set_sources(var, st->drivers_open);
		return true;
	case XENHOST_LAST_REFRESH:
		if (!snap)
			return false;
		xensnmp_set_date(var, &snap->taken);
		return true;
	case XENHOST_SNAPSHOT_STATE:
		xensnmp_set_int(var, !snap || st->stale ? 2 : 1);
		return true;
	case XENHOST_REFRESH_INTERVAL:
		xensnmp_set_unsigned(var, xensnmp_refresh_interval());
		return true;
	case XENHOST_UNAVAILABLE:
		xensnmp_set_string(var, st->unavailable, strlen(st->unavailable));
		return true;
	}
	return false;
}

static int host_handler(netsnmp_mib_handler *handler,
			netsnmp_handler_registration *reginfo,
			netsnmp_agent_request_info *reqinfo,
			netsnmp_request_info *requests)
{
	struct xen_snapshot *snap = xensnmp_current_snapshot();
	struct xen_conn_status st;
	netsnmp_request_info *req;

	(void)handler;
	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	xensnmp_current_status(&st);
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;
		unsigned subid;

		/* the scalar_group helper extends rootoid by the scalar's
		 * subid while it calls us: index by our own root instead */
		if (req->processed || var->name_length <= OID_LENGTH(host_oid))
			continue;
		subid = (unsigned)var->name[OID_LENGTH(host_oid)];
		if (!host_value(subid, snap, &st, var))
			netsnmp_set_request_error(reqinfo, req,
						  SNMP_NOSUCHINSTANCE);
	}
	return SNMP_ERR_NOERROR;
}

void xensnmp_register_host_scalars(void)
{
	host_reg = netsnmp_create_handler_registration(
		"xdmHost", host_handler, host_oid, OID_LENGTH(host_oid),
		HANDLER_CAN_RONLY);
	if (!host_reg ||
	    netsnmp_register_scalar_group(host_reg, XENHOST_XEN_VERSION,
					  XENHOST_UNAVAILABLE) != MIB_REGISTERED_OK) {
		snmp_log(LOG_ERR, "xensnmp: cannot register xdmHost\n");
		host_reg = NULL;
	}
}

void xensnmp_unregister_host_scalars(void)
{
	if (host_reg)
		netsnmp_unregister_handler(host_reg);
	host_reg = NULL;
}
