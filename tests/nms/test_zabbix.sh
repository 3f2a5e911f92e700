#!/bin/bash
# contrib/zabbix: the template imported into Debian's Zabbix 6.0 (server,
# frontend API, MariaDB, all private to this test), a host linked to it
# that polls the agent on the simulated host (stock snmpd plus the
# project's fragment), and what Zabbix discovers and collects checked
# against the simulated host: domains keyed by UUID, whose items survive
# a reboot's new domid; VIFs by MAC; VBDs by backing store; triggers.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/mariadb.sh"

for tool in zabbix_server php curl jq; do
	command -v "$tool" >/dev/null || { log "$tool missing: run tests/nms/install.sh zabbix"; exit 1; }
done
TEMPLATE=$top_srcdir/contrib/zabbix/template_xensnmp.yaml

# --- every OID in the template is the MIB's, and every table column it
# polls is one the MIB defines ---
for oid in $(grep -oE '1\.3\.6\.1\.4\.1\.99999(\.[0-9]+)+' "$TEMPLATE" | sort -u); do
	name=$(snmptranslate "${MIBOPTS[@]}" -OS ".$oid" 2>/dev/null)
	check_match "template OID .$oid is in the MIB ($name)" '^XEN-DOMAIN-MIB::xdm[A-Za-z]+(\.0)?$' "$name"
done

# --- the simulated host, snmpd and the agent ---
serve_stock_host

# --- MariaDB with Zabbix's schema ---
t0=$EPOCHREALTIME
start_mariadb
sql "CREATE DATABASE zabbix CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
for part in schema images data; do
	{ echo "SET autocommit=0; SET unique_checks=0; SET foreign_key_checks=0;"
	  zcat "/usr/share/zabbix-server-mysql/$part.sql.gz"; echo "COMMIT;"; } | sql_db zabbix
done
log "MariaDB and Zabbix schema: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

# --- the frontend (its API) from a copy told where its config is ---
UI=$T/zabbix-ui
cp -r /usr/share/zabbix "$UI"
sed -i "s|const CONFIG_FILE_PATH = .*|const CONFIG_FILE_PATH = '$UI/conf/zabbix.conf.php';|" \
	"$UI/include/classes/core/CConfigFile.php"
ZBX_PORT=$((20000 + RANDOM % 12000))	# zabbix_server takes no port above 32767
cat >"$UI/conf/zabbix.conf.php" <<CONF
<?php
\$DB['TYPE'] = 'MYSQL'; \$DB['SERVER'] = 'localhost'; \$DB['PORT'] = '0';
\$DB['DATABASE'] = 'zabbix'; \$DB['USER'] = 'root'; \$DB['PASSWORD'] = '';
\$DB['SCHEMA'] = ''; \$DB['ENCRYPTION'] = false; \$DB['KEY_FILE'] = ''; \$DB['CERT_FILE'] = '';
\$DB['CA_FILE'] = ''; \$DB['VERIFY_HOST'] = false; \$DB['CIPHER_LIST'] = ''; \$DB['VAULT_URL'] = '';
\$DB['VAULT_DB_PATH'] = ''; \$DB['VAULT_TOKEN'] = ''; \$DB['DOUBLE_IEEE754'] = true;
\$ZBX_SERVER = '127.0.0.1'; \$ZBX_SERVER_PORT = '$ZBX_PORT'; \$ZBX_SERVER_NAME = 'test';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
CONF
UI_ADDR=127.0.0.1:$((20000 + RANDOM % 30000))
php -d mysqli.default_socket="$MYSQL_SOCKET" -d memory_limit=256M -d post_max_size=16M \
	-S "$UI_ADDR" -t "$UI" >"$T/php.log" 2>&1 &
PHP_PID=$!
ZBX_PID=
stop_zabbix() {	# (set -e holds in the EXIT trap too: every step may fail)
	if [ -n "$ZBX_PID" ]; then
		kill -TERM "$ZBX_PID" 2>/dev/null || true
		wait "$ZBX_PID" 2>/dev/null || true
	fi
	kill -TERM "$PHP_PID" 2>/dev/null || true
	wait "$PHP_PID" 2>/dev/null || true
	stop_mariadb
}
trap 'keep=$?; stop_zabbix; (exit $keep); cleanup' EXIT

AUTH=null
api() {	# api METHOD PARAMS-JSON: the result, or the error on stderr and status 1
	local out try
	# PHP's built-in server now and then drops a connection without a
	# reply: an empty answer is tried again, an API error is not
	for try in 1 2 3; do
		out=$(jq -n --arg m "$1" --argjson p "$2" --argjson a "$AUTH" \
			'{jsonrpc: "2.0", method: $m, params: $p, id: 1, auth: $a}' |
			curl -s -H 'Content-Type: application/json-rpc' --data-binary @- "http://$UI_ADDR/api_jsonrpc.php")
		[ -n "$out" ] && break
		sleep 0.5
	done
	if jq -e '.result' <<<"$out" >/dev/null 2>&1; then jq -c '.result' <<<"$out"
	else echo "$out" >&2; return 1; fi
}
wait_for 15 api apiinfo.version '{}' || { fail "frontend API does not answer"; cat "$T/php.log"; exit 1; }
check_match "Zabbix API version" '^"6\.0\.' "$(api apiinfo.version '{}')"
AUTH=$(api user.login '{"username": "Admin", "password": "zabbix"}')

