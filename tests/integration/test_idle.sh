#!/bin/bash
# A quiet host that nobody reads is not gathered on every refresh tick:
# a tick looks at the hypervisor's domain list and sends xenstored
# nothing (no heartbeat is configured), and gathers only when that look shows a change, a request
# read the data since the last gathering, or a minute passed.  Between
# ticks the domain list is looked at twice a second, so a state change is
# served within about that, whatever the tick.  Seen through a running
# domain's CPU time, which the simulated host moves by half a second a
# second (web1: one online vCPU).
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
with_hypervisor
start_agent		# a tick a second
HALF=500000000		# web1's CPU time per second, ns

cpu() { get xdmDomainCpuTime.1; }
state() { get xdmDomainState.1; }

# reads a second apart: every tick gathers, the CPU time moves
a=$(cpu); sleep 1.5; b=$(cpu)
if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ "$b" -gt "$a" ]; then
	pass "read a tick apart, the CPU time moves ($a to $b)"
else
	fail "CPU time under reads: [$a] then [$b]"
fi

# six quiet seconds after a read: the read brought one gathering, the
# quiet ticks none, so the next read still shows that gathering's value,
# at most 2.5 s of CPU time after the first (every tick gathering: 5 s
# and more)
sleep 1.5
c0=$(cpu)
sim reset-stats >/dev/null
sleep 6
c1=$(cpu)
reqs=$(sim stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
if [[ $c0 =~ ^[0-9]+$ && $c1 =~ ^[0-9]+$ ]] && [ $((c1 - c0)) -le $((HALF * 5 / 2)) ]; then
	pass "quiet ticks gather nothing: CPU time $((c1 - c0)) ns on after 6 s unread"
else
	fail "quiet ticks: CPU time [$c0] then [$c1] 6 s later (at most $((HALF * 5 / 2)) ns on)"
fi
# quiet looks send xenstored nothing; the one gathering the read brought
# re-read nothing from xenstore and sent one heartbeat (a tick each, as
# before: 6)
if [[ $reqs =~ ^[0-9]+$ ]] && [ "$reqs" -le 1 ]; then
	pass "xenstore requests in 6 quiet seconds: $reqs (the read's gathering's heartbeat)"
else
	fail "xenstore requests in 6 quiet seconds: [$reqs], expected 0 or 1"
fi

# a live guest flips between running and blocked all the time (whether it
# held a pCPU when the hypervisor was asked): no gathering for that, so
# nothing reaches xenstored (every gathering that reads nothing from
# xenstore sends one heartbeat: flips gathered would show), over 12 s, more
# than the 10 s heartbeat looks sent before it became a setting
sleep 1.5	# the last read's gathering
sim reset-stats >/dev/null
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	sim set 1 state=blocked >/dev/null; sleep 0.5
	sim set 1 state=running >/dev/null; sleep 0.5
done
reqs=$(sim stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
if [ "$reqs" = 0 ]; then
	pass "running/blocked flips for 12 s, nobody reading: no xenstore request"
else
	fail "running/blocked flips for 12 s: [$reqs] xenstore requests, expected none"
fi

# that read asks for the next gathering
wait_for 3 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainCpuTime.1)\" -gt $c1 ]" &&
	pass "a read brings the next tick's gathering" || fail "no gathering after a read"

# a state change is gathered at the next tick without any read: the first
# read after it already shows it
sleep 3
sim set 1 state=paused >/dev/null
sleep 2.5
check_eq "a pause is gathered unread (the domain list changed)" paused "$(state)"
sim set 1 state=running >/dev/null

# the staleness limit counts a tick that looked and found nothing
check_eq "quiet is not stale" fresh "$(get xdmHostSnapshotState.0)"

stop_agent

# a tick every 30 s: a pause is served within about the probe interval
# (750 ms), and the gathering it brings leaves the counters' time alone
start_agent --refresh 30
sleep 1
lr0=$(get xdmHostLastRefresh.0)
t0=$EPOCHREALTIME
sim set 1 state=paused >/dev/null
wait_for 10 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.1 | grep -qx paused"
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
[ "$ms" -lt 2000 ] && pass "a pause is served ${ms} ms after it, with ticks 30 s apart" ||
	fail "a pause was served after ${ms} ms (the probe looks every 750 ms)"
check_eq "that gathering leaves xdmHostLastRefresh" "$lr0" "$(get xdmHostLastRefresh.0)"
sim set 1 state=running >/dev/null
wait_for 10 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.1 | grep -qvx paused" &&
	pass "and so is the unpause" || fail "unpause not served"
stop_agent

# a fast start: with hypercalls, the first snapshot is the hypervisor's
# domain list alone, served while xenstore's first reading is in
# progress, and said so; then the whole of it.  The simulated xenstored
# answers each request 1 ms late, so that the reading (some 26 requests a
# domain) lasts seconds for 300 domains and its progress can be seen.
stop_sim
start_sim --domains 300
sim delay 1 >/dev/null
rm -f "$T/agent.pid"
t0=$EPOCHREALTIME
env "${AGENT_ENV[@]}" "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -p "$T/agent.pid" \
	--refresh 5 >>"$T/agent.stderr" 2>&1 &
AGENT_PID=$!
first() {
	snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmHostDomainCount.0 \
		XEN-DOMAIN-MIB::xdmHostUnavailable.0 XEN-DOMAIN-MIB::xdmDomainState.300 \
		XEN-DOMAIN-MIB::xdmDomainName.300 XEN-DOMAIN-MIB::xdmDomainMemTarget.300 \
		>"$T/first" 2>&1
	grep -qx 301 "$T/first"
}
wait_for 30 first
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
log "first answer with 301 domains after ${ms} ms: $(tr '\n' '|' <"$T/first")"
check_match "the first rows come with the note" 'xenstore: first reading in progress' "$(cat "$T/first")"
check_match "a row's state is served from the start" '^(running|blocked)$' "$(sed -n 3p "$T/first")"
check_match "its name follows xenstore's reading" 'No Such Instance' "$(sed -n 4p "$T/first")"
wait_for 60 agent_serves && pass "xenstore's reading completes" || fail "the note stays"
check_eq "then the name is served" guest300 "$(get xdmDomainName.300)"
stop_agent

# without the hypervisor (read-only), the first snapshot is xenstore's
# domain list and names, two requests a domain of the whole reading's
# some 28; the rest follows as above
rm -f "$T/agent.pid"
AGENT_ENV=()
t0=$EPOCHREALTIME
"$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -p "$T/agent.pid" \
	--refresh 5 --read-only >>"$T/agent.stderr" 2>&1 &
AGENT_PID=$!
wait_for 30 first
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
log "read-only: first answer with 301 domains after ${ms} ms: $(tr '\n' '|' <"$T/first")"
check_match "read-only: the first rows come with the note" 'xenstore: first reading in progress' "$(cat "$T/first")"
check_eq "read-only: a row's name is served from the start" guest300 "$(sed -n 4p "$T/first")"
check_match "read-only: its memory target follows xenstore's whole reading" 'No Such Instance' \
	"$(sed -n 5p "$T/first")"
wait_for 60 agent_serves && pass "read-only: xenstore's reading completes" || fail "read-only: the note stays"
check_match "read-only: then the memory target is served" '^[0-9]+$' "$(get xdmDomainMemTarget.300)"
stop_agent
finish
