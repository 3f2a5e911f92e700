#!/bin/bash
# contrib/zabbix: the template imported into Debian's Zabbix 6.0 (server,
# frontend API, MariaDB, all private to this test), a host linked to it
# that polls the agent on the simulated host (stock snmpd plus the
# project's fragment), and what Zabbix discovers and collects checked
# against the simulated host: domains keyed by UUID, whose items survive
# a reboot's new domid; VIFs by MAC; VBDs by backing store; triggers.
# The agent's notifications reach the trap items the way an operator sets
# them up: snmpd sends them to snmptrapd, which hands them to Zabbix's SNMP
# trapper with contrib/zabbix's traphandle and snmptrapd.conf lines.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/mariadb.sh"

SNMPTRAPD=${SNMPTRAPD:-/usr/sbin/snmptrapd}
for tool in zabbix_server php curl jq "$SNMPTRAPD"; do
	command -v "$tool" >/dev/null || { log "$tool missing: run tests/nms/install.sh zabbix"; exit 1; }
done
TEMPLATE=$top_srcdir/contrib/zabbix/template_xensnmp.yaml

# --- every OID in the template is the MIB's, and every table column it
# polls is one the MIB defines ---
for oid in $(grep -oE '1\.3\.6\.1\.4\.1\.99999(\.[0-9]+)+' "$TEMPLATE" | sort -u); do
	name=$(snmptranslate "${MIBOPTS[@]}" -OS ".$oid" 2>/dev/null)
	check_match "template OID .$oid is in the MIB ($name)" '^XEN-DOMAIN-MIB::xdm[A-Za-z]+(\.0)?$' "$name"
done

