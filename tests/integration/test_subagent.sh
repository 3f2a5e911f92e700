#!/bin/bash
# xensnmpd as an AgentX subagent of a real snmpd, on the simulated host:
# every scalar and column against tests/scenarios/basic.scn.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
start_agent

# --- host scalars ---
check_eq "xdmHostName is dom0's host name" "$(hostname)" "$(get xdmHostName.0)"
check_eq "xdmHostDomainCount" 4 "$(get xdmHostDomainCount.0)"
check_eq "xdmHostAccessMode as root" readWrite "$(get xdmHostAccessMode.0)"
check_eq "xdmHostDrivers: xenstore only" 'xenstore(0)' "$(bits xdmHostDrivers.0)"
check_eq "xdmHostSnapshotState" fresh "$(get xdmHostSnapshotState.0)"
check_eq "xdmHostRefreshInterval" 1 "$(get xdmHostRefreshInterval.0)"
check_match "xdmHostLastRefresh is a DateAndTime of today" "^$(date -u +%Y-%-m-%-d)," "$(get xdmHostLastRefresh.0)"
# xenstore knows no Xen version, CPUs or memory: absent, not invented
for obj in xdmHostXenVersion xdmHostCpus xdmHostCpuMHz xdmHostTotalMemory xdmHostFreeMemory; do
	check_match "$obj absent with xenstore only" 'No Such Instance' "$(get $obj.0)"
done

# --- xdmDomainTable ---
check_eq "domain rows are the domids" "0 1 2 7" "$(walk xdmDomainId -Oqv | tr '\n' ' ' | sed 's/ $//')"
check_eq "dom0 name" 'Domain-0' "$(get xdmDomainName.0)"
check_eq "web1 name" 'web1' "$(get xdmDomainName.1)"
check_eq "db1 name" 'db1' "$(get xdmDomainName.2)"
check_eq "web1 UUID (DISPLAY-HINT)" '4f77abd2-3019-58e8-3bab-6fbf2118f880' "$(get xdmDomainUUID.1)"
# net-snmp renders the hint's hex fields without leading zeros: compare octets
check_eq "db1 UUID octets" '"0B 5F 6A 52 83 C5 4B 1E 9D 6C 1A 2B 3C 4D 5E 6F"' \
	"$(octets .1.3.6.1.4.1.99999.1.1.2.1.4.2)"
