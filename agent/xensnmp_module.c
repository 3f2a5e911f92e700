/*
 * The module's life: configuration, the backend connection wired into
 * net-snmp's own event loop (register_readfd for the connection's
 * notification fd; the refresh tick is the connection's own clock, so
 * that an idle host wakes no SNMP thread), and the registration of the
 * scalars and tables.  Shared by both forms.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <ctype.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "xensnmp.h"
#include "xensnmp_control.h"
#include "xensnmp_notify.h"
#include "xensnmp_tables.h"
#include "xensnmp_vmmib.h"
#include "xensnmp_values.h"

static const struct xensnmp_table_def *const table_defs[] = {
	&xensnmp_domain_table_def,
	&xensnmp_vcpu_table_def,
	&xensnmp_vif_table_def,
	&xensnmp_vbd_table_def,
};
#define N_TABLES (sizeof(table_defs) / sizeof(table_defs[0]))

static struct {
	enum xen_mode mode;
	bool mode_fixed, refresh_fixed;	/* set on the command line */
	char xend_url[256], proc_root[256], sys_root[256];	/* "" = default */
	unsigned full_refresh;	/* xensnmpFullRefresh; read once, at start */
	unsigned idle_refresh;	/* xensnmpIdleRefresh; read once, at start */
	unsigned probe_interval;	/* xensnmpProbeInterval (ms); read once, at start */
	unsigned heartbeat;	/* xensnmpXenstoreHeartbeat (s); read once, at start */
	struct xensnmp_state state;	/* snapshot, connection, refresh: served */
	int notify_fd;
	struct xensnmp_table tables[N_TABLES];
	netsnmp_handler_registration *host_reg;
	bool control_registered;
	bool registered;
	bool first_whole_seen;	/* the first reading's end was taken up */
} mod = { .state.refresh = XENSNMP_DEFAULT_REFRESH, .notify_fd = -1,
	    .idle_refresh = XENSNMP_IDLE_REFRESH,
	    .probe_interval = XENSNMP_PROBE_INTERVAL_MS,
	    .heartbeat = XENSNMP_XENSTORE_HEARTBEAT };

void xensnmp_set_mode(enum xen_mode mode)
{
	mod.mode = mode;
	mod.mode_fixed = true;
}

void xensnmp_set_refresh(unsigned seconds)
{
	mod.state.refresh = seconds;
	mod.refresh_fixed = true;
}

int xensnmp_parse_mode(const char *word)
{
	if (strcmp(word, "auto") == 0)
		return XEN_MODE_AUTO;
	if (strcmp(word, "read-only") == 0)
		return XEN_MODE_READ_ONLY;
	if (strcmp(word, "read-write") == 0)
		return XEN_MODE_READ_WRITE;
	return -1;
}

static void log_sink(int level, const char *line, void *opaque)
{
	(void)opaque;
	snmp_log(level, "%s\n", line);
}

/*
 * Once, when the first reading is whole: the quick first snapshot and
 * the first views it was merged from are gone (the tables let go of
 * their rows, rebuilt on the next request), and the heap they leave is
 * handed back to the system.  glibc keeps freed heap for reuse, and a
 * start at 10,000 domains frees some 1.3 KiB a domain of it that a
 * steady agent never uses again.
 */