# --- import the template as a user would ---
rules='{"groups": {"createMissing": true}, "templates": {"createMissing": true, "updateExisting": true},
	"items": {"createMissing": true, "updateExisting": true}, "triggers": {"createMissing": true, "updateExisting": true},
	"discoveryRules": {"createMissing": true, "updateExisting": true}, "valueMaps": {"createMissing": true, "updateExisting": true}}'
if out=$(api configuration.import "$(jq -n --rawfile s "$TEMPLATE" --argjson r "$rules" \
	'{format: "yaml", source: $s, rules: $r}')" 2>&1); then
	check_eq "template imports into Zabbix 6.0" true "$out"
else
	fail "template import: $out"; exit 1
fi
tid=$(api template.get '{"filter": {"host": "Xen by SNMP xensnmp"}, "output": ["templateid"]}' | jq -r '.[0].templateid')
check_match "template found" '^[0-9]+$' "$tid"
check_eq "template: 3 discovery rules" 3 "$(api discoveryrule.get "{\"templateids\": [\"$tid\"], \"countOutput\": true}" | jq -r .)"
gid=$(api hostgroup.get '{"filter": {"name": "Templates/Virtualization"}, "output": ["groupid"]}' | jq -r '.[0].groupid')

# the host: the agent here, polled every few seconds
hid=$(api host.create "$(jq -n --arg port "$PORT" --arg gid "$gid" --arg tid "$tid" '{
	host: "xenhost1", groups: [{groupid: $gid}], templates: [{templateid: $tid}],
	interfaces: [{type: 2, main: 1, useip: 1, ip: "127.0.0.1", dns: "", port: $port,
		details: {version: 2, community: "{$SNMP_COMMUNITY}", bulk: 1}}],
	macros: [{macro: "{$SNMP_COMMUNITY}", value: "public"},
		{macro: "{$XEN.INTERVAL}", value: "2s"}, {macro: "{$XEN.LLD.INTERVAL}", value: "3s"}]}')" |
	jq -r '.hostids[0]')
check_match "host created and linked" '^[0-9]+$' "$hid"

# --- the server ---
cat >"$T/zabbix_server.conf" <<CONF
ListenPort=$ZBX_PORT
LogFile=$T/zabbix_server.log
PidFile=$T/zabbix_server.pid
SocketDir=$T
DBName=zabbix
DBUser=root
DBSocket=$MYSQL_SOCKET
StartPollers=2
StartPollersUnreachable=1
StartTrappers=1
StartPingers=0
StartDiscoverers=1
StartHTTPPollers=0
StartPreprocessors=2
StartLLDProcessors=1
StartAlerters=1
StartEscalators=1
StartDBSyncers=1
StartSNMPTrapper=0
CacheUpdateFrequency=2
HousekeepingFrequency=0
Timeout=4
AllowRoot=1
# Debian 12 pairs Zabbix 6.0.14 with MariaDB 10.11, newer than it knows
AllowUnsupportedDBVersions=1
User=$(id -un)
CONF
# its own session: on exit the server signals its whole process group
setsid zabbix_server -f -c "$T/zabbix_server.conf" >>"$T/zabbix_server.stdout" 2>&1 &
ZBX_PID=$!

items() {	# items KEY-PREFIX: "key lastvalue" of the host's items
	api item.get "$(jq -n --arg h "$hid" --arg k "$1" '{hostids: [$h], search: {key_: $k}, startSearch: true,
		output: ["key_", "lastvalue", "lastclock", "itemid", "snmp_oid"]}')" |
		jq -r '.[] | select(.lastclock != "0") | "\(.key_) \(.lastvalue)"' | sort
}
value() { items "$1" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }'; }
have() { [ -n "$(value "$1")" ]; }	# have KEY: the item exists and has a value

# domains, keyed by UUID (Domain-0, without one, by name)
t0=$EPOCHREALTIME
server_up() { kill -0 "$ZBX_PID" 2>/dev/null && grep -q 'server #0 started' "$T/zabbix_server.log"; }
wait_for 20 server_up || { fail "zabbix_server did not start"; tail -n 20 "$T/zabbix_server.log"; exit 1; }
wait_for 90 have 'xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880]' ||
	{ fail "nothing discovered in 90 s"; tail -n 30 "$T/zabbix_server.log"; exit 1; }
