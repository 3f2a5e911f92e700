#!/bin/bash
# contrib/nagios/check_xensnmp, the Nagios/Icinga plugin, against the agent
# on the simulated host behind snmpd as Debian ships it plus the project's
# snmpd.conf.d fragment: exit codes, thresholds, perfdata, SNMP v2c and v3,
# timeout, hostile domain names; then the shipped Icinga 2 CheckCommand and
# Nagios commands run by the real icinga2 and nagios4 daemons.
. "$(dirname "$0")/lib.sh"

CHECK=$top_srcdir/contrib/nagios/check_xensnmp
for tool in icinga2 nagios4; do
	command -v "$tool" >/dev/null || { log "$tool missing: run contrib/install-deps.sh"; exit 1; }
done

# --- every OID the plugin uses is the MIB's ---
while read -r name oid; do
	check_eq "plugin's $name is the MIB's" ".$oid" \
		"$(snmptranslate "${MIBOPTS[@]}" -On "XEN-DOMAIN-MIB::$name" 2>/dev/null)"
done < <("$CHECK" --print-oids)

check() {	# check EXPECTED-RC REGEX ARGS...: runs the plugin against the agent
	local want=$1 re=$2 out rc=0; shift 2
	out=$("$CHECK" -H 127.0.0.1 -p "$PORT" "$@" 2>&1) || rc=$?
	if [ "$rc" = "$want" ] && [[ $out =~ $re ]] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]; then
		pass "check_xensnmp $*: rc $rc"
	else
		fail "check_xensnmp $*: rc $rc [$out], expected rc $want /$re/ on one line"
	fi
}

# --- the guidelines' standard options, without an agent ---
rc=0; out=$("$CHECK" --help 2>&1) || rc=$?
check_eq "--help exits 3" 3 "$rc"
for opt in '-w, --warning=RANGE' '-c, --critical=RANGE' '-t, --timeout=INTEGER' '-v, --verbose' \
	'-U, --secname' '-a, --authproto=\[MD5\|SHA\]' '-x, --privproto=\[DES\|AES\]' 'Modes:'; do
	check_match "--help documents $opt" "$opt" "$out"
done
check_match "--version" '^check_xensnmp 1\.[0-9]+$' "$("$CHECK" --version 2>&1)"
check_match "-V" '^check_xensnmp 1\.[0-9]+$' "$("$CHECK" -V 2>&1)"
rc=0; out=$("$CHECK" 2>&1) || rc=$?
check_eq "no -H: UNKNOWN" 3 "$rc"
check_match "no -H: says so" 'hostname' "$out"

# --- stock snmpd without the fragment: the MIB is outside the view ---
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_stock_snmpd_conf bare
start_snmpd
with_hypervisor
env "${AGENT_ENV[@]}" "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -p "$T/agent.pid" \
	--refresh 1 >>"$T/agent.stderr" 2>&1 &
AGENT_PID=$!
probe() { snmpget -v2c -c "$PROBE_COMMUNITY" -t 1 -r 0 -Oqv "$AGENT_ADDR" .1.3.6.1.4.1.99999.1.1.1.7.0 | grep -qE '^[0-9]+$'; }
wait_for 20 probe || fail "agent did not register with the bare snmpd"
check 3 '^XENSNMP UNKNOWN - the agent serves no XEN-DOMAIN-MIB to this manager'
stop_agent
stop_snmpd

# --- with contrib/snmpd/xensnmp.conf, as a user would set it up ---
write_stock_snmpd_conf
start_snmpd
start_agent

check 0 '^XENSNMP OK - 4 domains \(2 running, 1 blocked, 1 paused\), snapshot fresh \| domains=4;;;0;? .*'"'domains running'=2;;;0;? 'domains blocked'=1;;;0;? 'domains paused'=1;;;0;? .*'host memory free'=8589934592B;;;0;34359738368$"
check 0 "'domains running,blocked'=3;;3:;0" -s running,blocked -c 3:
check 2 '^XENSNMP CRITICAL - 3 in running,blocked: ' -s running,blocked -c 4:
check 1 '^XENSNMP WARNING - 1 in paused: ' -s paused -w 0
check 3 "^XENSNMP UNKNOWN - unknown state 'runing'" -s runing
check 3 '^XENSNMP UNKNOWN - .*range' -w 1:x
check 3 "^XENSNMP UNKNOWN - unknown mode" -m nosuch

