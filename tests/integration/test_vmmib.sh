#!/bin/bash
# RFC 7666 VM-MIB beside XEN-DOMAIN-MIB, in both forms, against the
# simulated host: every object against the XEN-DOMAIN-MIB value (or the
# simulated /sys) it is converted from, read in the same request; the
# vmIndex rules (Domain-0 is 1, dense, kept across a reboot under a new
# domid, across a restart of the agent through net-snmp's persistent
# file, given up after xensnmpVmIndexHold); the per-VM and bulk
# notifications received by snmptrapd, their switches, and the bulk
# forms for a hundred domains created at once; then a second SNMP stack
# (the npm package net-snmp) walks vmMIB with RFC 7666's module loaded
# and checks every value's type, range and size.
. "$(dirname "$0")/lib.sh"

MIBOPTS=(-M "$top_srcdir/mib:$top_srcdir/mib/ietf" -m XEN-DOMAIN-MIB:VM-MIB)
SNMPOPTS=(-v2c -c public -t 3 -r 1 -OUs "${MIBOPTS[@]}")
RW=(-v2c -c private -t 3 -r 0 "${MIBOPTS[@]}")
# octet strings in hex: vmAffectedVMs is a bitmap
SNMPTRAPD_OPTS=-Ox
. "$(dirname "$0")/traps.sh"

STORE=$SNMP_PERSISTENT_DIR/xensnmp-vmindex.conf
U1=8a1b2c3d-1111-4222-8333-944455566601	# rebooted under a new domid
U2=8a1b2c3d-1111-4222-8333-944455566602	# held across the restart
U3=8a1b2c3d-1111-4222-8333-944455566603	# switches
U4=8a1b2c3d-1111-4222-8333-944455566604	# takes a freed index

