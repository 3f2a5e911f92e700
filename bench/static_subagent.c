/*
 * static_subagent: the benchmark's static table as an AgentX subagent.
 *   static_subagent AGENTX_SOCKET [PIDFILE]
 * Runs in the foreground until SIGTERM or SIGINT; logs to stderr.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "static_table.h"

#define APP_NAME "static_subagent"

static volatile sig_atomic_t keep_running = 1;
static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	keep_running = 0;
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

int main(int argc, char **argv)
{
	struct sigaction sa;
	FILE *f;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: " APP_NAME " AGENTX_SOCKET [PIDFILE]\n");
		return 1;
	}
	if (pipe(stop_pipe) < 0) {
		perror(APP_NAME ": pipe");
		return 1;
	}
	fcntl(stop_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snmp_enable_stderrlog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
			      NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
	init_agent(APP_NAME);
	init_static_table();
	init_snmp(APP_NAME);
	register_readfd(stop_pipe[0], on_stop_pipe, NULL);

	if (argc == 3) {
		f = fopen(argv[2], "w");
		if (!f) {
			fprintf(stderr, APP_NAME ": %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}

	while (keep_running)
		agent_check_and_process(1);

	unregister_readfd(stop_pipe[0]);
	deinit_static_table();
	snmp_shutdown(APP_NAME);
	shutdown_agent();
	if (argc == 3)
		unlink(argv[2]);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	return 0;
}
