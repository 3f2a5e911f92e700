#!/bin/bash
# A quiet host that nobody reads is not gathered on every refresh tick:
# a tick looks at the hypervisor's domain list and sends xenstored one
# heartbeat, and gathers only when that look shows a change, a request
# read the data since the last gathering, or a minute passed.  Seen
# through a running domain's CPU time, which the simulated host moves by
# half a second a second (web1: one online vCPU).
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
# one heartbeat a tick, and the one gathering re-read nothing from xenstore
if [[ $reqs =~ ^[0-9]+$ ]] && [ "$reqs" -ge 3 ] && [ "$reqs" -le 9 ]; then
	pass "xenstore requests in 6 quiet seconds: $reqs (a heartbeat a tick)"
else
	fail "xenstore requests in 6 quiet seconds: [$reqs], expected 3 to 9"
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
finish
