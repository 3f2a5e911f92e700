#!/bin/bash
# Benchmark of XEN-DOMAIN-MIB against the simulated Xen host.
#
#   bench/run.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build-bench under the source top; it is configured
# (without sanitizers) and built when its products are missing.
#
# For each N in $BENCH_SIZES (default "10 100 1000 10000") it starts
# xensimd with N guests (N+1 domains with Domain-0) and measures:
#   refresh_s        one full refresh by the Xen access layer (xensnap)
#   xs_requests      xenstore requests of that refresh
#   walk_agentx_s    snmpbulkwalk of xdmDomainTable, snmpd + xensnmpd
#   walk_dlmod_s     the same walk, xensnmp.so loaded into snmpd
#   static_agentx_s  the same walk over a static table of the same shape
#   static_dlmod_s   (bench/static_table.c, N+1 rows), subagent and plugin
#   agent_rss_kib    VmRSS of xensnmpd after its walks
#   snmpd_dlmod_rss_kib  VmRSS of snmpd with xensnmp.so after its walks
# Then (BENCH_STORM=1, the default) the cost of a guest's writes: one
# guest of $BENCH_STORM_N (default 100) writes 1,000 times a second for
# 10 s to its own data/, then to a node the agent reads (cpu/0/availability),
# and the agent's xenstore requests per guest write and its CPU time
# (utime+stime from /proc) are printed with the filtering and pacing
# (after) and without them (before: XENSNMP_XENSTORE_EVENTS=all).
# Each walk is done $BENCH_WALKS times (default 3); the best time is shown.
# The walked line counts are printed too, so incomplete walks show, and
# any error, warning or timeout the agents logged.  Then (BENCH_XENTOP=1,
# the default, after the idle figures) xentop's one gathering and idle
# cost beside the agent's, at $BENCH_XENTOP_SIZES.  Then (BENCH_IDLE=1,
# the default) an idle host's cost at $BENCH_IDLE_SIZES (default "10 100 1000
# 10000") over $BENCH_IDLE_SECONDS (65), beside xensnmpFullRefresh 12 and
# snmpd alone (the plugin's figure is all of snmpd's).  BENCH_KEEP=1 keeps the
# temporary directory with the logs.
set -euo pipefail

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build-bench}
SIZES=${BENCH_SIZES-10 100 1000 10000}	# empty: per-mode figures only
WALKS=${BENCH_WALKS:-3}
SNMPD=${SNMPD:-/usr/sbin/snmpd}
REFRESH=5

if [ ! -x "$BUILD/agent/xensnmpd" ] || [ ! -x "$BUILD/bench/static_subagent" ]; then
	echo "building in $BUILD" >&2
	mkdir -p "$BUILD"
	[ -f "$BUILD/Makefile" ] || (cd "$BUILD" && "$top_srcdir/configure" >/dev/null)
	make -C "$BUILD" -j"$(nproc)" >/dev/null
fi
BUILD=$(cd "$BUILD" && pwd)
SIM=$BUILD/tests/sim/xensimd
XENSNAP=$BUILD/tests/tools/xensnap
AGENT=$BUILD/agent/xensnmpd
PLUGIN=$BUILD/agent/.libs/xensnmp.so
STATIC_AGENT=$BUILD/bench/static_subagent
STATIC_PLUGIN=$BUILD/bench/.libs/static_table.so
XCSIM=$BUILD/tests/sim/.libs/libxcsim.so
MODE_N=${BENCH_MODE_N:-1000}
for f in "$SIM" "$XENSNAP" "$AGENT" "$PLUGIN" "$STATIC_AGENT" "$STATIC_PLUGIN" "$XCSIM"; do
	[ -e "$f" ] || { echo "missing $f" >&2; exit 1; }
done

T=$(mktemp -d /tmp/xensnmp-bench.XXXXXX)
export SNMP_PERSISTENT_DIR=$T/persist
export XENSTORED_PATH=$T/xenstored.sock
mkdir -p "$SNMP_PERSISTENT_DIR"

# OIDs, numeric so the walks parse no MIB
DOMAIN_TABLE=.1.3.6.1.4.1.99999.1.1.2
DOMAIN_COUNT=.1.3.6.1.4.1.99999.1.1.1.7.0
HOST_UNAVAILABLE=.1.3.6.1.4.1.99999.1.1.1.13.0
STATIC_TABLE=.1.3.6.1.4.1.99999.9.2
SYSUPTIME=.1.3.6.1.2.1.1.3.0
CLIENT=(-v2c -c public -m "" -On)

SIM_PID= SNMPD_PID= AGENT_PID=

