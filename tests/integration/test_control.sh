#!/bin/bash
# Domain control through xdmControl on the simulated host, in both forms:
# xensnmpd as an AgentX subagent (v2c write community on the master) and
# the module inside snmpd (the contrib/ access fragment: an SNMPv3
# authPriv user writes, the v2c community cannot).  The libxenctrl and
# libxenlight stand-ins are preloaded, so the libxl control driver acts
# on xensimd.  Every control object, every refusal, the lock against a
# repeated PDU, the UUID against a reused domid, results after a destroy,
# no backend node left, and the time from snmpset to the host's change.
. "$(dirname "$0")/lib.sh"

if [ ! -e "$XLSIM" ]; then
	# built without libxenlight: reports as before, control unavailable and said
	start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
	write_snmpd_conf </dev/null
	start_snmpd
	with_hypervisor
	start_agent
	check_match "without libxenlight: xdmHostUnavailable says so" 'control: built without libxenlight' "$(get xdmHostUnavailable.0)"
	out=$(snmpset -v2c -c private -Ir -r 0 -t 5 "${MIBOPTS[@]}" "$AGENT_ADDR" xdmControlSpinLock.0 i 0 2>&1 || true)
	check_match "without libxenlight: control objects notWritable" 'notWritable' "$out"
	check_eq "without libxenlight: data served" web1 "$(get xdmDomainName.1)"
	stop_agent
	finish
	exit
fi
NIL=.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0
WEB1=4f77abd2-3019-58e8-3bab-6fbf2118f880	# domid 1, running, 1 of 2 vCPUs
DB1=0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f	# domid 2, paused
PVH=d1e2f3a4-b5c6-47d8-89ea-fb0c1d2e3f40	# domid 7, blocked
VICTIM=7e570000-0000-4000-8000-000000000020	# domid 20, with a vif and a vbd
REUSED=7e570000-0000-4000-8000-0000000000ff	# takes over domid 7 later

