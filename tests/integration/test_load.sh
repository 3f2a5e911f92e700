#!/bin/bash
# A guest's writes do not set the agent's cost: writes to nodes the agent
# does not read cost no xenstore request; writes to a node it reads cost
# at most one re-read of that domain per second; and another domain's
# arrival and departure still show within 1 s during the storm.
# Requests are counted by the simulated xenstored (the agent is its only
# client).
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
# a long timer, so that what is counted is what the watches cause
start_agent --refresh 60

requests() { sim stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p'; }
storm_done() { sim storm-status | grep -q 'left=0'; }
name_is() { [ "$(get "xdmDomainName.$1")" = "$2" ]; }
row_gone() { get "xdmDomainName.$1" | grep -q 'No Such Instance'; }

# the cost of one re-read of domain 2 (2 vCPUs... 4, 2 vifs, 2 vbds)
sleep 1.2
sim reset-stats >/dev/null
sim write /local/domain/2/memory/target 2097152 >/dev/null
sleep 1.5
reread=$(requests)
log "one re-read of domain 2: $reread requests"
[ "$reread" -gt 0 ] && pass "a change to a node read costs a re-read" || fail "no re-read seen"

# 1,000 writes a second for 4 s to the guest's own data/
sim reset-stats >/dev/null
sim storm /local/domain/2/data/counter 1 4000 1000 >/dev/null
sleep 0.5
sim add 9 name=arrival vcpus=1 >/dev/null
wait_for 1 name_is 9 arrival && pass "arrival during a data/ storm shows within 1 s" ||
	fail "arrival during a data/ storm shows within 1 s"
wait_for 10 storm_done || fail "storm did not finish"
sleep 0.5
used=$(requests)
log "4000 writes to data/: $used requests (the arrival included)"
# the arrival costs a relist and one domain read; the storm nothing
check_match "writes to data/ cost no re-read" '^[0-9]+$' "$used"
[ "$used" -lt "$reread" ] && pass "data/ storm: $used requests < one re-read ($reread)" ||
	fail "data/ storm cost $used requests (one re-read: $reread)"

# 1,000 writes a second for 4 s to a node the agent reads
sim reset-stats >/dev/null
sim storm /local/domain/2/cpu/0/availability online 4000 1000 >/dev/null
sleep 0.5
sim remove 9 >/dev/null
wait_for 1 row_gone 9 && pass "departure during a read-node storm shows within 1 s" ||
	fail "departure during a read-node storm shows within 1 s"
wait_for 10 storm_done || fail "storm did not finish"
sleep 1.5
used=$(requests)
secs=4
# at most one re-read per second of storm, plus one for its start and
# one trailing, plus the departure's relist
limit=$(( (secs + 2) * reread + 10 ))
log "4000 writes to cpu/0/availability: $used requests (limit $limit)"
[ "$used" -le "$limit" ] && pass "read-node storm: at most one re-read a second ($used <= $limit)" ||
	fail "read-node storm cost $used requests, more than $limit"
[ "$used" -ge "$reread" ] && pass "the storm's changes are still read" ||
	fail "the storm's changes were not read ($used)"

# the last write of a storm is not lost to the coalescing
sim storm /local/domain/2/cpu/3/availability offline 1000 1000 >/dev/null
wait_for 10 storm_done
wait_for 1.5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmVcpuAvailability.2.3 | grep -q offline" &&
	pass "a storm's final value shows within the interval" || fail "final value lost: $(get xdmVcpuAvailability.2.3)"
stop_agent
finish