static void release_first_reading(void)
{
	struct xen_conn_status st;
	size_t i;

	if (mod.first_whole_seen || !mod.state.snap)
		return;
	xen_conn_get_status(mod.state.conn, &st);
	if (st.partial)
		return;
	mod.first_whole_seen = true;
	for (i = 0; i < N_TABLES; i++)
		xensnmp_table_clear(&mod.tables[i]);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* The gathering thread published a snapshot or queued log lines, or the
 * control thread posted outcomes. */
static void on_notify(int fd, void *data)
{
	struct xen_snapshot *snap;

	(void)fd;
	(void)data;
	xen_conn_process(mod.state.conn, log_sink, NULL);
	/* first: an outcome is posted only after a snapshot that shows it was
	 * published, so the snapshot taken next shows it too */
	xensnmp_control_collect(mod.state.conn);
	snap = xen_conn_snapshot(mod.state.conn);
	if (snap == mod.state.snap) {
		xen_snapshot_unref(snap);
	} else {
		xen_snapshot_unref(mod.state.snap);
		mod.state.snap = snap;	/* tables rebuild on their next request */
	}
	/* VM-MIB's indexes first: its tables and notifications use them */
	if (mod.state.snap)
		xensnmp_vmmib_snapshot(mod.state.snap);
	xensnmp_notify_snapshot();	/* at once: notifications are due within 1 s */
	/* after them: a manager hears of a paused or destroyed domain before
	 * the end of the request that did it (see xdmActionFinished) */
	xensnmp_control_announce();
	release_first_reading();
}

static void parse_mode_token(const char *token, char *line)
{
	int mode = xensnmp_parse_mode(line);

	if (mode < 0)
		config_perror("expected auto, read-only or read-write");
	else if (!mod.mode_fixed)
		mod.mode = (enum xen_mode)mode;
	(void)token;
}

static void parse_refresh_token(const char *token, char *line)
{
	long seconds;

	if (!xensnmp_config_long(line, 1, 3600, &seconds))
		config_perror("xensnmpRefresh takes a whole number of seconds, 1 to 3600; "
			      "keeping the previous interval");
	else if (!mod.refresh_fixed)
		mod.state.refresh = (unsigned)seconds;
	(void)token;
}

/*
 * Whole-number tokens read once, at start, into the connection's config
 * (registered one by one in init_xensnmp, where test_manpage finds them).
 */
static const struct count_token {
	const char *name, *error;
	long max;
	unsigned *value;
} count_tokens[] = {
	{ "xensnmpFullRefresh",
	  "xensnmpFullRefresh takes a number of refresh intervals, 0 (never) to 100000",
	  100000, &mod.full_refresh },
	{ "xensnmpIdleRefresh",
	  "xensnmpIdleRefresh takes a number of seconds, 0 (every tick gathers) to 86400",
	  86400, &mod.idle_refresh },
	{ "xensnmpProbeInterval",
	  "xensnmpProbeInterval takes a number of milliseconds, 0 (at refresh ticks only) to 60000",
	  60000, &mod.probe_interval },
	{ "xensnmpXenstoreHeartbeat",
	  "xensnmpXenstoreHeartbeat takes a number of seconds, 0 (never) to 86400",
	  86400, &mod.heartbeat },
};
#define N_COUNT_TOKENS (sizeof(count_tokens) / sizeof(count_tokens[0]))

static void parse_count_token(const char *token, char *line)
{
	size_t i;
	long value;

	for (i = 0; i < N_COUNT_TOKENS && strcmp(token, count_tokens[i].name) != 0; i++)
		;
	if (i == N_COUNT_TOKENS)
		return;
	if (!xensnmp_config_long(line, 0, count_tokens[i].max, &value))
		config_perror(count_tokens[i].error);
	else
		*count_tokens[i].value = (unsigned)value;
}

static void parse_path_token(const char *token, char *line)
{
	char *dst = strcmp(token, "xensnmpXendUrl") == 0 ? mod.xend_url
		  : strcmp(token, "xensnmpProcRoot") == 0 ? mod.proc_root : mod.sys_root;

	if (strlen(line) >= sizeof(mod.xend_url))
		config_perror("value too long");
	else
		strcpy(dst, line);
}

static void parse_dom0_token(const char *token, char *line)
{
	if (strcmp(line, "yes") == 0 || strcmp(line, "no") == 0)
		xensnmp_control_allow_dom0(line[0] == 'y');
	else
		config_perror("xensnmpControlDom0 takes yes or no");
	(void)token;
}

static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* Before each reading (start and SIGHUP): what the files do not say
 * falls back to the default, so removing a line takes effect too. */
static int before_config(int major, int minor, void *server, void *client)
{
	(void)major;
	(void)minor;
	(void)server;
	(void)client;
	if (!mod.refresh_fixed)
		mod.state.refresh = XENSNMP_DEFAULT_REFRESH;
	xensnmp_control_allow_dom0(false);
	xensnmp_notify_reset_config();
	xensnmp_vmmib_reset_config();
	return SNMP_ERR_NOERROR;
}

static unsigned stale_limit(void)
{
	return 3 * mod.state.refresh + 2;
}

/* Config is read: open the backend once, (re)set the refresh interval and the
 * staleness limit each time, so a reload's xensnmpRefresh takes effect. */
static int after_config(int major, int minor, void *server, void *client)
{
	struct xen_conn_config cfg = {
		.mode = mod.mode,
		.stale_after_seconds = stale_limit(),
		.refresh_seconds = mod.state.refresh,
		.xend_url = or_null(mod.xend_url),
		.proc_root = or_null(mod.proc_root),
		.sys_root = or_null(mod.sys_root),
		.control = true,
		.full_refresh_every = mod.full_refresh,
		.idle_refresh_seconds = mod.idle_refresh,
		.probe_interval_ms = mod.probe_interval,
		.heartbeat_seconds = mod.heartbeat,
	};

	(void)major;
	(void)minor;
	(void)server;
	(void)client;
	if (!mod.state.conn) {
		mod.state.conn = xen_conn_open(&cfg);
		if (!mod.state.conn) {
			snmp_log(LOG_ERR, "xensnmp: cannot start the Xen access layer\n");
			return SNMP_ERR_GENERR;
		}
		mod.notify_fd = xen_conn_notify_fd(mod.state.conn);
		register_readfd(mod.notify_fd, on_notify, NULL);
	} else {
		xen_conn_set_stale_after(mod.state.conn, stale_limit());
		xen_conn_set_refresh(mod.state.conn, mod.state.refresh);
		xensnmp_notify_snapshot();	/* the status alarm, for the new limit */
	}
	return SNMP_ERR_NOERROR;
}

void init_xensnmp(void)
{
	size_t i;

	register_app_config_handler("xensnmpMode", parse_mode_token, NULL,
				    "auto|read-only|read-write");
	register_app_config_handler("xensnmpRefresh", parse_refresh_token, NULL,
				    "seconds");
	register_app_config_handler("xensnmpFullRefresh", parse_count_token, NULL,
				    "refresh intervals (0: never)");
	register_app_config_handler("xensnmpIdleRefresh", parse_count_token, NULL,
				    "seconds (0: every tick gathers)");
	register_app_config_handler("xensnmpProbeInterval", parse_count_token, NULL,
				    "milliseconds (0: at refresh ticks only)");
	register_app_config_handler("xensnmpXenstoreHeartbeat", parse_count_token, NULL,
				    "seconds (0: never)");
	register_app_config_handler("xensnmpXendUrl", parse_path_token, NULL,
				    "unix:/var/lib/xend/xend-socket | http://HOST:PORT");
	register_app_config_handler("xensnmpProcRoot", parse_path_token, NULL, "directory");
	register_app_config_handler("xensnmpSysRoot", parse_path_token, NULL, "directory");
	register_app_config_handler("xensnmpControlDom0", parse_dom0_token, NULL, "yes|no");
	snmp_register_callback(SNMP_CALLBACK_LIBRARY,
			       SNMP_CALLBACK_PRE_READ_CONFIG, before_config,
			       NULL);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY,
			       SNMP_CALLBACK_POST_READ_CONFIG, after_config,
			       NULL);

	mod.host_reg = xensnmp_register_host_scalars(&mod.state);
	if (!mod.host_reg)
		snmp_log(LOG_ERR, "xensnmp: cannot register xdmHost\n");
	xensnmp_notify_init(&mod.state);
	for (i = 0; i < N_TABLES; i++)
		if (xensnmp_table_register(&mod.tables[i], table_defs[i],
					   &mod.state) < 0)
			snmp_log(LOG_ERR, "xensnmp: cannot register %s\n",
				 table_defs[i]->name);
	xensnmp_vmmib_init(&mod.state);
	mod.control_registered = xensnmp_control_register(&mod.state) == 0;
	if (!mod.control_registered)
		snmp_log(LOG_ERR, "xensnmp: cannot register xdmControl\n");
	mod.registered = true;
}