check_match "dom0 has no UUID under libxl" 'No Such Instance' "$(get xdmDomainUUID.0)"
check_match "state absent without the hypervisor (the MIB's one rule)" 'No Such Instance' "$(get xdmDomainState.1)"
check_match "shutdown reason absent without the hypervisor" 'No Such Instance' "$(get xdmDomainShutdownReason.1)"
check_eq "web1 OS type" 'linux' "$(get xdmDomainOsType.1)"
check_eq "db1 OS type" 'hvm' "$(get xdmDomainOsType.2)"
check_match "pvh-test has no OS type" 'No Such Instance' "$(get xdmDomainOsType.7)"
check_eq "web1 memory target KiB" 524288 "$(get xdmDomainMemTarget.1)"
check_eq "web1 memory max KiB" 1048576 "$(get xdmDomainMemMax.1)"
check_eq "db1 memory target KiB" 2097152 "$(get xdmDomainMemTarget.2)"
check_eq "db1 memory max KiB" 4194304 "$(get xdmDomainMemMax.2)"
check_eq "dom0 memory target KiB" 1048576 "$(get xdmDomainMemTarget.0)"
check_match "dom0 vCPUs absent: libxl writes no cpu/ for dom0" 'No Such Instance' "$(get xdmDomainVcpusMax.0)"
check_match "current memory absent without the hypervisor" 'No Such Instance' "$(get xdmDomainMemCurrent.1)"
check_eq "web1 vCPUs online" 1 "$(get xdmDomainVcpusOnline.1)"
check_eq "web1 vCPUs max" 2 "$(get xdmDomainVcpusMax.1)"
check_eq "db1 vCPUs online" 4 "$(get xdmDomainVcpusOnline.2)"
check_eq "pvh-test vCPUs max" 1 "$(get xdmDomainVcpusMax.7)"
check_match "CPU time absent without the hypervisor" 'No Such Instance' "$(get xdmDomainCpuTime.1)"
check_eq "web1 start time" '2023-11-14,22:13:20.2,+0:0' "$(get xdmDomainStartTime.1)"
check_eq "db1 start time" '2023-11-14,23:13:20.5,+0:0' "$(get xdmDomainStartTime.2)"
up=$(get xdmDomainUptime.1)
want=$(( $(date +%s) - 1700000000 ))
if [ "$up" -ge $((want - 5)) ] && [ "$up" -le $((want + 5)) ]; then pass "web1 uptime from its start time"; else fail "web1 uptime $up, expected about $want"; fi
check_eq "data sources: xenstore" 'xenstore(0)' "$(bits xdmDomainDataSources.1)"
check_eq "control column reads noAction" noAction "$(get xdmDomainAction.1)"
check_eq "last action result reads none" none "$(get xdmDomainLastActionResult.1)"
out=$(snmpset -v2c -c private "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainAction.1 i 2 2>&1 || true)
check_match "deprecated control column answers notWritable (control is xdmControlTable)" 'notWritable' "$out"

# --- device tables ---
check_eq "vCPU rows" "1.0 1.1 2.0 2.1 2.2 2.3 7.0" \
	"$(walk xdmVcpuAvailability -Oq | awk '{print $1}' | sed 's/.*xdmVcpuAvailability\.//' | tr '\n' ' ' | sed 's/ $//')"
check_eq "web1 vCPU 0 online" online "$(get xdmVcpuAvailability.1.0)"
check_eq "web1 vCPU 1 offline" offline "$(get xdmVcpuAvailability.1.1)"
check_eq "web1 vif MAC" '0:16:3e:0:0:1' "$(get xdmVifMac.1.0)"
check_eq "web1 vif bridge" 'xenbr0' "$(get xdmVifBridge.1.0)"
check_eq "web1 vif ifname (libxl default)" 'vif1.0' "$(get xdmVifIfName.1.0)"
check_eq "db1 vif 0 ifname (vifname)" 'db1-eth0' "$(get xdmVifIfName.2.0)"
check_eq "db1 vif 1 bridge" 'xenbr1' "$(get xdmVifBridge.2.1)"
check_eq "vif backend domain" 0 "$(get xdmVifBackendDomain.2.1)"
check_eq "vif state connected" connected "$(get xdmVifState.2.1)"
check_eq "vif script" 'vif-bridge' "$(get xdmVifScript.1.0)"
check_match "vif counters absent from xenstore" 'No Such Instance' "$(get xdmVifRxBytes.1.0)"
check_eq "web1 xvda dev" 'xvda' "$(get xdmVbdDev.1.51712)"
check_eq "web1 xvda params" '/var/lib/xen/images/web1.img' "$(get xdmVbdParams.1.51712)"
check_eq "web1 xvda mode" readWrite "$(get xdmVbdMode.1.51712)"
check_eq "web1 xvda device type" disk "$(get xdmVbdDeviceType.1.51712)"
check_eq "db1 xvdb is a read-only cdrom" "readOnly cdrom" "$(get xdmVbdMode.2.51728) $(get xdmVbdDeviceType.2.51728)"
check_eq "db1 xvdb backend type" 'qdisk' "$(get xdmVbdBackendType.2.51728)"
check_eq "web1 xvda backend type" 'vbd' "$(get xdmVbdBackendType.1.51712)"

# --- snmptable by MIB name, as users do ---
table=$(snmptable "${SNMPOPTS[@]}" -Cf , "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainTable 2>&1)
# (net-snmp drops the hint's leading zero: 0b5f6a52 shows as b5f6a52)
check_match "snmptable shows db1's row, state absent" 'db1,0?b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f,\?,' "$table"
# 19 columns; absent values are skipped: dom0 10, web1 16, db1 16, pvh-test 15
check_eq "snmpbulkwalk of the table gives every known value" 57 \
	"$(snmpbulkwalk "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainTable | grep -c .)"

# --- read-only mode ---
stop_agent
start_agent --read-only
check_eq "--read-only: access mode" readOnly "$(get xdmHostAccessMode.0)"
check_match "--read-only: says what it cannot do" 'read-only' "$(get xdmHostUnavailable.0)"
out=$(snmpset -v2c -c private "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmDomainAction.1 i 2 2>&1 || true)
check_match "--read-only: control answers notWritable" 'notWritable' "$out"
check_eq "--read-only: data still served" 'web1' "$(get xdmDomainName.1)"
stop_agent

# --- command line ---
"$AGENT" -V | grep -q '^xensnmpd ' && pass "-V prints the version" || fail "-V"
"$AGENT" --help | grep -q -- '--read-only' && pass "--help lists options" || fail "--help"
"$AGENT" --refresh 0 2>/dev/null && fail "--refresh 0 accepted" || pass "--refresh 0 refused"
finish