log "first discovered value after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
for key in xen.snapshot.state xen.domains xen.memory.free; do wait_for 30 have "$key" || true; done
check_eq "agent snapshot fresh" 1 "$(value xen.snapshot.state)"
check_eq "domain count" 4 "$(value xen.domains)"
check_eq "host free memory" 8589934592 "$(value xen.memory.free)"
wait_for 30 have 'xen.domain.state[0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f]' || true
wait_for 30 have 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]' || true
state_keys=$(items xen.domain.state | awk '{ print $1 }' | tr '\n' ' ')
check_eq "every domain discovered, keyed by UUID or name" \
	'xen.domain.state[0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f] xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880] xen.domain.state[d1e2f3a4-b5c6-47d8-89ea-fb0c1d2e3f40] xen.domain.state[name:Domain-0] ' \
	"$state_keys"
check_eq "web1 running" 2 "$(value 'xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"
check_eq "db1 paused" 4 "$(value 'xen.domain.state[0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f]')"
check_eq "web1 memory in bytes" 536870912 "$(value 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"
check_eq "db1 max memory in bytes" 4294967296 "$(value 'xen.domain.memory.max[0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f]')"
wait_for 30 have 'xen.domain.cpu.util[4f77abd2-3019-58e8-3bab-6fbf2118f880]' || true
cpu=$(value 'xen.domain.cpu.util[4f77abd2-3019-58e8-3bab-6fbf2118f880]')
# half a CPU; a 2 s poll of an agent refreshing every second sees one to
# three refreshes' worth of CPU time, so 25 to 75 %
if awk -v c="$cpu" 'BEGIN { exit !(c != "" && c >= 20 && c <= 80) }'; then pass "web1 CPU use about half a CPU ($cpu %)"
else fail "web1 CPU use: [$cpu]"; fi

# VIFs by MAC, VBDs by backing store
wait_for 30 have 'xen.vbd.read[/dev/vg0/db1]' || true
vifs=$(items xen.vif.in | grep -v drops | awk '{ print $1 }' | tr '\n' ' ')
check_match "VIFs discovered by MAC" 'xen\.vif\.in\[00:16:3e:00:00:01\] xen\.vif\.in\[00:16:3e:00:00:02\] xen\.vif\.in\[00:16:3e:00:01:02\]' "$vifs"
check_eq "three VIFs" 3 "$(items xen.vif.state | wc -l)"
check_eq "VIF backend state connected" "4 4 4" "$(items xen.vif.state | awk '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
vbds=$(items xen.vbd.read | grep -v ops | awk '{ print $1 }' | tr '\n' ' ')
check_match "VBDs discovered by backing store" 'xen\.vbd\.read\[/dev/vg0/db1\].*xen\.vbd\.read\[/var/lib/xen/images/web1\.img\]' "$vbds"

# the paused domain's trigger fires
problem() {
	api problem.get "$(jq -n --arg h "$hid" '{hostids: [$h], output: ["name"]}')" | jq -r '.[].name'
}
has_problem() { problem | grep -q "$1"; }
wait_for 30 has_problem 'Domain db1 is not running' || true
check_match "trigger: db1 not running" 'Domain db1 is not running \(state: paused' "$(problem)"

# a reboot: same UUID, new domid; the items stay (same item ids) and poll the new row
old=$(api item.get "$(jq -n --arg h "$hid" '{hostids: [$h], filter: {key_: "xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880]"}, output: ["itemid"]}')" | jq -r '.[0].itemid')
sim remove 1 >/dev/null
sim add 21 name=web1 uuid=4f77abd2-3019-58e8-3bab-6fbf2118f880 state=running mem_target_kib=786432 mem_max_kib=1048576 >/dev/null
new_row() { [ "$(value 'xen.domain.id[4f77abd2-3019-58e8-3bab-6fbf2118f880]')" = 21 ]; }
wait_for 60 new_row || true
check_eq "web1 rebooted as domid 21: the same item's domid" 21 "$(value 'xen.domain.id[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"
now=$(api item.get "$(jq -n --arg h "$hid" '{hostids: [$h], filter: {key_: "xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880]"}, output: ["itemid", "snmp_oid"]}')")
check_eq "web1 keeps its item across the reboot" "$old" "$(jq -r '.[0].itemid' <<<"$now")"
check_match "and polls the new row" '\.21$' "$(jq -r '.[0].snmp_oid' <<<"$now")"
mem21() { [ "$(value 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]')" = 805306368 ]; }
wait_for 30 mem21 || true
check_eq "web1's memory from the new row" 805306368 "$(value 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"

# the agent's snapshot goes stale: the trigger fires
stop_sim
# the statistics go too: a refresh from dom0's statistics alone counts as
# fresh once the other sources are lost, and this is about a host gone
rm -rf "$T/stats"
has_stale() { problem | grep -q 'stale snapshot'; }
wait_for 60 has_stale || log "snapshot state: agent $(get xdmHostSnapshotState.0), Zabbix $(value xen.snapshot.state)"
check_match "trigger: stale snapshot" 'the agent serves a stale snapshot' "$(problem)"

stop_agent
finish
