# Shared by the tests of notifications (sourced after lib.sh): a real
# snmptrapd on a loopback port writing every notification it receives as
# one line into $TRAPS, and the searches and timed expectations on them.
# The caller sets SNMPTRAPD_OPTS (extra snmptrapd options) if it wants,
# and FORM (the label of the form under test) before expect_trap.

SNMPTRAPD=${SNMPTRAPD:-/usr/sbin/snmptrapd}
if [ ! -x "$SNMPTRAPD" ]; then
	log "SKIP - $SNMPTRAPD not found (Debian package snmptrapd)"
	exit 77
fi

TRAP_PORT=$((20000 + RANDOM % 30000))
[ "$TRAP_PORT" != "$PORT" ] || TRAP_PORT=$((PORT + 1))
TRAPS=$T/traps.log

# --- the receiver -------------------------------------------------------
# Each line of $TRAPS: the receipt time (bash's EPOCHREALTIME, read as
# snmptrapd writes the line), then "TRAP", then the varbinds separated
# by tabs, "name.INSTANCE = value" (-OQs: no type, no module prefix).
start_trapd() {
	echo "disableAuthorization yes" >"$T/snmptrapd.conf"
	stdbuf -oL "$SNMPTRAPD" -f -Lo -n -C -c "$T/snmptrapd.conf" -OQs ${SNMPTRAPD_OPTS:-} "${MIBOPTS[@]}" \
		-F 'TRAP\t%v\n' "udp:127.0.0.1:$TRAP_PORT" 2>>"$T/snmptrapd.stderr" \
		> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >>"$TRAPS") &
	TRAPD_PID=$!
	wait_for 10 grep -q 'NET-SNMP version' "$TRAPS" ||
		{ log "snmptrapd did not start"; cat "$T/snmptrapd.stderr"; exit 1; }
}

stop_trapd() {
	[ -n "${TRAPD_PID:-}" ] || return 0
	kill -TERM "$TRAPD_PID" 2>/dev/null || true
	wait_pid_gone "$TRAPD_PID" || kill -KILL "$TRAPD_PID" 2>/dev/null || true
	TRAPD_PID=
}
# cleanup reads the exit status first: keep it across stop_trapd
trap 'rc=$?; set +e; stop_trapd; (exit $rc); cleanup' EXIT

mark() { MARK=$(wc -l <"$TRAPS"); }	# later searches see only newer lines

# traps_since NOTIFICATION [OBJECT=VALUE...]: lines after the mark whose
# snmpTrapOID matches NOTIFICATION (an extended regex) and whose objects
# (any instance) have these values
traps_since() {
	local notif=$1; shift
	tail -n +"$((MARK + 1))" "$TRAPS" | awk -F '\t' -v n="$notif" -v conds="$*" '
		{
			ok = 0; delete have
			for (i = 2; i <= NF; i++) {
				eq = index($i, " = ")
				if (!eq) continue
				name = substr($i, 1, eq - 1); val = substr($i, eq + 3)
				sub(/\.[0-9]+$/, "", name)
				have[name] = val
				if (name ~ /snmpTrapOID$|4\.1$/ && val ~ ("^(" n ")$")) ok = 1
			}
			if (!ok) next
			c = split(conds, kv, " ")
			for (i = 1; i <= c; i++) {
				e = index(kv[i], "=")
				if (have[substr(kv[i], 1, e - 1)] != substr(kv[i], e + 1)) next
			}
			print
		}'
}

# field LINE OBJECT: OBJECT's value in a trap line (any instance)
field() {
	printf '%s\n' "$1" | awk -F '\t' -v o="$2" '{
		for (i = 2; i <= NF; i++) if (match($i, "^" o "\\.[0-9]+ = ")) { print substr($i, RLENGTH + 1); exit } }'
}

# instances LINE: the instance suffix of each object after snmpTrapOID, one a line
instances() {
	printf '%s\n' "$1" | awk -F '\t' '{
		for (i = 4; i <= NF; i++) { n = $i; sub(/ = .*/, "", n); sub(/^[^.]*\./, "", n); print n } }'
}

# objects_in LINE: the objects after snmpTrapOID, without instance, space-separated
objects_in() {
	printf '%s\n' "$1" | awk -F '\t' '{
		for (i = 4; i <= NF; i++) { n = $i; sub(/\..*/, "", n); printf "%s%s", (i > 4 ? " " : ""), n } }'
}

count_since() { traps_since "$@" | grep -c . || true; }
has_trap() { [ -n "$(traps_since "$@")" ]; }

# expect_trap TARGET T0 DESCRIPTION NOTIFICATION [OBJECT=VALUE...]: one
# such trap arrives (an EPOCHREALTIME taken just before the change); sets
# LINE and prints the latency against TARGET seconds, the MIB's promise.
# The latency is a figure, not a pass mark (a loaded machine is slower):
# the check fails only when nothing arrives within 5 x TARGET + 2 s.
expect_trap() {
	local target=$1 t0=$2 what=$3 got ms bound
	shift 3
	LINE=
	bound=$(awk -v l="$target" 'BEGIN { printf "%d", l * 5 + 2 }')
	if wait_for "$bound" has_trap "$@"; then
		LINE=$(traps_since "$@" | head -n 1)
		got=${LINE%% *}
		ms=$(awk -v a="$t0" -v b="$got" 'BEGIN { printf "%d", (b - a) * 1000 }')
		log "latency: $FORM: $what: $ms ms (target ${target} s)"
		LATENCIES="$LATENCIES $FORM/$what=${ms}ms"
		pass "$FORM: $what received ($ms ms; target ${target} s)"
	else
		fail "$FORM: $what: no $* received within $bound s"
		tail -n 5 "$TRAPS"
	fi
}

# expect_none SECONDS DESCRIPTION NOTIFICATION [OBJECT=VALUE...]
expect_none() {
	local secs=$1 what=$2
	shift 2
	sleep "$secs"
	local n
	n=$(count_since "$@")
	check_eq "$FORM: $what: nothing sent" 0 "$n"
}

now() { printf '%s' "$EPOCHREALTIME"; }
