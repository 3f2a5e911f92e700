/*
 * xdmHost: the host scalars, from the snapshot and the connection status
 * of the struct xensnmp_state handed over at registration.
 */
#include <string.h>

#include "xensnmp_oids.h"
#include "xensnmp_tables.h"
#include "xensnmp_values.h"

static const oid host_oid[] = { XENSNMP_HOST_OID };

bool xensnmp_host_value(unsigned subid, const struct xen_snapshot *snap,
			const struct xen_conn_status *st, unsigned refresh,
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
	case XENHOST_STALE_SOURCES:
		xensnmp_set_sources(var, st->stale_sources);
		return true;
	case XENHOST_LAST_REFRESH:
		if (!snap)
			return false;
		xensnmp_set_date(var, &snap->taken);
		return true;
	case XENHOST_SNAPSHOT_STATE:
		xensnmp_set_int(var, !snap || st->stale ? XENSNMP_SNAPSHOT_STALE
							: XENSNMP_SNAPSHOT_FRESH);
		return true;
	case XENHOST_REFRESH_INTERVAL:
		xensnmp_set_unsigned(var, refresh);
		return true;
	case XENHOST_UNAVAILABLE:
		/* SIZE (0..511): the status buffer's size less its NUL */
		xensnmp_set_text(var, st->unavailable,
				 strnlen(st->unavailable, sizeof(st->unavailable)),
				 sizeof(st->unavailable) - 1);
		return true;
	}
	return false;
}

static int host_handler(netsnmp_mib_handler *handler,
			netsnmp_handler_registration *reginfo,
			netsnmp_agent_request_info *reqinfo,
			netsnmp_request_info *requests)
{
	const struct xensnmp_state *state = handler->myvoid;
	struct xen_conn_status st;
	netsnmp_request_info *req;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	xensnmp_note_read(state);
	if (state->conn) {
		xen_conn_get_status(state->conn, &st);
	} else {
		memset(&st, 0, sizeof(st));
		st.stale = true;
	}
	for (req = requests; req; req = req->next) {
		netsnmp_variable_list *var = req->requestvb;
		unsigned subid;

		/* the scalar_group helper extends rootoid by the scalar's
		 * subid while it calls us: index by our own root instead */
		if (req->processed || var->name_length <= OID_LENGTH(host_oid))
			continue;
		subid = (unsigned)var->name[OID_LENGTH(host_oid)];
		if (!xensnmp_host_value(subid, state->snap, &st, state->refresh,
					var))
			netsnmp_set_request_error(reqinfo, req,
						  SNMP_NOSUCHINSTANCE);
	}
	return SNMP_ERR_NOERROR;
}

netsnmp_handler_registration *
xensnmp_register_host_scalars(const struct xensnmp_state *state)
{
	netsnmp_handler_registration *reg;

	reg = netsnmp_create_handler_registration(
		"xdmHost", host_handler, host_oid, OID_LENGTH(host_oid),
		HANDLER_CAN_RONLY);
	if (!reg)
		return NULL;
	/* const for us; net-snmp's myvoid is a plain pointer */
	reg->handler->myvoid = (void *)(uintptr_t)state;
	if (netsnmp_register_scalar_group(reg, XENHOST_FIRST, XENHOST_LAST)
	    != MIB_REGISTERED_OK)
		return NULL;	/* net-snmp freed reg */
	return reg;
}