check 0 "^XENSNMP OK - web1 running \| 'web1 uptime'=[0-9]+s;;;0;? 'web1 cpu time'=[0-9]+c;;;0;? 'web1 memory'=536870912B;;;0;1073741824$" -m domain -d web1
check 0 '^XENSNMP OK - web1 running' -m domain -d 4F77ABD2-3019-58E8-3BAB-6FBF2118F880
check 1 '^XENSNMP WARNING - db1 paused, web1 running' -m domain -d web1 -d db1
check 2 '^XENSNMP CRITICAL - nosuch missing, web1 running' -m domain -d web1 -d nosuch
check 1 '^XENSNMP WARNING - web1 up [0-9]+ s, web1 running' -m domain -d web1 -w 4000000000:
check 3 '^XENSNMP UNKNOWN - mode domain needs at least one -d' -m domain

check 0 "^XENSNMP OK - web1 512 MiB of 1024 MiB \(50\.0%\) \| 'web1 memory'=536870912B;;;0;1073741824 'web1 memory used'=50\.0%;;;0;100$" -m memory -d web1
check 1 "WARNING - db1 2048 MiB of 4096 MiB \(50\.0%\).*'db1 memory used'=50\.0%;40;60;0;100$" -m memory -d db1 -w 40 -c 60
check 2 '^XENSNMP CRITICAL - Domain-0 1024 MiB of 1024 MiB \(100\.0%\), pvh-test .*' -m memory -c 99

# CPU: the simulated host burns half a CPU per online vCPU of a running
# domain (web1: one online vCPU), nothing for paused or blocked ones
rc=0; out=$("$CHECK" -H 127.0.0.1 -p "$PORT" -m cpu -d web1 -d db1 -I 3 2>&1) || rc=$?
check_eq "cpu mode: OK without thresholds" 0 "$rc"
web1=$(sed -n "s/.*'web1 cpu'=\([0-9.]*\)%.*/\1/p" <<<"$out")
if awk -v p="$web1" 'BEGIN { exit !(p >= 45 && p <= 55) }'; then pass "web1 uses half a CPU ($web1%)"
else fail "web1 CPU use: [$out]"; fi
check_match "paused db1 uses none" "'db1 cpu'=0\.0%;;;0;? 'db1 cpu time'=[0-9]+c" "$out"
check 2 "^XENSNMP CRITICAL - web1 CPU [0-9.]+%.*'web1 cpu'=[0-9.]+%;20;40;0" -m cpu -d web1 -w 20 -c 40
check 3 '^XENSNMP UNKNOWN - plugin timed out after 2 s' -m cpu -I 30 -t 2

# SNMPv3 through the stock user view plus the fragment
v3=(-P 3 -L authPriv -U "$V3USER" -a SHA -A "$V3AUTH" -x AES -X "$V3PRIV")
check 0 '^XENSNMP OK - web1 running' "${v3[@]}" -m domain -d web1
check 3 '^XENSNMP UNKNOWN - SNMP session: .*WrongDigests' -P 3 -U "$V3USER" -a SHA -A wrongpass1 -x AES -X "$V3PRIV"
check 3 '^XENSNMP UNKNOWN - SNMP error from .*authorizationError' -P 3 -L authNoPriv -U "$V3USER" -a SHA -A "$V3AUTH"
check 2 '^XENSNMP CRITICAL - no answer from' -C wrongcommunity -t 3

# hostile names: exact match only, one output line, clean perfdata labels
sim add 9 "name=it's=a|b c" state=paused mem_target_kib=1024 mem_max_kib=2048 >/dev/null
sim add 10 "name=web1 running" state=crashed mem_target_kib=1024 mem_max_kib=2048 >/dev/null
sim write /local/domain/10/name $'evil\nweb1 running' >/dev/null
# both names, the second one written after its domain appeared: the agent
# may have served domain 10 under its first name for a refresh
wait_for 5 sh -c "snmpwalk -v2c -c public -On 127.0.0.1:$PORT .1.3.6.1.4.1.99999.1.1.2.1.3 >$T/names; grep -q 'it.s' $T/names && grep -q 'evil' $T/names"
check 1 "^XENSNMP WARNING - it_s_a_b c paused \| 'it_s_a_b c cpu time'=0c;;;0;? 'it_s_a_b c memory'=1048576B;;;0;2097152$" \
	-m domain -d "it's=a|b c"
check 2 '^XENSNMP CRITICAL - web1 running missing$' -m domain -d 'web1 running'
check 2 '^XENSNMP CRITICAL - evil_web1 running crashed, web1 running \|' -m domain -d $'evil\nweb1 running' -d web1
sim remove 9 >/dev/null; sim remove 10 >/dev/null

