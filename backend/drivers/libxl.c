/*
 * The libxl control driver: acts on domains through libxenlight, as xl
 * does, on hosts without xend (Xen 4.5 and later).  Control only: it
 * gathers nothing (the hypervisor and xenstore drivers read the host).
 *
 * libxl in a long-lived process:
 * - one context, owned by the connection's control thread, which alone
 *   calls the driver;
 * - a logger that passes warnings and errors to the connection's log
 *   queue and drops libxl's chatter (it would print to stderr);
 * - SIGCHLD is never taken: the context is in libxl_sigchld_owner_mainloop
 *   mode, so libxl installs no handler (inside snmpd the signal is
 *   snmpd's), and while a call runs a reaper thread asks libxl every
 *   50 ms to reap its own children (the hotplug scripts a destroy runs)
 *   with libxl_childproc_sigchld_occurred, which waits for libxl's own
 *   children only.
 *
 * Before acting the driver reads the domain with libxl_domain_info (the
 * hypervisor's own handle) and refuses when it holds another UUID or when
 * the action makes no sense in its state.
 */
#define LIBXL_API_VERSION 0x040500	/* the calls as Xen 4.5 has them */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"

#define REAP_INTERVAL_NS 50000000L

struct xl_logger {
	xentoollog_logger vtable;	/* first: libxl sees this */
	struct xen_log_queue *log;
};

struct xl_drv {
	libxl_ctx *ctx;			/* control thread only */
	struct xl_logger logger;
	/* the reaper: runs while a libxl call may have children */
	pthread_t reaper;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool busy;			/* lock; a call is running */
	bool stop;			/* lock */
};

static void xl_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
			int errnoval, const char *context, const char *format, va_list al)
{
	struct xl_logger *l = (struct xl_logger *)logger;
	char msg[512];

	if (level < XTL_WARN)
		return;
	vsnprintf(msg, sizeof(msg), format, al);
	xen_log(l->log, level >= XTL_ERROR ? XEN_LOG_ERR : XEN_LOG_WARNING,
		"control: libxl%s%s: %s%s%s", context ? " " : "", context ? context : "",
		msg, errnoval > 0 ? ": " : "", errnoval > 0 ? strerror(errnoval) : "");
}

static void xl_progress(struct xentoollog_logger *logger, const char *context,
			const char *doing_what, int percent, unsigned long done,
			unsigned long total)
{
	(void)logger; (void)context; (void)doing_what; (void)percent; (void)done; (void)total;
}

static void xl_logger_destroy(struct xentoollog_logger *logger)
{
	(void)logger;
}