uuid_octets() { local u=${1//-/}; u=${u^^}; echo "$u" | sed 's/../& /g; s/ $//'; }
lock() { get xdmControlSpinLock.0; }
# cset VARBINDS...: snmpset with the form's writer; never retransmits by
# itself (a retransmission is tested on purpose below)
# (-Ir: no client-side type or range check, so the agent's are tested)
cset() { snmpset "${SETOPTS[@]}" -Ir -r 0 -t 5 "$AGENT_ADDR" "$@" 2>&1 || true; }
act() { cset xdmControlSpinLock.0 i "$(lock)" "xdmControlAction$(uuid_oid "$1")" i "$2"; }
# timed VARBINDS...: cset with the lock read first, T0 and T1 around snmpset alone
timed() {
	local l
	l=$(lock)
	T0=$EPOCHREALTIME
	OUT=$(cset xdmControlSpinLock.0 i "$l" "$@")
	T1=$EPOCHREALTIME
}
reason() { sed -n 's/^Reason: \([a-zA-Z]*\).*/\1/p' <<<"$1"; }
ok() { [[ $1 != *Reason:* && $1 != *Timeout* && $1 != *rror* ]]; }
last_index() { walk xdmResultStatus -Oqn | tail -n 1 | awk '{ n = split($1, a, "."); print a[n] }'; }
result() { get "xdmResult$2.$1"; }	# result INDEX COLUMN
# hexget OBJECT: a string's octets, "0B 5F ..." (no DISPLAY-HINT)
hexget() {
	local o
	o=$(snmptranslate -On "${MIBOPTS[@]}" "XEN-DOMAIN-MIB::$1" 2>/dev/null) || return
	octets "$o" | tr -d '"'
}
done_result() { [ "$(result "$1" Status)" != inProgress ]; }
xl_count() { sim xl-log | grep -c "^$1 " || true; }
backend_nodes() {	# backend_nodes DOMID: dom0 backend directories still there
	local k
	for k in vif vbd qdisk; do
		xenstore-ls "/local/domain/0/backend/$k/$1" >/dev/null 2>&1 && echo "$k"
	done
	true
}

add_domains() {
	sim add 20 name=victim uuid=$VICTIM ostype=linux mem_target_kib=262144 \
		mem_max_kib=524288 vcpus=2 vcpus_online=2 state=running >/dev/null
	sim vif 20 0 mac=00:16:3e:00:00:20 bridge=xenbr0 script=vif-bridge >/dev/null
	sim vbd 20 51712 dev=xvda params=/dev/vg0/victim mode=w type=phy device_type=disk >/dev/null
}

# control_suite FORM: the checks both forms share, on a fresh host
control_suite() {
	local f=$1 out n m t0 t1 before
	check_eq "$f: a control row per running domain, Domain-0 at the nil UUID" 5 \
		"$(walk xdmControlDomainIndex -Oqv | grep -c .)"
	check_eq "$f: Domain-0's row" 0 "$(get "xdmControlDomainIndex$NIL")"
	check_eq "$f: web1's row is domid 1" 1 "$(get "xdmControlDomainIndex$(uuid_oid $WEB1)")"
	check_eq "$f: xdmControlName" web1 "$(get "xdmControlName$(uuid_oid $WEB1)")"
	check_eq "$f: xdmControlAction reads noAction" noAction "$(get "xdmControlAction$(uuid_oid $WEB1)")"
	check_eq "$f: xdmControlMemTarget reads the target" 524288 "$(get "xdmControlMemTarget$(uuid_oid $WEB1)")"
	check_eq "$f: xdmControlVcpusOnline reads the online count" 1 "$(get "xdmControlVcpusOnline$(uuid_oid $WEB1)")"
	check_eq "$f: xdmControlLastResult 0 before any request" 0 "$(get "xdmControlLastResult$(uuid_oid $WEB1)")"
	check_match "$f: the lock is a TestAndIncr value" '^[0-9]+$' "$(lock)"

	# --- pause, with the lock ---
	before=$(xl_count pause)
	timed "xdmControlAction$(uuid_oid $WEB1)" i 2
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: pause web1 accepted" || fail "$f: pause web1: $out"
	n=$(last_index)
	wait_for 5 done_result "$n" || fail "$f: pause still in progress after 5 s"
	check_eq "$f: result: request" pause "$(result "$n" Request)"
	check_eq "$f: result: UUID" "$(uuid_octets $WEB1)" "$(hexget "xdmResultUUID.$n")"
	check_eq "$f: result: name" web1 "$(result "$n" Name)"
	check_eq "$f: result: domid" 1 "$(result "$n" DomainId)"
	check_eq "$f: result: success" success "$(result "$n" Status)"
	check_eq "$f: result: no detail" '' "$(result "$n" Detail | tr -d '"')"
	check_match "$f: result: end time" "^$(date -u +%Y-%-m-%-d)," "$(result "$n" EndTime)"
	check_eq "$f: xdmControlLastResult names it" "$n" "$(get "xdmControlLastResult$(uuid_oid $WEB1)")"
	check_eq "$f: the toolstack paused once" $((before + 1)) "$(xl_count pause)"
	check_eq "$f: web1 is paused (hypervisor)" paused "$(get xdmDomainState.1)"
	record_latency "$f" pause 1 "$t0" "$t1"

	# --- the same PDU again (a retransmission): refused, nothing done ---
	out=$(cset xdmControlSpinLock.0 i "$(( $(lock) - 1 ))" "xdmControlAction$(uuid_oid $WEB1)" i 3)
	check_eq "$f: a repeated PDU (stale lock): inconsistentValue" inconsistentValue "$(reason "$out")"
	check_eq "$f: ... and nothing recorded" "$n" "$(last_index)"
	check_eq "$f: ... and nothing done" 0 "$(xl_count unpause)"
	out=$(cset "xdmControlAction$(uuid_oid $WEB1)" i 3)
	check_eq "$f: no lock in the PDU: inconsistentValue" inconsistentValue "$(reason "$out")"
	check_eq "$f: ... nothing done" paused "$(get xdmDomainState.1)"

	# --- transitions that make no sense ---
	check_eq "$f: pause a paused domain: inconsistentValue" inconsistentValue "$(reason "$(act $WEB1 2)")"
	check_eq "$f: unpause a blocked domain: inconsistentValue" inconsistentValue "$(reason "$(act $PVH 3)")"
	out=$(act $WEB1 3)
	ok "$out" && pass "$f: unpause web1" || fail "$f: unpause web1: $out"
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.1 | grep -q running" &&
		pass "$f: web1 running again" || fail "$f: web1 not running again"
	check_eq "$f: unpause a running domain: inconsistentValue" inconsistentValue "$(reason "$(act $WEB1 3)")"
	check_eq "$f: noAction does nothing and needs no lock" '' "$(reason "$(cset "xdmControlAction$(uuid_oid $WEB1)" i 1)")"

	# --- values out of range ---
	L=$(lock)
	check_eq "$f: action 7: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$(uuid_oid $WEB1)" i 7)")"
	check_eq "$f: memory below 16384 KiB: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlMemTarget$(uuid_oid $WEB1)" u 1000)")"
	check_eq "$f: memory above the domain's maximum: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlMemTarget$(uuid_oid $WEB1)" u 2097152)")"
	check_eq "$f: 0 vCPUs: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlVcpusOnline$(uuid_oid $WEB1)" u 0)")"
	check_eq "$f: more vCPUs than the domain has: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlVcpusOnline$(uuid_oid $WEB1)" u 3)")"
	check_eq "$f: a string for the action: wrongType" wrongType "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$(uuid_oid $WEB1)" s pause)")"
	check_eq "$f: a negative lock: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i -1)")"
	check_eq "$f: ... the lock did not move" "$L" "$(lock)"
	check_eq "$f: two requests for one domain in a PDU: inconsistentValue" inconsistentValue \
		"$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$(uuid_oid $WEB1)" i 2 "xdmControlVcpusOnline$(uuid_oid $WEB1)" u 2)")"

	# --- Domain-0, read-only objects, unknown rows ---
	check_eq "$f: pause Domain-0: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$NIL" i 2)")"
	check_eq "$f: destroy Domain-0: wrongValue" wrongValue "$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$NIL" i 6)")"
	check_eq "$f: Domain-0's memory without xensnmpControlDom0: notWritable" notWritable \
		"$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlMemTarget$NIL" u 524288)")"
	check_eq "$f: xdmControlName is read-only: notWritable" notWritable "$(reason "$(cset "xdmControlName$(uuid_oid $WEB1)" s x)")"
	check_eq "$f: xdmResultStatus is read-only: notWritable" notWritable "$(reason "$(cset "xdmResultStatus.$n" i 2)")"
	# (noAccess where the writer's VACM view holds only xdmControl)
	check_match "$f: deprecated xdmDomainAction: notWritable" '^(notWritable|noAccess)$' "$(reason "$(cset xdmDomainAction.1 i 2)")"
	check_eq "$f: a UUID no domain holds: noCreation" noCreation \
		"$(reason "$(cset xdmControlSpinLock.0 i "$L" "xdmControlAction$(uuid_oid 11111111-2222-4333-8444-555555555555)" i 2)")"
	check_eq "$f: a lock instance other than .0: noCreation" noCreation "$(reason "$(cset xdmControlSpinLock.1 i "$L")")"

	# --- memory and vCPUs ---
	timed "xdmControlMemTarget$(uuid_oid $WEB1)" u 262144
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: memory target accepted" || fail "$f: memory target: $out"
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainMemTarget.1 | grep -qx 262144" &&
		pass "$f: xdmDomainMemTarget follows" || fail "$f: memory target not applied"
	record_latency "$f" mem 1 "$t0" "$t1"
	check_eq "$f: xdmControlMemTarget reads it" 262144 "$(get "xdmControlMemTarget$(uuid_oid $WEB1)")"
	check_eq "$f: result: setMemTarget 262144" "setMemTarget 262144" "$(result "$(last_index)" Request) $(result "$(last_index)" Value)"
	timed "xdmControlVcpusOnline$(uuid_oid $WEB1)" u 2
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: vCPUs accepted" || fail "$f: vCPUs: $out"
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainVcpusOnline.1 | grep -qx 2" &&
		pass "$f: xdmDomainVcpusOnline follows" || fail "$f: vCPUs not applied"
	record_latency "$f" vcpus 1 "$t0" "$t1"
	check_eq "$f: hypervisor: 2 vCPUs online" 2 "$(sim hv-dump | sed -n 's/^dom 1 .*online=\([0-9]*\).*/\1/p')"

	# --- two SETs on one domain, back to back: carried out in order ---
	cset xdmControlSpinLock.0 i "$(lock)" "xdmControlAction$(uuid_oid $PVH)" i 2 >/dev/null
	out=$(cset xdmControlSpinLock.0 i "$(lock)" "xdmControlAction$(uuid_oid $PVH)" i 3)
	ok "$out" && pass "$f: a second SET right behind the first is accepted" || fail "$f: second SET: $out"
	n=$(last_index)
	wait_for 5 done_result "$n" || true
	check_eq "$f: both succeeded" "success success" "$(result $((n - 1)) Status) $(result "$n" Status)"
	check_eq "$f: ... in order" "pause 7 unpause 7" "$(sim xl-log | grep ' 7 ' | tail -n 2 | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 }')"

	# --- a toolstack failure: the SET was accepted, the result says why ---
	sim xl-fault pause >/dev/null
	out=$(act $PVH 2)
	ok "$out" && pass "$f: SET accepted before the toolstack failed" || fail "$f: $out"
	n=$(last_index)
	wait_for 5 done_result "$n" || true
	check_eq "$f: toolstack failure: failed" failed "$(result "$n" Status)"
	check_match "$f: toolstack failure: detail" 'libxl_domain_pause failed' "$(result "$n" Detail)"
	check_eq "$f: toolstack failure: domain unchanged" running "$(get xdmDomainState.7)"

	# --- shutdown: the guest complies and is gone ---
	timed "xdmControlAction$(uuid_oid $PVH)" i 4
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: shutdown accepted" || fail "$f: shutdown: $out"
	n=$(last_index)
	wait_for 5 done_result "$n" || true
	record_latency "$f" shutdown 7 "$t0" "$t1"
	check_eq "$f: shutdown: success" success "$(result "$n" Status)"
	wait_for 5 sh -c "! snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.7 | grep -q pvh" &&
		pass "$f: the shut-down domain is gone" || fail "$f: domain 7 still there"
	check_eq "$f: shutdown of a gone domain: noCreation" noCreation "$(reason "$(act $PVH 4)")"

	# --- reboot: a new domid, the same UUID, the same control row ---
	out=$(act $DB1 3)	# db1 is paused: unpause first
	ok "$out" || fail "$f: unpause db1: $out"
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.2 | grep -q running" || fail "$f: db1 not running"
	timed "xdmControlAction$(uuid_oid $DB1)" i 5
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: reboot accepted" || fail "$f: reboot: $out"
	n=$(last_index)
	wait_for 5 done_result "$n" || true
	record_latency "$f" reboot 2 "$t0" "$t1"
	check_eq "$f: reboot: success, recorded under the old domid" "success 2" "$(result "$n" Status) $(result "$n" DomainId)"
	wait_for 5 sh -c "[ \$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmControlDomainIndex$(uuid_oid $DB1)) != 2 ]" ||
		fail "$f: db1's row still at domid 2"
	m=$(get "xdmControlDomainIndex$(uuid_oid $DB1)")
	check_match "$f: after the reboot the UUID's row names a new domid" '^[0-9]+$' "$m"
	[ "$m" != 2 ] && pass "$f: new domid $m" || fail "$f: domid unchanged"
	check_eq "$f: the new domain holds the UUID" "$(uuid_octets $DB1)" "$(hexget "xdmDomainUUID.$m")"
	check_eq "$f: the old domid's row is gone" 'No Such Instance currently exists at this OID' "$(get xdmDomainName.2 | sed 's/^.*= //')"

	# --- destroy: gone with its devices, the result stays ---
	check_eq "$f: victim has backends before" "vif vbd" "$(backend_nodes 20 | tr '\n' ' ' | sed 's/ $//')"
	timed "xdmControlAction$(uuid_oid $VICTIM)" i 6
	out=$OUT t0=$T0 t1=$T1
	ok "$out" && pass "$f: destroy accepted" || fail "$f: destroy: $out"
	n=$(last_index)
	wait_for 15 done_result "$n" || true
	record_latency "$f" destroy 20 "$t0" "$t1"
	check_eq "$f: destroy: success (the hotplug child was reaped)" success "$(result "$n" Status)"
	check_eq "$f: destroy: no backend node left in xenstore" '' "$(backend_nodes 20)"
	xenstore-ls /local/domain/20 >/dev/null 2>&1 && fail "$f: /local/domain/20 left" || pass "$f: destroy: no /local/domain/20"
	wait_for 5 sh -c "! snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.20 | grep -q victim" &&
		pass "$f: destroy: the domain row is gone" || fail "$f: domain 20 row still there"
	check_match "$f: destroy: the control row is gone" 'No Such Instance' "$(get "xdmControlName$(uuid_oid $VICTIM)")"
	check_eq "$f: destroy: the result outlives the row" "destroy victim $(uuid_octets $VICTIM) 20 success" \
		"$(result "$n" Request) $(result "$n" Name) $(hexget "xdmResultUUID.$n") $(result "$n" DomainId) $(result "$n" Status)"
	check_eq "$f: destroyed: a late SET finds no row: noCreation" noCreation "$(reason "$(act $VICTIM 2)")"

	# --- a reused domid never receives what was meant for the old domain ---
	sim add 7 name=reused uuid=$REUSED mem_target_kib=262144 vcpus=1 state=running >/dev/null
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainName.7 | grep -q reused" || fail "$f: domid 7 not reused"
	check_eq "$f: the old UUID of domid 7: noCreation" noCreation "$(reason "$(act $PVH 6)")"
	check_eq "$f: domid 7's new domain untouched" running "$(get xdmDomainState.7)"

	check_match "$f: log: every request with domain, UUID, action and requester" \
		"control #[0-9]+: destroy victim \\(domid 20, $VICTIM\\) from .*: success" "$(cat "$LOGFILE")"
	check_match "$f: log: refusals with the reason" 'SET refused \(inconsistentValue.*stale lock' "$(cat "$LOGFILE")"
	check_match "$f: log: failures with the reason" 'control #[0-9]+: pause pvh-test .*failed: libxl_domain_pause failed' "$(cat "$LOGFILE")"
}