# --- the simulated host, snmpd and the agent (serve_stock_host, with
# snmpd sending the agent's notifications to snmptrapd) ---
TRAP_PORT=$((20000 + RANDOM % 30000))	# and TRAP_PORT + 1: two receivers
[ "$PORT" != "$TRAP_PORT" ] && [ "$PORT" != $((TRAP_PORT + 1)) ] || TRAP_PORT=$((PORT + 1))
serve_stock_host "trap2sink udp:127.0.0.1:$TRAP_PORT public" "trap2sink udp:127.0.0.1:$((TRAP_PORT + 1)) public"

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
TRAPD_PIDS=()
stop_zabbix() {	# (set -e holds in the EXIT trap too: every step may fail)
	local pid
	for pid in "${TRAPD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
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

# --- snmptrapd with the shipped lines, pointed at this tree's handler and
# trap file ---
TRAPFILE=$T/snmptrap.log
sed -e "s|/usr/local/bin/zabbix_traphandle.sh|$top_srcdir/contrib/zabbix/zabbix_traphandle.sh|" \
	-e "s|/var/log/snmptrap/snmptrap.log|$TRAPFILE|" \
	"$top_srcdir/contrib/zabbix/snmptrapd.conf" >"$T/snmptrapd.conf"
if grep -qxF "traphandle default $top_srcdir/contrib/zabbix/zabbix_traphandle.sh $TRAPFILE" "$T/snmptrapd.conf"; then
	pass "snmptrapd.conf: the traphandle line names the handler and the trap file"
else
	fail "snmptrapd.conf: no traphandle line for the handler and trap file"; cat "$T/snmptrapd.conf"
fi
start_trapd() {	# start_trapd PORT [MIB OPTIONS...]
	local port=$1; shift
	"$SNMPTRAPD" -f -C -c "$T/snmptrapd.conf" -Lf "$T/snmptrapd-$port.log" "$@" \
		"udp:127.0.0.1:$port" >>"$T/snmptrapd.stderr" 2>&1 &
	TRAPD_PIDS+=($!)
	wait_for 10 grep -q 'NET-SNMP version' "$T/snmptrapd-$port.log" ||
		{ fail "snmptrapd did not start"; cat "$T/snmptrapd-$port.log" "$T/snmptrapd.stderr"; exit 1; }
}
# one with the MIB loaded, whose records name the notifications and
# objects; one with none, as Debian's snmp.conf has it ("mibs :"), whose
# records have OIDs (iso.3.6.1.4.1.99999...) and raw octets.  Every
# notification reaches the items twice.
start_trapd "$TRAP_PORT" "${MIBOPTS[@]}"
start_trapd $((TRAP_PORT + 1)) -m ""

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
StartSNMPTrapper=1
SNMPTrapperFile=$TRAPFILE
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

# the trap items, by name (their keys are regexps); their values are the
# handler's records without the ZBXTRAP line
DOMAIN_EVENTS='Xen: domain events (traps)' SNAPSHOT_EVENTS='Xen: snapshot events (traps)'
traps_matching() {	# traps_matching ITEM-NAME [REGEX...]: how many of its values match every REGEX
	local id
	id=$(api item.get "$(jq -n --arg h "$hid" --arg n "$1" '{hostids: [$h], filter: {name: $n}, output: ["itemid"]}')" |
		jq -r '.[0].itemid')
	shift
	api history.get "$(jq -n --arg i "$id" '{history: 2, itemids: [$i], output: ["value"], limit: 1000}')" |
		jq -r '[.[] | .value as $v | select($ARGS.positional | all(. as $r | $v | test($r)))] | length' --args "$@"
}
has_trap() { [ "$(traps_matching "$@")" -gt 0 ]; }
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

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
# half a CPU.  The agent serves its last gathering, which a query brings
# on the next tick, so the gatherings behind two polls 2 s apart lie one
# to four ticks apart, more on a loaded machine (the first rate Zabbix
# computes has been seen from 25 to 97 %): 10 to 150 % says that the unit
# and the multiplier are right (a wrong one is off by a factor of 1000)
if awk -v c="$cpu" 'BEGIN { exit !(c != "" && c >= 10 && c <= 150) }'; then pass "web1 CPU use about half a CPU ($cpu %)"
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
# and db1 resumes: the three domain notifications, for the trap items
sim set 2 state=running >/dev/null
new_row() { [ "$(value 'xen.domain.id[4f77abd2-3019-58e8-3bab-6fbf2118f880]')" = 21 ]; }
wait_for 60 new_row || true
check_eq "web1 rebooted as domid 21: the same item's domid" 21 "$(value 'xen.domain.id[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"
now=$(api item.get "$(jq -n --arg h "$hid" '{hostids: [$h], filter: {key_: "xen.domain.state[4f77abd2-3019-58e8-3bab-6fbf2118f880]"}, output: ["itemid", "snmp_oid"]}')")
check_eq "web1 keeps its item across the reboot" "$old" "$(jq -r '.[0].itemid' <<<"$now")"
check_match "and polls the new row" '\.21$' "$(jq -r '.[0].snmp_oid' <<<"$now")"
mem21() { [ "$(value 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]')" = 805306368 ]; }
wait_for 30 mem21 || true
check_eq "web1's memory from the new row" 805306368 "$(value 'xen.domain.memory[4f77abd2-3019-58e8-3bab-6fbf2118f880]')"

# the same changes as notifications: snmpd, snmptrapd, the handler, the
# SNMP trapper, matched to the host by the sender's address (127.0.0.1)
# and to the item by its regexp
t0=$EPOCHREALTIME
U=4f77abd2-3019-58e8-3bab-6fbf2118f880 I='\.[0-9]+ ' E='(\n|$)'
# by OID: the notification, and web1's UUID as octets
N='iso\.3\.6\.1\.4\.1\.99999\.1\.0\.' H='"4F 77 AB D2 30 19 58 E8 3B AB 6F BF 21 18 F8 80 ?"'
all_six() { [ "$(traps_matching "$DOMAIN_EVENTS")" -ge 6 ]; }
wait_for 20 all_six || true
log "domain notifications in Zabbix $(secs_since "$t0") s after the checks above"
check_eq "trap item: web1 destroyed, under domid 1, with its UUID and name" 1 \
	"$(traps_matching "$DOMAIN_EVENTS" xdmDomainDestroyed "xdmNotifyDomainId${I}1$E" "xdmNotifyDomainUUID$I$U$E" "xdmNotifyDomainName${I}web1$E")"
check_eq "trap item: web1 created, under domid 21, the same UUID" 1 \
	"$(traps_matching "$DOMAIN_EVENTS" xdmDomainCreated "xdmNotifyDomainId${I}21$E" "xdmNotifyDomainUUID$I$U$E")"
check_eq "trap item: db1 from paused to running" 1 \
	"$(traps_matching "$DOMAIN_EVENTS" xdmDomainStateChanged "xdmNotifyDomainName${I}db1$E" "xdmNotifyPrevState${I}paused$E" "xdmNotifyDomainState${I}running$E")"
check_eq "trap item, by OID (no MIB): web1 destroyed and created, db1 changed" "1 1 1" \
	"$(traps_matching "$DOMAIN_EVENTS" "${N}3$E" "$H" '"web1"') $(traps_matching "$DOMAIN_EVENTS" "${N}1$E" "$H" '"web1"') $(traps_matching "$DOMAIN_EVENTS" "${N}2$E" '"db1"')"
check_eq "trap item: the record's ZBXTRAP line is cut, the sender's transport stays" 6 \
	"$(traps_matching "$DOMAIN_EVENTS" '^[0-9:]{8} [0-9/]{10} UDP: \[127\.0\.0\.1\]:[0-9]+->')"
check_eq "trap item: only the domain notifications" 6 "$(traps_matching "$DOMAIN_EVENTS")"
check_eq "the snapshot events item takes none of them" 0 "$(traps_matching "$SNAPSHOT_EVENTS")"

# the agent's snapshot goes stale: the trigger fires
stop_sim
# the statistics go too: a refresh from dom0's statistics alone counts as
# fresh once the other sources are lost, and this is about a host gone
rm -rf "$T/stats"
has_stale() { problem | grep -q 'stale snapshot'; }
wait_for 60 has_stale || log "snapshot state: agent $(get xdmHostSnapshotState.0), Zabbix $(value xen.snapshot.state)"
check_match "trigger: stale snapshot" 'the agent serves a stale snapshot' "$(problem)"
t0=$EPOCHREALTIME
both_stale() { has_trap "$SNAPSHOT_EVENTS" xdmSnapshotStale && has_trap "$SNAPSHOT_EVENTS" "${N}5$E"; }
wait_for 15 both_stale || true
log "xdmSnapshotStale in Zabbix $(secs_since "$t0") s after the trigger"
check_eq "trap item: xdmSnapshotStale, the state stale; and by OID" "1 1" \
	"$(traps_matching "$SNAPSHOT_EVENTS" xdmSnapshotStale "xdmHostSnapshotState\.0 stale$E") $(traps_matching "$SNAPSHOT_EVENTS" "${N}5$E")"

stop_agent
finish
