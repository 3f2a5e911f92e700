/* xdmVcpuTable, xdmVifTable, xdmVbdTable: per-domain devices. */
#include <string.h>

#include "parse/xen_parse.h"
#include "xensnmp_oids.h"
#include "xensnmp_tables.h"
#include "xensnmp_values.h"

static const oid vcpu_table_oid[] = { XENSNMP_VCPU_TABLE_OID };
static const oid vif_table_oid[] = { XENSNMP_VIF_TABLE_OID };
static const oid vbd_table_oid[] = { XENSNMP_VBD_TABLE_OID };

/* ---- xdmVcpuTable ---- */

static size_t count_vcpus(const struct xen_snapshot *snap)
{
	size_t i, n = 0;

	for (i = 0; i < snap->n_domains; i++)
		n += snap->domains[i]->n_vcpus;
	return n;
}

static void fill_vcpus(struct xensnmp_table *t, const struct xen_snapshot *snap)
{
	size_t i, j;

	for (i = 0; i < snap->n_domains; i++)
		for (j = 0; j < snap->domains[i]->n_vcpus; j++)
			xensnmp_table_add_row(t, snap->domains[i],
					      &snap->domains[i]->vcpus[j],
					      snap->domains[i]->vcpus[j].id);
}

bool xensnmp_vcpu_value(const struct xensnmp_row *row, unsigned column,
		       netsnmp_variable_list *var)
{
	const struct xen_vcpu *v = row->item;

	switch (column) {
	case XENVCPU_AVAILABILITY:
		if (!(v->known & XEN_VCPU_HAVE_AVAILABILITY))
			return false;
		xensnmp_set_int(var, v->online ? XENSNMP_AVAILABILITY_ONLINE
					       : XENSNMP_AVAILABILITY_OFFLINE);
		return true;
	case XENVCPU_STATE:
		if (!(v->known & XEN_VCPU_HAVE_STATE))
			return false;
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
	case XENVCPU_DISCONTINUITY_TIME:
		/* a vCPU lives and dies with its domain */
		xensnmp_set_timestamp(var, &row->dom->counters_since);
		return true;
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vcpu_table_def = {
	.name = "xdmVcpuTable",
	.oid = vcpu_table_oid,
	.oid_len = OID_LENGTH(vcpu_table_oid),
	.min_column = XENVCPU_FIRST_COLUMN,
	.max_column = XENVCPU_LAST_COLUMN,
	.n_index = 2,
	.count = count_vcpus,
	.fill = fill_vcpus,
	.value = xensnmp_vcpu_value,
};

/* ---- xdmVifTable ---- */

static size_t count_vifs(const struct xen_snapshot *snap)
{
	size_t i, n = 0;

	for (i = 0; i < snap->n_domains; i++)
		n += snap->domains[i]->n_vifs;
	return n;
}

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

/* XenLongUtf8String: paths and targets, not cut at 255 octets */
static bool set_known_long_string(netsnmp_variable_list *var,
				  const struct xen_bytes *b)
{
	if (!xen_bytes_known(b))
		return false;
	xensnmp_set_long_utf8(var, b);
	return true;
}

/* A device's counters also restart when its domain is re-created. */
static const struct timespec *later(const struct timespec *a,
				    const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec) ? a : b;
}

static bool set_counter(netsnmp_variable_list *var, bool known, uint64_t v)
{
	if (known)
		xensnmp_set_counter64(var, v);
	return known;
}

bool xensnmp_vif_value(const struct xensnmp_row *row, unsigned column,
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
	case XENVIF_IF_NAME:
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
		return set_known_long_string(var, &vif->script);
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
	case XENVIF_DISCONTINUITY_TIME:
		xensnmp_set_timestamp(var, later(&vif->counters_since,
						 &row->dom->counters_since));
		return true;
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vif_table_def = {
	.name = "xdmVifTable",
	.oid = vif_table_oid,
	.oid_len = OID_LENGTH(vif_table_oid),
	.min_column = XENVIF_FIRST_COLUMN,
	.max_column = XENVIF_LAST_COLUMN,
	.n_index = 2,
	.count = count_vifs,
	.fill = fill_vifs,
	.value = xensnmp_vif_value,
};

/* ---- xdmVbdTable ---- */

static size_t count_vbds(const struct xen_snapshot *snap)
{
	size_t i, n = 0;

	for (i = 0; i < snap->n_domains; i++)
		n += snap->domains[i]->n_vbds;
	return n;
}

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

bool xensnmp_vbd_value(const struct xensnmp_row *row, unsigned column,
		      netsnmp_variable_list *var)
{
	const struct xen_vbd *vbd = row->item;
	bool io = vbd->known & XEN_DEV_HAVE_IO;

	switch (column) {
	case XENVBD_DEV:
		return set_known_string(var, &vbd->dev);
	case XENVBD_PARAMS:
		return set_known_long_string(var, &vbd->params);
	case XENVBD_MODE:
		/* libxl writes "r" or "w"; xend wrote "r", "w" or "w!" */
		if (!xen_bytes_known(&vbd->mode))
			return false;
		xensnmp_set_int(var, vbd->mode.data[0] == 'r'
				     ? XENSNMP_VBD_MODE_READ_ONLY
				     : vbd->mode.data[0] == 'w'
				     ? XENSNMP_VBD_MODE_READ_WRITE
				     : XENSNMP_VBD_MODE_UNKNOWN);
		return true;
	case XENVBD_DEVICE_TYPE:
		if (!xen_bytes_known(&vbd->device_type))
			return false;
		xensnmp_set_int(var, bytes_is(&vbd->device_type, "disk")
				     ? XENSNMP_VBD_TYPE_DISK
				     : bytes_is(&vbd->device_type, "cdrom")
				     ? XENSNMP_VBD_TYPE_CDROM : XENSNMP_VBD_TYPE_OTHER);
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
	case XENVBD_DISCONTINUITY_TIME:
		xensnmp_set_timestamp(var, later(&vbd->counters_since,
						 &row->dom->counters_since));
		return true;
	}
	return false;
}

const struct xensnmp_table_def xensnmp_vbd_table_def = {
	.name = "xdmVbdTable",
	.oid = vbd_table_oid,
	.oid_len = OID_LENGTH(vbd_table_oid),
	.min_column = XENVBD_FIRST_COLUMN,
	.max_column = XENVBD_LAST_COLUMN,
	.n_index = 2,
	.count = count_vbds,
	.fill = fill_vbds,
	.value = xensnmp_vbd_value,
};
