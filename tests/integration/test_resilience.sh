#!/bin/bash
# Failures around the agent: snmpd restarts, xenstored dies, xenstored hangs.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
start_agent

# --- snmpd restarted under the agent: it reconnects by itself ---
# The agent pings its master every 5 s (agentx ping interval), so a
# restarted master is found within about that; net-snmp's default is 15 s.
stop_snmpd
start_snmpd
t0=$EPOCHREALTIME
wait_for 20 agent_serves && pass "agent serves again after snmpd restart" || fail "agent reconnects to snmpd"
outage=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
log "MIB absent for ${outage} s after snmpd answered again"
awk -v o="$outage" 'BEGIN { exit !(o < 10) }' && pass "reconnect within 10 s (${outage} s)" ||
	fail "reconnect took ${outage} s, the ping interval says 5"
check_eq "data after reconnect" 'web1' "$(get xdmDomainName.1)"

# --- xenstored killed: logged, last snapshot served stale, recovery ---
kill -KILL "$SIM_PID"; SIM_PID=
stale() { [ "$(get xdmHostSnapshotState.0)" = stale ]; }
fresh() { [ "$(get xdmHostSnapshotState.0)" = fresh ]; }
wait_for 10 stale && pass "snapshot marked stale after xenstored died" || fail "stale after xenstored died"
check_eq "last snapshot still served" 'web1' "$(get xdmDomainName.1)"
check_eq "domain count kept" 4 "$(get xdmHostDomainCount.0)"
grep -q 'xenstore: connection lost' "$T/agent.log" && pass "loss logged" || fail "loss logged"
check_match "xdmHostUnavailable names xenstore" 'xenstore' "$(get xdmHostUnavailable.0)"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
wait_for 10 fresh && pass "fresh again after xenstored restarted" || fail "recovery"
grep -q 'xenstore: connection restored' "$T/agent.log" && pass "recovery logged" || fail "recovery logged"
sim add 9 name=after-restart vcpus=1 >/dev/null
wait_for 2 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.9 | grep -q after-restart" &&
	pass "watches work again after recovery" || fail "watches after recovery"

# --- xenstored hangs: requests are still answered at once from the snapshot ---
sim freeze >/dev/null
sleep 1.5
t0=$(date +%s%N)
check_eq "answers while xenstored hangs" 'web1' "$(snmpget -v2c -c public -t 1 -r 0 -Oqv "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainName.1 2>&1)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && pass "answer without waiting on xenstored (${ms} ms)" || fail "answer took ${ms} ms"
wait_for 15 stale && pass "a hung xenstored makes the snapshot stale" || fail "stale while hung"
sim thaw >/dev/null
wait_for 10 fresh && pass "fresh again after xenstored resumes" || fail "fresh after thaw"

# --- SIGHUP re-reads the configuration (as every net-snmp daemon does) ---
stop_agent
echo "xensnmpRefresh 1" >"$T/agent.conf"
rm -f "$T/agent.pid"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/agent.pid"	# a planted link must not be written through
"$AGENT" -f -x "unix:$T/agentx.sock" -c "$T/agent.conf" -Lf "$T/agent.log" -p "$T/agent.pid" \
	>>"$T/agent.stderr" 2>&1 &
AGENT_PID=$!
wait_for 20 agent_serves || fail "agent with a config file serves"
check_eq "pid file not written through a symlink" precious "$(cat "$T/victim")"
[ -f "$T/agent.pid" ] && [ ! -L "$T/agent.pid" ] && pass "pid file replaced by a regular file" ||
	fail "pid file is still a symlink"
check_eq "refresh interval from the config file" 1 "$(get xdmHostRefreshInterval.0)"
echo "xensnmpRefresh 10" >"$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 5 sh -c "grep -q 'SIGHUP: re-reading the configuration' '$T/agent.log'" &&
	pass "SIGHUP logged" || fail "SIGHUP not logged"
kill -0 "$AGENT_PID" 2>/dev/null && pass "agent survives SIGHUP" || fail "SIGHUP killed the agent"
wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostRefreshInterval.0 | grep -qx 10" &&
	pass "SIGHUP applies the new xensnmpRefresh" || fail "refresh interval after SIGHUP: $(get xdmHostRefreshInterval.0)"
# the staleness limit follows: 3 x 10 + 2 s now, not 3 x 1 + 2 s
sim freeze >/dev/null
sleep 8
check_eq "staleness limit follows the reloaded interval" fresh "$(get xdmHostSnapshotState.0)"
sim thaw >/dev/null
echo "xensnmpRefresh 1x" >"$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 5 sh -c "grep -q 'xensnmpRefresh takes a whole number' '$T/agent.log'" &&
	pass "a bad xensnmpRefresh is a clear config error" || fail "bad xensnmpRefresh not reported"

# --- no xenstored at all at start: the agent starts, says why, serves nothing ---
stop_agent
stop_sim
start_agent_no_xen() {
	"$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent2.log" --refresh 1 >>"$T/agent.stderr" 2>&1 &
	AGENT_PID=$!
}
start_agent_no_xen
wait_for 20 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostSnapshotState.0 | grep -q stale" &&
	pass "no xenstored: agent serves its state" || fail "no xenstored: agent state"
# (stale is also what it answers before its first snapshot, under load)
wait_for 10 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostUnavailable.0 | grep -q 'no xenstore reachable'" || true
check_match "no xenstored: reason given" 'no xenstore reachable' "$(get xdmHostUnavailable.0)"
wait_for 5 grep -qE "xenstore: socket .*: (No such file|Connection refused)" "$T/agent2.log" &&
	pass "no xenstored: each path's failure logged" || fail "open failures logged"
check_eq "no xenstored: domain count is 0" 0 "$(get xdmHostDomainCount.0)"
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
wait_for 10 fresh && pass "xenstored appearing later is picked up" || fail "late xenstored"
check_eq "late xenstored: data" 'db1' "$(get xdmDomainName.2)"
stop_agent
finish