LATENCIES=()
# record_latency FORM OP DOMID T0 T1: snmpset's start and return against the
# simulator's timestamp of the toolstack call for that domain
record_latency() {
	local at
	at=$(sim xl-log | awk -v op="$2" -v id="$3" '$1 == op && $2 == id { t = $3 } END { print t }')
	[ -n "$at" ] || { fail "$1: no toolstack call $2 $3 logged"; return; }
	LATENCIES+=("$(awk -v f="$1" -v op="$2" -v t0="$4" -v t1="$5" -v at="$at" \
		'BEGIN { printf "%-8s %-8s snmpset sent -> toolstack call done %6.1f ms; snmpset returned -> done %+6.1f ms", f, op, (at - t0) * 1000, (at - t1) * 1000 }')")
}

# ===================== the AgentX subagent form =====================
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
add_domains
write_snmpd_conf </dev/null
start_snmpd
with_hypervisor
SETOPTS=(-v2c -c private -OU "${MIBOPTS[@]}")
LOGFILE=$T/agent.log
start_agent
[[ $(get xdmHostUnavailable.0) != *control:* ]] && pass "subagent: control available with the toolstack stand-in" ||
	fail "subagent: control unavailable: $(get xdmHostUnavailable.0)"
control_suite subagent
check_match "subagent: requester: the master passes none, said so" 'AgentX master' "$(result 1 Requester)"

