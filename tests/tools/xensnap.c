/*
 * xensnap: prints what the Xen access layer sees, one line per domain
 * and device, and times full refreshes.  Used by the integration tests
 * (backend alone, without SNMP) and by bench/.
 *
 *   xensnap [--read-only] [--full N] [--quiet] [--timeout SECONDS]
 *           [--xend-url URL] [--proc-root DIR] [--sys-root DIR]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xen_conn.h"

static void log_to_stderr(int level, const char *line, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "xensnap: [%d] %s\n", level, line);
}

/* Prints bytes with non-printable ones escaped, so output stays one line. */
static void print_bytes(const char *key, const struct xen_bytes *b)
{
	size_t i;

	if (!xen_bytes_known(b))
		return;
	printf(" %s=", key);
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c > 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static void print_domain(const struct xen_domain *d)
{
	size_t i;

	printf("domain %u", d->domid);
	print_bytes("name", &d->name);
	if (d->known & XEN_DOM_HAVE_UUID) {
		printf(" uuid=");
		for (i = 0; i < 16; i++)
			printf("%s%02x", i == 4 || i == 6 || i == 8 || i == 10
			       ? "-" : "", d->uuid[i]);
	}
	print_bytes("ostype", &d->os_type);
	if (d->known & XEN_DOM_HAVE_MEM_TARGET)
		printf(" mem_target_kib=%" PRIu64, d->mem_target_kib);
	if (d->known & XEN_DOM_HAVE_MEM_MAX)
		printf(" mem_max_kib=%" PRIu64, d->mem_max_kib);
	if (d->known & XEN_DOM_HAVE_VCPUS_MAX)
		printf(" vcpus=%u", d->vcpus_max);
	if (d->known & XEN_DOM_HAVE_VCPUS_ONLINE)
		printf(" vcpus_online=%u", d->vcpus_online);
	if (d->known & XEN_DOM_HAVE_START_TIME)
		printf(" start_time=%lld.%02ld", (long long)d->start_time.tv_sec,
		       d->start_time.tv_nsec / 10000000L);
	if (d->known & XEN_DOM_HAVE_STATE)
		printf(" state=%d", (int)d->state);
	if (d->known & XEN_DOM_HAVE_MEM_CURRENT)
		printf(" mem_current_kib=%" PRIu64, d->mem_current_kib);
	if (d->known & XEN_DOM_HAVE_CPU_TIME)
		printf(" cpu_time_ns=%" PRIu64, d->cpu_time_ns);
	printf(" sources=%u\n", d->sources);
	for (i = 0; i < d->n_vcpus; i++) {
		const struct xen_vcpu *v = &d->vcpus[i];

		if (!(v->known & XEN_VCPU_HAVE_STATE))
			continue;	/* availability alone is in the domain line */
		printf("vcpu %u %u state=%d cpu_time_ns=%" PRIu64 " phys_cpu=%d\n", d->domid,
		       v->id, (int)v->state, v->cpu_time_ns, v->phys_cpu);
	}
	for (i = 0; i < d->n_vifs; i++) {
		printf("vif %u %u", d->domid, d->vifs[i].devid);
		print_bytes("mac", &d->vifs[i].mac);
		print_bytes("bridge", &d->vifs[i].bridge);
		print_bytes("ifname", &d->vifs[i].ifname);
		print_bytes("script", &d->vifs[i].script);
		if (d->vifs[i].known & XEN_DEV_HAVE_RX)
			printf(" rx_bytes=%" PRIu64 " rx_packets=%" PRIu64, d->vifs[i].rx_bytes,
			       d->vifs[i].rx_packets);
		if (d->vifs[i].known & XEN_DEV_HAVE_TX)
			printf(" tx_bytes=%" PRIu64 " tx_packets=%" PRIu64, d->vifs[i].tx_bytes,
			       d->vifs[i].tx_packets);
		printf("\n");
	}
	for (i = 0; i < d->n_vbds; i++) {
		printf("vbd %u %u", d->domid, d->vbds[i].devid);
		print_bytes("dev", &d->vbds[i].dev);
		print_bytes("params", &d->vbds[i].params);
		print_bytes("mode", &d->vbds[i].mode);
		print_bytes("device_type", &d->vbds[i].device_type);
		print_bytes("backend", &d->vbds[i].backend_type);
		if (d->vbds[i].known & XEN_DEV_HAVE_IO)
			printf(" rd_reqs=%" PRIu64 " wr_reqs=%" PRIu64 " rd_bytes=%" PRIu64
			       " wr_bytes=%" PRIu64, d->vbds[i].rd_reqs, d->vbds[i].wr_reqs,
			       d->vbds[i].rd_bytes, d->vbds[i].wr_bytes);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read-only", no_argument, NULL, 'r' },
		{ "full", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "xend-url", required_argument, NULL, 'x' },
		{ "proc-root", required_argument, NULL, 'P' },
		{ "sys-root", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct xen_conn_config cfg = { .mode = XEN_MODE_AUTO };
	struct xen_conn_status st;
	struct xen_snapshot *snap;
	struct xen_conn *conn;
	int opt, fulls = 0, timeout_ms = 30000, i;
	bool quiet = false;
	size_t d;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			cfg.mode = XEN_MODE_READ_ONLY;
			break;
		case 'n':
			fulls = atoi(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'x':
			cfg.xend_url = optarg;
			break;
		case 'P':
			cfg.proc_root = optarg;
			break;
		case 'S':
			cfg.sys_root = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			break;
		default:
			fprintf(stderr, "usage: xensnap [--read-only] [--full N] [--quiet] [--timeout S]\n"
				"               [--xend-url URL] [--proc-root DIR] [--sys-root DIR]\n");
			return 2;
		}
	}
	conn = xen_conn_open(&cfg);
	if (!conn)
		return 1;
	/* the first whole snapshot, not the hypervisor's quick first one */
	for (i = 0;; i++) {
		snap = xen_conn_snapshot(conn);
		xen_conn_get_status(conn, &st);
		if (snap && !st.partial)
			break;
		if (!xen_conn_wait(conn, snap ? snap->generation : 0, timeout_ms)) {
			fprintf(stderr, "xensnap: no snapshot within the timeout\n");
			xen_snapshot_unref(snap);
			xen_conn_close(conn, log_to_stderr, NULL);
			return 1;
		}
		xen_snapshot_unref(snap);
	}
	xen_snapshot_unref(snap);
	for (i = 0; i < fulls; i++) {
		snap = xen_conn_snapshot(conn);
		xen_conn_request_refresh(conn, true);
		if (!xen_conn_wait(conn, snap->generation, timeout_ms)) {
			fprintf(stderr, "xensnap: refresh timed out\n");
			xen_snapshot_unref(snap);
			break;
		}
		xen_snapshot_unref(snap);
		xen_conn_get_status(conn, &st);
		printf("full_refresh seconds=%.6f requests=%" PRIu64 "\n",
		       st.last_full_refresh_seconds, st.last_full_refresh_requests);
	}
	xen_conn_process(conn, log_to_stderr, NULL);
	xen_conn_get_status(conn, &st);
	snap = xen_conn_snapshot(conn);
	printf("status mode=%s drivers=%u stale=%d domains=%zu unavailable=\"%s\"\n",
	       st.read_write ? "read-write" : "read-only", st.drivers_open,
	       st.stale, snap->n_domains, st.unavailable);
	if (!quiet)
		for (d = 0; d < snap->n_domains; d++)
			print_domain(snap->domains[d]);
	xen_snapshot_unref(snap);
	xen_conn_close(conn, log_to_stderr, NULL);
	return st.drivers_open ? 0 : 1;
}
