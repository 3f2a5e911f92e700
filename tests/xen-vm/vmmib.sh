# RFC 7666 VM-MIB on real Xen.  Sourced by scenario.sh (its helpers,
# snmpd and the root agent are up): vmmib_checks compares vmTable, and
# each VM's rows in vmCpuTable, vmStorageTable and vmNetworkTable, with
# xl list -l, xl list, xl vcpu-list, xl block-list, xl network-list and
# dom0's /sys; given a running guest's name it reboots it with xl and
# checks that its vmIndex survives the new domid.

# (queries through scenario.sh's q: snmpq S loads VM-MIB too)
vmget() { q S get qv "VM-MIB::$1"; }
# vm_xl_lists NAME...: xl block-list and xl network-list of each guest,
# started side by side (each xl call takes a large share of a second
# here) into $W/vm-block-NAME and $W/vm-net-NAME; vm_check_one waits
vm_xl_lists() {
	local name
	for name in "$@"; do
		[ "$name" = Domain-0 ] && continue
		xl block-list "$name" >"$W/vm-block-$name" 2>/dev/null &
		VM_XL_PIDS+=("$!")
		xl network-list "$name" >"$W/vm-net-$name" 2>/dev/null &
		VM_XL_PIDS+=("$!")
	done
}
VM_XL_PIDS=()
vmrows() {	# vmrows COLUMN PREFIX: the instances of COLUMN under PREFIX (e.g. "5.")
	local o n=0
	while read -r o _; do [[ $o == "$1.$2"* ]] && n=$((n + 1)); done <<<"$(q S walk qs "VM-MIB::$1")"
	echo "$n"
}
# vm_map: "INDEX UUID" (upper-case hex, no dashes) for every vmTable row
vm_map() {
	local o v
	while read -r o v; do
		[ -n "$o" ] || continue
		v=${v//[\" ]/}
		printf '%s %s\n' "${o##*.}" "${v^^}"
	done <<<"$(q N walk qnx .1.3.6.1.2.1.236.1.4.1.3)"
}
# vm_index UUID [MAP]: its vmIndex in MAP (vm_map's output, asked anew
# when not given), empty when not served
vm_index() {
	local u=${1//-/} i v
	while read -r i v; do
		[ "$v" = "${u^^}" ] && { echo "$i"; return; }
	done <<<"${2-$(vm_map)}"
}
# xl's state letters (r b p s c d) as VirtualMachineOperState
vm_oper_of_xl() {
	case $1 in
	*c*) echo crashed ;;
	*s* | *d*) echo shuttingdown ;;
	*p*) echo paused ;;
	*r* | *b* | ------) echo running ;;
	*) echo unknown ;;
	esac
}

