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

pid=$SNMPD_PID
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
SNMPD_PID=
check_eq "plugin: snmpd exits 0 (module deinit joins its thread)" 0 "$rc"
if sanitizer_clean "$T/snmpd.stderr"; then pass "plugin: no sanitizer report"; else fail "plugin: sanitizer report"; cat "$T/snmpd.stderr"; fi
finish