# the UUID is checked against the hypervisor's handle when the driver acts:
# a snapshot that still shows the old domain (xenstore frozen) does not
# let a request through to the domain that took its domid
sim freeze >/dev/null
sleep 1.2	# the gathering thread is blocked: the snapshot stays as it is
sim remove 1 >/dev/null
sim add 1 name=web1-impostor uuid=7e570000-0000-4000-8000-0000000000fe state=running vcpus=1 >/dev/null
check_eq "stale snapshot still shows web1 at domid 1" 1 "$(get "xdmControlDomainIndex$(uuid_oid $WEB1)")"
before=$(xl_count destroy)
out=$(act $WEB1 6)
ok "$out" && pass "SET on a stale snapshot accepted" || fail "stale SET: $out"
n=$(last_index)
sim thaw >/dev/null
wait_for 10 done_result "$n" || true
check_eq "reused domid: the driver refused" failed "$(result "$n" Status)"
check_match "reused domid: the detail names both UUIDs" "domain 1 now holds UUID .*, not $WEB1: not acting" "$(result "$n" Detail)"
check_eq "reused domid: nothing destroyed" "$before" "$(xl_count destroy)"
check_match "reused domid: the new domain 1 lives" '^dom 1 ' "$(sim hv-dump | grep '^dom 1 ')"

