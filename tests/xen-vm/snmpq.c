/*
 * snmpq: the queries of snmpget, snmpwalk and snmpset, answered by one
 * process.  In the emulated dom0 each process start costs most of a
 * second (a PV guest's page-table updates are hypercalls, emulated), and
 * the scenario asks hundreds of questions; snmpq takes the net-snmp
 * command options once (snmp_parse_args, as snmpget does), opens one
 * session and answers one request per line of standard input:
 *
 *   get FLAGS OID...               as snmpget -OFLAGS
 *   walk FLAGS OID                 as snmpwalk -OFLAGS (with GetBulk)
 *   set FLAGS OID TYPE VALUE...    as snmpset -OFLAGS
 *
 * FLAGS are -O letters toggled for that request only ("-" for none).
 * The answer is what the tool would print on standard output and
 * standard error, then a line of one RS octet (0x1e) and the tool's exit
 * status.  Values are single words (the scenario sets integers).
 *
 * Usage: snmpq [snmpcmd options] AGENT
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#define MAX_WORDS 64

static netsnmp_session *ss;

/* -O letters for one request: the library's output settings are saved
 * and put back afterwards, since some letters set a value, not a flag */
struct out_settings {
	int b[NETSNMP_DS_MAX_SUBIDS];
	int i[NETSNMP_DS_MAX_SUBIDS];
};

static void save_out(struct out_settings *s)
{
	int k;

	for (k = 0; k < NETSNMP_DS_MAX_SUBIDS; k++) {
		s->b[k] = netsnmp_ds_get_boolean(NETSNMP_DS_LIBRARY_ID, k);
		s->i[k] = netsnmp_ds_get_int(NETSNMP_DS_LIBRARY_ID, k);
	}
}

static void restore_out(const struct out_settings *s)
{
	int k;

	for (k = 0; k < NETSNMP_DS_MAX_SUBIDS; k++) {
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, k, s->b[k]);
		netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, k, s->i[k]);
	}
}

static void print_error(netsnmp_pdu *response, bool set)
{
	netsnmp_variable_list *vars;
	int n;

	printf("Error in packet%s\nReason: %s\n", set ? "." : "",
	       snmp_errstring(response->errstat));
	if (response->errindex == 0)
		return;
	for (n = 1, vars = response->variables; vars && n != response->errindex;
	     vars = vars->next_variable, n++)
		;
	printf("Failed object: ");
	if (vars)
		fprint_objid(stdout, vars->name, vars->name_length);
	printf("\n");
}

static int send_pdu(const char *tool, netsnmp_pdu *pdu, netsnmp_pdu **response)
{
	int status = snmp_synch_response(ss, pdu, response);

	if (status == STAT_SUCCESS)
		return 0;
	if (status == STAT_TIMEOUT)
		printf("Timeout: No Response from %s.\n", ss->peername);
	else {
		char *err = NULL;
		int liberr, syserr;

		snmp_error(ss, &liberr, &syserr, &err);
		printf("%s: %s\n", tool, err ? err : "error");
		free(err);
	}
	return 1;
}

/* A GET or SET: sends pdu (and frees it), prints the answer's variables
 * or its error as the tool would; the tool's exit status. */
static int exchange(const char *tool, netsnmp_pdu *pdu, bool set)
{
	netsnmp_pdu *response = NULL;
	netsnmp_variable_list *vars;
	int rc = send_pdu(tool, pdu, &response);

	if (rc == 0) {
		if (response->errstat == SNMP_ERR_NOERROR)
			for (vars = response->variables; vars; vars = vars->next_variable)
				print_variable(vars->name, vars->name_length, vars);
		else {
			print_error(response, set);
			rc = 2;
		}
	}
	if (response)
		snmp_free_pdu(response);
	return rc;
}

static int parse_oid(const char *tool, const char *text, oid *name, size_t *len)
{
	*len = MAX_OID_LEN;
	if (snmp_parse_oid(text, name, len))
		return 0;
	printf("%s: %s: %s\n", tool, text, snmp_api_errstring(snmp_errno));
	return 1;
}

static int do_get(char **w, int n)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	oid name[MAX_OID_LEN];
	size_t len;
	int k;

	for (k = 0; k < n; k++) {
		if (parse_oid("snmpget", w[k], name, &len)) {
			snmp_free_pdu(pdu);
			return 1;
		}
		snmp_add_null_var(pdu, name, len);
	}
	return exchange("snmpget", pdu, false);
}

