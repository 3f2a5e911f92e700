/*
 * xensimd: a simulated Xen host for tests, benchmarks and the demo.
 *
 * It serves the xenstore wire protocol on a unix socket, so the real
 * libxenstore client reaches it through XENSTORED_PATH, with the tree
 * laid out as libxl lays out a Xen 4.17 host.  A scenario file sets up
 * the host; commands on the control socket move it while clients run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>

#include "sim_control.h"
#include "sim_hv.h"
#include "sim_shared.h"
#include "sim_stats.h"
#include "sim_model.h"
#include "sim_store.h"
#include "sim_xenstore.h"
#include "sim_xend.h"

#define MAX_POLL 4096

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xensimd --xenstore SOCKET [--control SOCKET] [--scenario FILE]\n"
		"               [--domains N] [--pidfile FILE] [--stats-root DIR] [-v]\n"
		"               [--xend-socket PATH] [--xend-port N]\n"
		"       xensimd ctl CONTROL-SOCKET COMMAND [ARGS...]\n"
		"\n"
		"commands: add DOMID key=value...   remove DOMID   set DOMID key=value...\n"
		"          vif DOMID DEVID key=value...   vbd DOMID DEVID key=value...\n"
		"          write PATH VALUE   rm PATH   host key=value...\n"
		"          guest-write DOMID RELPATH VALUE (where libxl lets a guest write)\n"
		"          storm PATH VALUE COUNT RATE (COUNT writes, RATE a second)   storm-status\n"
		"          stats   reset-stats   delay MS   freeze   thaw   quit\n"
		"          generate N (N more guests in one go)\n"
		"          managed UUID key=value...   unmanage UUID   (xend's halted domains:\n"
		"            name mem_kib mem_max_kib vcpus)\n"
		"          xend-fault none|slow|garbage|huge|dead [MS]   xend-stats\n"
		"          xl OP DOMID [VALUE]   (a toolstack call: pause unpause shutdown reboot\n"
		"            destroy mem vcpus; the libxl stand-in sends these)\n"
		"          xl-fault OP|none   (the next xl OP fails)   xl-log   (done xl calls)\n"
		"domain keys: name uuid ostype start_time mem_target_kib mem_max_kib vcpus\n"
		"             vcpus_online state cpu_time_ns mem_current_kib\n"
		"states: running blocked paused shutdown (poweroff) rebooting (shut down to\n"
		"        reboot) crashed dying\n");
}

/*
 * A write storm: one path written at a steady rate, as a guest writing
 * in a loop would, so tests can measure what each write costs a client.
 */
struct sim_storm {
	char *path, *value;
	unsigned long long left, done;
	unsigned rate;			/* writes per second */
	struct timespec start;
};

/* the toolstack calls carried out, with when, for measuring their latency */
#define XL_LOG_MAX 256

struct sim {
	char xl_fault[16];		/* the next xl call of this op fails */
	char *xl_log[XL_LOG_MAX];
	unsigned xl_log_n;
	struct sim_store *store;
	struct sim_storm storm;
	struct sim_model *model;
	struct sim_xs *xs;
	struct sim_xend *xend;		/* NULL without --xend-socket/--xend-port */
	int quit;
	/* the stand-ins' shared domain lists (sim_shared.h): each open
	 * memfd and the process that made it (gone: closed) */
	struct { int fd; long pid; } shared[16];
	unsigned n_shared;
	uint32_t shared_seq;
	struct sim_shared_header shared_hdr;	/* as last written */
	uint64_t shared_gen;		/* the store's generation the records show */
};

/*
 * Writes into every stand-in's shared memory the domain list (records)
 * or, when nothing may have changed, the header alone with alive_ns
 * renewed: an idle host costs neither side a list.
 */
