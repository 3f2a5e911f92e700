# Shared by the integration tests: a temporary directory with a real
# snmpd master (loopback UDP, AgentX on a unix socket), the simulated Xen
# host and the agent, and checks through the real net-snmp tools.
set -euo pipefail

: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
SNMPD=${SNMPD:-/usr/sbin/snmpd}
SIM=$top_builddir/tests/sim/xensimd
AGENT=$top_builddir/agent/xensnmpd
PLUGIN=$top_builddir/agent/.libs/xensnmp.so
XENSNAP=$top_builddir/tests/tools/xensnap
XCSIM=$top_builddir/tests/sim/.libs/libxcsim.so

T=$(mktemp -d /tmp/xensnmp-test.XXXXXX)
export SNMP_PERSISTENT_DIR=$T/persist
export XENSTORED_PATH=$T/xenstored.sock
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$SNMP_PERSISTENT_DIR"
PORT=$((20000 + RANDOM % 30000))
AGENT_ADDR=udp:127.0.0.1:$PORT
MIBOPTS=(-M "$top_srcdir/mib:$top_srcdir/mib/ietf" -m XEN-DOMAIN-MIB)
# -OU: values without their UNITS.  (-O flags toggle: never repeat one.)
SNMPOPTS=(-v2c -c public -t 3 -r 1 -OU "${MIBOPTS[@]}")
NAME=$(basename "$0" .sh)
passes=0
fails=0

log() { printf '%s: %s\n' "$NAME" "$*"; }

pass() { passes=$((passes + 1)); log "ok - $*"; }
fail() { fails=$((fails + 1)); log "FAIL - $*"; }

# check DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# check_match DESCRIPTION REGEX ACTUAL
check_match() {
	if [[ $3 =~ $2 ]]; then pass "$1"; else fail "$1: [$3] does not match /$2/"; fi
}

wait_for() {	# wait_for SECONDS COMMAND...: polls every 0.1 s, sub-second exact
	local deadline
	deadline=$(awk -v t="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", t + s }'); shift
	until "$@" >/dev/null 2>&1; do
		awk -v t="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(t < d) }' || return 1
		sleep 0.1
	done
}

