#!/bin/bash
# The drivers alone and together: xenstore only; hypervisor + xenstore +
# dom0 statistics; the hypervisor without xenstore; read-only mode.  Where
# two sources give the same value, they agree.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn" --stats-root "$T/stats"
write_snmpd_conf </dev/null
start_snmpd
cat >"$T/agent.conf" <<CONF
xensnmpProcRoot $T/stats/proc
xensnmpSysRoot $T/stats/sys
CONF

# --- all drivers: hypervisor (stand-in), xenstore, dom0 statistics ---
with_hypervisor
start_agent -c "$T/agent.conf"
check_eq "drivers: all three" 'xenstore(0) hypervisor(2) dom0Stats(3)' "$(bits xdmHostDrivers.0)"
# built without libxenlight the agent cannot control domains and says so
if [ -e "$XLSIM" ]; then want=''; else want='control: built without libxenlight'; fi
check_eq "nothing unavailable" "$want" "$(get xdmHostUnavailable.0)"
check_eq "Xen version from the hypervisor" '4.17.7' "$(get xdmHostXenVersion.0)"
check_eq "host CPUs" 8 "$(get xdmHostCpus.0)"
check_eq "host CPU MHz" 2400 "$(get xdmHostCpuMHz.0)"
check_eq "host total memory MiB" 32768 "$(get xdmHostTotalMemory.0)"
check_eq "host free memory MiB" 8192 "$(get xdmHostFreeMemory.0)"
check_eq "web1 running" running "$(get xdmDomainState.1)"
check_eq "db1 paused" paused "$(get xdmDomainState.2)"
check_eq "pvh-test blocked" blocked "$(get xdmDomainState.7)"
check_eq "no shutdown reason while running" none "$(get xdmDomainShutdownReason.1)"
check_eq "current memory from the hypervisor" 524288 "$(get xdmDomainMemCurrent.1)"
check_eq "dom0 vCPUs now known (hypervisor)" 2 "$(get xdmDomainVcpusMax.0)"
check_eq "vCPUs agree: xenstore and hypervisor" "$(get xdmDomainVcpusMax.2)" 4
check_eq "UUID agrees (hypervisor first)" '4f77abd2-3019-58e8-3bab-6fbf2118f880' "$(get xdmDomainUUID.1)"
check_eq "sources of a guest row" 'xenstore(0) hypervisor(2) dom0Stats(3)' "$(bits xdmDomainDataSources.1)"
check_eq "sources of dom0's row" 'xenstore(0) hypervisor(2)' "$(bits xdmDomainDataSources.0)"
t1=$(get xdmDomainCpuTime.1)
sleep 1.5
t2=$(get xdmDomainCpuTime.1)
if [ "$t2" -gt "$t1" ] 2>/dev/null; then pass "CPU time moves ($t1 -> $t2)"; else fail "CPU time moves: $t1 -> $t2"; fi
check_eq "paused domain's CPU time stands" "$(get xdmDomainCpuTime.2)" "$(sleep 1.2; get xdmDomainCpuTime.2)"
check_eq "vCPU state: web1 vCPU 0 running" running "$(get xdmVcpuState.1.0)"
check_eq "vCPU state: web1 vCPU 1 offline" offline "$(get xdmVcpuState.1.1)"
check_eq "vCPU availability still from xenstore" offline "$(get xdmVcpuAvailability.1.1)"
check_eq "dom0 vCPU rows from the hypervisor" "0.0 0.1" \
	"$(walk xdmVcpuState -Oq | awk '{print $1}' | sed -n 's/.*xdmVcpuState\.\(0\.[0-9]*\)$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
# VIF counters from /proc/net/dev, turned to the guest's point of view
line=$(grep 'vif1.0:' "$T/stats/proc/net/dev" | tr -s ' ')
rx=$(get xdmVifRxBytes.1.0); tx=$(get xdmVifTxBytes.1.0)
if [ -n "$rx" ] && [ "$rx" -gt "$tx" ] 2>/dev/null; then pass "guest receives what dom0 transmits (rx $rx > tx $tx)"; else fail "vif direction: rx [$rx] tx [$tx] dom0 line [$line]"; fi
check_match "db1's vif named by vifname gets counters" '^[0-9]+$' "$(get xdmVifRxBytes.2.0)"
check_match "VBD read bytes" '^[0-9]+$' "$(get xdmVbdRdBytes.1.51712)"
check_match "qdisk has no blkback counters" 'No Such Instance' "$(get xdmVbdRdReqs.2.51728)"
b1=$(get xdmVbdRdReqs.1.51712); sleep 1.5; b2=$(get xdmVbdRdReqs.1.51712)
if [ "$b2" -gt "$b1" ] 2>/dev/null; then pass "VBD counters move"; else fail "VBD counters: $b1 -> $b2"; fi
# a domain that only the statistics show is not made up
mkdir -p "$T/stats/sys/class/net/vif99.0" 2>/dev/null || true
check_match "no row from statistics alone" 'No Such Instance' "$(get xdmDomainName.99)"
stop_agent