# vm_check_one NAME: one VM against xl.  Each xl call takes seconds under
# emulation: vmmib_checks reads xl list and xl vcpu-list of every domain
# once (VM_LIST, VM_VCPUS), and xl list once more after the checks
# (VM_LIST_AFTER, for the upper bound of a CPU time)
vm_check_one() {
	local name=$1 domid json uuid idx st mem vcpus secs ours n dev mac vif list vals=()
	read -r _ domid mem vcpus st secs <<<"$(xl_rows "$VM_LIST" "$name")"
	[ -n "$domid" ] || { fail "VM-MIB: $name: not in xl list"; return; }
	if [ "$domid" = 0 ]; then
		idx=1
	else
		# a guest's config as check_guest read it, when it is the same domain
		json=${XL_JSON[$name]:-}
		[ "$(jfield "$json" domid)" = "$domid" ] || json=$(xl list -l "$name" 2>/dev/null)
		uuid=$(jfield "$json" uuid)
		idx=$(vm_index "$uuid" "$VM_MAP")
		[ -n "$idx" ] || { fail "VM-MIB: $name ($uuid) not in vmTable"; return; }
	fi
	# the row's columns in one request
	mapfile -t vals <<<"$(getmany qv "VM-MIB::vmName.$idx" "VM-MIB::vmOperState.$idx" \
		"VM-MIB::vmCurMem.$idx" "VM-MIB::vmCurCpuNumber.$idx" "VM-MIB::vmMemUnit.$idx" \
		"VM-MIB::vmMaxMem.$idx" "VM-MIB::vmMaxCpuNumber.$idx" "VM-MIB::vmCpuTime.$idx")"
	check_eq "VM-MIB: $name: vmName" "$name" "${vals[0]:-}"
	check_eq "VM-MIB: $name: vmOperState from xl's state $st" "$(vm_oper_of_xl "$st")" "${vals[1]:-}"
	ours=${vals[2]:-}
	[[ $ours =~ ^[0-9]+$ ]] && ours=$((ours / 1024))
	check_eq "VM-MIB: $name: vmCurMem (KiB) / 1024 = xl list Mem (MiB)" "$mem" "$ours"
	check_eq "VM-MIB: $name: vmCurCpuNumber = xl list VCPUs" "$vcpus" "${vals[3]:-}"
	check_eq "VM-MIB: $name: vmMemUnit" 1024 "${vals[4]:-}"
	if [ "$domid" != 0 ]; then
		check_eq "VM-MIB: $name: vmMaxMem (KiB) = xl max_memkb" "$(jfield "$json" max_memkb)" "${vals[5]:-}"
		check_eq "VM-MIB: $name: vmMaxCpuNumber = xl max_vcpus" "$(jfield "$json" max_vcpus)" "${vals[6]:-}"
		local u=${uuid//-/} i v served=""
		while read -r i v; do [ "$i" = "$idx" ] && served=$v; done <<<"$VM_MAP"
		check_eq "VM-MIB: $name: vmUUID = xl uuid" "${u^^}" "$served"
	fi
	# CPU time: xl prints seconds with one decimal; the domain runs on
	# meanwhile, and the agent serves its last gathering's reading (the
	# queries above made each tick gather): between xl's reading before
	# and the one after the checks, give or take 3 s
	ours=${vals[7]:-}
	VM_CPU_CHECKS+=("$name $ours $secs")
	n=$(lines_of "$(xl_rows "$VM_VCPUS" "$name")")
	check_eq "VM-MIB: $name: a vmCpuTable row per vCPU of xl vcpu-list" "$n" "$(vmrows vmCpuCoreTime "$idx.")"
	[ "$domid" = 0 ] && return
	# (each xl call takes seconds under emulation: one of each, started
	# side by side by vm_xl_lists)
	((${#VM_XL_PIDS[@]})) && { wait "${VM_XL_PIDS[@]}"; VM_XL_PIDS=(); }
	list=$(body_of "$(<"$W/vm-block-$name")")
	n=$(lines_of "$list")
	check_eq "VM-MIB: $name: a vmStorageTable row per xl block-list disk" "$n" "$(vmrows vmStorageAccess "$idx.")"
	while read -r dev _; do
		[[ $dev =~ ^[0-9]+$ ]] || continue
		check_match "VM-MIB: $name: disk $dev: vmStorageAccess" '^(readwrite|readonly)$' "$(vmget "vmStorageAccess.$idx.$dev")"
	done <<<"$list"
	# xl network-list: Idx BE Mac-Addr. handle state ...
	list=$(body_of "$(<"$W/vm-net-$name")")
	n=$(lines_of "$list")
	check_eq "VM-MIB: $name: a vmNetworkTable row per xl network-list vif" "$n" "$(vmrows vmNetworkPhysAddress "$idx.")"
	while read -r dev _ mac _; do
		[[ $dev =~ ^[0-9]+$ ]] || continue
		check_eq "VM-MIB: $name: vif $dev: vmNetworkPhysAddress" "$(macnorm "$mac")" \
			"$(macnorm "$(vmget "vmNetworkPhysAddress.$idx.$((dev + 1))")")"
		vif=/sys/class/net/vif$domid.$dev/ifindex
		[ -r "$vif" ] && check_eq "VM-MIB: $name: vif $dev: vmNetworkIfIndex = dom0's ifindex of vif$domid.$dev" \
			"$(<"$vif")" "$(vmget "vmNetworkIfIndex.$idx.$((dev + 1))")"
	done <<<"$list"
}

vm_cpu_checks() {	# the CPU times vm_check_one read, against xl list after them
	local after name ours secs x
	after=$(xl list)
	for x in "${VM_CPU_CHECKS[@]}"; do
		read -r name ours secs <<<"$x"
		local late
		read -r _ _ _ _ _ late <<<"$(xl_rows "$after" "$name")"
		# (vmCpuTime is in microseconds, within_3s takes nanoseconds)
		if [[ $ours =~ ^[0-9]+$ ]] && within_3s "${ours}000" "$secs" "$late"; then
			pass "VM-MIB: $name: vmCpuTime (us) = xl Time(s) ($ours us, $secs s .. $late s)"
		else
			fail "VM-MIB: $name: vmCpuTime $ours us, xl Time $secs s .. $late s"
		fi
	done
	VM_CPU_CHECKS=()
}

vmmib_checks() {	# vmmib_checks [GUEST-TO-REBOOT]
	local name uuid idx old_id t0 up
	say "=== VM-MIB (RFC 7666)"
	VM_LIST=$(xl list)
	vm_xl_lists $(xl_names_of "$VM_LIST")
	VM_VCPUS=$(xl vcpu-list) VM_CPU_CHECKS=() VM_MAP=$(vm_map)
	check_eq "VM-MIB: vmNumber = xl list" "$(( $(lines_of "$VM_LIST") - 1 ))" "$(vmget vmNumber.0)"
	check_eq "VM-MIB: Domain-0 is vmIndex 1" Domain-0 "$(vmget vmName.1)"
	check_eq "VM-MIB: vmHvSoftware" Xen "$(vmget vmHvSoftware.0)"
	local hv; hv=$(vmget vmHvVersion.0); hv=${hv//\"/}
	check_eq "VM-MIB: vmHvVersion = xl info xen_version" "$(xlinfo xen_version)" "$hv"
	local up us d; up=$(q S get qvt VM-MIB::vmHvUpTime.0)
	read -r us _ </proc/uptime; us_of us "$us"
	if [[ $up =~ ^[0-9]+$ ]]; then
		d=$(( up * 10000 - us ))
		((d > -2000000 && d < 2000000)) && d=ok || d="off by $(fmt_us "$d") s"
	else d="[$up]"; fi
	check_match "VM-MIB: vmHvUpTime within 2 s of dom0's uptime" '^ok$' "$d"
	local want="" got="" i n; n=$(vmget vmNumber.0)
	[[ $n =~ ^[0-9]+$ ]] && for ((i = 1; i <= n; i++)); do want+=${want:+ }$i; done
	local -a idxs=()
	while read -r i _; do [[ $i =~ ^[0-9]+$ ]] && idxs[i]=$i; done <<<"$VM_MAP"
	got="${idxs[*]}"
	check_eq "VM-MIB: vmIndex values are 1..vmNumber (dense)" "$want" "$got"
	for name in $(xl_names_of "$VM_LIST"); do
		vm_check_one "$name"
	done
	vm_cpu_checks
	name=${1:-}
	[ -n "$name" ] || return 0
	uuid=$(jfield "$(xl list -l "$name" 2>/dev/null)" uuid)
	idx=$(vm_index "$uuid")
	old_id=$(xl domid "$name")
	t0=$EPOCHREALTIME
	if ! xl reboot "$name" >/dev/null 2>&1; then
		skip "VM-MIB: xl reboot $name refused: reboot not checked"
		return 0
	fi
	if wait_for "$(scaled 60)" sh -c "id=\$(/usr/sbin/xl domid '$name' 2>/dev/null) && [ \"\$id\" != '$old_id' ]"; then
		pass "VM-MIB: $name rebooted under a new domid after $(since "$t0")s"
		vm_uuid_served() { [ -n "$(vm_index "$uuid")" ]; }
		wait_for 10 vm_uuid_served || true
		VM_LIST=$(xl list) VM_VCPUS=$(xl vcpu-list) VM_CPU_CHECKS=()
		vm_xl_lists "$name"
		check_eq "VM-MIB: $name: the vmIndex survives the reboot (domid $old_id to $(awk -v n="$name" '$1 == n { print $2 }' <<<"$VM_LIST"))" "$idx" "$(vm_index "$uuid")"
		vm_check_one "$name"
		vm_cpu_checks
	else
		fail "VM-MIB: $name did not come back under a new domid within $(scaled 60)s"
	fi
}