static int do_walk(const char *root_text)
{
	oid root[MAX_OID_LEN], next[MAX_OID_LEN];
	size_t root_len, next_len;
	int rc = 0, seen = 0;
	bool more = true;

	if (parse_oid("snmpwalk", root_text, root, &root_len))
		return 1;
	memcpy(next, root, root_len * sizeof(oid));
	next_len = root_len;
	while (more) {
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETBULK), *response = NULL;
		netsnmp_variable_list *vars;

		pdu->non_repeaters = 0;
		pdu->max_repetitions = 20;
		snmp_add_null_var(pdu, next, next_len);
		if (send_pdu("snmpwalk", pdu, &response)) {
			rc = 1;
			break;
		}
		if (response->errstat != SNMP_ERR_NOERROR) {
			print_error(response, false);
			snmp_free_pdu(response);
			rc = 2;
			break;
		}
		vars = response->variables;
		if (!vars)
			more = false;
		for (; vars; vars = vars->next_variable) {
			if (vars->type == SNMP_ENDOFMIBVIEW || vars->type == SNMP_NOSUCHOBJECT ||
			    vars->type == SNMP_NOSUCHINSTANCE ||
			    vars->name_length < root_len ||
			    memcmp(root, vars->name, root_len * sizeof(oid)) != 0) {
				more = false;
				break;
			}
			print_variable(vars->name, vars->name_length, vars);
			seen++;
			memcpy(next, vars->name, vars->name_length * sizeof(oid));
			next_len = vars->name_length;
		}
		snmp_free_pdu(response);
	}
	/* as snmpwalk: an empty subtree is looked up as an instance */
	if (rc == 0 && seen == 0) {
		char *w[1] = { (char *)root_text };

		rc = do_get(w, 1);
	}
	return rc;
}

static int do_set(char **w, int n)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
	oid name[MAX_OID_LEN];
	size_t len;
	int k;

	if (n == 0 || n % 3) {
		printf("snmpset: OID TYPE VALUE expected\n");
		snmp_free_pdu(pdu);
		return 1;
	}
	for (k = 0; k < n; k += 3) {
		if (parse_oid("snmpset", w[k], name, &len)) {
			snmp_free_pdu(pdu);
			return 1;
		}
		if (snmp_add_var(pdu, name, len, w[k + 1][0], w[k + 2])) {
			printf("%s: %s\n", w[k], snmp_api_errstring(snmp_errno));
			snmp_free_pdu(pdu);
			return 1;
		}
	}
	return exchange("snmpset", pdu, true);
}

int main(int argc, char **argv)
{
	netsnmp_session session;
	struct out_settings saved;
	char line[8192];

	switch (snmp_parse_args(argc, argv, &session, "", NULL)) {
	case NETSNMP_PARSE_ARGS_ERROR:
	case NETSNMP_PARSE_ARGS_ERROR_USAGE:
		fprintf(stderr, "usage: snmpq [snmpcmd options] AGENT\n");
		return 1;
	case NETSNMP_PARSE_ARGS_SUCCESS_EXIT:
		return 0;
	default:
		break;
	}
	ss = snmp_open(&session);
	if (!ss) {
		snmp_sess_perror("snmpq", &session);
		return 1;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), stdin)) {
		char *w[MAX_WORDS], *save = NULL, *tok;
		int n = 0, rc;

		for (tok = strtok_r(line, " \t\n", &save); tok && n < MAX_WORDS;
		     tok = strtok_r(NULL, " \t\n", &save))
			w[n++] = tok;
		if (n < 2) {
			printf("snmpq: CMD FLAGS ARGS... expected\n\x1e" "1\n");
			fflush(stdout);
			continue;
		}
		save_out(&saved);
		if (strcmp(w[1], "-") != 0)
			snmp_out_toggle_options(w[1]);
		if (strcmp(w[0], "get") == 0)
			rc = do_get(w + 2, n - 2);
		else if (strcmp(w[0], "walk") == 0 && n == 3)
			rc = do_walk(w[2]);
		else if (strcmp(w[0], "set") == 0)
			rc = do_set(w + 2, n - 2);
		else {
			printf("snmpq: unknown request %s\n", w[0]);
			rc = 1;
		}
		restore_out(&saved);
		printf("\x1e%d\n", rc);
		fflush(stdout);
	}
	snmp_close(ss);
	return 0;
}