static void *reaper_thread(void *arg)
{
	struct xl_drv *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		struct timespec t;

		if (!d->busy) {
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		/* waitpid(WNOHANG) on libxl's own children, nobody else's */
		libxl_childproc_sigchld_occurred(d->ctx);
		pthread_mutex_lock(&d->lock);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += REAP_INTERVAL_NS;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (d->busy && !d->stop)
			pthread_cond_timedwait(&d->cond, &d->lock, &t);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static void set_busy(struct xl_drv *d, bool busy)
{
	pthread_mutex_lock(&d->lock);
	d->busy = busy;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void *xl_open(const struct xen_driver_env *env, char *why, size_t why_len)
{
	static const libxl_childproc_hooks hooks = {
		.chldowner = libxl_sigchld_owner_mainloop,
	};
	struct xl_drv *d = xen_calloc(1, sizeof(*d));
	int rc;

	d->logger.vtable.vmessage = xl_vmessage;
	d->logger.vtable.progress = xl_progress;
	d->logger.vtable.destroy = xl_logger_destroy;
	d->logger.log = env->log;
	rc = libxl_ctx_alloc(&d->ctx, LIBXL_VERSION, 0, &d->logger.vtable);
	if (rc || !d->ctx) {
		snprintf(why, why_len, "cannot open a libxl context (error %d)", rc);
		free(d);
		return NULL;
	}
	/* before any call that may fork: libxl must never take SIGCHLD */
	libxl_childproc_setmode(d->ctx, &hooks, NULL);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (pthread_create(&d->reaper, NULL, reaper_thread, d) != 0) {
		snprintf(why, why_len, "cannot start the libxl reaper thread");
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		libxl_ctx_free(d->ctx);
		free(d);
		return NULL;
	}
	return d;
}

static void xl_close(void *priv)
{
	struct xl_drv *d = priv;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->reaper, NULL);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	libxl_ctx_free(d->ctx);
	free(d);
}

static void format_uuid(const uint8_t *u, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

/* Why the action makes no sense in the domain's state now, or NULL. */
static const char *refusal(const struct xen_control_request *req, const libxl_dominfo *info)
{
	if (info->dying)
		return "the domain is being destroyed";
	switch (req->op) {
	case XEN_CONTROL_PAUSE:
		if (info->shutdown)
			return "the domain has shut down";
		return info->paused ? "the domain is paused already" : NULL;
	case XEN_CONTROL_UNPAUSE:
		return info->paused ? NULL : "the domain is not paused";
	case XEN_CONTROL_SHUTDOWN:
	case XEN_CONTROL_REBOOT:
	case XEN_CONTROL_MEM_TARGET:
	case XEN_CONTROL_VCPUS:
		return info->shutdown ? "the domain has shut down" : NULL;
	case XEN_CONTROL_DESTROY:
		return NULL;
	}
	return "unknown request";
}

static int set_vcpus(struct xl_drv *d, const struct xen_control_request *req,
		     const libxl_dominfo *info, char *why, size_t why_len)
{
	unsigned max = info->vcpu_max_id + 1, i;
	libxl_bitmap map;
	int rc;

	if (req->value < 1 || req->value > max) {
		snprintf(why, why_len, "%llu vCPUs asked, the domain has %u",
			 (unsigned long long)req->value, max);
		return XEN_CONTROL_FAILED;
	}
	/* the bitmap by hand: one bit per vCPU, the first value ones online */
	memset(&map, 0, sizeof(map));
	map.size = (max + 7) / 8;
	map.map = xen_calloc(map.size, 1);
	for (i = 0; i < req->value; i++)
		map.map[i / 8] |= (uint8_t)(1u << (i % 8));
	rc = libxl_set_vcpuonline(d->ctx, req->domid, &map);
	free(map.map);
	if (rc) {
		snprintf(why, why_len, "libxl_set_vcpuonline failed (error %d)", rc);
		return XEN_CONTROL_FAILED;
	}
	return XEN_CONTROL_OK;
}

static int xl_control(void *priv, const struct xen_control_request *req, char *why,
		      size_t why_len)
{
	struct xl_drv *d = priv;
	libxl_dominfo info;
	const char *no, *call = "";
	char want[37], have[37];
	int rc;

	libxl_dominfo_init(&info);
	rc = libxl_domain_info(d->ctx, &info, req->domid);
	if (rc == ERROR_DOMAIN_NOTFOUND || (rc == ERROR_INVAL && req->domid)) {
		libxl_dominfo_dispose(&info);
		snprintf(why, why_len, "domain %u is gone", req->domid);
		return XEN_CONTROL_FAILED;
	}
	if (rc) {
		libxl_dominfo_dispose(&info);
		snprintf(why, why_len, "libxl_domain_info failed (error %d)", rc);
		return XEN_CONTROL_LOST;
	}
	/* the identity check, against the hypervisor's handle */
	if (memcmp(libxl_uuid_bytearray(&info.uuid), req->uuid, sizeof(req->uuid)) != 0) {
		format_uuid(req->uuid, want);
		format_uuid(libxl_uuid_bytearray(&info.uuid), have);
		libxl_dominfo_dispose(&info);
		snprintf(why, why_len, "domain %u now holds UUID %s, not %s: not acting",
			 req->domid, have, want);
		return XEN_CONTROL_FAILED;
	}
	if ((no = refusal(req, &info))) {
		libxl_dominfo_dispose(&info);
		snprintf(why, why_len, "%s", no);
		return XEN_CONTROL_FAILED;
	}

	set_busy(d, true);
	switch (req->op) {
	case XEN_CONTROL_PAUSE:
		call = "libxl_domain_pause";
		rc = libxl_domain_pause(d->ctx, req->domid);
		break;
	case XEN_CONTROL_UNPAUSE:
		call = "libxl_domain_unpause";
		rc = libxl_domain_unpause(d->ctx, req->domid);
		break;
	case XEN_CONTROL_SHUTDOWN:
		call = "libxl_domain_shutdown";
		rc = libxl_domain_shutdown(d->ctx, req->domid);
		break;
	case XEN_CONTROL_REBOOT:
		call = "libxl_domain_reboot";
		rc = libxl_domain_reboot(d->ctx, req->domid);
		break;
	case XEN_CONTROL_DESTROY:
		/* as xl destroy: devices, backends and xenstore nodes go too */
		call = "libxl_domain_destroy";
		rc = libxl_domain_destroy(d->ctx, req->domid, NULL);
		break;
	case XEN_CONTROL_MEM_TARGET:
		call = "libxl_set_memory_target";
		if (req->value > INT64_MAX)
			rc = ERROR_INVAL;
		else	/* absolute, and enforced at once as xl mem-set does */
			rc = libxl_set_memory_target(d->ctx, req->domid, (int64_t)req->value, 0, 1);
		break;
	case XEN_CONTROL_VCPUS:
		rc = set_vcpus(d, req, &info, why, why_len);
		set_busy(d, false);
		libxl_dominfo_dispose(&info);
		return rc;
	}
	set_busy(d, false);
	libxl_dominfo_dispose(&info);
	if (rc == ERROR_NOPARAVIRT) {
		snprintf(why, why_len, "%s: the guest has no PV drivers to receive the request",
			 call);
		return XEN_CONTROL_FAILED;
	}
	if (rc) {
		snprintf(why, why_len, "%s failed (error %d)", call, rc);
		return XEN_CONTROL_FAILED;
	}
	return XEN_CONTROL_OK;
}

/* On a xend host the domains are xend's: libxl must not act behind its back. */
static bool xl_wanted(const struct xen_driver_env *env)
{
	return !env->xend_url && access("/var/lib/xend/xend-socket", F_OK) != 0;
}

const struct xen_driver_ops xen_libxl_driver = {
	.name = "libxl",
	.needs_privilege = true,
	.wanted = xl_wanted,
	.open = xl_open,
	.close = xl_close,
	.control = xl_control,
};