# the results table keeps the latest 100 requests
first=$(walk xdmResultStatus -Oqn | head -n 1 | awk '{ n = split($1, a, "."); print a[n] }')
for i in $(seq 1 $((100 - $(last_index) + first))); do
	cset xdmControlSpinLock.0 i "$(lock)" "xdmControlVcpusOnline$(uuid_oid $REUSED)" u 1 >/dev/null
done
check_eq "results: at most 100 rows" 100 "$(walk xdmResultStatus -Oqv | grep -c .)"
check_match "results: the oldest went first" 'No Such Instance' "$(result 1 Status)"
stop_agent

# the toolstack cannot be reached: control DOWN, a SET is commitFailed
sim xl-fault context >/dev/null
start_agent
check_match "no toolstack: xdmHostUnavailable says control is down" 'control: libxl: cannot open a libxl context' "$(get xdmHostUnavailable.0)"
out=$(act $REUSED 2)
check_eq "no toolstack: commitFailed" commitFailed "$(reason "$out")"
n=$(last_index)
check_eq "no toolstack: result failed" failed "$(result "$n" Status)"
check_match "no toolstack: the reason in the result" 'control unavailable: libxl: cannot open a libxl context' "$(result "$n" Detail)"
grep -q "control #$n: pause .*failed: control unavailable" "$T/agent.log" && pass "no toolstack: logged" || fail "no toolstack: not logged"
sim xl-fault none >/dev/null
act $REUSED 2 >/dev/null	# refused again, but the agent retries the toolstack
wait_for 5 sh -c "! snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostUnavailable.0 | grep -q control" &&
	pass "toolstack back: control restored" || fail "toolstack back: control not restored"
