#!/bin/bash
# make check-xen-repeat N=20: boots the real-Xen suite N times in a row,
# with no retry, and prints one line per boot: PASS or FAIL, where it failed
# (boot hang, emulator fault, a dom0 program killed by a signal, which check), the boot's own timings and
# its wall time; then the failure rate.  Each boot's console and dom0 logs
# are kept in CACHE/repeat/N/.
# Usage: repeat.sh BUILD_DIR N [CACHE_DIR]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR N [CACHE_DIR]" >&2; exit 2; }
BUILD=$1 N=$2
CACHE=${3:-${XENVM_CACHE:-$top/build-xen/xen-vm}}
"$here/setup.sh" "$CACHE" >/dev/null || { echo "xen-vm: setup failed" >&2; exit 2; }
mkdir -p "$CACHE/repeat"
fails=0
printf '%-4s %-5s %-8s %-9s %-9s %-7s %s\n' boot result wall toolstack scenario idle where
for i in $(seq 1 "$N"); do
	d=$CACHE/repeat/$i
	rm -rf "$d"; mkdir -p "$d"
	t0=$(date +%s)
	rc=0
	"$here/run.sh" "$BUILD" "$CACHE" >"$d/run.log" 2>&1 || rc=$?
	wall=$(( $(date +%s) - t0 ))
	cp "$CACHE/console.log" "$d/" 2>/dev/null
	cp -r "$CACHE/root/xentest/out" "$d/out" 2>/dev/null
	log=$d/out/scenario.log
	# dom0's clock: when the toolstack was up, how long the scenario ran
	ts=$(sed -n 's/^dom0 \[\([0-9.]*\)s\]: Xen toolstack up.*/\1/p' "$d/console.log" | head -n1)
	sc=$(sed -n 's/.*scenario wall time \([0-9.]*\)s.*/\1/p' "$log" 2>/dev/null | head -n1)
	# of which the idle figure, a fixed spell of nothing happening
	idle=$(sed -n 's/.*of which the idle figure \([0-9.]*\)s.*/\1/p' "$log" 2>/dev/null | head -n1)
	where=""
	if [ "$rc" -ne 0 ]; then
		fails=$((fails + 1))
		if [ ! -s "$log" ]; then
			where="boot: $(grep -a -v '^\s*$' "$d/console.log" | tail -n 1 | tr -d '\r' | cut -c1-80)"
		elif grep -aq 'Segmentation fault' "$log"; then
			where="crash in dom0: $(grep -a -m1 'Segmentation fault' "$log" | cut -c1-80)"
		else
			where="check: $(grep -a -m1 'FAIL - ' "$log" | sed 's/.*FAIL - //' | cut -c1-90)"
		fi
		grep -aq "EMULATOR FAULT" "$d/run.log" && where="emulator ($(sed -n 's/.*EMULATOR FAULT: //p' "$d/run.log" | head -n1)); $where"
		grep -aq "HANG:" "$d/run.log" && where="hang: $(sed -n "s/.*HANG: \(.*\) (QEMU.*/\1/p" "$d/run.log" | head -n1)"; cp "$CACHE"/hang.txt "$d/" 2>/dev/null
	fi
	printf '%-4s %-5s %-8s %-9s %-9s %-7s %s\n' "$i" "$([ "$rc" -eq 0 ] && echo PASS || echo "FAIL")" \
		"${wall}s" "${ts:--}" "${sc:--}" "${idle:--}" "$where"
done
echo "xen-vm repeat: $fails of $N boots failed"
[ "$fails" -eq 0 ]
