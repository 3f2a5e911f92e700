#!/bin/bash
# XEN-DOMAIN-MIB's notifications received by a real snmptrapd, in both
# forms: the subagent's go through the master snmpd (AgentX Notify PDU),
# the plugin's are sent by snmpd itself.  Checks each notification's
# varbinds, the time from the simulated host's change to the receipt
# (printed), the enable switches, the stale/fresh pair, the rate limit
# under a burst of 300 creations while GETs are still answered, and
# xdmActionFinished for control requests (through the libxenlight
# stand-in) that succeed, fail in the toolstack or cannot be taken.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/traps.sh"

RATE=10			# xensnmpNotifyRate for this test
RW=(-v2c -c private -t 3 -r 0 "${MIBOPTS[@]}")

U1=4a1b2c3d-1111-4222-8333-944455566677
U2=5b2c3d4e-2222-4333-8444-a55566677788
U3=6c3d4e5f-3333-4444-8555-b66677788899
U4=7d4e5f6a-4444-4555-8666-c77788899900	# controlled through xdmControl

# mib_objects NOTIFICATION: its OBJECTS clause as the MIB has it, space-separated
mib_objects() {
	snmptranslate "${MIBOPTS[@]}" -Td "XEN-DOMAIN-MIB::$1" |
		sed -n 's/^  OBJECTS[[:space:]]*{ *\(.*\) *}$/\1/p' | sed 's/, */ /g; s/ *$//'
}