# a crash shows
sim set 1 state=crashed >/dev/null
wait_for 5 sh -c "\"$CHECK\" -H 127.0.0.1 -p $PORT -m domain -d web1 | grep -q crashed"
check 2 '^XENSNMP CRITICAL - web1 crashed' -m domain -d web1
sim set 1 state=running >/dev/null
wait_for 5 sh -c "\"$CHECK\" -H 127.0.0.1 -p $PORT -m domain -d web1 | grep -q 'OK - web1 running'"

# --- Icinga 2: the shipped CheckCommand and example, validated, then run ---
I=$T/icinga2
mkdir -p "$I"/{data,log,cache,spool,run,perfdata}
sed "s|@nagiosplugindir@|$top_srcdir/contrib/nagios|" "$top_srcdir/contrib/icinga2/xensnmp.conf.in" >"$I/xensnmp.conf"
icinga_defs=(-DDataDir="$I/data" -DLogDir="$I/log" -DCacheDir="$I/cache" -DSpoolDir="$I/spool"
	-DInitRunDir="$I/run" -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)")
cat >"$I/icinga2.conf" <<CONF
const PluginDir = "/usr/lib/nagios/plugins"
include <itl>
include <plugins>
include "$I/xensnmp.conf"
include "$top_srcdir/contrib/icinga2/xensnmp-example.conf"
CONF
rc=0; out=$(icinga2 daemon -C -c "$I/icinga2.conf" "${icinga_defs[@]}" 2>&1) || rc=$?
check_eq "icinga2 daemon -C accepts the CheckCommand and example" 0 "$rc"
check_match "icinga2: the example's services" 'Instantiated 4 Services' "$out"
[ "$rc" = 0 ] || echo "$out" | tail -n 20

# the example's host made this one: the agent here, checks every 2 s, no ping
sed -e 's|192\.0\.2\.10|127.0.0.1|' -e "s|vars.xensnmp_community = \"public\"|&\n\tvars.xensnmp_port = $PORT|" \
	-e 's|check_command = "hostalive"|check_command = "dummy"|' \
	-e 's|check_command = "xensnmp"|&\n\tcheck_interval = 2s\n\tretry_interval = 2s|' \
	"$top_srcdir/contrib/icinga2/xensnmp-example.conf" >"$I/example.conf"
cat >"$I/icinga2.conf" <<CONF
const PluginDir = "/usr/lib/nagios/plugins"
include <itl>
include <plugins>
include "$I/xensnmp.conf"
include "$I/example.conf"
object CheckerComponent "checker" { }
object PerfdataWriter "perfdata" {
	service_perfdata_path = "$I/perfdata/service-perfdata"
	service_temp_path = "$I/perfdata/service.tmp"
	service_format_template = "SERVICE::\$service.name\$\tSTATE::\$service.state\$\tOUTPUT::\$service.output\$"
	host_perfdata_path = "$I/perfdata/host-perfdata"
	host_temp_path = "$I/perfdata/host.tmp"
	rotation_interval = 1s
}
CONF
icinga2 daemon -c "$I/icinga2.conf" "${icinga_defs[@]}" >"$I/daemon.log" 2>&1 &
ICINGA_PID=$!
icinga_result() {	# icinga_result SERVICE: its last result's "STATE::... OUTPUT::..."
	cat "$I"/perfdata/service* 2>/dev/null | grep -a "^SERVICE::$1	" | tail -n 1 | cut -f 2-
}
icinga_has() { [ -n "$(icinga_result "$1")" ]; }
for svc in xen-host "xen-domain web1" "xen-domain db1" xen-cpu; do
	wait_for 30 icinga_has "$svc" || true
done
check_match "icinga2 ran xen-host" '^STATE::OK	OUTPUT::XENSNMP OK - 4 domains' "$(icinga_result xen-host)"
check_match "icinga2 ran xen-domain web1" '^STATE::OK	OUTPUT::XENSNMP OK - web1 running ?$' "$(icinga_result 'xen-domain web1')"
check_match "icinga2 ran xen-domain db1" '^STATE::WARNING	OUTPUT::XENSNMP WARNING - db1 paused ?$' "$(icinga_result 'xen-domain db1')"
check_match "icinga2 ran xen-cpu (Domain-0 at one CPU)" '^STATE::WARNING	OUTPUT::XENSNMP WARNING - Domain-0 CPU' "$(icinga_result xen-cpu)"
kill -TERM "$ICINGA_PID" 2>/dev/null || true; wait "$ICINGA_PID" 2>/dev/null || true