# --- a crash shows at once: xenstored fires @releaseDomain, the agent
# re-reads the hypervisor (a long timer, so only the watch can do it) ---
start_agent -c "$T/agent.conf" --refresh 60
sim set 1 state=crashed >/dev/null
wait_for 1 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.1 | grep -q crashed" &&
	pass "a crash shows within 1 s" || fail "a crash shows within 1 s"
check_eq "crash reason" crash "$(get xdmDomainShutdownReason.1)"
stop_agent

# --- read-only: no hypercalls even as root, and it says so ---
start_agent -c "$T/agent.conf" --read-only
check_eq "read-only: no hypervisor" 'xenstore(0) dom0Stats(3)' "$(bits xdmHostDrivers.0)"
check_match "read-only: says what it cannot do" 'hypervisor: read-only mode.*control: read-only mode' "$(get xdmHostUnavailable.0)"
grep -q 'xen: read-only mode; unavailable: hypervisor: read-only mode' "$T/agent.log" &&
	pass "read-only: one log line lists what is unavailable" || fail "read-only log line"
check_match "read-only: state absent" 'No Such Instance' "$(get xdmDomainState.1)"
stop_agent

# --- xenstore only: no hypercall interface, no statistics ---
AGENT_ENV=()
start_agent
check_eq "xenstore only" 'xenstore(0)' "$(bits xdmHostDrivers.0)"
check_match "hypervisor unavailable, said why" 'hypervisor: no hypercall interface \(No such file or directory\)' "$(get xdmHostUnavailable.0)"
grep -q 'hypervisor: unavailable: no hypercall interface' "$T/agent.log" &&
	pass "hypervisor unavailability logged" || fail "hypervisor unavailability logged"
check_eq "only one such line" 1 "$(grep -c 'hypervisor: unavailable' "$T/agent.log")"
stop_agent

# --- the hypervisor alone: no xenstore reachable ---
with_hypervisor
AGENT_ENV+=("XENSTORED_PATH=$T/no-xenstored.sock")
start_agent
check_eq "hypervisor alone" 'hypervisor(2)' "$(bits xdmHostDrivers.0)"
check_eq "rows from the hypervisor alone" 4 "$(get xdmHostDomainCount.0)"
check_eq "its state" paused "$(get xdmDomainState.2)"
check_match "names need xenstore" 'No Such Instance' "$(get xdmDomainName.2)"
check_match "xenstore said unavailable" 'xenstore: no xenstore reachable' "$(get xdmHostUnavailable.0)"
stop_agent
# --- not root: the agent has group access to xenstore only (as on a
# modern host), so it runs read-only and the root-only driver stays shut ---
chmod 0777 "$T"
chmod 0666 "$XENSTORED_PATH"
with_hypervisor
start_agent_as_nobody() {
	rm -f "$T/agent.pid"
	env "${AGENT_ENV[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent-nobody.log" --refresh 1 \
		>>"$T/agent.stderr" 2>&1 &
	AGENT_PID=$!
	wait_for 20 agent_serves || { log "non-root agent did not serve"; tail -n 20 "$T/agent-nobody.log"; }
}
start_agent_as_nobody
check_eq "non-root: read-only" readOnly "$(get xdmHostAccessMode.0)"
check_eq "non-root: xenstore only" 'xenstore(0)' "$(bits xdmHostDrivers.0)"
check_match "non-root: says the hypervisor needs root" 'hypervisor: needs root' "$(get xdmHostUnavailable.0)"
check_eq "non-root: xenstore columns served" db1 "$(get xdmDomainName.2)"
grep -q 'xen: read-only mode; unavailable: hypervisor: needs root' "$T/agent-nobody.log" &&
	pass "non-root: one log line says what is unavailable" || fail "non-root log line"
out=$(snmpset -v2c -c private "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainAction.1 i 2 2>&1 || true)
check_match "non-root: control answers an error" 'notWritable|noAccess' "$out"
stop_agent
finish
