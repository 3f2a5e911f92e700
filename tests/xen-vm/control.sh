# Domain control with snmpset on real Xen, and the notifications it raises.
# Sourced by scenario.sh (its helpers, snmpd and the root agent are up):
# control_checks acts on a guest of its own through the xdmControl objects
# with the SNMPv3 user of contrib/snmpd-xensnmp-control.conf, and checks
# each effect against xl, xenstore and the traps snmptrapd received in dom0;
# control_readonly_checks runs against the unprivileged agent.

V3=(-v3 -l authPriv -u xenops -a SHA-256 -A "$V3_AUTH" -x AES -X "$V3_PRIV" -t 15 -r 0 -OU "${MIBOPTS[@]}")
q_start V "${V3[@]}" "$ADDR"	# (scenario.sh's q and q_start)
v3get() { q V get qv "XEN-DOMAIN-MIB::$1"; }
# uuid_index UUID: the control table's index (the 16 octets in decimal)
uuid_index() {
	local u=${1//-/} i
	for ((i = 0; i < 32; i += 2)); do printf '.%d' "0x${u:i:2}"; done
}
# ctl_set VARBIND...: one PDU with the current spin lock and the varbinds;
# returns snmpset's status, its output in CTL_OUT and the lock it used in
# CTL_LOCK (not in a subshell: the caller needs both).  No retransmission
# (-r 0): a resent PDU carries a used lock and is refused by design.
CTL_LOCK="" CTL_OUT=""
ctl_set() {
	local rc=0
	CTL_LOCK=$(v3get xdmControlSpinLock.0)
	CTL_OUT=$(q V set - "XEN-DOMAIN-MIB::xdmControlSpinLock.0" i "$CTL_LOCK" "$@") || rc=$?
	return $rc
}
# result_settled: the newest request in the results table is no longer
# inProgress (the scenario makes one request at a time); works after the
# domain's control row went with it.  RESULT_N, RESULT_STATUS: that row.
result_settled() {
	local l w
	w=$(q V walk q XEN-DOMAIN-MIB::xdmResultStatus); l=${w##*$'\n'}
	RESULT_N=${l%% *}; RESULT_N=${RESULT_N##*.}; RESULT_STATUS=${l#* }
	[[ $RESULT_N =~ ^[0-9]+$ ]] && [ "$RESULT_STATUS" != inProgress ]
}
uuid_groups() {	# uuid_groups UUID: its five groups in lower case without leading zeros
	local g out="" u=${1,,}
	local IFS=-
	for g in $u; do
		while [[ $g == 0* ]]; do g=${g#0}; done
		out+=${out:+-}${g:-0}
	done
	printf '%s' "$out"
}
xl_state() { local st; read -r _ _ _ _ st _ <<<"$(body_of "$(xl list "$1" 2>/dev/null)")"; printf '%s\n' "$st"; }
is_paused() { [[ $(xl_state "$1") == *p* ]]; }
is_unpaused() { local s; s=$(xl_state "$1"); [ -n "$s" ] && [[ $s != *p* ]]; }
is_gone() { ! xl domid "$1" >/dev/null 2>&1; }
# trap_seen SINCE STRING...: a trap received after SINCE ($EPOCHREALTIME)
# that contains every STRING; TRAP_T is when it arrived.  The log is a
# list of traps, each "U <dom0 uptime>", its lines, "==END==" (read by
# bash: this is polled, and every program started here costs dom0 dearly)
trap_seen() {
	local since_us off_us up_us l trap="" t="" s ok
	us_of since_us "$1"; shift
	us_of off_us "$UPTIME_EPOCH"
	TRAP_T=""
	while IFS= read -r l; do
		if [[ $l == "U "* ]]; then t=${l#U }; trap=""; continue; fi
		if [ "$l" != "==END==" ]; then trap+=$l$'\n'; continue; fi
		[ -n "$t" ] || continue
		us_of up_us "$t"
		if ((up_us + off_us >= since_us)); then
			ok=1
			for s in "$@"; do [[ $trap == *"$s"* ]] || { ok=0; break; }; done
			if ((ok)); then TRAP_T=$(fmt_us $((up_us + off_us))); return 0; fi
		fi
		t=""
	done <"$TRAP_LOG"
	return 1
}
# act NAME ACTION-DESCRIPTION EFFECT-TEST VARBIND...: the SET, then the effect
# seen by xl; prints the SET-to-effect time into the pass line
act() {
	local name=$1 what=$2 effect=$3 out t0; shift 3
	t0=$EPOCHREALTIME
	if ! ctl_set "$@"; then fail "$what: snmpset refused: $CTL_OUT"; return 1; fi
	if wait_for "$(scaled 60)" "$effect" "$name"; then
		ACT_T=$t0 ACT_S=$(diff_s "$t0" "$POLL_T")
		pass "$what: effect seen by xl $(diff_s "$t0" "$POLL_T")s after snmpset started"
		SET_TIMES="$SET_TIMES $what=$(diff_s "$t0" "$POLL_T")s"
	else fail "$what: no effect within $(scaled 60)s (xl list: $(xl list "$name" 2>&1 | tail -n 1))"; return 1; fi
}
check_result() {	# check_result UUID WHAT: the newest result is UUID's, a success
	if wait_for "$(scaled 30)" result_settled; then
		check_eq "$2: xdmResultStatus.$RESULT_N" success "$RESULT_STATUS"
		# net-snmp prints the 4x-2x-2x-2x-6x hint without leading zeros
		# in a group: compare the groups as numbers
		local u; u=$(v3get "xdmResultUUID.$RESULT_N"); u=${u//\"/}
		check_eq "$2: xdmResultUUID.$RESULT_N" "$(uuid_groups "$1")" "$(uuid_groups "$u")"
	else fail "$2: the request is still in progress or has no result [$RESULT_N $RESULT_STATUS]"; fi
}
# check_trap SINCE WHAT STRING...: a notification received after SINCE
# that holds every STRING (a UUID as uuid_groups prints it: snmptrapd shows
# the MIB's hint without leading zeros), its delay reported
check_trap() {
	local since=$1 what=$2; shift 2
	# (the handler's start is the emulator's speed: the bound is scaled)
	if wait_for "$(scaled 5)" trap_seen "$since" "$@"; then
		pass "$what: notification received $(diff_s "$since" "$TRAP_T")s later"
		TRAP_TIMES="$TRAP_TIMES $what=$(diff_s "$since" "$TRAP_T")s"
	else fail "$what: no notification with [$*] within $(scaled 5) s (traps: $(count_lines "$TRAP_LOG" "U "))"; fi
}

# control_guest_create: xl create of xvm-ctl, the guest control_checks acts
# on, started in the background: the scenario calls it early, so that the
# guest is built and boots while other checks run.  control_guest_created
# waits for xl create; CTL_T_CREATE, CTL_CID and CTL_UUID say when and what.
CTL_T_CREATE="" CTL_CID="" CTL_UUID="" CTL_CREATE_PID=""
control_guest_create() {
	guest_cfg xvm-ctl 96 128 1 2 600
	echo "vif = [ 'mac=00:16:3e:5a:17:02,bridge=$BRIDGE,script=$VIF_SCRIPT' ]" >> "$W/xvm-ctl.cfg"
	CTL_T_CREATE=$EPOCHREALTIME
	xl_create xvm-ctl &
	CTL_CREATE_PID=$!
}
control_guest_created() {
	[ -n "$CTL_CREATE_PID" ] || return 1
	local json pid=$CTL_CREATE_PID
	CTL_CREATE_PID=""
	if ! wait "$pid"; then fail "xl create xvm-ctl"; cat "$W/xl-create-xvm-ctl.log"; return 1; fi
	json=$(xl list -l xvm-ctl)
	CTL_CID=$(jfield "$json" domid) CTL_UUID=$(jfield "$json" uuid)
	say "xvm-ctl: domid $CTL_CID, uuid $CTL_UUID (created $(since "$CTL_T_CREATE")s ago)"
}
ctl_guest_up() { has_line /var/log/xen/console/guest-xvm-ctl.log "guest: up"; }

control_checks() {
	say "=== control with snmpset"
	SET_TIMES="" TRAP_TIMES=""
	[ -n "$CTL_UUID" ] || { fail "control: no xvm-ctl to act on"; return; }
	local cid=$CTL_CID uuid=$CTL_UUID idx out t left
	idx=$(uuid_index "$uuid")
	wait_for "$(scaled 60)" ctl_guest_up || fail "xvm-ctl did not boot its userspace"
	wait_for 5 name_is "$cid" xvm-ctl || fail "xvm-ctl not served as domid $cid"
	out=$(v3get "xdmControlName$idx")
	check_eq "xdmControlName of xvm-ctl's UUID" xvm-ctl "${out//\"/}"
	check_trap "$CTL_T_CREATE" "xl create: xdmDomainCreated" xdmDomainCreated "$(uuid_groups "$uuid")"

	# pause, and the same PDU resent after an unpause: refused, nothing done
	act xvm-ctl "pause" is_paused "XEN-DOMAIN-MIB::xdmControlAction$idx" i pause && {
		local lock1=$CTL_LOCK t1=$ACT_T
		check_result "$uuid" pause
		check_trap "$t1" "pause: xdmDomainStateChanged" xdmDomainStateChanged "$(uuid_groups "$uuid")" paused
		check_trap "$t1" "pause: xdmActionFinished" xdmActionFinished "$(uuid_groups "$uuid")" success
		act xvm-ctl "unpause" is_unpaused "XEN-DOMAIN-MIB::xdmControlAction$idx" i unpause
		check_result "$uuid" unpause
		out=$(q V set - "XEN-DOMAIN-MIB::xdmControlSpinLock.0" i "$lock1" \
			"XEN-DOMAIN-MIB::xdmControlAction$idx" i pause)
		check_match "the pause PDU resent: inconsistentValue" 'inconsistentValue' "$out"
		# a pause carried out is seen by xl as soon as the one above was
		# (ACT_S, the unpause's): three times that, and at least 1 s
		local w; us_of w "$ACT_S"; w=$((w * 3)); ((w < 1000000)) && w=1000000
		snooze "$(fmt_us "$w")"
		if is_unpaused xvm-ctl; then pass "the resent pause did nothing (xl: $(xl_state xvm-ctl))"
		else fail "the resent pause paused the domain (xl: $(xl_state xvm-ctl))"; fi
	}
	ctl_set "XEN-DOMAIN-MIB::xdmControlAction$idx" i unpause; out=$CTL_OUT
	check_match "unpause of a running domain: inconsistentValue" 'inconsistentValue' "$out"
	ctl_set "XEN-DOMAIN-MIB::xdmControlMemTarget$idx" u 1; out=$CTL_OUT
	check_match "memory target below the range: wrongValue" 'wrongValue' "$out"
	ctl_set "XEN-DOMAIN-MIB::xdmControlAction.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" i pause; out=$CTL_OUT
	check_match "pause of Domain-0: wrongValue" 'wrongValue' "$out"
	out=$(q S set - "XEN-DOMAIN-MIB::xdmControlSpinLock.0" i 1)
	check_match "SET with the read-only v2c community refused" 'noAccess|notWritable|authorizationError|noSuchName' "$out"

	# memory target: the toolstack's memory/target node and xl's view
	t=$EPOCHREALTIME
	if ctl_set "XEN-DOMAIN-MIB::xdmControlMemTarget$idx" u 81920; then
		mem_is() { [ "$(xenstore-read "/local/domain/$cid/memory/target" 2>/dev/null)" = 81920 ]; }
		if wait_for "$(scaled 30)" mem_is; then
			pass "memory target 81920 KiB: memory/target set $(diff_s "$t" "$POLL_T")s after snmpset started"
			SET_TIMES="$SET_TIMES memory=$(diff_s "$t" "$POLL_T")s"
		else fail "memory target: memory/target is [$(xenstore-read "/local/domain/$cid/memory/target" 2>&1)]"; fi
		check_result "$uuid" "memory target"
		check_eq "xl list -l target_memkb" 81920 "$(jfield "$(xl list -l xvm-ctl)" target_memkb)"
	else fail "memory target: snmpset refused: $CTL_OUT"; fi

	# online vCPUs: 2 of 2
	t=$EPOCHREALTIME
	if ctl_set "XEN-DOMAIN-MIB::xdmControlVcpusOnline$idx" u 2; then
		vcpus_online() {	# two vCPUs of xvm-ctl not paused (p) in xl vcpu-list
			local n=0 st
			while read -r _ _ _ _ st _; do [ -n "$st" ] && [[ $st != *p* ]] && n=$((n + 1)); done <<<"$(body_of "$(xl vcpu-list xvm-ctl 2>/dev/null)")"
			[ "$n" = 2 ]
		}
		if wait_for "$(scaled 10)" vcpus_online; then
			pass "2 vCPUs online: xl vcpu-list shows them $(diff_s "$t" "$POLL_T")s after snmpset started"
			SET_TIMES="$SET_TIMES vcpus=$(diff_s "$t" "$POLL_T")s"
		else	# the toolstack's part is cpu/1/availability; the guest's init onlines the vCPU
			fail "2 vCPUs online: not seen within $(scaled 10) s: xl vcpu-list: $(xl vcpu-list xvm-ctl 2>&1 | tail -n +2 | tr '\n' '|')"
		fi
		check_eq "cpu/1/availability" online "$(xenstore-read "/local/domain/$cid/cpu/1/availability" 2>&1)"
		check_result "$uuid" vcpus
	else fail "vCPUs: snmpset refused: $CTL_OUT"; fi

	# reboot, shutdown and destroy (XENTEST_CONTROL_LIFECYCLE=0 leaves them out)
	if [ "${XENTEST_CONTROL_LIFECYCLE:-1}" = 1 ]; then
		control_lifecycle_checks
	else
		skip "reboot, shutdown and destroy through xdmControl: not run (XENTEST_CONTROL_LIFECYCLE=0)"
	fi
	say "SET-to-effect:$SET_TIMES"
	say "notification latency:$TRAP_TIMES"
}

# control_lifecycle_checks: reboot and shutdown of xvm-ctl (the variables
# of control_checks: cid uuid idx), and between them, while the rebooted
# guest boots, destroy of xvm-running
control_lifecycle_checks() {
	local out left
	# libxl builds a rebooted guest at its current memory target, and the
	# ramdisk guest does not boot in the 80 MiB the memory check left
	if ctl_set "XEN-DOMAIN-MIB::xdmControlMemTarget$idx" u 98304; then
		target_back() { [ "$(xenstore-read "/local/domain/$cid/memory/target" 2>/dev/null)" = 98304 ]; }
		wait_for "$(scaled 30)" target_back ||
			fail "memory target back to 96 MiB: memory/target $(xenstore-read "/local/domain/$cid/memory/target" 2>&1)"
	else fail "memory target back to 96 MiB: snmpset refused: $CTL_OUT"; fi
	# reboot: the guest's init reboots, xl brings it back under a new domid
	local old=$cid vmidx rebooted=0
	vmidx=$(vm_index "$uuid")	# VM-MIB's index (vmmib.sh)
	[ -n "$vmidx" ] || fail "VM-MIB: xvm-ctl ($uuid) not in vmTable before the reboot"
	# xl list -v: the domid and the UUID (the hypervisor's handle) of the
	# domain xvm-ctl now, while it is still being built (xl list -l then
	# lacks its config)
	local uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
	new_domid() {
		local l d
		l=$(xl_rows "$(xl list -v xvm-ctl 2>/dev/null)" xvm-ctl)
		read -r _ d _ <<<"$l"
		[[ $l =~ $uuid_re ]] && NEW_UUID=${BASH_REMATCH[0]} || NEW_UUID=""
		NEW_DOMID=$d
		[ -n "$d" ] && [ "$d" != "$old" ]
	}
	if act xvm-ctl "reboot" new_domid "XEN-DOMAIN-MIB::xdmControlAction$idx" i reboot; then
		rebooted=1 cid=$NEW_DOMID
		check_eq "after reboot: same UUID (xl list -v)" "$uuid" "$NEW_UUID"
		# xenconsoled writes the old domain's last lines a little later
		wait_for 5 has_line /var/log/xen/console/guest-xvm-ctl.log 'reboot requested'
		check_match "the guest was asked to reboot" 'reboot requested' "$(grep 'requested' /var/log/xen/console/guest-xvm-ctl.log* 2>/dev/null | tail -n 1)"
		check_trap "$ACT_T" "reboot: xdmDomainDestroyed (domid $old)" xdmDomainDestroyed "$(uuid_groups "$uuid")"
		check_trap "$ACT_T" "reboot: xdmDomainCreated (domid $cid)" xdmDomainCreated "$(uuid_groups "$uuid")"
		wait_for 5 name_is "$cid" xvm-ctl && pass "the new domid $cid is served" || fail "new domid $cid not served"
		out=$(v3get "xdmControlName$idx")
		check_eq "the control row follows the UUID" xvm-ctl "${out//\"/}"
		check_eq "VM-MIB: the vmIndex survives the reboot (domid $old to $cid)" "$vmidx" "$(vm_index "$uuid")"
	fi

	# destroy: of xvm-running, up since the devices checks, with its vif:
	# nothing of it left in xenstore, nor in xl list (while the rebooted
	# xvm-ctl boots)
	# (its domid and UUID as check_guest read them with xl list -l: a
	# domain that went since is refused, noCreation, and fails below)
	local json=${XL_JSON[xvm-running]:-} did duuid didx
	did=$(jfield "$json" domid) duuid=$(jfield "$json" uuid)
	if [ -n "$did" ] && [ -n "$duuid" ]; then
		didx=$(uuid_index "$duuid")
		if act xvm-running "destroy" is_gone "XEN-DOMAIN-MIB::xdmControlAction$didx" i destroy; then
			left=$(for k in vif vbd qdisk; do xenstore-ls "/local/domain/0/backend/$k/$did" 2>/dev/null | head -n 1; done; xenstore-ls "/local/domain/$did" 2>/dev/null | head -n 1)
			check_eq "after destroy: no backend node nor home of domid $did" "" "$left"
			check_trap "$ACT_T" "destroy: xdmDomainDestroyed" xdmDomainDestroyed "$(uuid_groups "$duuid")"
			check_trap "$ACT_T" "destroy: xdmActionFinished" xdmActionFinished "$(uuid_groups "$duuid")" success
			check_result "$duuid" "destroy (read after the row went)"
			ctl_set "XEN-DOMAIN-MIB::xdmControlAction$didx" i pause; out=$CTL_OUT
			check_match "pause of the destroyed UUID: noCreation" 'noCreation|inconsistentName|noSuchName' "$out"
		fi
	else fail "destroy: xvm-running was never read by xl list -l: [$json]"; fi

	# the rebooted guest's init is up (its console log follows the first
	# boot's) before it is asked to shut down
	rebooted_up() { [ "$(count_lines /var/log/xen/console/guest-xvm-ctl.log "guest: up")" -ge 2 ]; }
	((rebooted)) && ! wait_for "$(scaled 60)" rebooted_up &&
		fail "the rebooted guest did not come up: $(tail -n 3 /var/log/xen/console/guest-xvm-ctl.log | tr '\n' '|')"

	# shutdown: the guest's init powers off, the domain goes
	if act xvm-ctl "shutdown" is_gone "XEN-DOMAIN-MIB::xdmControlAction$idx" i shutdown; then
		wait_for 5 has_line /var/log/xen/console/guest-xvm-ctl.log 'poweroff requested'
		check_match "the guest was asked to power off" 'poweroff requested' "$(grep 'requested' /var/log/xen/console/guest-xvm-ctl.log* 2>/dev/null | tail -n 1)"
		check_trap "$ACT_T" "shutdown: xdmDomainDestroyed" xdmDomainDestroyed "$(uuid_groups "$uuid")"
		# the row went with the domain: the results table keeps the request
		check_result "$uuid" "shutdown (read after the domain went)"
	fi
}

control_readonly_checks() {
	local out
	out=$(q V set - "XEN-DOMAIN-MIB::xdmControlSpinLock.0" i "$(v3get xdmControlSpinLock.0)")
	check_match "read-only agent: SET of the spin lock refused (notWritable)" 'notWritable' "$out"
}