# --- Nagios 4: the shipped commands and example, verified, then run ---
N=$T/nagios
mkdir -p "$N/objects" "$N/checkresults"
sed "s|@nagiosplugindir@|$top_srcdir/contrib/nagios|" "$top_srcdir/contrib/nagios/xensnmp.cfg.in" >"$N/objects/xensnmp.cfg"
sed -e 's|192\.0\.2\.10|127.0.0.1|' -e "s|_XENSNMP_PORT           161|_XENSNMP_PORT           $PORT|" \
	-e 's|check-host-alive|check_xensnmp!-m host|' \
	"$top_srcdir/contrib/nagios/xensnmp-example.cfg" >"$N/objects/example.cfg"
cat >"$N/resource.cfg" <<CONF
\$USER1\$=/usr/lib/nagios/plugins
CONF
cat >"$N/nagios.cfg" <<CONF
log_file=$N/nagios.log
cfg_file=/etc/nagios4/objects/commands.cfg
cfg_file=/etc/nagios4/objects/templates.cfg
cfg_file=/etc/nagios4/objects/timeperiods.cfg
cfg_file=/etc/nagios4/objects/contacts.cfg
cfg_dir=$N/objects
resource_file=$N/resource.cfg
object_cache_file=$N/objects.cache
precached_object_file=$N/objects.precache
status_file=$N/status.dat
status_update_interval=1
nagios_user=$(id -un)
nagios_group=$(id -gn)
check_external_commands=0
lock_file=$N/nagios.pid
temp_file=$N/nagios.tmp
temp_path=$N
use_syslog=0
check_result_path=$N/checkresults
check_result_reaper_frequency=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
retain_state_information=0
enable_notifications=0
illegal_macro_output_chars=\`~\$&|'"<>
CONF
rc=0; out=$(nagios4 -v "$N/nagios.cfg" 2>&1) || rc=$?
check_eq "nagios4 -v accepts the commands and example" 0 "$rc"
check_match "nagios4 -v: no error, no warning" 'Total Warnings: 0.*Total Errors: +0' "$(echo $out)"
nagios4 "$N/nagios.cfg" >"$N/daemon.log" 2>&1 &
NAGIOS_PID=$!
nagios_result() {	# nagios_result SERVICE: "STATE OUTPUT" from status.dat
	awk -v want="$1" '
		/^servicestatus \{/ { s = ""; st = ""; out = "" }
		/^\tservice_description=/ { s = substr($0, index($0, "=") + 1) }
		/^\tcurrent_state=/ { st = substr($0, index($0, "=") + 1) }
		/^\tplugin_output=/ { out = substr($0, index($0, "=") + 1) }
		/^\t}/ { if (s == want && out != "") print st " " out; s = ""; out = "" }' "$N/status.dat" 2>/dev/null
}
nagios_has() { nagios_result "$1" | grep -q XENSNMP; }
for svc in "Xen host" "Xen domain web1" "Xen domain db1" "Xen memory" "Xen CPU"; do
	wait_for 30 nagios_has "$svc" || true
done
check_match "nagios4 ran Xen host" '^0 XENSNMP OK - 4 domains' "$(nagios_result 'Xen host')"
check_match "nagios4 ran Xen domain web1" '^0 XENSNMP OK - web1 running$' "$(nagios_result 'Xen domain web1')"
check_match "nagios4 ran Xen domain db1" '^1 XENSNMP WARNING - db1 paused$' "$(nagios_result 'Xen domain db1')"
check_match "nagios4 ran Xen memory" '^0 XENSNMP OK - Domain-0 1024 MiB of 1024 MiB \(100\.0%\), web1 512 MiB' "$(nagios_result 'Xen memory')"
check_match "nagios4 ran Xen CPU" '^1 XENSNMP WARNING - Domain-0 CPU' "$(nagios_result 'Xen CPU')"
kill -TERM "$NAGIOS_PID" 2>/dev/null || true; wait "$NAGIOS_PID" 2>/dev/null || true

# --- the agent's snapshot goes stale, then the agent goes away ---
stop_sim
wait_for 15 sh -c "\"$CHECK\" -H 127.0.0.1 -p $PORT | grep -q stale"
check 2 '^XENSNMP CRITICAL - snapshot stale since [0-9-]+T[0-9:.]+Z' -m domain -d web1
check 2 '^XENSNMP CRITICAL - snapshot stale' -m cpu
stop_agent
stop_snmpd
check 2 '^XENSNMP CRITICAL - no answer from 127\.0\.0\.1' -t 3
finish
