#!/bin/bash
# The same module loaded into snmpd itself with dlmod: no AgentX hop.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf <<CONF
dlmod xensnmp $PLUGIN
xensnmpRefresh 1
CONF

# a sanitized plugin needs the sanitizer runtimes loaded first; snmpd's
# own allocations are not ours to check for leaks
preload=()
if [ -n "${SANITIZERS:-}" ]; then
	preload=("LD_PRELOAD=$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
		 "ASAN_OPTIONS=detect_leaks=0")
fi
start_snmpd "${preload[@]}"
wait_for 10 agent_serves || fail "plugin serves"

check_eq "plugin: domain count" 4 "$(get xdmHostDomainCount.0)"
check_eq "plugin: refresh interval from snmpd.conf" 1 "$(get xdmHostRefreshInterval.0)"
check_eq "plugin: web1 name" 'web1' "$(get xdmDomainName.1)"
check_eq "plugin: web1 UUID" '4f77abd2-3019-58e8-3bab-6fbf2118f880' "$(get xdmDomainUUID.1)"
check_eq "plugin: db1 xvdb mode" readOnly "$(get xdmVbdMode.2.51728)"
check_eq "plugin: same walk as the subagent" 57 \
	"$(snmpbulkwalk "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainTable | grep -c .)"

sim add 12 name=late uuid=11111111-2222-4333-8444-555555555555 mem_target_kib=1024 vcpus=1 vcpus_online=1 >/dev/null
wait_for 2 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.12 | grep -q late" &&
	pass "plugin: new domain within 2 s" || fail "plugin: new domain within 2 s"

# --- SIGHUP (Debian's ExecReload) while xenstored hangs: snmpd unloads and
# reloads the module; no thread of the old module may run on, and the
# reloaded module serves again once xenstored resumes ---
sim freeze >/dev/null
sim add 13 name=during-freeze vcpus=1 >/dev/null
sleep 1.5	# the gathering thread is now blocked in a request
kill -HUP "$SNMPD_PID"
sleep 5		# past the module's bounded join
kill -0 "$SNMPD_PID" 2>/dev/null && pass "plugin: snmpd survives SIGHUP while xenstored hangs" ||
	fail "plugin: snmpd died on SIGHUP while xenstored hangs"
sim thaw >/dev/null
sleep 2		# the old thread's request returns now: it must not crash snmpd
kill -0 "$SNMPD_PID" 2>/dev/null && pass "plugin: snmpd survives the abandoned thread waking" ||
	fail "plugin: snmpd died when the old thread woke"
grep -q 'gathering thread did not stop' "$T/snmpd.log" && pass "plugin: abandoned thread logged" ||
	fail "plugin: abandoned thread not logged"
wait_for 10 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.13 | grep -q during-freeze" &&
	pass "plugin: reloaded module reconnects and serves new data" || fail "plugin: reloaded module does not reconnect"

stop_plugin_snmpd "plugin (module deinit joins its thread)"
finish
