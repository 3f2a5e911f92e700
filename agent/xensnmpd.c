/*
 * xensnmpd: the XEN-DOMAIN-MIB module as a net-snmp AgentX subagent.
 * snmpd stays unprivileged; this process holds the Xen access.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xensnmp.h"

#define APP_NAME "xensnmpd"
#define AGENTX_PING_SECONDS 5	/* how soon a restarted master is found */
/*
 * Blocks this large or larger are mapped apart and unmapped when freed.
 * glibc raises its threshold past every such block freed, after which a
 * large host's big arrays (table rows, domain lists, the hypervisor's
 * buffers) come from the heap, and freed, leave holes it keeps: fixed,
 * an idle root agent at 10,000 domains holds 41.7 MB, not 47.0 MB.  The
 * plugin leaves snmpd's allocator as snmpd set it.
 */
#define MMAP_THRESHOLD_BYTES (128 * 1024)

static volatile sig_atomic_t keep_running = 1;
static volatile sig_atomic_t reload_requested;
static int stop_pipe[2] = { -1, -1 };

/* SIGTERM/SIGINT stop; SIGHUP re-reads the configuration, as snmpd does. */
static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		reload_requested = 1;
	else
		keep_running = 0;
	/* wakes the select loop at once */
	if (write(stop_pipe[1], "x", 1) < 0)
		(void)0;
	errno = saved;
}

static void on_stop_pipe(int fd, void *data)
{
	char buf[16];

	(void)data;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " APP_NAME " [OPTIONS]\n"
		"Serves XEN-DOMAIN-MIB and VM-MIB (RFC 7666) to an SNMP master agent over AgentX.\n\n"
		"  -f, --foreground         do not fork; log to stderr unless -L says otherwise\n"
		"  -x, --agentx-socket ADDR master agent's AgentX address (default: net-snmp's)\n"
		"  -c, --config FILE        read this configuration file too\n"
		"  -L[efos] [FILE]          logging as snmpd: -Le stderr, -Lf FILE, -Ls FACILITY, -Lo stdout\n"
		"  -p, --pidfile FILE       write the process ID to FILE\n"
		"  -D, --debug TOKENS       net-snmp debug tokens\n"
		"      --read-only          never write to Xen and make no hypercalls\n"
		"      --read-write         allow control (the default as root)\n"
		"      --refresh SECONDS    refresh interval (default %d)\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n\n"
		"Configuration tokens: xensnmpMode auto|read-only|read-write, xensnmpRefresh SECONDS,\n"
		"xensnmpNotify KIND yes|no, xensnmpNotifyRate N, xensnmpControlDom0 yes|no,\n"
		"xensnmpVmIndexHold SECONDS, xensnmpFullRefresh TICKS, xensnmpIdleRefresh SECONDS,\n"
		"and net-snmp's agentXSocket, agentXTimeout, agentXRetries.\n",
		XENSNMP_DEFAULT_REFRESH);
}

/*
 * Written as root into a directory others may share: never through a
 * symlink or into a file someone else planted.  The old file is removed
 * and a new one created exclusively, without following links.
 */
