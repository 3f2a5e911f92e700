#!/bin/bash
# contrib/check_xensnmp, the Nagios plugin, against a running agent.
. "$(dirname "$0")/lib.sh"

PLUGIN_CHECK=$top_srcdir/contrib/check_xensnmp
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
with_hypervisor
start_agent

check() {	# check EXPECTED-RC REGEX ARGS...: runs the plugin
	local want=$1 re=$2 out rc=0; shift 2
	out=$("$PLUGIN_CHECK" -H 127.0.0.1 -P "$PORT" -M "$top_srcdir/mib:$top_srcdir/mib/ietf" "$@") || rc=$?
	if [ "$rc" = "$want" ] && [[ $out =~ $re ]]; then pass "check_xensnmp $*: $out"
	else fail "check_xensnmp $*: rc $rc [$out], expected rc $want /$re/"; fi
}

check 0 '^OK - 4 domains, snapshot fresh \| domains=4$'
check 0 '^OK - .*\| domains=4 web1_cpu=[0-9]+c web1_mem=524288KB$' -d web1
check 1 '^WARNING - db1 paused' -d web1 -d db1
check 2 '^CRITICAL - nosuch missing' -d nosuch
sim set 1 state=crashed >/dev/null
wait_for 5 sh -c "\"$PLUGIN_CHECK\" -H 127.0.0.1 -P $PORT -M $top_srcdir/mib:$top_srcdir/mib/ietf -d web1 | grep -q crashed"
check 2 '^CRITICAL - web1 crashed' -d web1
stop_sim
wait_for 15 sh -c "\"$PLUGIN_CHECK\" -H 127.0.0.1 -P $PORT -M $top_srcdir/mib:$top_srcdir/mib/ietf | grep -q stale"
check 2 '^CRITICAL - snapshot stale' -d web1
stop_agent
stop_snmpd
check 2 '^CRITICAL - no answer'
finish
