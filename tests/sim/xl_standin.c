/*
 * A stand-in for the libxenlight calls the libxl control driver makes,
 * for tests only: preloaded into the agent (LD_PRELOAD, beside the
 * libxenctrl stand-in), it carries each call out on the simulated host
 * (xensimd, control socket in XENSIM_CONTROL) with "xl OP DOMID [VALUE]",
 * and reads domains from "hv-dump" as the hypervisor reports them.
 * Without XENSIM_CONTROL, or not as root, no context can be made, as with
 * the real library on a host without Xen.
 *
 * It copies what matters of libxl's behaviour around children and
 * SIGCHLD, so the tests can catch a caller that gets it wrong:
 * - libxl_domain_destroy runs a child (libxl runs the devices' hotplug
 *   scripts) and returns only once the child is reaped;
 * - in libxl_sigchld_owner_mainloop mode nothing installs a SIGCHLD
 *   handler and the child is reaped only when the caller calls
 *   libxl_childproc_sigchld_occurred (the call fails after 10 s without);
 * - in the libxl_always modes a handler is installed at setmode and kept;
 *   in the default mode (libxl owns SIGCHLD while it has children) one is
 *   installed for the length of the destroy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenctrl.h>

#include "sim_call.h"

struct libxl__ctx {
	xentoollog_logger *lg;
	libxl_sigchld_owner mode;
	bool handler_installed;
	struct sigaction old_chld;
	pthread_mutex_t lock;
	pthread_cond_t reaped_cond;
	pid_t child;		/* lock; the running "hotplug script", 0: none */
	bool reaped;		/* lock */
};

static void say(libxl_ctx *ctx, xentoollog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(libxl_ctx *ctx, xentoollog_level level, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->lg || !ctx->lg->vmessage)
		return;
	va_start(ap, fmt);
	ctx->lg->vmessage(ctx->lg, level, -1, "libxl", fmt, ap);
	va_end(ap);
}

/* xl OP DOMID [VALUE] on the simulator: 0 or ERROR_FAIL */
static int toolstack(libxl_ctx *ctx, const char *op, uint32_t domid, unsigned long long value,
		     bool with_value)
{
	char sid[16], sval[32], *reply;
	const char *argv[] = { "xl", op, sid, sval };
	int rc;

	snprintf(sid, sizeof(sid), "%u", domid);
	snprintf(sval, sizeof(sval), "%llu", value);
	reply = sim_call(with_value ? 4 : 3, argv);
	rc = reply && strncmp(reply, "ok", 2) == 0 ? 0 : ERROR_FAIL;
	if (rc)	/* as libxl, which logs its errors */
		say(ctx, XTL_ERROR, "%s of domain %u failed: %s", op, domid,
		    reply ? reply : "no simulator");
	free(reply);
	return rc;
}

int libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags, xentoollog_logger *lg)
{
	const char *hello[] = { "xl", "hello", "0" };
	char *reply;
	libxl_ctx *ctx;

	(void)flags;
	*pctx = NULL;
	if (version != LIBXL_VERSION || !getenv("XENSIM_CONTROL") || geteuid() != 0)
		return ERROR_FAIL;
	/* the simulator can refuse contexts (xl-fault context) */
	reply = sim_call(3, hello);
	if (!reply || strncmp(reply, "ok", 2) != 0) {
		free(reply);
		return ERROR_FAIL;
	}
	free(reply);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return ERROR_NOMEM;
	ctx->lg = lg;
	ctx->mode = libxl_sigchld_owner_libxl;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->reaped_cond, NULL);
	*pctx = ctx;
	return 0;
}

static void on_sigchld(int sig)
{
	(void)sig;
}

static void take_sigchld(libxl_ctx *ctx)
{
	struct sigaction sa = { .sa_handler = on_sigchld };

	if (ctx->handler_installed)
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, &ctx->old_chld);
	ctx->handler_installed = true;
}

static void give_back_sigchld(libxl_ctx *ctx)
{
	if (!ctx->handler_installed)
		return;
	sigaction(SIGCHLD, &ctx->old_chld, NULL);
	ctx->handler_installed = false;
}

int libxl_ctx_free(libxl_ctx *ctx)
{
	if (!ctx)
		return 0;
	give_back_sigchld(ctx);
	pthread_cond_destroy(&ctx->reaped_cond);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return 0;
}

void libxl_childproc_setmode(libxl_ctx *ctx, const libxl_childproc_hooks *hooks, void *user)
{
	(void)user;
	ctx->mode = hooks ? hooks->chldowner : libxl_sigchld_owner_libxl;
	if (ctx->mode == libxl_sigchld_owner_libxl_always ||
	    ctx->mode == libxl_sigchld_owner_libxl_always_selective_reap)
		take_sigchld(ctx);
}

void libxl_childproc_sigchld_occurred(libxl_ctx *ctx)
{
	int status;

	pthread_mutex_lock(&ctx->lock);
	if (ctx->child > 0 && !ctx->reaped &&
	    waitpid(ctx->child, &status, WNOHANG) == ctx->child) {
		ctx->reaped = true;
		pthread_cond_broadcast(&ctx->reaped_cond);
	}
	pthread_mutex_unlock(&ctx->lock);
}

