#!/bin/bash
# The world moves while the agent runs: domains come and go, values change.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
# a long timer, so only the xenstore watches can make the changes show
start_agent --refresh 60

name_is() { [ "$(get "xdmDomainName.$1")" = "$2" ]; }
row_gone() { get "xdmDomainName.$1" | grep -q 'No Such Instance'; }

sim add 42 name=newcomer uuid=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d mem_target_kib=65536 mem_max_kib=131072 vcpus=2 vcpus_online=2 >/dev/null
wait_for 1 name_is 42 newcomer && pass "added domain shows within 1 s" || fail "added domain shows within 1 s"
check_eq "new domain's memory target" 65536 "$(get xdmDomainMemTarget.42)"
check_eq "new domain's vCPUs" 2 "$(get xdmDomainVcpusMax.42)"
check_eq "domain count follows" 5 "$(get xdmHostDomainCount.0)"

sim remove 1 >/dev/null
wait_for 1 row_gone 1 && pass "removed domain goes within 1 s" || fail "removed domain goes within 1 s"
row_gone 1.0 || true
check_match "its vif row goes too" 'No Such Instance' "$(get xdmVifMac.1.0)"
check_match "its vbd row goes too" 'No Such Instance' "$(get xdmVbdDev.1.51712)"
check_eq "domain count follows" 4 "$(get xdmHostDomainCount.0)"

sim set 2 name=db1-renamed mem_target_kib=1048576 >/dev/null
wait_for 1 name_is 2 db1-renamed && pass "rename shows within 1 s" || fail "rename shows within 1 s"
check_eq "changed memory target" 1048576 "$(get xdmDomainMemTarget.2)"

sim vif 42 0 mac=00:16:3e:aa:bb:cc bridge=xenbr9 >/dev/null
wait_for 1 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmVifBridge.42.0 | grep -q xenbr9" &&
	pass "hot-plugged vif shows within 1 s" || fail "hot-plugged vif shows within 1 s"

# a domain ID reused after removal is a new row with the new identity
sim remove 42 >/dev/null
sim add 42 name=reborn uuid=12345678-1234-4234-8234-123456789abc vcpus=1 >/dev/null
wait_for 1 name_is 42 reborn && pass "reused domid carries the new domain" || fail "reused domid"
check_eq "reused domid has the new UUID" '12345678-1234-4234-8234-123456789abc' "$(get xdmDomainUUID.42)"

# many at once: all of them show
for i in $(seq 100 149); do sim add $i name=burst$i vcpus=1 >/dev/null; done
wait_for 2 sh -c "[ \$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostDomainCount.0) = 54 ]" &&
	pass "a burst of 50 new domains all show within 2 s" || fail "burst: count $(get xdmHostDomainCount.0)"
stop_agent
finish