# slowest_get: the slowest of 10 GETs 0.2 s apart, in ms (99999: no answer)
slowest_get() {
	local i a v ms worst=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		a=$EPOCHREALTIME
		v=$(snmpget -v2c -c public -t 2 -r 0 -Oqv "${MIBOPTS[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmHostName.0 2>&1)
		ms=$(awk -v a="$a" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
		[ "$v" = "$(hostname)" ] || ms=99999
		[ "$ms" -gt "$worst" ] && worst=$ms
		sleep 0.2
	done
	echo "$worst"
}

# control_set COLUMN TYPE VALUE: one PDU with the lock and $U4's xdmControl
# column, as a manager sends it
control_set() {
	local lock
	lock=$(get xdmControlSpinLock.0)
	snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmControlSpinLock.0 i "$lock" \
		"XEN-DOMAIN-MIB::xdmControl$1$(uuid_oid $U4)" "$2" "$3" 2>&1 || true
}

# control_row_at DOMID: $U4's control row names DOMID
control_row_at() {
	[ "$(get "xdmControlDomainIndex$(uuid_oid $U4)")" = "$1" ]
}

# request WHAT COLUMN TYPE VALUE: marks, sets T0 and sends the request,
# which the agent must accept
request() {
	local out
	mark; T0=$(now)
	out=$(control_set "$2" "$3" "$4")
	[[ $out != *Reason:* && $out != *Timeout* ]] && pass "$FORM: control: $1 accepted" ||
		fail "$FORM: control: $1: $out"
}

# xdmActionFinished for control requests on domain 44 ($U4)
control_checks() {
	local t0 n order
	mark; t0=$(now)
	sim add 44 name=controlled uuid=$U4 mem_target_kib=262144 mem_max_kib=524288 vcpus=1 >/dev/null
	expect_trap 1 "$t0" "xdmDomainCreated (a domain to control)" xdmDomainCreated xdmNotifyDomainIndex=44
	wait_for 5 control_row_at 44 || fail "$FORM: no control row for domain 44"

	# pause: success, with the row it ends
	request pause Action i pause
	expect_trap 2 "$T0" "xdmActionFinished (pause, success)" \
		xdmActionFinished xdmResultRequest=pause xdmResultUUID=$U4 xdmResultStatus=success
	check_eq "$FORM: actionFinished: the objects of the MIB's OBJECTS, in order" \
		"$(mib_objects xdmActionFinished)" "$(objects_in "$LINE")"
	n=$(instances "$LINE" | head -n 1)
	check_eq "$FORM: actionFinished: one instance for all, the result row's" "$n" \
		"$(instances "$LINE" | sort -u | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$FORM: actionFinished: the row of the request" pause "$(get "xdmResultRequest.$n")"
	check_eq "$FORM: actionFinished: value 0 for an action" 0 "$(field "$LINE" xdmResultValue)"
	check_eq "$FORM: actionFinished: name" controlled "$(field "$LINE" xdmResultName)"
	check_eq "$FORM: actionFinished: domain id" 44 "$(field "$LINE" xdmResultDomainId)"
	check_eq "$FORM: actionFinished: no detail on success (present: see OBJECTS)" '' "$(field "$LINE" xdmResultDetail)"
	check_eq "$FORM: actionFinished: the table says the same" success "$(get "xdmResultStatus.$n")"
	# the snapshot that shows the pause is told first
	order=$(tail -n +"$((MARK + 1))" "$TRAPS" | grep -oE 'xdmDomainStateChanged|xdmActionFinished' | tr '\n' ' ')
	check_eq "$FORM: actionFinished: after the pause's xdmDomainStateChanged" \
		"xdmDomainStateChanged xdmActionFinished " "$order"

	# unpause failing in the toolstack: failed, with the reason
	sim xl-fault unpause >/dev/null
	request unpause Action i unpause
	expect_trap 2 "$T0" "xdmActionFinished (unpause, failed)" \
		xdmActionFinished xdmResultRequest=unpause xdmResultUUID=$U4 xdmResultStatus=failed
	check_match "$FORM: actionFinished: the toolstack's failure" 'libxl_domain_unpause failed' \
		"$(field "$LINE" xdmResultDetail)"
	n=$(instances "$LINE" | head -n 1)
	check_eq "$FORM: actionFinished: the failed row's detail" "$(get "xdmResultDetail.$n")" \
		"$(field "$LINE" xdmResultDetail)"
	check_eq "$FORM: control: the domain stays paused" paused "$(get xdmDomainState.44)"
	check_eq "$FORM: control: one notification per request" 1 "$(count_since xdmActionFinished)"

	# a memory target: the value asked for
	request setMemTarget MemTarget u 131072
	expect_trap 2 "$T0" "xdmActionFinished (setMemTarget)" \
		xdmActionFinished xdmResultRequest=setMemTarget xdmResultValue=131072 xdmResultStatus=success

	# switched off: the request is carried out, nothing is sent
	snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyActionFinishedEnable.0 i 2 >/dev/null 2>&1 ||
		fail "$FORM: SET xdmNotifyActionFinishedEnable false"
	request "unpause (switched off)" Action i unpause
	wait_for 5 sh -c "snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmDomainState.44 | grep -q running" ||
		fail "$FORM: control: domain 44 not unpaused"
	expect_none 1 "xdmActionFinished switched off" xdmActionFinished
	snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyActionFinishedEnable.0 i 1 >/dev/null 2>&1 ||
		fail "$FORM: SET xdmNotifyActionFinishedEnable true"
}

# --- the checks, the same in both forms ----------------------------------
run_checks() {
	local t0 line i

	check_eq "$FORM: rate limit from the configuration" $RATE "$(get xdmNotifyRateLimit.0)"
	check_eq "$FORM: switches on by default" "true true true true true" \
		"$(for o in Created StateChanged Destroyed ActionFinished Snapshot; do get xdmNotify${o}Enable.0; done | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$FORM: nothing dropped yet" 0 "$(get xdmNotifyDropped.0)"
	mark
	check_eq "$FORM: nothing sent for the domains found at start" 0 \
		"$(count_since xdmDomainCreated)"

	# created: watch-driven (@introduceDomain)
	mark; t0=$(now)
	sim add 40 name=notify-a uuid=$U1 ostype=linux mem_target_kib=65536 vcpus=1 >/dev/null
	expect_trap 1 "$t0" "xdmDomainCreated" xdmDomainCreated xdmNotifyDomainIndex=40
	check_eq "$FORM: created: domid" 40 "$(field "$LINE" xdmNotifyDomainId)"
	check_eq "$FORM: created: UUID" $U1 "$(field "$LINE" xdmNotifyDomainUUID)"
	check_eq "$FORM: created: name" notify-a "$(field "$LINE" xdmNotifyDomainName)"
	check_eq "$FORM: created: state" running "$(field "$LINE" xdmNotifyDomainState)"
	check_match "$FORM: created: sysUpTime and snmpTrapOID come first" \
		$'^[0-9.]+ TRAP\t[^\t]*(sysUpTime|1\\.3\\.0)[^\t]*\t[^\t]*(snmpTrapOID|4\\.1\\.0) = xdmDomainCreated\t' "$LINE"

	# paused: no watch fires, so the timed refresh (1 s) finds it
	mark; t0=$(now)
	sim set 40 state=paused >/dev/null
	expect_trap 2 "$t0" "xdmDomainStateChanged (pause, timer-driven)" \
		xdmDomainStateChanged xdmNotifyDomainIndex=40 xdmNotifyDomainState=paused
	check_eq "$FORM: paused: previous state" running "$(field "$LINE" xdmNotifyPrevState)"
	check_eq "$FORM: paused: shutdown reason" none "$(field "$LINE" xdmNotifyShutdownReason)"
	check_eq "$FORM: paused: UUID" $U1 "$(field "$LINE" xdmNotifyDomainUUID)"
	mark; t0=$(now)
	sim set 40 state=running >/dev/null
	expect_trap 2 "$t0" "xdmDomainStateChanged (unpause, timer-driven)" \
		xdmDomainStateChanged xdmNotifyDomainIndex=40 xdmNotifyPrevState=paused xdmNotifyDomainState=running

	# running <-> blocked is not a change of state worth telling
	mark
	sim set 40 state=blocked >/dev/null
	sleep 1.5
	sim set 40 state=running >/dev/null
	expect_none 1.5 "running to blocked and back" xdmDomainStateChanged

	# crashed: xenstored fires @releaseDomain, so within 1 s
	mark; t0=$(now)
	sim set 40 state=crashed >/dev/null
	expect_trap 1 "$t0" "xdmDomainStateChanged (crash, watch-driven)" \
		xdmDomainStateChanged xdmNotifyDomainIndex=40 xdmNotifyDomainState=crashed
	check_eq "$FORM: crashed: previous state" running "$(field "$LINE" xdmNotifyPrevState)"
	check_eq "$FORM: crashed: shutdown reason" crash "$(field "$LINE" xdmNotifyShutdownReason)"

	# destroyed: the last values
	mark; t0=$(now)
	sim remove 40 >/dev/null
	expect_trap 1 "$t0" "xdmDomainDestroyed" xdmDomainDestroyed xdmNotifyDomainIndex=40
	check_eq "$FORM: destroyed: last domid" 40 "$(field "$LINE" xdmNotifyDomainId)"
	check_eq "$FORM: destroyed: UUID" $U1 "$(field "$LINE" xdmNotifyDomainUUID)"
	check_eq "$FORM: destroyed: name" notify-a "$(field "$LINE" xdmNotifyDomainName)"

	# reboot as xl does it: shut down for reboot, destroyed, re-created
	# under a new domid with the same UUID
	mark; t0=$(now)
	sim add 41 name=rebooter uuid=$U2 vcpus=1 >/dev/null
	expect_trap 1 "$t0" "xdmDomainCreated (before the reboot)" xdmDomainCreated xdmNotifyDomainIndex=41
	mark; t0=$(now)
	sim set 41 state=rebooting >/dev/null
	expect_trap 1 "$t0" "xdmDomainStateChanged (shut down to reboot)" \
		xdmDomainStateChanged xdmNotifyDomainIndex=41 xdmNotifyDomainState=shutdown
	check_eq "$FORM: reboot: shutdown reason" reboot "$(field "$LINE" xdmNotifyShutdownReason)"
	mark; t0=$(now)
	sim remove 41 >/dev/null
	sim add 42 name=rebooter uuid=$U2 vcpus=1 >/dev/null
	expect_trap 1 "$t0" "xdmDomainCreated (reboot under a new domid)" \
		xdmDomainCreated xdmNotifyDomainIndex=42 xdmNotifyDomainUUID=$U2
	line=$(traps_since xdmDomainDestroyed xdmNotifyDomainIndex=41 xdmNotifyDomainUUID=$U2)
	[ -n "$line" ] && pass "$FORM: reboot: the old domid destroyed, same UUID" ||
		fail "$FORM: reboot: no xdmDomainDestroyed for domid 41"
	check_match "$FORM: reboot: destroyed comes before created" \
		"xdmDomainDestroyed.*"$'\n'".*xdmDomainCreated" \
		"$(tail -n +"$((MARK + 1))" "$TRAPS" | grep -E 'xdmDomain(Destroyed|Created)')"

	if [ -e "$XLSIM" ]; then control_checks; else log "SKIP - xdmActionFinished: built without libxenlight"; fi

	# --- the switches ---
	out=$(snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyCreatedEnable.0 i 3 2>&1 || true)
	check_match "$FORM: a switch refuses a value that is no TruthValue" 'wrongValue' "$out"
	out=$(snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyRateLimit.0 u 5 2>&1 || true)
	check_match "$FORM: the rate limit is not writable" 'notWritable' "$out"
	for o in Created StateChanged Destroyed; do
		snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotify${o}Enable.0 i 2 >/dev/null 2>&1 ||
			fail "$FORM: SET xdmNotify${o}Enable false"
	done
	check_eq "$FORM: switched off reads false" false "$(get xdmNotifyCreatedEnable.0)"
	mark
	sim add 43 name=silent uuid=$U3 vcpus=1 >/dev/null
	sim set 43 state=crashed >/dev/null
	sim remove 42 >/dev/null
	expect_none 2 "switched off: created, crashed, destroyed" 'xdmDomain(Created|StateChanged|Destroyed)'
	check_eq "$FORM: switched-off notifications are not counted as dropped" 0 "$(get xdmNotifyDropped.0)"
	snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyDestroyedEnable.0 i 1 >/dev/null 2>&1
	mark; t0=$(now)
	sim remove 43 >/dev/null
	expect_trap 1 "$t0" "xdmDomainDestroyed (switched on again)" xdmDomainDestroyed xdmNotifyDomainIndex=43
	check_eq "$FORM: only the switched-on kind" 0 "$(count_since 'xdmDomain(Created|StateChanged)')"
	for o in Created StateChanged; do
		snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotify${o}Enable.0 i 1 >/dev/null 2>&1
	done
	grep -q 'xdmNotifyCreatedEnable set to false' "$LOGFILE" &&
		pass "$FORM: a switch's change is logged" || fail "$FORM: switch change not logged"

	# --- stale and fresh: xenstored hangs, then resumes ---
	mark; t0=$(now)
	sim freeze >/dev/null
	# the agent calls a snapshot stale after 3 refresh intervals + 2 s
	expect_trap 7 "$t0" "xdmSnapshotStale (from the hang)" xdmSnapshotStale xdmHostSnapshotState=stale
	check_match "$FORM: stale: the last refresh's time" '^[0-9]{4}-' "$(field "$LINE" xdmHostLastRefresh)"
	stale_at=${LINE%% *}
	seen=$(awk -v a="$t0" -v b="$stale_at" 'BEGIN { printf "%.1f", b - a }')
	log "$FORM: stale notified $seen s after the hang began (stale: no refresh for 3 x 1 s + 2 s)"
	mark; t0=$(now)
	sim thaw >/dev/null
	expect_trap 2 "$t0" "xdmSnapshotFresh (after the thaw)" xdmSnapshotFresh xdmHostSnapshotState=fresh
	check_eq "$FORM: fresh: xdmHostUnavailable as served" "$(get xdmHostUnavailable.0)" \
		"$(field "$LINE" xdmHostUnavailable)"

	# --- a burst of 300 creations: capped, summarised, GETs answered ---
	mark
	dropped0=$(get xdmNotifyDropped.0)
	quiet=$(slowest_get)
	sim generate 300 >/dev/null
	worst=$(slowest_get)
	log "latency: $FORM: slowest of 10 GETs (snmpget run included): $quiet ms before, $worst ms during the burst"
	# a GET that waited on the burst would wait for the next refresh (1 s)
	# on top of what a GET costs on this machine now (measured before)
	[ "$worst" -lt $((2 * quiet + 1000)) ] && pass "$FORM: GETs answered during the burst (slowest $worst ms, $quiet ms before)" ||
		fail "$FORM: a GET took $worst ms during the burst ($quiet ms before)"
	wait_for 10 sh -c "[ \$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmHostDomainCount.0) -ge 304 ]" ||
		fail "$FORM: the burst's domains do not all show"
	sleep 2	# the last summary
	created=$(count_since xdmDomainCreated)
	summaries=$(count_since xdmNotificationsDropped)
	dropped=$(traps_since xdmNotificationsDropped | awk -F '\t' '{
		for (i = 2; i <= NF; i++) if ($i ~ /^xdmNotifyDroppedSince\.0 = /) { sub(/.* = /, "", $i); s += $i } }
		END { print s + 0 }')
	span=$(traps_since xdmDomainCreated | awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.2f", l - f }')
	log "$FORM: burst of 300: $created xdmDomainCreated sent over $span s, $dropped dropped, $summaries summaries"
	check_eq "$FORM: every creation is sent or counted as dropped" 300 $((created + dropped))
	# the bucket holds RATE and refills RATE a second
	if awk -v c="$created" -v s="$span" -v r=$RATE 'BEGIN { exit !(c >= r && c <= r + r * (s + 1)) }'; then
		pass "$FORM: the burst is capped at $RATE at once, $RATE a second ($created in $span s)"
	else
		fail "$FORM: $created sent in $span s, cap $RATE + $RATE/s"
	fi
	if [ "$summaries" -ge 1 ]; then pass "$FORM: xdmNotificationsDropped sent ($summaries)"; else fail "$FORM: no xdmNotificationsDropped"; fi
	check_eq "$FORM: xdmNotifyDropped counts the drops" $((dropped0 + dropped)) "$(get xdmNotifyDropped.0)"
	line=$(traps_since xdmNotificationsDropped | tail -n 1)
	check_eq "$FORM: the summary carries the total" $((dropped0 + dropped)) "$(field "$line" xdmNotifyDropped)"
}

LATENCIES=
start_trapd

# --- subagent: the master snmpd forwards the AgentX Notify PDUs ---
FORM=subagent
LOGFILE=$T/agent.log
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf <<CONF
trap2sink udp:127.0.0.1:$TRAP_PORT public
CONF
start_snmpd
# VM-MIB's notifications share the bucket (test_vmmib): off here, so that
# the counts below are XEN-DOMAIN-MIB's alone
VMMIB_OFF=$'xensnmpNotify vmPerVM no\nxensnmpNotify vmBulk no'
# the stale check below needs a hung xenstored found although nobody
# reads: the heartbeat, off by default
printf 'xensnmpNotifyRate %s\nxensnmpXenstoreHeartbeat 1\n%s\n' "$RATE" "$VMMIB_OFF" >"$T/agent.conf"
with_hypervisor
start_agent -c "$T/agent.conf"
run_checks
# a SET lasts until the configuration is read again, which sets the switches
snmpset "${RW[@]}" "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmNotifyCreatedEnable.0 i 2 >/dev/null 2>&1
printf 'xensnmpNotifyRate %s\nxensnmpNotify snapshot no\n%s\n' $RATE "$VMMIB_OFF" >"$T/agent.conf"
kill -HUP "$AGENT_PID"
switches() { for o in Created Snapshot; do get xdmNotify${o}Enable.0; done | tr '\n' ' '; }
wait_for 5 sh -c "[ \"\$(snmpget ${SNMPOPTS[*]} -Oqv $AGENT_ADDR XEN-DOMAIN-MIB::xdmNotifySnapshotEnable.0)\" = false ]" || true
check_eq "subagent: SIGHUP: switches from the configuration, SETs forgotten" "true false " "$(switches)"
stop_agent
stop_snmpd
stop_sim
# a bad line is refused with a message that names the kinds
printf 'xensnmpNotify everything no\nxensnmpNotifyRate 0\n' >"$T/bad.conf"
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
start_snmpd
start_agent -c "$T/bad.conf"
check_match "subagent: unknown kind refused" 'unknown notification kind' "$(cat "$T/agent.log" "$T/agent.stderr")"
check_match "subagent: bad rate refused" 'xensnmpNotifyRate takes a whole number' "$(cat "$T/agent.log" "$T/agent.stderr")"
check_eq "subagent: the default rate stays" 20 "$(get xdmNotifyRateLimit.0)"
stop_agent
# a request the agent cannot take (no toolstack context): the SET fails
# with commitFailed and the failed request is told at once
if [ -e "$XLSIM" ]; then
	sim xl-fault context >/dev/null
	start_agent
	sim add 44 name=controlled uuid=$U4 vcpus=1 >/dev/null
	wait_for 5 control_row_at 44 || fail "subagent: no control row for domain 44"
	mark; t0=$(now)
	out=$(control_set Action i pause)
	check_match "subagent: no toolstack: commitFailed" 'commitFailed' "$out"
	expect_trap 1 "$t0" "xdmActionFinished (commitFailed)" \
		xdmActionFinished xdmResultRequest=pause xdmResultUUID=$U4 xdmResultStatus=failed
	check_match "subagent: no toolstack: the reason" 'control unavailable' "$(field "$LINE" xdmResultDetail)"
	check_eq "subagent: no toolstack: the domain untouched" running "$(get xdmDomainState.44)"
	stop_agent
fi
stop_snmpd
stop_sim

# --- plugin: snmpd sends them itself ---
FORM=plugin
LOGFILE=$T/snmpd.log
start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf <<CONF
trap2sink udp:127.0.0.1:$TRAP_PORT public
dlmod xensnmp $PLUGIN
xensnmpRefresh 1
xensnmpXenstoreHeartbeat 1
xensnmpNotifyRate $RATE
$VMMIB_OFF
CONF
# the plugin's hypercalls and toolstack calls go to the simulated host too
with_hypervisor_in_snmpd
start_snmpd "${SNMPD_ENV[@]}"
wait_for 10 agent_serves || fail "plugin serves"
check_eq "plugin: the hypervisor stand-in is loaded" running "$(get xdmDomainState.1)"
run_checks
stop_plugin_snmpd plugin

log "latencies:$LATENCIES"
finish