static void shared_write(struct sim *sim, bool records)
{
	struct sim_shared_header *h = &sim->shared_hdr;
	size_t len = 0;
	char *bin = NULL;
	unsigned i;

	for (i = 0; i < sim->n_shared;) {
		if (kill((pid_t)sim->shared[i].pid, 0) < 0 && errno == ESRCH) {
			close(sim->shared[i].fd);
			sim->shared[i] = sim->shared[--sim->n_shared];
		} else {
			i++;
		}
	}
	if (!sim->n_shared || (records && !(bin = sim_hv_domains(sim->model, &len))))
		return;
	/* after the list's own time: a reader carries CPU time on from here,
	 * so it never runs ahead of the next list */
	h->alive_ns = sim_shared_now_ns();
	if (records) {
		h->n = (uint32_t)((len - 3) / sizeof(xc_domaininfo_t));
		h->written_ns = h->alive_ns;
		sim->shared_gen = sim->store->gen;
	}
	for (i = 0; i < sim->n_shared; i++) {
		int fd = sim->shared[i].fd;

		/* odd while the records change, even when they are whole; a
		 * failed write leaves the count odd or old, and the stand-in
		 * asks again once it finds the list no longer written */
		h->seq = sim->shared_seq + 1;
		if (pwrite(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
		    (!records || pwrite(fd, bin + 3, len - 3, SIM_SHARED_HEADER) == (ssize_t)(len - 3))) {
			h->seq = sim->shared_seq + 2;
			if (pwrite(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
				fprintf(stderr, "xensimd: shared domain list: %s\n", strerror(errno));
		}
	}
	sim->shared_seq += 2;
	free(bin);
}

/* hv-share /proc/PID/fd/N: a stand-in's memfd to keep the list in. */
static int shared_add(struct sim *sim, const char *path)
{
	long pid;
	int fd;

	if (sim->n_shared == sizeof(sim->shared) / sizeof(sim->shared[0]) ||
	    sscanf(path, "/proc/%ld/fd/", &pid) != 1 ||
	    (fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	sim->shared[sim->n_shared].fd = fd;
	sim->shared[sim->n_shared++].pid = pid;
	shared_write(sim, true);
	return 0;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Makes the writes due by now; returns ms until the next one, or -1. */
static int storm_run(struct sim *sim)
{
	struct sim_storm *st = &sim->storm;
	unsigned long long due;

	if (!st->left)
		return -1;
	due = (unsigned long long)(seconds_since(&st->start) * st->rate) + 1;
	while (st->left && st->done < due) {
		store_write(sim->store, st->path, st->value, strlen(st->value));
		st->done++;
		st->left--;
	}
	return st->left ? 1 : -1;
}

/* storm PATH VALUE COUNT RATE */
static int storm_start(struct sim *sim, int argc, char **argv, char *reply, size_t len)
{
	struct sim_storm *st = &sim->storm;
	unsigned long long count = argc == 5 ? strtoull(argv[3], NULL, 10) : 0;
	unsigned long rate = argc == 5 ? strtoul(argv[4], NULL, 10) : 0;

	if (argc != 5 || !count || !rate || rate > 1000000 || !store_path_valid(argv[1])) {
		snprintf(reply, len, "error usage: storm PATH VALUE COUNT RATE");
		return -1;
	}
	free(st->path);
	free(st->value);
	st->path = strdup(argv[1]);
	st->value = strdup(argv[2]);
	if (!st->path || !st->value) {
		snprintf(reply, len, "error out of memory");
		st->left = 0;
		return -1;
	}
	st->left = count;
	st->done = 0;
	st->rate = (unsigned)rate;
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	snprintf(reply, len, "ok");
	return 0;
}

/* xl OP DOMID [VALUE]: what the libxl stand-in asks of the host */
static void run_xl(struct sim *sim, int argc, char **argv, char *reply, size_t len)
{
	char err[256];
	unsigned long long value = argc == 4 ? strtoull(argv[3], NULL, 10) : 0;
	unsigned id;
	struct timespec now;

	if (argc < 3 || argc > 4 || sscanf(argv[2], "%u", &id) != 1) {
		snprintf(reply, len, "error usage: xl OP DOMID [VALUE]");
		return;
	}
	/* a new context: refused for as long as the "context" fault is set */
	if (strcmp(argv[1], "hello") == 0) {
		snprintf(reply, len, "%s", strcmp(sim->xl_fault, "context") == 0
			 ? "error simulated toolstack failure: no context" : "ok");
		return;
	}
	if (sim->xl_fault[0] && strcmp(sim->xl_fault, argv[1]) == 0) {
		sim->xl_fault[0] = '\0';
		snprintf(reply, len, "error simulated %s failure", argv[1]);
		return;
	}
	if (model_toolstack(sim->model, argv[1], id, value, err, sizeof(err))) {
		snprintf(reply, len, "error %s", err);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (sim->xl_log_n < XL_LOG_MAX) {
		char line[96];

		snprintf(line, sizeof(line), "%s %u %lld.%06ld", argv[1], id,
			 (long long)now.tv_sec, now.tv_nsec / 1000);
		sim->xl_log[sim->xl_log_n] = strdup(line);
		if (sim->xl_log[sim->xl_log_n])
			sim->xl_log_n++;
	}
	snprintf(reply, len, "ok");
}

static void run_control(struct sim *sim, int fd, int argc, char **argv)
{
	char reply[512], err[256];

	if (argc == 0) {
		ctl_reply(fd, "error empty command");
		return;
	}
	if (strcmp(argv[0], "hv-domains") == 0) {
		size_t len = 0;
		void *bin = sim_hv_domains(sim->model, &len);

		if (bin)
			ctl_reply_bytes(fd, bin, len);
		else
			ctl_reply(fd, "error out of memory");
		free(bin);
		return;
	}
	if (strcmp(argv[0], "hv-share") == 0 && argc == 2) {
		ctl_reply(fd, shared_add(sim, argv[1]) == 0 ? "ok" : "error cannot share");
		return;
	}
	if (strcmp(argv[0], "hv-dump") == 0) {
		char *dump = sim_hv_dump(sim->model);

		ctl_reply(fd, dump ? dump : "error out of memory");
		free(dump);
		return;
	}
	if (strcmp(argv[0], "stats") == 0) {
		struct sim_xs_stats st;

		sim_xs_stats(sim->xs, &st);
		snprintf(reply, sizeof(reply),
			 "ok requests=%llu connections=%u watches=%u nodes=%zu domains=%u",
			 (unsigned long long)st.requests, st.connections, st.watches,
			 sim->store->nnodes, model_domain_count(sim->model));
	} else if (strcmp(argv[0], "storm") == 0) {
		storm_start(sim, argc, argv, reply, sizeof(reply));
	} else if (strcmp(argv[0], "storm-status") == 0) {
		snprintf(reply, sizeof(reply), "ok done=%llu left=%llu",
			 sim->storm.done, sim->storm.left);
	} else if (strcmp(argv[0], "reset-stats") == 0) {
		sim_xs_reset_stats(sim->xs);
		snprintf(reply, sizeof(reply), "ok");
	} else if (strcmp(argv[0], "delay") == 0 && argc == 2) {
		sim_xs_set_delay_ms(sim->xs, (unsigned)strtoul(argv[1], NULL, 10));
		snprintf(reply, sizeof(reply), "ok");
	} else if (strcmp(argv[0], "freeze") == 0 || strcmp(argv[0], "thaw") == 0) {
		sim_xs_set_frozen(sim->xs, argv[0][0] == 'f');
		snprintf(reply, sizeof(reply), "ok");
	} else if (strcmp(argv[0], "xend-fault") == 0 && (argc == 2 || argc == 3)) {
		/* xend-fault none|slow|garbage|huge|dead [DELAY_MS] */
		int mode = sim_xend_fault_parse(argv[1]);

		if (!sim->xend || mode < 0) {
			snprintf(reply, sizeof(reply), "error %s",
				 sim->xend ? "usage: xend-fault none|slow|garbage|huge|dead [MS]"
					   : "no xend server");
		} else {
			if (argc == 3)
				sim_xend_set_delay_ms(sim->xend, (unsigned)strtoul(argv[2], NULL, 10));
			sim_xend_set_fault(sim->xend, (enum sim_xend_fault)mode);
			snprintf(reply, sizeof(reply), "ok");
		}
	} else if (strcmp(argv[0], "xend-stats") == 0 && sim->xend) {
		struct sim_xend_stats xst;

		sim_xend_stats(sim->xend, &xst);
		snprintf(reply, sizeof(reply), "ok requests=%llu connections=%u",
			 (unsigned long long)xst.requests, xst.connections);
	} else if (strcmp(argv[0], "xl") == 0) {
		run_xl(sim, argc, argv, reply, sizeof(reply));
	} else if (strcmp(argv[0], "xl-fault") == 0 && argc == 2) {
		snprintf(sim->xl_fault, sizeof(sim->xl_fault), "%s",
			 strcmp(argv[1], "none") == 0 ? "" : argv[1]);
		snprintf(reply, sizeof(reply), "ok");
	} else if (strcmp(argv[0], "xl-log") == 0) {
		char *text = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);
		unsigned i;

		if (f) {
			fputs("ok", f);
			for (i = 0; i < sim->xl_log_n; i++)
				fprintf(f, "\n%s", sim->xl_log[i]);
			fclose(f);
		}
		ctl_reply(fd, text ? text : "error out of memory");
		free(text);
		return;
	} else if (strcmp(argv[0], "generate") == 0) {
		/* generate N: N more guests at once, as a burst of creations */
		char *end = NULL;
		unsigned long count = argc == 2 ? strtoul(argv[1], &end, 10) : 0;

		if (!count || !end || *end || count >= SIM_MAX_DOMID)
			snprintf(reply, sizeof(reply), "error usage: generate N (1-%u)",
				 SIM_MAX_DOMID - 1);
		else if (model_generate(sim->model, (unsigned)count))
			snprintf(reply, sizeof(reply), "error not enough free domain ids");
		else
			snprintf(reply, sizeof(reply), "ok domains=%u",
				 model_domain_count(sim->model));
	} else if (strcmp(argv[0], "quit") == 0) {
		sim->quit = 1;
		snprintf(reply, sizeof(reply), "ok");
	} else if (model_command(sim->model, argc, argv, err, sizeof(err)) == 0) {
		snprintf(reply, sizeof(reply), "ok");
	} else {
		snprintf(reply, sizeof(reply), "error %s", err);
	}
	ctl_reply(fd, reply);
}

static int write_pidfile(const char *file)
{
	FILE *f = fopen(file, "w");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, "xensimd: %s: %s\n", file, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "xenstore", required_argument, NULL, 'x' },
		{ "control", required_argument, NULL, 'c' },
		{ "scenario", required_argument, NULL, 's' },
		{ "domains", required_argument, NULL, 'n' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "stats-root", required_argument, NULL, 'S' },
		{ "xend-socket", required_argument, NULL, 'X' },
		{ "xend-port", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *xs_path = NULL, *ctl_path = NULL, *scenario = NULL, *pidfile = NULL;
	const char *stats_root = NULL, *xend_socket = NULL;
	unsigned xend_port = 0;
	struct timespec last_stats = { 0 };
	struct sim sim = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	static struct pollfd fds[MAX_POLL];
	long domains = 0;
	int verbose = 0, ctl_fd = -1, opt, rc = 1;

	if (argc >= 3 && strcmp(argv[1], "ctl") == 0)
		return ctl_client(argv[2], argc - 3, argv + 3);

	while ((opt = getopt_long(argc, argv, "x:c:s:n:p:S:X:P:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'x': xs_path = optarg; break;
		case 'c': ctl_path = optarg; break;
		case 's': scenario = optarg; break;
		case 'n': domains = strtol(optarg, NULL, 10); break;
		case 'p': pidfile = optarg; break;
		case 'S': stats_root = optarg; break;
		case 'X': xend_socket = optarg; break;
		case 'P': xend_port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!xs_path || optind != argc || domains < 0 || domains >= SIM_MAX_DOMID) {
		usage(stderr);
		return 2;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sim.store = store_new();
	sim.model = model_new(sim.store);
	if (scenario && model_load_scenario(sim.model, scenario))
		goto out;
	if ((domains || !scenario) && model_generate(sim.model, (unsigned)domains))
		goto out;
	sim.xs = sim_xs_new(sim.store, xs_path, verbose);
	if (!sim.xs)
		goto out;
	sim.model->xs = sim.xs;
	if ((xend_socket || xend_port) &&
	    !(sim.xend = sim_xend_new(sim.model, xend_socket, xend_port, verbose)))
		goto out;
	if (ctl_path && (ctl_fd = ctl_listen(ctl_path)) < 0)
		goto out;
	if (pidfile && write_pidfile(pidfile))
		goto out;
	if (verbose)
		fprintf(stderr, "xensimd: serving %u domains, %zu nodes on %s\n",
			model_domain_count(sim.model), sim.store->nnodes, xs_path);

	while (!stop_requested && !sim.quit) {
		int n = 0, n_xs, n_xend = 0, timeout = stats_root ? 200 : 1000, storm_due;

		if (stats_root) {
			struct timespec now;

			/* the fixture's counters move once a second, or less
			 * often on big hosts: writing it must not starve xenstore */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec >= last_stats.tv_sec) {
				struct timespec done;
				long spent_ms;

				if (sim_stats_write(sim.model, stats_root) < 0)
					fprintf(stderr, "xensimd: %s: %s\n", stats_root, strerror(errno));
				clock_gettime(CLOCK_MONOTONIC, &done);
				spent_ms = (done.tv_sec - now.tv_sec) * 1000 +
					   (done.tv_nsec - now.tv_nsec) / 1000000;
				last_stats = done;
				last_stats.tv_sec += 1 + 4 * spent_ms / 1000;
			}
		}

		if (ctl_fd >= 0) {
			fds[0].fd = ctl_fd;
			fds[0].events = POLLIN;
			n = 1;
		}
		storm_due = storm_run(&sim);
		if (storm_due >= 0 && storm_due < timeout)
			timeout = storm_due;
		if (sim.n_shared && timeout > SIM_SHARED_PERIOD_MS)
			timeout = SIM_SHARED_PERIOD_MS;
		n_xs = sim_xs_pollfds(sim.xs, fds + n, MAX_POLL - n);
		n += n_xs;
		if (sim.xend) {
			int due = sim_xend_timeout_ms(sim.xend);

			n_xend = sim_xend_pollfds(sim.xend, fds + n, MAX_POLL - n);
			n += n_xend;
			if (due >= 0 && due < timeout)
				timeout = due;
		}
		if (poll(fds, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("xensimd: poll");
			goto out;
		}
		if (ctl_fd >= 0 && (fds[0].revents & POLLIN)) {
			char **cargv = NULL;
			int cargc = 0, cfd = ctl_receive(ctl_fd, &cargc, &cargv);

			if (cfd >= 0)
				run_control(&sim, cfd, cargc, cargv);
			ctl_free_argv(cargv);
			/* a command may have changed what the hypervisor says */
			if (cfd >= 0 && sim.n_shared)
				shared_write(&sim, true);
		}
		/* the store's changes (a memory target) at most every period */
		if (sim.n_shared && sim_shared_now_ns() - sim.shared_hdr.alive_ns >=
				    SIM_SHARED_PERIOD_MS * 1000000ull)
			shared_write(&sim, sim.store->gen != sim.shared_gen);
		sim_xs_handle(sim.xs, fds + (ctl_fd >= 0), n_xs);
		if (sim.xend)
			sim_xend_handle(sim.xend, fds + (ctl_fd >= 0) + n_xs, n_xend);
	}
	rc = 0;
out:
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(ctl_path);
	}
	if (pidfile)
		unlink(pidfile);
	while (sim.xl_log_n)
		free(sim.xl_log[--sim.xl_log_n]);
	free(sim.storm.path);
	free(sim.storm.value);
	sim_xend_free(sim.xend);
	sim_xs_free(sim.xs);
	model_free(sim.model);
	store_free(sim.store);
	return rc;
}
