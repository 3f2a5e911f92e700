#!/bin/bash
# The xend driver (Xen 3.x to 4.4): SXP over HTTP on a unix socket or TCP,
# alone and with the other drivers, managed shut-off domains, and an xend
# that is slow, dead or talks nonsense.
. "$(dirname "$0")/lib.sh"

XEND_PORT=$((PORT + 1))
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn" \
	--xend-socket "$T/xend.sock" --xend-port "$XEND_PORT"
sim managed 11111111-2222-4333-8444-555555555555 name=stopped1 mem_kib=131072 mem_max_kib=262144 vcpus=1 >/dev/null
write_snmpd_conf </dev/null
start_snmpd
echo "xensnmpXendUrl unix:$T/xend.sock" >"$T/xend-unix.conf"
echo "xensnmpXendUrl http://127.0.0.1:$XEND_PORT" >"$T/xend-tcp.conf"

# --- xend alone (no xenstore reachable) ---
AGENT_ENV=("XENSTORED_PATH=$T/no-xenstored.sock")
start_agent -c "$T/xend-unix.conf"
check_eq "xend alone" 'xend(1)' "$(bits xdmHostDrivers.0)"
check_eq "Xen version from xend" '4.17.7' "$(get xdmHostXenVersion.0)"
check_eq "host CPUs from xend" 8 "$(get xdmHostCpus.0)"
check_eq "running domains and one managed shut-off" 5 "$(get xdmHostDomainCount.0)"
check_eq "name from xend" db1 "$(get xdmDomainName.2)"
check_eq "state from xend" paused "$(get xdmDomainState.2)"
check_eq "memory from xend (MiB to KiB)" 2097152 "$(get xdmDomainMemTarget.2)"
key=$((65536 + 0x11111111 % 2147418112))
check_eq "shut-off row keyed from its UUID" stopped1 "$(get xdmDomainName.$key)"
check_eq "shut-off row has no domid" -1 "$(get xdmDomainId.$key)"
check_eq "shut-off state" shutoff "$(get xdmDomainState.$key)"
check_eq "shut-off sources" 'xend(1)' "$(bits xdmDomainDataSources.$key)"
# xend's suspended (Xen-API power state 3) is a state of its own
sim managed 11111111-2222-4333-8444-555555555555 suspended=1 >/dev/null
suspended() { [ "$(get xdmDomainState.$key)" = suspended ]; }
wait_for 5 suspended
check_eq "suspended state from xend" suspended "$(get xdmDomainState.$key)"
check_match "a suspended domain has no uptime" 'No Such Instance' "$(get xdmDomainUptime.$key)"
stop_agent

# --- xend over TCP with xenstore: one row per domain, and they agree ---
AGENT_ENV=()
start_agent -c "$T/xend-tcp.conf"
check_eq "xend and xenstore" 'xenstore(0) xend(1)' "$(bits xdmHostDrivers.0)"
check_eq "one row per domain" 5 "$(get xdmHostDomainCount.0)"
check_eq "both sources on a row" 'xenstore(0) xend(1)' "$(bits xdmDomainDataSources.1)"
check_eq "UUIDs agree" '4f77abd2-3019-58e8-3bab-6fbf2118f880' "$(get xdmDomainUUID.1)"
check_eq "vCPUs agree" 4 "$(get xdmDomainVcpusMax.2)"
check_eq "online vCPUs agree" 1 "$(get xdmDomainVcpusOnline.1)"
check_eq "OS type agrees" linux "$(get xdmDomainOsType.1)"
check_eq "xenstore still gives the devices" xenbr0 "$(get xdmVifBridge.1.0)"
stop_agent

# --- all three ---
with_hypervisor
start_agent -c "$T/xend-unix.conf"
check_eq "all three" 'xenstore(0) xend(1) hypervisor(2)' "$(bits xdmHostDrivers.0)"
check_eq "a row from all three" 'xenstore(0) xend(1) hypervisor(2)' "$(bits xdmDomainDataSources.2)"
check_eq "states agree (hypervisor first)" blocked "$(get xdmDomainState.7)"

# --- a slow xend: the agent answers from the last snapshot at once ---
sim xend-fault slow 8000 >/dev/null
sleep 2.5
t0=$(date +%s%N)
check_eq "answers while xend is slow" db1 "$(snmpget -v2c -c public -t 1 -r 0 -Oqv "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainName.2 2>&1)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && pass "no wait on xend (${ms} ms)" || fail "answer took ${ms} ms"
wait_for 15 grep -q 'xend: connection lost' "$T/agent.log" && pass "slow xend: lost, said once" || fail "slow xend logged"
check_match "xend named in xdmHostUnavailable" 'xend' "$(get xdmHostUnavailable.0)"
check_eq "rows kept from the other drivers" 5 "$(get xdmHostDomainCount.0)"
sim xend-fault none >/dev/null
wait_for 10 sh -c "grep -q 'xend: connection restored' $T/agent.log" && pass "xend back" || fail "xend back"

# --- a hung xend holds back no other source, and is named stale alone ---
# xend is gathered on a thread of its own: a change xenstore reports is
# served at once, however long xend's requests hang (up to 5 s each)
no_stale() { [ -z "$(bits xdmHostStaleSources.0)" ]; }
wait_for 10 no_stale && pass "no stale source" || fail "stale sources: [$(bits xdmHostStaleSources.0)]"
sim xend-fault slow 8000 >/dev/null
sleep 1.5	# a gathering of xend is under way, and hangs
for n in 1 2 3; do
	id=$((20 + n))
	t0=$EPOCHREALTIME
	sim add $id name=hung$n vcpus=1 >/dev/null
	wait_for 8 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.$id | grep -q hung$n" || true
	ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	[ "$ms" -lt 1500 ] && pass "xenstore change $n served in $ms ms while xend hangs" ||
		fail "xenstore change $n took $ms ms while xend hangs"
	sleep "0.$((RANDOM % 9 + 1))"	# another moment of xend's hang
done
xend_stale() { [ "$(bits xdmHostStaleSources.0)" = 'xend(1)' ]; }
wait_for 10 xend_stale && pass "xdmHostStaleSources names xend, and only xend" ||
	fail "stale sources while xend hangs: [$(bits xdmHostStaleSources.0)]"
check_eq "a stale source makes the snapshot stale" stale "$(get xdmHostSnapshotState.0)"
check_eq "xend's last rows are kept" stopped1 "$(get xdmDomainName.$key)"
sim xend-fault none >/dev/null
wait_for 15 no_stale && pass "xend answers again: no stale source" ||
	fail "stale sources after xend answers again: [$(bits xdmHostStaleSources.0)]"
check_eq "fresh again" fresh "$(get xdmHostSnapshotState.0)"
check_eq "xend's view of a domain added while it hung" 'xenstore(0) xend(1) hypervisor(2)' "$(bits xdmDomainDataSources.21)"
for n in 1 2 3; do sim remove $((20 + n)) >/dev/null; done

# --- nonsense and a dead xend: errors, no crash ---
sim xend-fault garbage >/dev/null
wait_for 10 sh -c "grep -q 'malformed SXP' $T/agent.log" && pass "malformed SXP said" || fail "malformed SXP said"
sim xend-fault huge >/dev/null
sleep 3
sim xend-fault dead >/dev/null
sleep 3
check_eq "still serving" db1 "$(get xdmDomainName.2)"
sim xend-fault none >/dev/null
wait_for 10 sh -c "snmpget ${SNMPOPTS[*]} -Ov $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostDrivers.0 | grep -q 'xend(1)'" &&
	pass "recovers after faults" || fail "recovers after faults"
stop_agent
finish