out=$(cset xdmControlSpinLock.0 i "$(lock)" "xdmControlVcpusOnline$(uuid_oid $REUSED)" u 1)
ok "$out" && pass "toolstack back: a SET works again" || fail "toolstack back: $out"
stop_agent

# read-only mode: every control object notWritable
start_agent --read-only
check_match "read-only: xdmHostUnavailable" 'control: read-only mode' "$(get xdmHostUnavailable.0)"
for obj in "xdmControlSpinLock.0 i $(lock)" "xdmControlAction$(uuid_oid $REUSED) i 2" \
	   "xdmControlMemTarget$(uuid_oid $REUSED) u 262144" "xdmControlVcpusOnline$(uuid_oid $REUSED) u 1"; do
	# shellcheck disable=SC2086
	check_eq "read-only: ${obj%% *} notWritable" notWritable "$(reason "$(cset $obj)")"
done
check_eq "read-only: control rows still read" reused "$(get "xdmControlName$(uuid_oid $REUSED)")"
stop_agent
stop_snmpd
stop_sim

# ===================== the plugin form, with contrib's access fragment =====================
rm -f "$T/sim.log"
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
add_domains
sed -e 's/XENOPS-AUTH-PASSPHRASE/auth-passphrase-1/; s/XENOPS-PRIV-PASSPHRASE/priv-passphrase-1/' \
    -e 's/MONITOR-NETWORK/127.0.0.1/; s/MONITOR-COMMUNITY/public/' \
    "$top_srcdir/contrib/snmpd-xensnmp-control.conf" >"$T/access.conf"
