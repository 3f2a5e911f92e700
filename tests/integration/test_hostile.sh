#!/bin/bash
# Hostile xenstore values (a guest or a broken toolstack wrote them): the
# agent serves what it can, leaves the rest absent, and never crashes.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
start_agent

# as long as xenstore's 4096-octet payload allows after the path
long=$(head -c 4000 /dev/zero | tr '\0' 'n')
xenstore-write /local/domain/1/name "$long"
xenstore-write /local/domain/2/name $'db\xff\xfe1'
xenstore-write /local/domain/7/memory/target lots
xenstore-write /local/domain/7/memory/static-max 99999999999999999999999
xenstore-write /local/domain/0/memory/target 8589934592
xenstore-write /local/domain/1/device/vif/abc/backend /etc
xenstore-write /local/domain/2/device/vif/1/backend "/local/domain/0/backend/vif/../../../../etc"
xenstore-write /vm/0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f/uuid not-a-uuid
xenstore-write /local/domain/1/cpu/1/availability maybe
sleep 1.5

check_eq "4000-octet name cut to 255 octets" "$(head -c 255 <<<"$long")" "$(get xdmDomainName.1)"
check_eq "non-UTF-8 bytes become U+FFFD" "$(printf 'db\xef\xbf\xbd\xef\xbf\xbd1')" "$(get xdmDomainName.2)"
check_match "non-numeric memory target is absent" 'No Such Instance' "$(get xdmDomainMemTarget.7)"
check_match "overflowing memory max is absent" 'No Such Instance' "$(get xdmDomainMemMax.7)"
check_eq "memory beyond Gauge32 saturates" 4294967295 "$(get xdmDomainMemTarget.0)"
check_eq "other columns of that row still served" 1 "$(get xdmDomainVcpusMax.7)"
check_eq "non-numeric device id ignored" "1.0" "$(walk xdmVifMac -Oq | awk '{print $1}' | sed -n 's/.*xdmVifMac\.\(1\.[^ ]*\)/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check_eq "a frontend's backend path with .. is not followed" xenbr1 "$(get xdmVifBridge.2.1)"
check_eq "the MAC comes from the real backend" '0:16:3e:0:1:2' "$(get xdmVifMac.2.1)"
check_match "malformed UUID is absent" 'No Such Instance' "$(get xdmDomainUUID.2)"
check_match "an availability this module does not know is absent" 'No Such Instance' "$(get xdmVcpuAvailability.1.1)"
check_match "online count unknown when one vCPU is" 'No Such Instance' "$(get xdmDomainVcpusOnline.1)"
check_eq "whole table still walks" 4 "$(walk xdmDomainId | grep -c .)"

# the MIB's word, with these values served: a second SNMP stack walks the
# module and checks every value against its SYNTAX and the promises of
# its DESCRIPTIONs (mib_check.js: not-served labels, never-empty UUIDs,
# UTF-8 without NUL, saturation, named bits, index encoding)
if mib_check XEN-DOMAIN-MIB "$top_srcdir/mib/XEN-DOMAIN-MIB.txt" "$top_srcdir/mib/ietf/SNMP-FRAMEWORK-MIB.txt" \
	--require xdmHostName,xdmHostDrivers,xdmDomainName,xdmDomainUUID,xdmVcpuAvailability,xdmVifMac,xdmVbdParams; then
	check_eq "hostile values: npm net-snmp finds no break of SYNTAX or DESCRIPTION" 0 "$(grep -c '^FAIL' "$MIB_CHECK_OUT")"
	check_match "hostile values: the DESCRIPTION promises were found and checked" '^promises [1-9]' "$(grep '^promises ' "$MIB_CHECK_OUT")"
	check_eq "hostile values: npm net-snmp sees as many instances as snmpwalk" \
		"instances $(snmpwalk "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmMIB | grep -vc 'No more variables')" \
		"$(grep '^instances ' "$MIB_CHECK_OUT")"
fi

# garbage on the xenstore socket does not disturb the agent's connection
head -c 65536 /dev/urandom | timeout 2 socat - "UNIX-CONNECT:$XENSTORED_PATH" >/dev/null 2>&1 || true
sim add 3 name=still-watching vcpus=1 >/dev/null
wait_for 2 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.3 | grep -q still-watching" &&
	pass "agent still follows changes" || fail "agent still follows changes"
stop_agent
finish