wait_pid_gone() {
	local pid=$1 i
	for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

sanitizer_clean() {	# sanitizer_clean FILE: no sanitizer report in it
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"
}

start_sim() {	# start_sim [ARGS...]
	rm -f "$T/sim.pid"
	"$SIM" --xenstore "$XENSTORED_PATH" --control "$T/sim.ctl" --pidfile "$T/sim.pid" "$@" \
		>>"$T/sim.log" 2>&1 &
	wait_for 30 test -s "$T/sim.pid" || { log "simulator did not start"; cat "$T/sim.log"; exit 1; }
	SIM_PID=$(cat "$T/sim.pid")
}

sim() { "$SIM" ctl "$T/sim.ctl" "$@"; }

stop_sim() {
	[ -n "${SIM_PID:-}" ] || return 0
	kill -TERM "$SIM_PID" 2>/dev/null || true
	wait_pid_gone "$SIM_PID" || kill -KILL "$SIM_PID" 2>/dev/null || true
	SIM_PID=
}

write_snmpd_conf() {	# extra lines on stdin are appended
	{
		echo "master agentx"
		echo "agentXSocket unix:$T/agentx.sock"
		echo "agentaddress $AGENT_ADDR"
		echo "rocommunity public 127.0.0.1"
		echo "rwcommunity private 127.0.0.1"
		echo "agentXTimeout 5"
		echo "agentXPerms 0777 0777"	# so a non-root agent can connect
		cat
	} >"$T/snmpd.conf"
}

# snmpd configured as Debian ships it (the community "public" and the
# SNMPv3 user see only the view systemonly), listening here, with
# contrib/snmpd/xensnmp.conf, the fragment that opens XEN-DOMAIN-MIB to
# them, included as Debian's snmpd.conf.d would: what an NMS user runs.
# The SNMPv3 user is nmsuser (authPriv, SHA and AES); the community
# $PROBE_COMMUNITY sees everything, for the tests' own probes.  With
# "bare", the fragment is left out.
V3USER=nmsuser V3AUTH=authpass123 V3PRIV=privpass123 PROBE_COMMUNITY=xensnmp-probe
write_stock_snmpd_conf() {
	{
		echo "master agentx"
		echo "agentXSocket unix:$T/agentx.sock"
		echo "agentaddress $AGENT_ADDR"
		echo "agentXTimeout 5"
		echo "agentXPerms 0777 0777"
		echo "view   systemonly  included   .1.3.6.1.2.1.1"
		echo "view   systemonly  included   .1.3.6.1.2.1.25.1"
		echo "rocommunity  public default -V systemonly"
		echo "createUser $V3USER SHA $V3AUTH AES $V3PRIV"
		echo "rouser $V3USER authpriv -V systemonly"
		echo "rocommunity $PROBE_COMMUNITY 127.0.0.1"
		[ "${1:-}" = bare ] || echo "includeFile $top_srcdir/contrib/snmpd/xensnmp.conf"
	} >"$T/snmpd.conf"
}

# serve_stock_host [SNMPD-CONF-LINE...]: what an operator's NMS polls, for
# the integration tests: the basic scenario with dom0 statistics, snmpd as
# Debian ships it with our fragment (and the lines given), and the agent
# with every driver
serve_stock_host() {
	start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn" --stats-root "$T/stats"
	write_stock_snmpd_conf
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$T/snmpd.conf"
	start_snmpd
	cat >"$T/agent.conf" <<CONF
xensnmpProcRoot $T/stats/proc
xensnmpSysRoot $T/stats/sys
CONF
	with_hypervisor
	start_agent -c "$T/agent.conf"
}

start_snmpd() {	# start_snmpd [ENV=VALUE...]: uses $T/snmpd.conf
	rm -f "$T/snmpd.pid"
	env "$@" "$SNMPD" -f -C -c "$T/snmpd.conf" -Lf "$T/snmpd.log" -p "$T/snmpd.pid" \
		-M "$top_srcdir/mib:$top_srcdir/mib/ietf" -m XEN-DOMAIN-MIB \
		>>"$T/snmpd.stderr" 2>&1 &
	SNMPD_PID=$!
	wait_for 15 snmpget -v2c -c public -t 1 -r 0 -On "$AGENT_ADDR" .1.3.6.1.2.1.1.3.0 ||
		{ log "snmpd did not answer"; cat "$T/snmpd.log" "$T/snmpd.stderr"; exit 1; }
}

# stop_plugin_snmpd LABEL: SIGTERM to snmpd with the module in it, which
# must exit 0 without a sanitizer report
stop_plugin_snmpd() {
	local pid=$SNMPD_PID rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	SNMPD_PID=
	check_eq "$1: snmpd exits 0" 0 "$rc"
	if sanitizer_clean "$T/snmpd.stderr"; then
		pass "$1: no sanitizer report"
	else
		fail "$1: sanitizer report"; cat "$T/snmpd.stderr"
	fi
}

stop_snmpd() {
	[ -n "${SNMPD_PID:-}" ] || return 0
	kill -TERM "$SNMPD_PID" 2>/dev/null || true
	wait_pid_gone "$SNMPD_PID" || kill -KILL "$SNMPD_PID" 2>/dev/null || true
	SNMPD_PID=
}

XLSIM=$top_builddir/tests/sim/.libs/libxlsim.so
# with_hypervisor: the agent's hypercalls and toolstack calls go to the
# simulated host (the libxenctrl and, when built, libxenlight stand-ins,
# preloaded; sanitizers must let them come first)
with_hypervisor() {
	local preload=$XCSIM
	[ -e "$XLSIM" ] && preload="$preload $XLSIM"
	AGENT_ENV=("LD_PRELOAD=$preload" "XENSIM_CONTROL=$T/sim.ctl"
		   "ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0")
}
AGENT_ENV=()

# with_hypervisor_in_snmpd: the same for the plugin form, as arguments of
# start_snmpd in SNMPD_ENV; a sanitized plugin needs the sanitizer
# runtimes loaded first, and snmpd's own allocations are not ours to
# check for leaks
with_hypervisor_in_snmpd() {
	local preload=$XCSIM
	[ -e "$XLSIM" ] && preload="$preload $XLSIM"
	[ -z "${SANITIZERS:-}" ] ||
		preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $preload"
	SNMPD_ENV=("LD_PRELOAD=$preload" "XENSIM_CONTROL=$T/sim.ctl"
		   "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0")
}

start_agent() {	# start_agent [AGENT OPTIONS...]; environment from AGENT_ENV
	rm -f "$T/agent.pid"
	env "${AGENT_ENV[@]}" "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -p "$T/agent.pid" \
		--refresh 1 "$@" >>"$T/agent.stderr" 2>&1 &
	AGENT_PID=$!
	wait_for 20 agent_serves || { log "agent did not serve"; tail -n 20 "$T/agent.log" "$T/agent.stderr"; exit 1; }
}

# serving, and past the quick first snapshot (the hypervisor's domain
# list alone, while xenstore's first reading is in progress)
agent_serves() {
	local out
	out=$(snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" XEN-DOMAIN-MIB::xdmHostDomainCount.0 \
		XEN-DOMAIN-MIB::xdmHostUnavailable.0) || return 1
	grep -qE '^[0-9]+$' <<<"$out" && ! grep -q 'first reading in progress' <<<"$out"
}

stop_agent() {	# stops the agent; fails the test if it did not exit cleanly
	local rc=0
	[ -n "${AGENT_PID:-}" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	check_eq "agent exits 0 on SIGTERM" 0 "$rc"
	if sanitizer_clean "$T/agent.stderr"; then
		pass "agent: no sanitizer or leak report"
	else
		fail "agent: sanitizer report"; cat "$T/agent.stderr"
	fi
}

get() {	# get OBJECT: value only
	snmpget "${SNMPOPTS[@]}" -Oqv "$AGENT_ADDR" "XEN-DOMAIN-MIB::$1" 2>&1
}

walk() {	# walk OBJECT [OPTIONS]: by default "name.index value" lines
	local obj=$1; shift
	[ $# -gt 0 ] || set -- -Oq
	snmpwalk "${SNMPOPTS[@]}" "$@" "$AGENT_ADDR" "XEN-DOMAIN-MIB::$obj" 2>&1
}

bits() {	# bits OBJECT: the named bits that are set, e.g. "xenstore(0)"
	snmpget "${SNMPOPTS[@]}" -Ov "$AGENT_ADDR" "XEN-DOMAIN-MIB::$1" 2>&1 |
		sed -n 's/^BITS: [0-9A-Fa-f ]*//p' | sed 's/ *$//'
}

octets() {	# octets OID: a string's octets in hex, without any DISPLAY-HINT
	snmpget -v2c -c public -t 3 -r 1 -m "" -Oqv "$AGENT_ADDR" "$1" 2>&1 | sed 's/ *"$/"/'
}

uuid_oid() {	# uuid_oid UUID: an xdmControlTable index, ".79.119..." (one sub-id per octet)
	local u=${1//-/} o="" i
	for ((i = 0; i < 32; i += 2)); do o="$o.$((16#${u:i:2}))"; done
	echo "$o"
}

cleanup() {
	local rc=$?
	set +e	# clean up everything, whatever fails
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	stop_snmpd
	stop_sim
	if [ "$rc" -ne 0 ] || [ "$fails" -ne 0 ]; then
		log "logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

# mib_check MODULE MODULE_FILE [IMPORT_FILE...] [--require NAME,...]: a
# second SNMP stack (npm's net-snmp, installed into the build tree on first
# use) walks MODULE on the agent and checks every value against the
# module's SYNTAX and DESCRIPTION promises (mib_check.js).  Logs its ok
# and FAIL lines and leaves its whole output in $MIB_CHECK_OUT; returns 1
# when npm cannot install it (logged as a SKIP).
MIB_CHECK_OUT=$T/mib-check.out
mib_check() {
	local dir=$top_builddir/tests/npm
	if [ ! -d "$dir/node_modules/net-snmp" ]; then
		if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
			log "SKIP - independent check: node and npm are not installed"; return 1
		fi
		mkdir -p "$dir"
		if ! (cd "$dir" && timeout 300 npm install --no-audit --no-fund --silent net-snmp@3.29.2 >"$T/npm.log" 2>&1); then
			log "SKIP - independent check: npm cannot install net-snmp (registry unreachable?): $(tail -n 2 "$T/npm.log" | xargs)"
			return 1
		fi
	fi
	local module=$1 file=$2; shift 2
	local imports=() rest=()
	while [ $# -gt 0 ]; do
		case $1 in
		--require) rest=("$1" "$2"); shift 2 ;;
		*) imports+=("$1"); shift ;;
		esac
	done
	node "$top_srcdir/tests/integration/mib_check.js" "$dir/node_modules/net-snmp" \
		"$module" "$file" 127.0.0.1 "${AGENT_ADDR##*:}" "${imports[@]}" "${rest[@]}" >"$MIB_CHECK_OUT" 2>&1 || true
	{ grep -E '^(FAIL|ok) ' "$MIB_CHECK_OUT" || true; } | head -n 40 | while IFS= read -r l; do log "npm net-snmp: $l"; done
	return 0
}

finish() {
	echo "$NAME: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