static int write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (unlink(path) < 0 && errno != ENOENT) {
		snmp_log(LOG_ERR, "cannot replace pidfile %s: %s\n", path,
			 strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snmp_log(LOG_ERR, "cannot write pidfile %s: %s\n", path,
			 strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (n < 0 || write(fd, buf, (size_t)n) != n) {
		snmp_log(LOG_ERR, "cannot write pidfile %s: %s\n", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return close(fd);
}

/*
 * As root, net-snmp would read (and write) persistent state and
 * .conf files in its persistent directory (/var/lib/snmp), which the
 * unprivileged snmp user owns: a file planted there would change a root
 * process's configuration.  Unless that directory is root's and writable
 * by nobody else, persistent loading and saving are turned off
 * (NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD/SAVE) and the reason logged.
 */
static void refuse_unsafe_persistent_dir(void)
{
	const char *dir = get_persistent_directory();
	struct stat st;

	if (geteuid() != 0 || !dir)
		return;
	if (stat(dir, &st) == 0 &&
	    (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
				       NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
				       NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
		snmp_log(LOG_WARNING,
			 "%s is not root's alone (owner %ld, mode %04o): running as root, "
			 "its persistent files are neither read nor written\n",
			 dir, (long)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
}

static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void reload_config(void)
{
	snmp_log(LOG_NOTICE, APP_NAME ": SIGHUP: re-reading the configuration\n");
	update_config();	/* free_config + read_configs, as snmpd on SIGHUP */
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "agentx-socket", required_argument, NULL, 'x' },
		{ "config", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "debug", required_argument, NULL, 'D' },
		{ "read-only", no_argument, NULL, 'R' },
		{ "read-write", no_argument, NULL, 'W' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pidfile = NULL;
	bool foreground = false, logging_set = false;
	struct sigaction sa;
	int opt;

#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
#endif
	while ((opt = getopt_long(argc, argv, "fx:c:L:p:D:Vh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'f':
			foreground = true;
			break;
		case 'x':
			netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
					      NETSNMP_DS_AGENT_X_SOCKET, optarg);
			break;
		case 'c':
			if (access(optarg, R_OK) < 0) {
				fprintf(stderr, APP_NAME ": %s: %s\n", optarg,
					strerror(errno));
				return 1;
			}
			netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID,
					      NETSNMP_DS_LIB_OPTIONALCONFIG,
					      optarg);
			break;
		case 'L':
			if (snmp_log_options(optarg, argc, argv) < 0) {
				usage(stderr);
				return 1;
			}
			logging_set = true;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'D':
			debug_register_tokens(optarg);
			snmp_set_do_debugging(1);
			break;
		case 'R':
			xensnmp_set_mode(XEN_MODE_READ_ONLY);
			break;
		case 'W':
			xensnmp_set_mode(XEN_MODE_READ_WRITE);
			break;
		case 'r': {
			char *end;
			long secs = strtol(optarg, &end, 10);

			if (*end || secs < 1 || secs > 3600) {
				fprintf(stderr, APP_NAME ": --refresh takes 1 to 3600 seconds\n");
				return 1;
			}
			xensnmp_set_refresh((unsigned)secs);
			break;
		}
		case 'V':
			printf(APP_NAME " " XENSNMP_VERSION " (net-snmp %s)\n",
			       netsnmp_get_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, APP_NAME ": unexpected argument %s\n", argv[optind]);
		return 1;
	}

	if (!logging_set) {
		if (foreground)
			snmp_enable_stderrlog();
		else
			snmp_enable_syslog_ident(APP_NAME, LOG_DAEMON);
	}
	/* fork before any thread exists: the Xen layer starts one */
	if (!foreground && netsnmp_daemonize(1, snmp_stderrlog_status()) != 0)
		return 1;
	if (pidfile && write_pidfile(pidfile) < 0)
		return 1;

	if (pipe(stop_pipe) < 0) {
		snmp_log(LOG_ERR, "pipe: %s\n", strerror(errno));
		return 1;
	}
	if (set_nonblocking(stop_pipe[0]) < 0 || set_nonblocking(stop_pipe[1]) < 0) {
		snmp_log(LOG_ERR, "fcntl: %s\n", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0) {
		snmp_log(LOG_ERR, "sigaction: %s\n", strerror(errno));
		return 1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		snmp_log(LOG_ERR, "sigaction: %s\n", strerror(errno));
		return 1;
	}

	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	refuse_unsafe_persistent_dir();
	init_agent(APP_NAME);
	/*
	 * After init_agent: the AgentX subagent code sets its 15 s default
	 * there, which would otherwise override ours.  agentxPingInterval in
	 * the configuration still wins, being read later.
	 */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
			   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   AGENTX_PING_SECONDS);
	init_xensnmp();
	init_snmp(APP_NAME);
	register_readfd(stop_pipe[0], on_stop_pipe, NULL);
	snmp_log(LOG_NOTICE, APP_NAME " " XENSNMP_VERSION " started\n");

	while (keep_running) {
		agent_check_and_process(1);
		if (reload_requested) {
			reload_requested = 0;
			reload_config();
		}
	}

	snmp_log(LOG_NOTICE, APP_NAME " stopping\n");
	unregister_readfd(stop_pipe[0]);
	deinit_xensnmp();
	snmp_shutdown(APP_NAME);
	shutdown_agent();
	if (pidfile)
		unlink(pidfile);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	return 0;
}
