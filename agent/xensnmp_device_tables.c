/* xdmVcpuTable, xdmVifTable, xdmVbdTable: per-domain devices. */
#include <string.h>

#include "parse/xen_parse.h"
#include "xensnmp.h"
#include "xensnmp_oids.h"
#include "xensnmp_table.h"
#include "xensnmp_values.h"

static const oid vcpu_table_oid[] = { XENSNMP_VCPU_TABLE_OID };
static const oid vif_table_oid[] = { XENSNMP_VIF_TABLE_OID };
static const oid vbd_table_oid[] = { XENSNMP_VBD_TABLE_OID };

/* ---- xdmVcpuTable ---- */

static void fill_vcpus(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	size_t i, j;

	for (i = 0; i < snap->n_domains; i++)
		for (j = 0; j < snap->domains[i]->n_vcpus; j++)
			xensnmp_table_add_row(t, snap->domains[i],
					      &snap->domains[i]->vcpus[j],
					      snap->domains[i]->vcpus[j].id);
}

static bool vcpu_value(const struct xensnmp_row *row, unsigned column,
		       netsnmp_variable_list *var)
{
	const struct xen_vcpu *v = row->item;

	switch (column) {
	case XENVCPU_AVAILABILITY:
		xensnmp_set_int(var, !(v->known & XEN_VCPU_HAVE_AVAILABILITY) ? 3
				     : v->online ? 1 : 2);
		return true;
	case XENVCPU_STATE:
		if (!(v->known & XEN_VCPU_HAVE_STATE))
			xensnmp_set_int(var, XENSNMP_VCPU_UNKNOWN);
		else
			xensnmp_set_int(var, v->state == XEN_VCPU_RUNNING
					     ? XENSNMP_VCPU_RUNNING
					     : v->state == XEN_VCPU_BLOCKED
					     ? XENSNMP_VCPU_BLOCKED
					     : XENSNMP_VCPU_OFFLINE);
		return true;
	case XENVCPU_CPU_TIME:
		if (!(v->known & XEN_VCPU_HAVE_CPU_TIME))
			return false;
		xensnmp_set_counter64(var, v->cpu_time_ns);
		return true;
	case XENVCPU_PHYS_CPU:
		if (!(v->known & XEN_VCPU_HAVE_PHYS_CPU))
			return false;
		xensnmp_set_int(var, v->phys_cpu);
		return true;
	case XENVCPU_DATA_SOURCES:
		xensnmp_set_sources(var, v->sources);
		return true;
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vcpu_table_def = {
	.name = "xdmVcpuTable",
	.oid = vcpu_table_oid,
	.oid_len = OID_LENGTH(vcpu_table_oid),
	.min_column = XENVCPU_AVAILABILITY,
	.max_column = XENVCPU_DATA_SOURCES,
	.n_index = 2,
	.fill = fill_vcpus,
	.value = vcpu_value,
};

/* ---- xdmVifTable ---- */

static void fill_vifs(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	size_t i, j;

	for (i = 0; i < snap->n_domains; i++)
		for (j = 0; j < snap->domains[i]->n_vifs; j++)
			xensnmp_table_add_row(t, snap->domains[i],
					      &snap->domains[i]->vifs[j],
					      snap->domains[i]->vifs[j].devid);
}

static bool set_known_string(netsnmp_variable_list *var,
			     const struct xen_bytes *b)
{
	if (!xen_bytes_known(b))
		return false;
	xensnmp_set_utf8(var, b);
	return true;
}

static bool set_counter(netsnmp_variable_list *var, bool known, uint64_t v)
{
	if (known)
		xensnmp_set_counter64(var, v);
	return known;
}

static bool vif_value(const struct xensnmp_row *row, unsigned column,
		      netsnmp_variable_list *var)
{
	const struct xen_vif *vif = row->item;
	bool rx = vif->known & XEN_DEV_HAVE_RX, tx = vif->known & XEN_DEV_HAVE_TX;
	uint8_t mac[6];

	switch (column) {
	case XENVIF_MAC:
		if (!xen_bytes_known(&vif->mac) ||
		    xen_parse_mac(vif->mac.data, vif->mac.len, mac) < 0)
			return false;
		xensnmp_set_string(var, mac, sizeof(mac));
		return true;
	case XENVIF_BRIDGE:
		return set_known_string(var, &vif->bridge);
	case XENVIF_IFNAME:
		return set_known_string(var, &vif->ifname);
	case XENVIF_BACKEND_DOMAIN:
		if (!(vif->known & XEN_DEV_HAVE_BACKEND_DOMID))
			return false;
		xensnmp_set_int(var, vif->backend_domid);
		return true;
	case XENVIF_STATE:
		if (!(vif->known & XEN_DEV_HAVE_STATE))
			return false;
		xensnmp_set_int(var, vif->state);
		return true;
	case XENVIF_SCRIPT:
		return set_known_string(var, &vif->script);
	case XENVIF_RX_BYTES:
		return set_counter(var, rx, vif->rx_bytes);
	case XENVIF_RX_PACKETS:
		return set_counter(var, rx, vif->rx_packets);
	case XENVIF_RX_ERRORS:
		return set_counter(var, rx, vif->rx_errors);
	case XENVIF_RX_DROPS:
		return set_counter(var, rx, vif->rx_drops);
	case XENVIF_TX_BYTES:
		return set_counter(var, tx, vif->tx_bytes);
	case XENVIF_TX_PACKETS:
		return set_counter(var, tx, vif->tx_packets);
	case XENVIF_TX_ERRORS:
		return set_counter(var, tx, vif->tx_errors);
	case XENVIF_TX_DROPS:
		return set_counter(var, tx, vif->tx_drops);
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vif_table_def = {
	.name = "xdmVifTable",
	.oid = vif_table_oid,
	.oid_len = OID_LENGTH(vif_table_oid),
	.min_column = XENVIF_MAC,
	.max_column = XENVIF_TX_DROPS,
	.n_index = 2,
	.fill = fill_vifs,
	.value = vif_value,
};

/* ---- xdmVbdTable ---- */

static void fill_vbds(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	size_t i, j;

	for (i = 0; i < snap->n_domains; i++)
		for (j = 0; j < snap->domains[i]->n_vbds; j++)
			xensnmp_table_add_row(t, snap->domains[i],
					      &snap->domains[i]->vbds[j],
					      snap->domains[i]->vbds[j].devid);
}

static bool bytes_is(const struct xen_bytes *b, const char *s)
{
	return xen_bytes_known(b) && b->len == strlen(s) &&
	       memcmp(b->data, s, b->len) == 0;
}

static bool vbd_value(const struct xensnmp_row *row, unsigned column,
		      netsnmp_variable_list *var)
{
	const struct xen_vbd *vbd = row->item;
	bool io = vbd->known & XEN_DEV_HAVE_IO;

	switch (column) {
	case XENVBD_DEV:
		return set_known_string(var, &vbd->dev);
	case XENVBD_PARAMS:
		return set_known_string(var, &vbd->params);
	case XENVBD_MODE:
		/* libxl writes "r" or "w"; xend wrote "r", "w" or "w!" */
		xensnmp_set_int(var, !xen_bytes_known(&vbd->mode) ? 3
				     : vbd->mode.data[0] == 'r' ? 1
				     : vbd->mode.data[0] == 'w' ? 2 : 3);
		return true;
	case XENVBD_DEVICE_TYPE:
		xensnmp_set_int(var, !xen_bytes_known(&vbd->device_type) ? 4
				     : bytes_is(&vbd->device_type, "disk") ? 1
				     : bytes_is(&vbd->device_type, "cdrom") ? 2 : 3);
		return true;
	case XENVBD_BACKEND_TYPE:
		return set_known_string(var, &vbd->backend_type);
	case XENVBD_BACKEND_DOMAIN:
		if (!(vbd->known & XEN_DEV_HAVE_BACKEND_DOMID))
			return false;
		xensnmp_set_int(var, vbd->backend_domid);
		return true;
	case XENVBD_STATE:
		if (!(vbd->known & XEN_DEV_HAVE_STATE))
			return false;
		xensnmp_set_int(var, vbd->state);
		return true;
	case XENVBD_RD_REQS:
		return set_counter(var, io, vbd->rd_reqs);
	case XENVBD_WR_REQS:
		return set_counter(var, io, vbd->wr_reqs);
	case XENVBD_RD_BYTES:
		return set_counter(var, io, vbd->rd_bytes);
	case XENVBD_WR_BYTES:
		return set_counter(var, io, vbd->wr_bytes);
	case XENVBD_OO_REQS:
		return set_counter(var, io, vbd->oo_reqs);
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vbd_table_def = {
	.name = "xdmVbdTable",
	.oid = vbd_table_oid,
	.oid_len = OID_LENGTH(vbd_table_oid),
	.min_column = XENVBD_DEV,
	.max_column = XENVBD_OO_REQS,
	.n_index = 2,
	.fill = fill_vbds,
	.value = vbd_value,
};