/* a child as a hotplug script: 0 once it is reaped, as libxl would */
static int run_child(libxl_ctx *ctx)
{
	struct timespec deadline;
	pid_t pid;
	int rc = 0;

	if (ctx->mode == libxl_sigchld_owner_libxl)
		take_sigchld(ctx);
	pid = fork();
	if (pid < 0)
		return ERROR_FAIL;
	if (pid == 0)
		_exit(0);
	pthread_mutex_lock(&ctx->lock);
	ctx->child = pid;
	ctx->reaped = false;
	if (ctx->mode == libxl_sigchld_owner_mainloop) {
		/* only the application can tell libxl that it exited */
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 10;
		while (!ctx->reaped &&
		       pthread_cond_timedwait(&ctx->reaped_cond, &ctx->lock, &deadline) == 0)
			;
		if (!ctx->reaped) {
			say(ctx, XTL_ERROR, "hotplug script %d never reaped: the application "
			    "does not call libxl_childproc_sigchld_occurred", (int)pid);
			waitpid(pid, NULL, 0);
			rc = ERROR_TIMEDOUT;
		}
	} else {
		waitpid(pid, NULL, 0);
	}
	ctx->child = 0;
	pthread_mutex_unlock(&ctx->lock);
	if (ctx->mode == libxl_sigchld_owner_libxl)
		give_back_sigchld(ctx);
	return rc;
}

void libxl_dominfo_init(libxl_dominfo *p)
{
	memset(p, 0, sizeof(*p));
}

void libxl_dominfo_dispose(libxl_dominfo *p)
{
	memset(p, 0, sizeof(*p));
}

uint8_t *libxl_uuid_bytearray(libxl_uuid *uuid)
{
	return uuid->uuid;
}

int libxl_domain_info(libxl_ctx *ctx, libxl_dominfo *info, uint32_t domid)
{
	const char *argv[] = { "hv-dump" };
	char *dump = sim_call(1, argv), *line, *save = NULL;
	int rc = ERROR_DOMAIN_NOTFOUND;

	(void)ctx;
	if (!dump || strncmp(dump, "ok\n", 3) != 0) {
		free(dump);
		return ERROR_FAIL;
	}
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned id, flags, online, maxid, i, b;
		unsigned long long tot, max, cpu;
		char uuid[33] = "";

		if (sscanf(line, "dom %u flags=%x tot_kib=%llu max_kib=%llu cpu_ns=%llu online=%u "
			   "max_vcpu_id=%u uuid=%32s", &id, &flags, &tot, &max, &cpu, &online,
			   &maxid, uuid) != 8 || id != domid)
			continue;
		if (info) {
			memset(info, 0, sizeof(*info));
			info->domid = id;
			for (i = 0; i < 16 && sscanf(uuid + 2 * i, "%2x", &b) == 1; i++)
				info->uuid.uuid[i] = (uint8_t)b;
			info->paused = (flags & XEN_DOMINF_paused) != 0;
			info->blocked = (flags & XEN_DOMINF_blocked) != 0;
			info->running = (flags & XEN_DOMINF_running) != 0;
			info->shutdown = (flags & XEN_DOMINF_shutdown) != 0;
			info->dying = (flags & XEN_DOMINF_dying) != 0;
			info->current_memkb = tot;
			info->max_memkb = max;
			info->cpu_time = cpu;
			info->vcpu_online = online;
			info->vcpu_max_id = maxid;
		}
		rc = 0;
		break;
	}
	free(dump);
	return rc;
}

int libxl_domain_pause(libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how)
{
	(void)ao_how;
	return toolstack(ctx, "pause", domid, 0, false);
}

int libxl_domain_unpause(libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how)
{
	(void)ao_how;
	return toolstack(ctx, "unpause", domid, 0, false);
}

int libxl_domain_shutdown(libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how)
{
	(void)ao_how;
	return toolstack(ctx, "shutdown", domid, 0, false);
}

int libxl_domain_reboot(libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how)
{
	(void)ao_how;
	return toolstack(ctx, "reboot", domid, 0, false);
}

int libxl_domain_destroy(libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how)
{
	int rc;

	(void)ao_how;
	rc = run_child(ctx);
	return rc ? rc : toolstack(ctx, "destroy", domid, 0, false);
}

int libxl_set_memory_target(libxl_ctx *ctx, uint32_t domid, int64_t target_memkb, int relative,
			    int enforce)
{
	(void)enforce;
	if (relative || target_memkb < 0)
		return ERROR_INVAL;
	return toolstack(ctx, "mem", domid, (unsigned long long)target_memkb, true);
}

int libxl_set_vcpuonline(libxl_ctx *ctx, uint32_t domid, libxl_bitmap *cpumap,
			 const libxl_asyncop_how *ao_how)
{
	unsigned long long n = 0;
	uint32_t i;

	(void)ao_how;
	/* vCPUs 0..n-1 online: count the leading ones, refuse holes */
	for (i = 0; i < cpumap->size * 8u; i++) {
		if (!(cpumap->map[i / 8] & (1u << (i % 8))))
			break;
		n++;
	}
	for (; i < cpumap->size * 8u; i++)
		if (cpumap->map[i / 8] & (1u << (i % 8)))
			return ERROR_INVAL;
	return toolstack(ctx, "vcpus", domid, n, true);
}