stop_pid() {	# stop_pid PID: TERM, then KILL after 10 s
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

stop_agent() { stop_pid "$AGENT_PID"; AGENT_PID=; }
stop_snmpd() { stop_pid "$SNMPD_PID"; SNMPD_PID=; }
stop_sim() { stop_pid "$SIM_PID"; SIM_PID=; }

cleanup() {
	stop_agent
	stop_snmpd
	stop_sim
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "logs kept in $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

wait_for() {	# wait_for SECONDS COMMAND...: polls every 0.1 s
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

log_problems() {	# log_problems LABEL FILE...: errors the agents logged
	local label=$1; shift
	grep -hiE 'error|warn|timeout|fail|crit' "$@" 2>/dev/null | sort | uniq -c |
		sort -rn | head -5 | sed "s/^/  $label log: /" >&2 || true
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo "-"; }

start_sim() {	# start_sim GUESTS [SIM OPTIONS...]
	local n=$1; shift
	rm -f "$T/sim.pid" "$XENSTORED_PATH"
	"$SIM" --xenstore "$XENSTORED_PATH" --control "$T/sim.ctl" \
		--domains "$n" --pidfile "$T/sim.pid" "$@" >>"$T/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for 120 test -s "$T/sim.pid" ||
		{ echo "xensimd did not start" >&2; tail "$T/sim.log" >&2; exit 1; }
}

start_snmpd() {	# start_snmpd [ENV=VALUE...] < extra snmpd.conf lines
	# -I -smux: no SMUX listener (port 199 may be taken by a system snmpd)
	PORT=$((20000 + RANDOM % 30000))
	ADDR=udp:127.0.0.1:$PORT
	{
		echo "master agentx"
		echo "agentXSocket unix:$T/agentx.sock"
		echo "agentaddress $ADDR"
		echo "rocommunity public 127.0.0.1"
		echo "agentXTimeout 30"
		cat
	} >"$T/snmpd.conf"
	rm -f "$T/snmpd.pid"
	env "$@" "$SNMPD" -f -C -I -smux -c "$T/snmpd.conf" -Lf "$T/snmpd.log" \
		-p "$T/snmpd.pid" -M "$top_srcdir/mib:$top_srcdir/mib/ietf" -m XEN-DOMAIN-MIB \
		>>"$T/snmpd.stderr" 2>&1 &
	SNMPD_PID=$!
	# a short timeout: a request sent before snmpd binds its port gets no
	# answer, and a 1 s wait for it would be counted as snmpd's start
	wait_for 60 snmpget "${CLIENT[@]}" -t 0.05 -r 0 "$ADDR" "$SYSUPTIME" ||
		{ echo "snmpd did not answer" >&2; tail "$T/snmpd.log" "$T/snmpd.stderr" >&2; exit 1; }
}

domain_count_is() {	# domain_count_is N
	[ "$(snmpget "${CLIENT[@]}" -Oqv -t 5 -r 0 "$ADDR" "$DOMAIN_COUNT" 2>/dev/null)" = "$1" ]
}

# whole_is N: N domains served, past the quick first snapshot (the
# hypervisor's domain list alone while xenstore's first reading runs)
whole_is() {
	domain_count_is "$1" &&
		! snmpget "${CLIENT[@]}" -Oqv -t 5 -r 0 "$ADDR" "$HOST_UNAVAILABLE" 2>/dev/null |
			grep -q 'first reading in progress'
}

static_has_row() {	# static_has_row INDEX
	snmpget "${CLIENT[@]}" -Oqv -t 5 -r 0 "$ADDR" "$STATIC_TABLE.1.2.$1" 2>/dev/null |
		grep -qx "$1"
}

# walk OID LABEL: best of $WALKS walks; sets WALK_S and WALK_LINES
walk() {
	local oid=$1 label=$2 i t0 t1 s rc
	WALK_S=- WALK_LINES=-
	for i in $(seq 1 "$WALKS"); do
		t0=$(now)
		rc=0
		snmpbulkwalk "${CLIENT[@]}" -Cr25 -t 30 -r 0 "$ADDR" "$oid" \
			>"$T/walk.out" 2>"$T/walk.err" || rc=$?
		t1=$(now)
		s=$(elapsed "$t0" "$t1")
		WALK_LINES=$(wc -l <"$T/walk.out")
		if [ "$rc" -ne 0 ] || grep -q . "$T/walk.err"; then
			echo "  $label: walk failed (exit $rc) after ${s}s, $WALK_LINES lines:" \
				"$(head -c 300 "$T/walk.err")" >&2
			WALK_S=FAIL
			return 0
		fi
		if [ "$WALK_S" = - ] || awk -v a="$s" -v b="$WALK_S" 'BEGIN { exit !(a < b) }'; then
			WALK_S=$s
		fi
	done
	echo "  $label: ${WALK_S}s, $WALK_LINES lines" >&2
}

ready_timeout() { echo $((60 + $1 / 20)); }	# seconds allowed to load N domains

# serve_walk T0 SECONDS WHO LABEL OID LOG READY...: waits until READY
# succeeds, then (with WHOLE_ROWS set) until whole_is WHOLE_ROWS, then walks
# OID; sets SERVED_S (from T0 to READY), WHOLE_S (to the whole snapshot),
# WALK_S and WALK_LINES (FAIL and - when WHO did not serve in time, with
# the end of LOG)
serve_walk() {
	local t0=$1 secs=$2 who=$3 label=$4 oid=$5 log=$6
	shift 6
	WHOLE_S=-
	if wait_for "$secs" "$@"; then
		SERVED_S=$(elapsed "$t0" "$(now)")
		echo "  $who serving after ${SERVED_S}s" >&2
		if [ -n "${WHOLE_ROWS:-}" ]; then
			wait_for "$secs" whole_is "$WHOLE_ROWS" && WHOLE_S=$(elapsed "$t0" "$(now)")
			echo "  $who: whole snapshot after ${WHOLE_S}s" >&2
		fi
		walk "$oid" "$label"
	else
		echo "  $who did not serve in time" >&2
		tail -5 "$log" >&2
		SERVED_S=FAIL WALK_S=FAIL WALK_LINES=-
	fi
}

echo "== xensnmp benchmark"
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')"
echo "kernel:  $(uname -sr)"
echo "net-snmp: $("$SNMPD" -v 2>/dev/null | awk -F': *' '/version/ { print $2; exit }')"
echo "build:   $BUILD"
echo "walks:   snmpbulkwalk -v2c -Cr25 over loopback UDP, best of $WALKS; refresh interval ${REFRESH}s"
echo

results=()
for n in $SIZES; do
	rows=$((n + 1))
	echo "-- N=$n ($rows domains)" >&2
	: >"$T/agent.log"; : >"$T/agent.stderr"
	: >"$T/sim.log"
	start_sim "$n"

	# (a) the Xen access layer alone
	"$SIM" ctl "$T/sim.ctl" reset-stats >/dev/null
	line=$("$XENSNAP" --full 3 --quiet 2>"$T/xensnap.err" | grep '^full_refresh' | tail -1) ||
		{ echo "xensnap failed" >&2; tail "$T/xensnap.err" >&2; }
	refresh_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	xs_requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
	refresh_s=$(awk -v s="${refresh_s:-}" 'BEGIN { if (s == "") print "-"; else printf "%.3f", s }')
	echo "  refresh: ${refresh_s}s, ${xs_requests:--} requests" >&2

	# (b) snmpd + xensnmpd over AgentX
	: >"$T/agent.log"
	start_snmpd </dev/null
	t0=$(now)
	"$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -p "$T/agent.pid" \
		--refresh "$REFRESH" --read-only >>"$T/agent.stderr" 2>&1 &
	AGENT_PID=$!
	WHOLE_ROWS=$rows serve_walk "$t0" "$(ready_timeout "$n")" "xensnmpd ($rows domains)" "walk agentx" \
		"$DOMAIN_TABLE" "$T/agent.log" domain_count_is "$rows"
	walk_agentx=$WALK_S lines_agentx=$WALK_LINES served_agentx=$SERVED_S whole_agentx=$WHOLE_S
	agent_rss=$(rss_kib "$AGENT_PID")
	stop_agent
	stop_snmpd
	log_problems xensnmpd "$T/agent.log" "$T/agent.stderr"
	log_problems snmpd "$T/snmpd.log" "$T/snmpd.stderr"
	: >"$T/snmpd.log"; : >"$T/snmpd.stderr"

	# (c) xensnmp.so in snmpd
	t0=$(now)
	start_snmpd <<-EOF
	dlmod xensnmp $PLUGIN
	xensnmpRefresh $REFRESH
	EOF
	WHOLE_ROWS=$rows serve_walk "$t0" "$(ready_timeout "$n")" "snmpd+xensnmp.so ($rows domains)" "walk dlmod" \
		"$DOMAIN_TABLE" "$T/snmpd.log" domain_count_is "$rows"
	walk_dlmod=$WALK_S lines_dlmod=$WALK_LINES served_dlmod=$SERVED_S whole_dlmod=$WHOLE_S
	snmpd_rss=$(rss_kib "$SNMPD_PID")
	stop_snmpd
	stop_sim
	log_problems "snmpd+xensnmp.so" "$T/snmpd.log" "$T/snmpd.stderr"
	: >"$T/snmpd.log"; : >"$T/snmpd.stderr"; : >"$T/static.log"

	# (d) the static table, N+1 rows: subagent, then plugin
	start_snmpd </dev/null
	t0=$(now)
	XENSNMP_BENCH_ROWS=$rows "$STATIC_AGENT" "unix:$T/agentx.sock" \
		>>"$T/static.log" 2>&1 &
	AGENT_PID=$!
	serve_walk "$t0" "$(ready_timeout "$n")" static_subagent "static agentx" \
		"$STATIC_TABLE" "$T/static.log" static_has_row "$n"
	static_agentx=$WALK_S lines_static_agentx=$WALK_LINES served_static=$SERVED_S
	stop_agent
	stop_snmpd

	t0=$(now)
	start_snmpd XENSNMP_BENCH_ROWS=$rows <<-EOF
	dlmod static_table $STATIC_PLUGIN
	EOF
	serve_walk "$t0" 30 static_table.so "static dlmod" \
		"$STATIC_TABLE" "$T/snmpd.log" static_has_row "$n"
	static_dlmod=$WALK_S lines_static_dlmod=$WALK_LINES
	stop_snmpd
	log_problems static "$T/static.log" "$T/snmpd.log" "$T/snmpd.stderr"
	: >"$T/snmpd.log"; : >"$T/snmpd.stderr"; : >"$T/agent.log"; : >"$T/agent.stderr"

	results+=("$n $rows $refresh_s ${xs_requests:--} $walk_agentx $walk_dlmod $static_agentx $static_dlmod $agent_rss $snmpd_rss $lines_agentx $lines_dlmod $lines_static_agentx $lines_static_dlmod $served_agentx $served_dlmod $served_static $whole_agentx $whole_dlmod")
done

echo
printf '%-10s %6s %10s %12s %14s %13s %16s %15s %14s %20s\n' \
	"N(guests)" rows refresh_s xs_requests walk_agentx_s walk_dlmod_s \
	static_agentx_s static_dlmod_s agent_rss_kib snmpd_dlmod_rss_kib
for r in "${results[@]}"; do
	set -- $r
	printf '%-10s %6s %10s %12s %14s %13s %16s %15s %14s %20s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}"
done
echo
echo "read-only (xenstore alone): from start to every row served (xdmHostDomainCount = rows) and to the"
echo "whole snapshot (xdmHostUnavailable no longer says a first reading is in progress), seconds; snmpd's own start included"
printf '%-10s %6s %14s %13s %16s %13s %12s\n' "N(guests)" rows rows_agentx rows_dlmod static_agentx whole_agentx whole_dlmod
for r in "${results[@]}"; do
	set -- $r
	printf '%-10s %6s %14s %13s %16s %13s %12s\n' "$1" "$2" "${15}" "${16}" "${17}" "${18}" "${19}"
done
echo
echo "memory per domain: RSS slope between the smallest N and each larger one, KiB per domain"
printf '%-10s %18s %18s\n' "N(guests)" xensnmpd_kib snmpd_dlmod_kib
[ ${#results[@]} -gt 0 ] && set -- ${results[0]} && n0=$1 ra0=$9 rd0=${10}
for r in "${results[@]:1}"; do
	set -- $r
	printf '%-10s %18s %18s\n' "$n0..$1" \
		"$(awk -v a="$ra0" -v b="$9" -v n="$((${1} - n0))" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.2f", (b - a) / n; else print "-" }')" \
		"$(awk -v a="$rd0" -v b="${10}" -v n="$((${1} - n0))" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.2f", (b - a) / n; else print "-" }')"
done
echo
echo "walked lines (xdmDomainTable: 19 per domain less absent values; static: 19 per row)"
printf '%-10s %6s %14s %13s %16s %15s\n' \
	"N(guests)" rows walk_agentx walk_dlmod static_agentx static_dlmod
for r in "${results[@]}"; do
	set -- $r
	printf '%-10s %6s %14s %13s %16s %15s\n' \
		"$1" "$2" "${11}" "${12}" "${13}" "${14}"
done

# ---- per mode, at N = $MODE_N: which drivers gather, at what cost ----
if [ "${BENCH_MODES:-1}" = 1 ]; then
	echo "-- modes at N=$MODE_N" >&2
	start_sim "$MODE_N" --xend-socket "$T/xend.sock" --stats-root "$T/stats"
	sleep 1.5	# the first statistics fixture
	NOXS=XENSTORED_PATH=$T/no-xenstored.sock
	HV=(LD_PRELOAD=$XCSIM XENSIM_CONTROL=$T/sim.ctl)
	XEND=--xend-url=unix:$T/xend.sock
	STATS=(--proc-root "$T/stats/proc" --sys-root "$T/stats/sys")
	# mode name | environment | xensnap options | agent config lines
	modes=(
		"xenstore|-|--read-only|"
		"xend|$NOXS|--read-only $XEND|xensnmpXendUrl unix:$T/xend.sock"
		"hypervisor|$NOXS ${HV[*]}|-|"
		"read-only(xenstore+xend+dom0stats)|-|--read-only $XEND ${STATS[*]}|xensnmpXendUrl unix:$T/xend.sock;xensnmpProcRoot $T/stats/proc;xensnmpSysRoot $T/stats/sys"
		"root(all-four)|${HV[*]}|$XEND ${STATS[*]}|xensnmpXendUrl unix:$T/xend.sock;xensnmpProcRoot $T/stats/proc;xensnmpSysRoot $T/stats/sys"
	)
	mode_results=()
	for m in "${modes[@]}"; do
		IFS='|' read -r name envs opts conf <<<"$m"
		[ "$envs" = - ] && envs=
		[ "$opts" = - ] && opts=
		# best of 5 full refreshes: the simulator also rewrites its
		# statistics fixture now and then, which would add noise
		line=$(env $envs "$XENSNAP" --full 5 --quiet $opts 2>"$T/xensnap.err" | grep '^full_refresh' |
			sort -t= -k2 -g | head -1) || true
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		reqs=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
		tr ';' '\n' <<<"$conf" >"$T/mode.conf"
		ro=--read-only
		case "$name" in hypervisor|root*) ro= ;; esac
		start_snmpd </dev/null
		t0=$(now)
		env $envs "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" -c "$T/mode.conf" \
			--refresh "$REFRESH" $ro >>"$T/agent.stderr" 2>&1 &
		AGENT_PID=$!
		serve_walk "$t0" "$(ready_timeout "$MODE_N")" "xensnmpd ($name)" "walk agentx ($name)" \
			"$DOMAIN_TABLE" "$T/agent.log" domain_count_is "$((MODE_N + 1))"
		rss=$(rss_kib "$AGENT_PID")
		stop_agent
		stop_snmpd
		echo "  $name: refresh ${secs:--}s, ${reqs:--} requests" >&2
		mode_results+=("$name ${secs:--} ${reqs:--} $WALK_S $WALK_LINES $rss")
	done
	stop_sim
	echo
	echo "per mode at N=$MODE_N guests ($((MODE_N + 1)) domains); requests = to xenstored, xend and the hypervisor per full refresh"
	printf '%-36s %10s %10s %14s %8s %14s\n' mode refresh_s requests walk_agentx_s lines agent_rss_kib
	for r in "${mode_results[@]}"; do
		set -- $r
		printf '%-36s %10s %10s %14s %8s %14s\n' "$1" "$2" "$3" "$4" "$5" "$6"
	done
fi

# ---- what an idle host costs: nothing changes for $IDLE_S seconds ----
# Root mode (hypercalls through the libxenctrl stand-in, and xenstore),
# the agent's CPU (its threads' run time), the simulated host's (xenstored and the
# hypercall stand-in's server, which rewrites the shared domain list when
# something changed and otherwise renews its liveness every 200 ms) and
# the xenstore requests it answered.
# The reference, in the same run: xensnmpIdleRefresh 0 and
# xensnmpFullRefresh 12, the agent's behaviour before ticks looked
# before gathering (every tick gathered, every 12th re-read all of
# xenstore; it also re-listed the domains, one request a tick more).
if [ "${BENCH_IDLE:-1}" = 1 ]; then
	IDLE_S=${BENCH_IDLE_SECONDS:-65}
	# CPU time run by the process's threads, from the scheduler's own
	# count in nanoseconds (utime+stime are sampled at clock ticks, 10 ms
	# apart: too coarse for an idle process); the idle spell's threads
	# all live through it
	cpu_s() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $1 } END { printf "%.3f", ns / 1e9 }'; }
	sub_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
	HV=(LD_PRELOAD=$XCSIM XENSIM_CONTROL=$T/sim.ctl)
	median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
	# state_latency_ms: pauses and unpauses domain 1 six times, 3 s apart
	# (off the refresh ticks' phase), and prints the milliseconds from each
	# change to the first GET of xdmDomainState.1 that shows it (GETs
	# 20 ms apart; more than 15 s: 15000)
	state_latency_ms() {
		local i want t0 v out=()
		for i in 1 2 3 4 5 6; do
			sleep 3
			if [ $((i % 2)) = 1 ]; then want=paused; else want=running; fi
			"$SIM" ctl "$T/sim.ctl" set 1 "state=$want" >/dev/null
			t0=$EPOCHREALTIME
			while :; do
				v=$(snmpget "${CLIENT[@]}" -Oqv -t 5 -r 0 "$ADDR" "$DOMAIN_TABLE.1.5.1" 2>/dev/null)
				# xdmDomainState: running(2), blocked(3), paused(4)
				if [ "$want" = paused ]; then [ "$v" = 4 ] && break; else [ "$v" = 2 ] || [ "$v" = 3 ] && break; fi
				awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a > 15) }' && break
				sleep 0.02
			done
			out+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { v = (b - a) * 1000; printf "%d", (v > 15000 ? 15000 : v) }')")
		done
		echo "${out[@]}"
	}
	idle_results=()
	for n in ${BENCH_IDLE_SIZES-10 100 1000 10000}; do
		for run in "agentx every-tick" "agentx default" "dlmod default"; do
			set -- $run
			form=$1 conf=$2
			echo "-- idle N=$n $form $conf" >&2
			start_sim "$n"
			: >"$T/idle.conf"
			[ "$conf" = default ] ||
				printf 'xensnmpIdleRefresh 0\nxensnmpFullRefresh 12\nxensnmpProbeInterval 0\n' >"$T/idle.conf"
			if [ "$form" = agentx ]; then
				start_snmpd </dev/null
				t0=$(now)	# the subagent's start, snmpd's not included
				env "${HV[@]}" "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" \
					-c "$T/idle.conf" --refresh "$REFRESH" >>"$T/agent.stderr" 2>&1 &
				AGENT_PID=$!
				pid=$AGENT_PID
			else
				{ echo "dlmod xensnmp $PLUGIN"; echo "xensnmpRefresh $REFRESH"; cat "$T/idle.conf"; } \
					>"$T/idle-snmpd.conf"
				t0=$(now)	# snmpd's start with the plugin included
				start_snmpd "${HV[@]}" <"$T/idle-snmpd.conf"
				pid=$SNMPD_PID
			fi
			wait_for "$(ready_timeout "$n")" domain_count_is "$((n + 1))" ||
				echo "  not serving $((n + 1)) domains" >&2
			first=$(elapsed "$t0" "$(now)")
			wait_for "$(ready_timeout "$n")" whole_is "$((n + 1))" ||
				echo "  xenstore's first reading did not end" >&2
			whole=$(elapsed "$t0" "$(now)")
			# the first gathering's tail, and the gathering the readiness
			# reads above bring at the next tick
			sleep $((REFRESH + 1))
			"$SIM" ctl "$T/sim.ctl" reset-stats >/dev/null
			a0=$(cpu_s "$pid") s0=$(cpu_s "$SIM_PID")
			sleep "$IDLE_S"
			a1=$(cpu_s "$pid") s1=$(cpu_s "$SIM_PID")
			reqs=$("$SIM" ctl "$T/sim.ctl" stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
			rss=$(rss_kib "$pid")
			echo "  served after ${first}s, whole after ${whole}s; idle: agent $(sub_s "$a0" "$a1") s, simulated host $(sub_s "$s0" "$s1") s, $reqs requests" >&2
			lat=$(state_latency_ms)
			echo "  pause/unpause seen by a GET after (ms): $lat" >&2
			idle_results+=("$n $form $conf $(sub_s "$a0" "$a1") $(sub_s "$s0" "$s1") ${reqs:--} $first $whole $rss $(median $lat)")
			stop_agent
			stop_snmpd
			stop_sim
			log_problems "idle $form" "$T/agent.log" "$T/snmpd.log"
			: >"$T/agent.log"; : >"$T/snmpd.log"
		done
	done
	# the dlmod rows are all of snmpd's CPU: snmpd alone, the same spell,
	# says how much of it is snmpd's own
	snmpd_alone=-
	if [ ${#idle_results[@]} -gt 0 ]; then
		echo "-- idle snmpd alone" >&2
		start_snmpd </dev/null
		sleep $((REFRESH + 1))
		a0=$(cpu_s "$SNMPD_PID")
		sleep "$IDLE_S"
		snmpd_alone=$(sub_s "$a0" "$(cpu_s "$SNMPD_PID")")
		stop_snmpd
	fi
	echo
	echo "idle host, root mode, refresh ${REFRESH}s: CPU seconds used in $IDLE_S s with nothing changing"
	echo "(dlmod: all of snmpd's CPU; snmpd alone, without the module, in the same spell: $snmpd_alone s)"
	echo "(every-tick: xensnmpIdleRefresh 0 + xensnmpFullRefresh 12 + xensnmpProbeInterval 0, as ticks worked before; simulated host = xenstored + hypercall stand-in)"
	echo "(first_s: from the agent's start (agentx: xensnmpd's; dlmod: snmpd's) to every domain's row served;"
	echo " whole_s: to xenstore's first reading done;"
	echo " state_ms: median of 6 pauses/unpauses to the first GET showing them)"
	printf '%-10s %-8s %-16s %12s %14s %12s %10s %10s %10s %10s\n' "N(guests)" form config agent_cpu_s sim_host_cpu_s \
		xs_requests first_s whole_s rss_kib state_ms
	for r in "${idle_results[@]}"; do
		set -- $r
		printf '%-10s %-8s %-16s %12s %14s %12s %10s %10s %10s %10s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}"
	done
fi

# ---- the reference: xentop (libxenstat) against the same simulated host ----
# xentop -b reads what XEN-DOMAIN-MIB's domain table serves in part (name,
# state, CPU, memory, vCPUs, VIF and VBD counters) through the same
# libxenctrl stand-in and xenstored.  It reads VBD counters from
# /sys/bus/xen-backend, so it runs in a private mount namespace whose /sys
# is a still copy of the simulated host's statistics.  xentop comes from
# Debian's xen-utils-4.17 ($XENTOP, or unpacked from the package).
# Side by side: one gathering (xentop -i 1; the agent's access layer's
# full refresh, xensnap --full 1) and an idle spell of $IDLE_S s (xentop
# every 5 s; the agent, from the idle table above).
if [ "${BENCH_XENTOP:-1}" = 1 ]; then
	XENTOP=${XENTOP:-/usr/lib/xen-4.17/bin/xentop}
	if [ ! -x "$XENTOP" ]; then
		(cd "$T" && apt-get download xen-utils-4.17 >/dev/null 2>&1 &&
			dpkg -x xen-utils-4.17_*.deb "$T/xu") || true
		XENTOP=$T/xu/usr/lib/xen-4.17/bin/xentop
	fi
	if [ -x "$XENTOP" ] && command -v unshare >/dev/null; then
		IDLE_S=${BENCH_IDLE_SECONDS:-65}
		HV=(LD_PRELOAD=$XCSIM XENSIM_CONTROL=$T/sim.ctl)
		xs_reqs() { "$SIM" ctl "$T/sim.ctl" stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p'; }
		# xentop_run ARGS...: runs xentop in its namespace; sets XT_S (wall),
		# XT_CPU (user+sys) and XT_REQS (xenstore requests), XT_LINES
		xentop_run() {
			local t0 c0 c1
			"$SIM" ctl "$T/sim.ctl" reset-stats >/dev/null
			c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
			t0=$(now)
			env "${HV[@]}" XENSTORED_PATH="$XENSTORED_PATH" unshare -m --propagation private \
				sh -c 'mount --bind "$1" /sys && shift && exec "$@"' sh "$T/xtsys" \
				"$XENTOP" "$@" >"$T/xentop.out" 2>&1 || echo "  xentop failed: $(tail -n 1 "$T/xentop.out")" >&2
			XT_S=$(elapsed "$t0" "$(now)")
			c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
			XT_CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
			XT_REQS=$(xs_reqs)
			XT_LINES=$(wc -l <"$T/xentop.out")
		}
		xentop_results=()
		for n in ${BENCH_XENTOP_SIZES-1000 10000}; do
			echo "-- xentop N=$n" >&2
			start_sim "$n" --stats-root "$T/stats"
			wait_for 60 test -d "$T/stats/sys/bus/xen-backend/devices" ||
				echo "  no statistics fixture" >&2
			# a still copy: the simulator replaces its fixture every second
			rm -rf "$T/xtsys"; cp -rL "$T/stats/sys" "$T/xtsys"
			xentop_run -b -i 1
			one_s=$XT_S one_reqs=$XT_REQS one_lines=$XT_LINES
			# the agent's xenstore part alone: a full refresh read-only
			line=$("$XENSNAP" --full 1 --quiet --read-only 2>"$T/xensnap.err" | grep '^full_refresh') || true
			ours_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
			ours_reqs=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
			xentop_run -b -d 5 -i $((IDLE_S / 5))
			echo "  one gathering: xentop ${one_s}s ${one_reqs} requests ($one_lines lines), xensnmp ${ours_s:--}s ${ours_reqs:--} requests; xentop over ${IDLE_S}s: ${XT_CPU}s CPU, ${XT_REQS} requests" >&2
			xentop_results+=("$n $one_s $one_reqs ${ours_s:--} ${ours_reqs:--} $XT_CPU $XT_REQS")
			stop_sim
		done
		echo
		echo "reference: xentop (libxenstat, xen-utils-4.17) against the same simulated host, root mode"
		echo "(one gathering: xentop -b -i 1 wall time, with its start; xensnmp = the access layer's full refresh of xenstore;"
		echo " requests = to xenstored; idle: xentop -b -d 5 for ${IDLE_S} s, CPU of xentop and its namespace's start)"
		printf '%-10s %12s %14s %14s %16s %16s %16s\n' "N(guests)" xentop_s xentop_xs_req xensnmp_s xensnmp_xs_req \
			xentop_idle_cpu xentop_idle_req
		for r in "${xentop_results[@]}"; do
			set -- $r
			printf '%-10s %12s %14s %14s %16s %16s %16s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
		done
	else
		echo "-- no xentop (xen-utils-4.17) or no unshare: no reference" >&2
	fi
fi

# ---- what a guest's writes cost the agent ----
if [ "${BENCH_STORM:-1}" = 1 ]; then
	STORM_N=${BENCH_STORM_N:-100}
	STORM_WRITES=10000 STORM_RATE=1000
	echo "-- guest write storm, N=$STORM_N" >&2
	cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
	storm_done() { "$SIM" ctl "$T/sim.ctl" storm-status | grep -q ' left=0$'; }
	storm_results=()
	for target in "data/counter 1" "cpu/0/availability online"; do
		set -- $target
		node=$1 value=$2
		for mode in before after; do
			envs=
			[ "$mode" = before ] && envs=XENSNMP_XENSTORE_EVENTS=all
			start_sim "$STORM_N"
			start_snmpd </dev/null
			env $envs "$AGENT" -f -x "unix:$T/agentx.sock" -Lf "$T/agent.log" \
				--refresh 60 --read-only >>"$T/agent.stderr" 2>&1 &
			AGENT_PID=$!
			wait_for "$(ready_timeout "$STORM_N")" domain_count_is "$((STORM_N + 1))" ||
				echo "  agent did not serve" >&2
			sleep 1
			"$SIM" ctl "$T/sim.ctl" reset-stats >/dev/null
			c0=$(cpu_ticks "$AGENT_PID") t0=$(now)
			"$SIM" ctl "$T/sim.ctl" storm "/local/domain/1/$node" "$value" \
				"$STORM_WRITES" "$STORM_RATE" >/dev/null
			wait_for 60 storm_done || echo "  storm did not finish" >&2
			sleep 1.5	# the trailing re-read
			c1=$(cpu_ticks "$AGENT_PID") t1=$(now)
			reqs=$("$SIM" ctl "$T/sim.ctl" stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
			per=$(awk -v r="$reqs" -v w="$STORM_WRITES" 'BEGIN { printf "%.3f", r / w }')
			cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v s="$(elapsed "$t0" "$t1")" \
				'BEGIN { printf "%.1f", 100 * (b - a) / hz / s }')
			echo "  $node $mode: $reqs requests, $per per write, agent CPU ${cpu}%" >&2
			storm_results+=("$node $mode $reqs $per $cpu")
			stop_agent
			stop_snmpd
			stop_sim
		done
	done
	echo
	echo "xenstore requests per guest write: one guest of $STORM_N writes $STORM_WRITES times at $STORM_RATE/s"
	echo "(before = XENSNMP_XENSTORE_EVENTS=all: every event re-reads its domain at once; agent CPU = utime+stime over the storm and 1.5 s after)"
	printf '%-22s %14s %14s %12s %12s %12s %12s\n' "guest writes to" req/write_before req/write_after \
		req_before req_after cpu%_before cpu%_after
	for i in 0 2; do
		set -- ${storm_results[$i]}; b_node=$1 b_req=$3 b_per=$4 b_cpu=$5
		set -- ${storm_results[$((i + 1))]}
		printf '%-22s %14s %14s %12s %12s %12s %12s\n' "$b_node" "$b_per" "$4" "$b_req" "$3" "$b_cpu" "$5"
	done
fi