cat >"$T/snmpd.conf" <<CONF
agentaddress $AGENT_ADDR
includeFile $T/access.conf
dlmod xensnmp $PLUGIN
xensnmpRefresh 1
CONF
with_hypervisor_in_snmpd
start_snmpd "${SNMPD_ENV[@]}"
wait_for 10 agent_serves || fail "plugin serves"
sigchld_before=$(awk '/^SigCgt/ { print $2 }' "/proc/$SNMPD_PID/status")
SETOPTS=(-v3 -l authPriv -u xenops -a SHA-256 -A auth-passphrase-1 -x AES -X priv-passphrase-1 -OU "${MIBOPTS[@]}")
LOGFILE=$T/snmpd.log
control_suite plugin
check_match "plugin: requester: the v3 user and address" 'SNMPv3 user xenops from UDP: \[127\.0\.0\.1\]' "$(result 1 Requester)"
check_eq "plugin: snmpd's SIGCHLD handling unchanged by libxl" "$sigchld_before" "$(awk '/^SigCgt/ { print $2 }' "/proc/$SNMPD_PID/status")"

# the v2c community reads and cannot write; authNoPriv cannot write either
out=$(snmpset -v2c -c public -r 0 -t 5 "${MIBOPTS[@]}" "$AGENT_ADDR" xdmControlSpinLock.0 i "$(lock)" \
	"xdmControlAction$(uuid_oid $REUSED)" i 2 2>&1 || true)
check_match "access: v2c SET refused (noAccess/notWritable)" '^(noAccess|notWritable|authorizationError)$' "$(reason "$out")"
check_eq "access: v2c reads" reused "$(get xdmDomainName.7)"
out=$(snmpset -v3 -l authNoPriv -u xenops -a SHA-256 -A auth-passphrase-1 -r 0 -t 5 "${MIBOPTS[@]}" \
	"$AGENT_ADDR" xdmControlSpinLock.0 i "$(lock)" "xdmControlAction$(uuid_oid $REUSED)" i 2 2>&1 || true)
check_match "access: v3 without privacy cannot write" '(noAccess|notWritable|authorizationError)' "$out"
out=$(snmpset "${SETOPTS[@]}" -r 0 -t 5 "$AGENT_ADDR" .1.3.6.1.2.1.1.4.0 s me 2>&1 || true)
check_match "access: the v3 user writes nothing outside xdmControl" '(noAccess|notWritable)' "$out"
check_eq "access: nothing happened to domain 7" running "$(get xdmDomainState.7)"

stop_plugin_snmpd plugin

log "SET-to-effect on the simulated host (toolstack call logged by xensimd):"
for l in "${LATENCIES[@]}"; do log "  $l"; done
finish