void deinit_xensnmp(void)
{
	size_t i;

	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY,
				 SNMP_CALLBACK_PRE_READ_CONFIG, before_config,
				 NULL, 1);
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY,
				 SNMP_CALLBACK_POST_READ_CONFIG, after_config,
				 NULL, 1);
	unregister_app_config_handler("xensnmpMode");
	unregister_app_config_handler("xensnmpRefresh");
	for (i = 0; i < N_COUNT_TOKENS; i++)
		unregister_app_config_handler(count_tokens[i].name);
	unregister_app_config_handler("xensnmpXendUrl");
	unregister_app_config_handler("xensnmpProcRoot");
	unregister_app_config_handler("xensnmpSysRoot");
	unregister_app_config_handler("xensnmpControlDom0");
	if (mod.registered) {
		for (i = 0; i < N_TABLES; i++)
			xensnmp_table_unregister(&mod.tables[i]);
		if (mod.host_reg)
			netsnmp_unregister_handler(mod.host_reg);
		mod.host_reg = NULL;
		xensnmp_control_unregister();
		mod.control_registered = false;
		xensnmp_vmmib_deinit();
		mod.registered = false;
	}
	xensnmp_notify_deinit();
	if (mod.notify_fd >= 0)
		unregister_readfd(mod.notify_fd);
	mod.notify_fd = -1;
	if (mod.state.conn) {
		xen_conn_process(mod.state.conn, log_sink, NULL);
		xen_conn_close(mod.state.conn, log_sink, NULL);
	}
	mod.state.conn = NULL;
	xen_snapshot_unref(mod.state.snap);
	mod.state.snap = NULL;
}