vget() { snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" "$@" 2>&1; }
vwalk() { snmpwalk "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" "$@" 2>&1; }
uuid_hex() { local u=${1//-/}; printf '%s' "$u" | sed 's/../& /g' | tr 'a-f' 'A-F' | xargs; }
# bitmap_indexes "HEX HEX ...": the vmIndex values of a VirtualMachineList
bitmap_indexes() {
	local h=${1// /} i bit
	for ((i = 0; i < ${#h}; i += 2)); do
		for bit in 7 6 5 4 3 2 1 0; do
			if (( (16#${h:i:2} >> bit) & 1 )); then echo $((i / 2 * 8 + 8 - bit)); fi
		done
	done
}
# map_now: "INDEX UUID-IN-HEX" for every vmTable row, by index
map_now() {
	snmpwalk -v2c -c public -t 3 -r 1 -m "" -Oqnx "$AGENT_ADDR" .1.3.6.1.2.1.236.1.4.1.3 2>/dev/null |
		awk '{ i = $1; sub(/^.*\./, "", i); $1 = ""; v = $0; gsub(/[" ]/, "", v); print i, toupper(v) }' | sort -n
}
# index_of UUID: the vmIndex whose vmUUID it is (empty if none)
index_of() {
	local want=${1//-/}
	map_now | awk -v w="${want^^}" '$2 == w { print $1 }'
}
indexes() { vwalk VM-MIB::vmOperState | sed 's/^[^.]*\.\([0-9]*\) .*/\1/' | sort -n | xargs; }

# --- every object against its source --------------------------------------
object_checks() {
	local i d out web db pvh n want

	check_eq "$FORM: vmNumber is the number of domains" "$(get xdmHostDomainCount.0)" "$(vget VM-MIB::vmNumber.0)"
	check_eq "$FORM: Domain-0 is vmIndex 1" Domain-0 "$(vget VM-MIB::vmName.1)"
	check_eq "$FORM: Domain-0 has no UUID: zero-length vmUUID" "1 " "$(map_now | head -n 1)"
	check_eq "$FORM: indexes are dense" "1 2 3 4" "$(indexes)"
	web=$(index_of 4f77abd2-3019-58e8-3bab-6fbf2118f880)
	db=$(index_of 0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f)
	pvh=$(index_of d1e2f3a4-b5c6-47d8-89ea-fb0c1d2e3f40)
	check_eq "$FORM: a vmIndex per UUID" 3 "$(printf '%s\n' $web $db $pvh | sort -u | grep -c .)"
	check_eq "$FORM: vmHvSoftware" Xen "$(vget VM-MIB::vmHvSoftware.0)"
	check_eq "$FORM: vmHvVersion is xdmHostXenVersion" "$(get xdmHostXenVersion.0)" "$(vget VM-MIB::vmHvVersion.0)"
	check_eq "$FORM: vmHvObjectID is zeroDotZero" .0.0 "$(snmpget "${SNMPOPTS[@]}" -Oqvn "$AGENT_ADDR" VM-MIB::vmHvObjectID.0)"
	out=$(snmpget "${SNMPOPTS[@]}" -Oqvt "$AGENT_ADDR" VM-MIB::vmHvUpTime.0)
	want=$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)
	if [ $((out - want)) -le 200 ] && [ $((want - out)) -le 200 ]; then
		pass "$FORM: vmHvUpTime is dom0's uptime ($out cs)"
	else
		fail "$FORM: vmHvUpTime $out, dom0 up $want cs"
	fi
	out=$(snmpget "${SNMPOPTS[@]}" -Oqvt "$AGENT_ADDR" VM-MIB::vmTableLastChange.0)
	[ "$out" -le "$want" ] && [ "$out" -gt 0 ] && pass "$FORM: vmTableLastChange on vmHvUpTime's clock ($out)" ||
		fail "$FORM: vmTableLastChange $out, vmHvUpTime $want"

	for d in 0 1 2 7; do
		case $d in 0) i=1 ;; 1) i=$web ;; 2) i=$db ;; 7) i=$pvh ;; esac
		# one request: both from the same snapshot
		out=$(snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" VM-MIB::vmCpuTime.$i XEN-DOMAIN-MIB::xdmDomainCpuTime.$d \
			VM-MIB::vmCurMem.$i XEN-DOMAIN-MIB::xdmDomainMemCurrent.$d VM-MIB::vmMaxMem.$i \
			XEN-DOMAIN-MIB::xdmDomainMemMax.$d VM-MIB::vmCurCpuNumber.$i XEN-DOMAIN-MIB::xdmDomainVcpusOnline.$d \
			VM-MIB::vmMaxCpuNumber.$i XEN-DOMAIN-MIB::xdmDomainVcpusMax.$d | xargs)
		set -- $out
		check_eq "domain $d: vmCpuTime is xdmDomainCpuTime in microseconds" $(($2 / 1000)) "$1"
		check_eq "domain $d: vmCurMem (KiB) is xdmDomainMemCurrent" "$4" "$3"
		check_eq "domain $d: vmMaxMem (KiB) is xdmDomainMemMax" "$6" "$5"
		check_eq "domain $d: vmCurCpuNumber is xdmDomainVcpusOnline" "$8" "$7"
		check_eq "domain $d: vmMaxCpuNumber is xdmDomainVcpusMax" "${10}" "$9"
		check_eq "domain $d: vmMemUnit, vmMinMem, vmMinCpuNumber, vmAutoStart" "1024 -1 -1 unknown" \
			"$(vget VM-MIB::vmMemUnit.$i VM-MIB::vmMinMem.$i VM-MIB::vmMinCpuNumber.$i VM-MIB::vmAutoStart.$i | xargs)"
		check_eq "domain $d: vmName is xdmDomainName" "$(get xdmDomainName.$d)" "$(vget VM-MIB::vmName.$i)"
		n=$(walk xdmVcpuCpuTime | grep -c "^xdmVcpuCpuTime\.$d\." || true)
		check_eq "domain $d: a vmCpuTable row per vCPU" "$n" "$(vwalk VM-MIB::vmCpuCoreTime | grep -c "^vmCpuCoreTime\.$i\." || true)"
		out=$(snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" VM-MIB::vmCpuCoreTime.$i.1 XEN-DOMAIN-MIB::xdmVcpuCpuTime.$d.0 | xargs)
		set -- $out
		check_eq "domain $d: vmCpuCoreTime.1 is vCPU 0's time in microseconds" $(($2 / 1000)) "$1"
	done
	check_eq "web1: running" "running running linux" "$(vget VM-MIB::vmOperState.$web VM-MIB::vmAdminState.$web VM-MIB::vmOSType.$web | xargs)"
	check_eq "db1: paused" "paused paused hvm" "$(vget VM-MIB::vmOperState.$db VM-MIB::vmAdminState.$db VM-MIB::vmOSType.$db | xargs)"
	check_eq "pvh-test: blocked is running" "running running" "$(vget VM-MIB::vmOperState.$pvh VM-MIB::vmAdminState.$pvh | xargs)"
	check_match "pvh-test: no OS type known: absent" 'No Such Instance' "$(vget VM-MIB::vmOSType.$pvh)"
	out=$(snmpget "${SNMPOPTS[@]}" -Oqvt "$AGENT_ADDR" VM-MIB::vmUpTime.$web)
	# TimeTicks count modulo 2^32
	want=$(( (($(date +%s) - 1700000000) * 100 - 25) % 4294967296 ))
	[ $((out - want)) -le 300 ] && [ $((want - out)) -le 300 ] && pass "web1: vmUpTime since its start_time ($out cs)" ||
		fail "web1: vmUpTime $out, expected about $want"
	check_eq "web1: vmUUID, 16 octets" "4F 77 AB D2 30 19 58 E8 3B AB 6F BF 21 18 F8 80" \
		"$(octets .1.3.6.1.2.1.236.1.4.1.3.$web | tr -d '"' | xargs)"

	# storage: db1's disk and CD; counters from the same request as xdmVbd's
	check_eq "db1: vmStorageTable rows (vmIndex, virtual device)" "$db.51712 $db.51728" \
		"$(vwalk VM-MIB::vmStorageAccess | grep "^vmStorageAccess\.$db\." | sed 's/^vmStorageAccess\.\([0-9.]*\) .*/\1/' | xargs)"
	check_eq "db1 disk: source, access, media, resource" "block readwrite hardDisk /dev/vg0/db1 vbd xen-vbd" \
		"$(vget VM-MIB::vmStorageSourceType.$db.51712 VM-MIB::vmStorageAccess.$db.51712 VM-MIB::vmStorageMediaType.$db.51712 \
			VM-MIB::vmStorageResourceID.$db.51712 VM-MIB::vmStorageSourceTypeString.$db.51712 VM-MIB::vmStorageMediaTypeString.$db.51712 | xargs)"
	check_eq "db1 CD: qdisk image, read-only, optical" "other readonly opticalDisk /srv/iso/tools.iso qdisk" \
		"$(vget VM-MIB::vmStorageSourceType.$db.51728 VM-MIB::vmStorageAccess.$db.51728 VM-MIB::vmStorageMediaType.$db.51728 \
			VM-MIB::vmStorageResourceID.$db.51728 VM-MIB::vmStorageSourceTypeString.$db.51728 | xargs)"
	check_eq "web1 disk: an image file through blkback is raw" raw "$(vget VM-MIB::vmStorageSourceType.$web.51712)"
	check_eq "storage size: unit MiB, sizes not available (-1)" "1048576 -1 -1 0" \
		"$(vget VM-MIB::vmStorageSizeUnit.$web.51712 VM-MIB::vmStorageDefinedSize.$web.51712 VM-MIB::vmStorageAllocatedSize.$web.51712 VM-MIB::vmStorageParent.$web.51712 | xargs)"
	out=$(snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" VM-MIB::vmStorageReadIOs.$web.51712 XEN-DOMAIN-MIB::xdmVbdRdReqs.1.51712 \
		VM-MIB::vmStorageWriteIOs.$web.51712 XEN-DOMAIN-MIB::xdmVbdWrReqs.1.51712 \
		VM-MIB::vmStorageReadOctets.$web.51712 XEN-DOMAIN-MIB::xdmVbdRdBytes.1.51712 \
		VM-MIB::vmStorageWriteOctets.$web.51712 XEN-DOMAIN-MIB::xdmVbdWrBytes.1.51712 | xargs)
	set -- $out
	check_eq "web1 disk: read and write requests and octets are xdmVbd's" "$2 $4 $6 $8" "$1 $3 $5 $7"
	[ "${1:-0}" -gt 0 ] && pass "web1 disk: the counters move ($1 reads)" || fail "web1 disk: no reads counted"
	check_match "storage latency: blkback does not count it: absent" 'No Such Instance' "$(vget VM-MIB::vmStorageReadLatency.$web.51712)"

	# network: (vmIndex, devid + 1), MAC, dom0's ifindex of vifD.N
	check_eq "db1: vmNetworkTable rows" "$db.1 $db.2" \
		"$(vwalk VM-MIB::vmNetworkPhysAddress | grep "^vmNetworkPhysAddress\.$db\." | sed 's/^[^.]*\.\([0-9.]*\) .*/\1/' | xargs)"
	check_eq "db1 vif 1: MAC" "0:16:3e:0:1:2" "$(vget VM-MIB::vmNetworkPhysAddress.$db.2)"
	check_eq "web1 vif 0: vmNetworkIfIndex is dom0's ifindex of vif1.0" \
		"$(cat "$T/stats/sys/class/net/vif1.0/ifindex")" "$(vget VM-MIB::vmNetworkIfIndex.$web.1)"
	check_eq "db1 vif 0 (vifname db1-eth0): its ifindex" \
		"$(cat "$T/stats/sys/class/net/db1-eth0/ifindex")" "$(vget VM-MIB::vmNetworkIfIndex.$db.1)"
	check_eq "vmNetworkParent 0; vmNetworkModel absent" "0 No Such Instance currently exists at this OID" \
		"$(vget VM-MIB::vmNetworkParent.$web.1 VM-MIB::vmNetworkModel.$web.1 | xargs)"
	check_match "vmCpuAffinityTable: no rows (no affinity in the snapshot)" 'No Such|No more' \
		"$(snmpgetnext "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" VM-MIB::vmCpuAffinity 2>&1 | grep -v '^vmStorage' || echo 'No more')"
	check_match "vmAdminState is read-only" 'notWritable|noAccess|noCreation' \
		"$(snmpset "${RW[@]}" "$AGENT_ADDR" VM-MIB::vmAdminState.$web i paused 2>&1 || true)"
}

# --- indexes and notifications ------------------------------------------------
lifecycle_checks() {
	local t0 idx idx2 line before after

	mark; t0=$(now)
	sim add 50 name=vm-reboot uuid=$U1 ostype=linux vcpus=1 >/dev/null
	# a new VM waits up to 0.5 s for its name, as xdmDomainCreated
	expect_trap 1.5 "$t0" "vmRunning (a new VM)" vmRunning
	idx=$(index_of $U1)
	check_eq "$FORM: the new VM takes the next index" 5 "$idx"
	# (-Ox leaves strings with a DISPLAY-HINT as the hint says)
	check_eq "$FORM: vmRunning: name" vm-reboot "$(field "$LINE" vmName)"
	check_eq "$FORM: vmRunning: UUID" $U1 "$(field "$LINE" vmUUID)"
	check_eq "$FORM: vmRunning: the state it left (a new VM was shut down)" shutdown "$(field "$LINE" vmOperState)"
	check_eq "$FORM: vmRunning: its instance is the vmIndex" "$idx $idx $idx" "$(instances "$LINE" | xargs)"
	line=$(traps_since vmBulkRunning | head -n 1)
	check_match "$FORM: vmBulkRunning names it" "(^| )$idx( |$)" "$(bitmap_indexes "$(field "$line" vmAffectedVMs)" | xargs)"

	mark; t0=$(now)
	sim set 50 state=paused >/dev/null
	expect_trap 2 "$t0" "vmPaused" vmPaused vmOperState=running
	mark; t0=$(now)
	sim set 50 state=running >/dev/null
	expect_trap 2 "$t0" "vmRunning (unpaused)" vmRunning vmOperState=paused

	# reboot as xl does it: shut down, destroyed, built again under a new domid
	mark; t0=$(now)
	sim set 50 state=rebooting >/dev/null
	expect_trap 1 "$t0" "vmShuttingdown (reboot)" vmShuttingdown vmOperState=running
	check_eq "$FORM: shutting down: admin state shutdown" "shuttingdown shutdown" \
		"$(vget VM-MIB::vmOperState.$idx VM-MIB::vmAdminState.$idx | xargs)"
	mark; t0=$(now)
	sim remove 50 >/dev/null
	sim add 51 name=vm-reboot uuid=$U1 ostype=linux vcpus=1 >/dev/null
	expect_trap 1.5 "$t0" "vmRunning (rebooted under domid 51)" vmRunning
	wait_for 3 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.51 | grep -q vm-reboot" || true
	check_eq "$FORM: reboot under a new domid keeps the vmIndex" "$idx" "$(index_of $U1)"
	check_eq "$FORM: the rebooted VM's name at the same index" vm-reboot "$(vget VM-MIB::vmName.$idx)"
	check_eq "$FORM: still dense" "1 2 3 4 5" "$(indexes)"

	mark; t0=$(now)
	sim set 51 state=crashed >/dev/null
	expect_trap 1 "$t0" "vmCrashed" vmCrashed vmOperState=running
	line=$(traps_since vmBulkCrashed | head -n 1)
	check_eq "$FORM: vmBulkCrashed: vmAffectedVMs is exactly it" "$idx" "$(bitmap_indexes "$(field "$line" vmAffectedVMs)" | xargs)"
	before=$(vget VM-MIB::vmTableLastChange.0)
	mark; t0=$(now)
	sim remove 51 >/dev/null
	expect_trap 1 "$t0" "vmDeleted" vmDeleted vmOperState=crashed
	check_eq "$FORM: vmDeleted: vmPersistent" unknown "$(field "$LINE" vmPersistent)"
	wait_for 3 has_trap vmBulkDeleted || true
	line=$(traps_since vmBulkDeleted | head -n 1)
	check_eq "$FORM: vmBulkDeleted names it" "$idx" "$(bitmap_indexes "$(field "$line" vmAffectedVMs)" | xargs)"
	after=$(vget VM-MIB::vmTableLastChange.0)
	[ "${after:-0}" != "$before" ] && pass "$FORM: vmTableLastChange moved on the deletion" || fail "$FORM: vmTableLastChange did not move"
	check_eq "$FORM: a departed VM keeps its index in the store" 1 "$(grep -c "^vmIndex $idx $U1 [1-9]" "$STORE")"
	# back within the hold: the same index
	sim add 52 name=vm-reboot uuid=$U1 vcpus=1 >/dev/null
	wait_for 3 sh -c "[ -n \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmName.$idx | grep vm-reboot)\" ]" || true
	check_eq "$FORM: back after deletion within the hold: the same index" "$idx" "$(index_of $U1)"
	sim remove 52 >/dev/null

	# switches: per-VM off, bulk on; then both off; a bad value refused
	check_match "$FORM: a switch refuses 3" wrongValue \
		"$(snmpset "${RW[@]}" "$AGENT_ADDR" VM-MIB::vmPerVMNotificationsEnabled.0 i 3 2>&1 || true)"
	snmpset "${RW[@]}" "$AGENT_ADDR" VM-MIB::vmPerVMNotificationsEnabled.0 i 2 >/dev/null 2>&1 || fail "$FORM: SET vmPerVMNotificationsEnabled"
	check_eq "$FORM: vmPerVMNotificationsEnabled reads false" false "$(vget VM-MIB::vmPerVMNotificationsEnabled.0)"
	mark; t0=$(now)
	sim add 53 name=vm-switch uuid=$U3 vcpus=1 >/dev/null
	expect_trap 1.5 "$t0" "vmBulkRunning with per-VM off" vmBulkRunning
	expect_none 1 "per-VM switched off" vmRunning
	snmpset "${RW[@]}" "$AGENT_ADDR" VM-MIB::vmBulkNotificationsEnabled.0 i 2 >/dev/null 2>&1 || fail "$FORM: SET vmBulkNotificationsEnabled"
	mark
	sim set 53 state=paused >/dev/null
	expect_none 2.5 "both switched off" 'vm(Paused|BulkPaused)'
	for o in PerVM Bulk; do
		snmpset "${RW[@]}" "$AGENT_ADDR" VM-MIB::vm${o}NotificationsEnabled.0 i 1 >/dev/null 2>&1 || fail "$FORM: SET vm${o}NotificationsEnabled true"
	done
	sim remove 53 >/dev/null
	grep -q 'vmPerVMNotificationsEnabled set to false' "$LOGFILE" &&
		pass "$FORM: a switch's change is logged" || fail "$FORM: switch change not logged"
}

# --- a hundred domains at once ------------------------------------------------------
storm_checks() {
	local n0 t0 got want new
	n0=$(vget VM-MIB::vmNumber.0)
	mark; t0=$(now)
	sim generate 100 >/dev/null
	wait_for 15 sh -c "[ \$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmNumber.0) -ge $((n0 + 100)) ]" ||
		fail "$FORM: the hundred VMs do not all show"
	new=$(vwalk VM-MIB::vmName | awk '$2 ~ /^gen-/ || $2 ~ /^guest/ { i = $1; sub(/^[^.]*\./, "", i); print i }' | sort -n | xargs)
	want=$(comm -13 <(printf '%s\n' 1 2 3 4 | sort) <(indexes | tr ' ' '\n' | sort) | sort -n | xargs)
	check_eq "$FORM: a hundred new VMs" 100 "$(printf '%s\n' $want | grep -c .)"
	# every new VM in some vmBulkRunning within a few seconds (a summary
	# waits for a token, it never loses a VM)
	sleep 3
	got=$(traps_since vmBulkRunning | while IFS= read -r l; do bitmap_indexes "$(field "$l" vmAffectedVMs)"; done | sort -n -u | xargs)
	check_eq "$FORM: the vmBulkRunning notifications name all hundred" "$want" "$(comm -12 <(printf '%s\n' $got | sort) <(printf '%s\n' $want | sort) | sort -n | xargs)"
	log "$FORM: storm of 100: $(count_since vmBulkRunning) vmBulkRunning, $(count_since vmRunning) vmRunning, $(count_since xdmDomainCreated) xdmDomainCreated, xdmNotifyDropped $(get xdmNotifyDropped.0)"
	check_eq "$FORM: dense after the storm: the indexes held and present are 1..max" "" \
		"$(comm -13 <( (indexes | tr ' ' '\n'; sed -n 's/^vmIndex \([0-9]*\) .*/\1/p' "$STORE") | sort -u) <(seq 1 "$(indexes | tr ' ' '\n' | tail -n 1)" | sort) | xargs)"
}

npm_check() {	# the second SNMP stack (lib.sh's mib_check)
	local out
	mib_check VM-MIB "$top_srcdir/mib/ietf/VM-MIB.txt" \
		"$top_srcdir"/mib/ietf/{SNMP-FRAMEWORK-MIB,UUID-TC-MIB,IANA-STORAGE-MEDIA-TYPE-MIB,IANAifType-MIB,IF-MIB}.txt \
		--require vmHvSoftware,vmHvVersion,vmHvObjectID,vmHvUpTime,vmNumber,vmTableLastChange,vmPerVMNotificationsEnabled,vmBulkNotificationsEnabled ||
		return 0
	out=$(cat "$MIB_CHECK_OUT")
	check_eq "$FORM: npm net-snmp: no type, range or size mismatch" 0 "$(printf '%s\n' "$out" | grep -c '^FAIL' || true)"
	check_match "$FORM: npm net-snmp walked vmMIB" '^ok - walked VM-MIB' "$(printf '%s\n' "$out" | grep '^ok - walked' || echo none)"
	check_eq "$FORM: npm net-snmp sees vmNumber rows in vmTable" "rows vmTable $(vget VM-MIB::vmNumber.0)" \
		"$(printf '%s\n' "$out" | grep '^rows vmTable ')"
	check_eq "$FORM: npm net-snmp sees as many instances as snmpwalk" \
		"instances $(snmpwalk "${SNMPOPTS[@]}" -Oq "$AGENT_ADDR" VM-MIB::vmMIB | grep -vc 'No more variables')" \
		"$(printf '%s\n' "$out" | grep '^instances ')"
}

start_trapd
LATENCIES=

# --- subagent ---
FORM=subagent
LOGFILE=$T/agent.log
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn" --stats-root "$T/stats"
write_snmpd_conf <<CONF
trap2sink udp:127.0.0.1:$TRAP_PORT public
CONF
start_snmpd
printf 'xensnmpProcRoot %s\nxensnmpSysRoot %s\nxensnmpNotifyRate 50\n' "$T/stats/proc" "$T/stats/sys" >"$T/agent.conf"
with_hypervisor
start_agent -c "$T/agent.conf"
wait_for 5 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmNumber.0)\" = 4 ]" || fail "subagent: vmNumber never 4"
object_checks
lifecycle_checks
npm_check
storm_checks

# an agent restart keeps the map; a VM gone during it keeps its index
sim add 300 name=vm-held uuid=$U2 vcpus=1 >/dev/null
wait_for 5 sh -c "[ -n \"\$(snmpwalk -v2c -c public -m '' -Oqx $AGENT_ADDR .1.3.6.1.2.1.236.1.4.1.3 | grep -i '$(uuid_hex $U2)')\" ]" || true
held=$(index_of $U2)
before=$(map_now)
stop_agent
sim remove 300 >/dev/null
start_agent -c "$T/agent.conf"
wait_for 10 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmNumber.0)\" -ge 100 ]" || true
after=$(map_now)
U2HEX=${U2//-/}
check_eq "subagent: restart: every present VM keeps its vmIndex" \
	"$(printf '%s\n' "$before" | grep -v "${U2HEX^^}")" "$after"
sim add 301 name=vm-held uuid=$U2 vcpus=1 >/dev/null
wait_for 5 sh -c "[ -n \"\$(snmpwalk -v2c -c public -m '' -Oqx $AGENT_ADDR .1.3.6.1.2.1.236.1.4.1.3 | grep -i '$(uuid_hex $U2)')\" ]" || true
check_eq "subagent: restart: a VM that left during it comes back to its index" "$held" "$(index_of $U2)"
stop_agent

# the hold: a freed index is taken by the next new VM once the hold is over
printf 'xensnmpVmIndexHold 1\n' >>"$T/agent.conf"
start_agent -c "$T/agent.conf"
sim remove 301 >/dev/null
sleep 2.5
# the lowest index whose VM is gone, and its UUID
lowest=$(sed -n 's/^vmIndex \([0-9]*\) [^ ]* [1-9][0-9]*$/\1/p' "$STORE" | sort -n | head -n 1)
lowest_uuid=$(sed -n "s/^vmIndex $lowest \([^ ]*\) .*/\1/p" "$STORE")
sim add 302 name=vm-new uuid=$U4 vcpus=1 >/dev/null
wait_for 5 sh -c "[ -n \"\$(snmpwalk -v2c -c public -m '' -Oqx $AGENT_ADDR .1.3.6.1.2.1.236.1.4.1.3 | grep -i '$(uuid_hex $U4)')\" ]" || true
check_eq "subagent: hold over: a new VM takes the lowest index given up" "$lowest" "$(index_of $U4)"
check_eq "subagent: hold over: the UUID that held it is forgotten" 0 "$(grep -c "$lowest_uuid" "$STORE" || true)"
stop_agent

# a damaged store: bad lines refused with a reason, the rest kept
cp "$STORE" "$T/store.good"
{ echo "vmIndex 1 $U1 0"; echo "vmIndex banana"; echo "vmIndex 900 not-a-uuid 0"; } >>"$STORE"
start_agent -c "$T/agent.conf"
check_match "subagent: a stored index 1 is refused" 'stored vmIndex 1 ignored: index out of range' "$(cat "$T/agent.log" "$T/agent.stderr")"
check_match "subagent: a malformed stored line is refused" 'stored vmIndex line must be INDEX UUID DEPARTED' "$(cat "$T/agent.log" "$T/agent.stderr")"
check_eq "subagent: the good lines kept" "$(index_of $U4)" "$(sed -n "s/^vmIndex \([0-9]*\) $U4 .*/\1/p" "$T/store.good")"
stop_agent
stop_snmpd
stop_sim

# --- plugin: a fresh store ---
FORM=plugin
LOGFILE=$T/snmpd.log
rm -f "$STORE" "$SNMP_PERSISTENT_DIR"/xensnmp-vmindex.*.conf
rm -rf "$T/stats"
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn" --stats-root "$T/stats"
write_snmpd_conf <<CONF
trap2sink udp:127.0.0.1:$TRAP_PORT public
dlmod xensnmp $PLUGIN
xensnmpRefresh 1
xensnmpNotifyRate 50
xensnmpProcRoot $T/stats/proc
xensnmpSysRoot $T/stats/sys
CONF
with_hypervisor_in_snmpd
start_snmpd "${SNMPD_ENV[@]}"
wait_for 10 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmNumber.0)\" = 4 ]" || fail "plugin: vmNumber never 4"
object_checks
lifecycle_checks
npm_check
before=$(map_now)
stop_plugin_snmpd plugin
start_snmpd "${SNMPD_ENV[@]}"
wait_for 10 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR VM-MIB::vmNumber.0)\" = 4 ]" || true
check_eq "plugin: snmpd restart: the map kept" "$before" "$(map_now)"
mark
sim add 70 name=vm-reboot uuid=$U1 vcpus=1 >/dev/null
wait_for 5 sh -c "[ -n \"\$(snmpwalk -v2c -c public -m '' -Oqx $AGENT_ADDR .1.3.6.1.2.1.236.1.4.1.3 | grep -i '$(uuid_hex $U1)')\" ]" || true
check_eq "plugin: snmpd restart: a held VM's index kept" 5 "$(index_of $U1)"
stop_plugin_snmpd plugin

finish
