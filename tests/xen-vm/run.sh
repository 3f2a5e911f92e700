#!/bin/bash
# Boots Xen 4.17 with the Debian 12 dom0 prepared by setup.sh under QEMU
# (software emulation), runs scenario.sh inside dom0 with the xensnmpd of
# BUILD_DIR, and exits with the scenario's result.
#
# Usage: run.sh BUILD_DIR [CACHE_DIR]   (cache default: $XENVM_CACHE, else <top>/build-xen/xen-vm)
# Environment: XENVM_MEM (MiB, default 2048), XENVM_SMP (default 2),
#   XENVM_TIMEOUT (whole run, seconds, default 1200), XENVM_BOOT_TIMEOUT
#   (until dom0's toolstack is up, default 180), XENVM_ACCEL (default tcg),
#   XENVM_CPU (QEMU -cpu model), XENVM_P9CACHE (9p cache mode of dom0's
#   root), XENVM_XEN_CMDLINE, XENVM_SCENARIO (another dom0 script).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [CACHE_DIR]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
CACHE=${2:-${XENVM_CACHE:-$top/build-xen/xen-vm}}
MEM=${XENVM_MEM:-2048}
SMP=${XENVM_SMP:-2}
TMO=${XENVM_TIMEOUT:-1200}
ACCEL=${XENVM_ACCEL:-tcg}
# -xsave: with XSAVE offered, context switches in this emulation lose the
# FPU/SSE/AVX state of dom0's tasks (vecstress sees it in seconds; programs
# die in glibc's string functions); with FXSAVE they keep it.  See
# docs/testing-on-xen.md.
CPU=${XENVM_CPU:-max,-xsave}
BOOT_TMO=${XENVM_BOOT_TIMEOUT:-180}
P9CACHE=${XENVM_P9CACHE:-loose}
XEN_CMDLINE=${XENVM_XEN_CMDLINE:-dom0_mem=1024M,max:1024M smap=0 smep=0 console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all}
die() { echo "xen-vm: ERROR: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the dom0 root is shared with its owners and modes)"
[ -s "$CACHE/recipe" ] && [ -x "$CACHE/root/usr/sbin/xl" ] ||
	die "no dom0 image in $CACHE: run $here/setup.sh first"
AGENT=$BUILD/agent/xensnmpd
[ -x "$AGENT" ] || die "no agent at $AGENT: build the tree first"
# libtool may leave a wrapper script there: use the real binary
[ -x "$BUILD/agent/.libs/xensnmpd" ] && file -b "$AGENT" | grep -q 'shell script' && AGENT=$BUILD/agent/.libs/xensnmpd

# --- can this machine run the VM at all? -------------------------------------------
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 is missing (run setup.sh): cannot run the real-Xen tests"
"$QEMU" -accel help 2>/dev/null | grep -qx "${ACCEL%%,*}" ||
	die "this machine cannot run QEMU with -accel ${ACCEL%%,*}: cannot run the real-Xen tests"
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
[ "$avail" -ge $((MEM + 512)) ] ||
	die "QEMU needs about $((MEM + 512)) MiB of free memory, $avail MiB available: cannot run the real-Xen tests"

# --- the payload: this tree's agent, the MIBs, the scripts -------------------------
R=$CACHE/root
X=$R/xentest
rm -rf "$X"
mkdir -p "$X/bin" "$X/mib/ietf" "$X/out"
cp "$AGENT" "$X/bin/xensnmpd"
# vecstress (stress-exec.sh): static, so that it needs nothing of the root
gcc -O1 -static -o "$X/bin/vecstress" "$here/vecstress.c" 2>/dev/null || echo "xen-vm: cannot build vecstress (stress-exec.sh needs it)" >&2
# snmpq: the scenario's SNMP queries in one process (snmpq.c), against the
# root's net-snmp library
gcc -O2 -Wall -Wextra -Werror -o "$X/bin/snmpq" "$here/snmpq.c" $(net-snmp-config --libs) ||
	die "cannot build snmpq (libsnmp-dev missing?): cannot run the real-Xen tests"
cp "$top/mib/XEN-DOMAIN-MIB.txt" "$X/mib/"
cp -r "$top/mib/ietf/." "$X/mib/ietf/"
cp "$here/control.sh" "$here/vmmib.sh" "$top/contrib/snmpd-xensnmp-control.conf" "$X/"
cp "${XENVM_SCENARIO:-$here/scenario.sh}" "$X/scenario.sh"	# XENVM_SCENARIO: another dom0 script (stress-xl.sh)
cp "$here/dom0-init.sh" "$X/init"
chmod 755 "$X" "$X/bin" "$X/scenario.sh" "$X/init"
cp "$CACHE/vmlinux" "$CACHE/guest.cpio.gz" "$X/"
missing=$(for b in xensnmpd snmpq; do chroot "$R" ldd "/xentest/bin/$b" 2>&1 | grep 'not found'; done)
[ -z "$missing" ] || die "the dom0 root lacks libraries xensnmpd or snmpq needs (add them to setup.sh):
$missing"

# --- boot ------------------------------------------------------------------------
# The boot is watched in two phases: dom0 must report its toolstack up within
# XENVM_BOOT_TIMEOUT (a healthy boot needs 10 to 20 s), and the whole run must
# end within XENVM_TIMEOUT.  When either is exceeded, QEMU's monitor is asked
# where every vCPU is (info status, info cpus, info registers) before QEMU is
# killed, so that a hang leaves evidence, not just a timeout.
LOG=$CACHE/console${XENVM_LOG_SUFFIX:-}.log
MON=$CACHE/monitor.sock
HANG=$CACHE/hang${XENVM_LOG_SUFFIX:-}.txt
rm -f "$MON" "$HANG"
echo "xen-vm: booting Xen under QEMU ($ACCEL, -cpu $CPU, ${MEM} MiB, $SMP CPUs); console: $LOG"
t0=$(date +%s)
"$QEMU" -accel "$ACCEL" -machine q35 -cpu "$CPU" -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot -display none -vga none -net none -serial stdio \
	-monitor "unix:$MON,server=on,wait=off" \
	-fsdev local,id=rootfs,path="$R",security_model=passthrough \
	-device virtio-9p-pci,fsdev=rootfs,mount_tag=rootfs \
	-kernel "$CACHE/xen.bin" \
	-append "$XEN_CMDLINE" \
	-initrd "$CACHE/vmlinuz console=hvc0 earlyprintk=xen loglevel=4 p9cache=$P9CACHE,$CACHE/initrd.cpio.gz" \
	</dev/null >"$LOG" 2>&1 &
qpid=$!
monitor() {	# monitor CMD...: each command's answer from QEMU's monitor
	local c
	for c in "$@"; do
		echo "== $c"
		{ echo "$c"; sleep 1; } | timeout 10 socat - "UNIX-CONNECT:$MON" 2>&1 | tr -d '\r' |
			grep -av '^(qemu)' | grep -av 'QEMU .* monitor'
	done
}
hung=""
while kill -0 "$qpid" 2>/dev/null; do
	el=$(( $(date +%s) - t0 ))
	if [ "$el" -ge "$TMO" ]; then hung="the run did not end within ${TMO}s"
	elif [ "$el" -ge "$BOOT_TMO" ] && ! grep -aq 'Xen toolstack up' "$LOG"; then
		hung="dom0 did not bring the toolstack up within ${BOOT_TMO}s"
	fi
	if [ -n "$hung" ]; then
		{ echo "xen-vm: $hung; QEMU's state:"
		  monitor "info status" "info cpus" "info registers -a"; } > "$HANG" 2>&1
		kill -TERM "$qpid" 2>/dev/null; sleep 2; kill -KILL "$qpid" 2>/dev/null
		break
	fi
	sleep 0.2
done
wait "$qpid"; qrc=$?
[ -z "$hung" ] || qrc=124
wall=$(( $(date +%s) - t0 ))

if [ -s "$X/out/scenario.log" ]; then
	echo "xen-vm: ---- scenario output ----"
	cat "$X/out/scenario.log"
	echo "xen-vm: ---- end of scenario output ----"
fi
# a core dumped in dom0: its backtrace, read with the dom0 root's own binaries
for core in "$X"/out/core.*; do
	[ -f "$core" ] || continue
	exe=$(file -b "$core" | sed -n "s/.*execfn: '\\([^']*\\)'.*/\\1/p")
	echo "xen-vm: CORE DUMPED in dom0: $core ($(file -b "$core" | cut -c1-120))" >&2
	[ -n "$exe" ] && command -v gdb >/dev/null &&
		gdb -batch -q -ex "set sysroot $R" -ex "set debug-file-directory $R/usr/lib/debug" \
			-ex bt -ex "info registers" -ex "x/6i \$pc" "$R$exe" "$core" > "$core.bt" 2>&1 &&
		sed 's/^/xen-vm:   | /' "$core.bt" | head -n 60 >&2
done
rc=$(cat "$X/out/rc" 2>/dev/null || echo "")
if [ -z "$rc" ]; then
	if ! grep -q 'Xen version' "$LOG"; then
		echo "xen-vm: QEMU (exit $qrc) did not even start Xen: this machine cannot run the VM" >&2
	elif [ -n "$hung" ]; then
		echo "xen-vm: HANG: $hung (QEMU's vCPU state in $HANG)" >&2
	else
		echo "xen-vm: dom0 did not report a result (QEMU exit $qrc)" >&2
	fi
	rc=99
fi
# The failures that are the emulated machine's, not Xen's, the scenario's
# or the agent's: dom0 never reached its toolstack, or the scenario's
# platform check (vecstress, exit 97) saw vector registers change across a
# context switch.  They exit 98, which check-xen.sh may boot once more for.
# A core dumped in dom0 is printed above but is not excused by itself.
if [ "$rc" -ne 0 ]; then
	emu=""
	[ -n "$hung" ] && ! grep -aq 'Xen toolstack up' "$LOG" && emu="dom0 never brought its toolstack up"
	[ "$rc" -eq 97 ] && emu="the emulated CPU lost vector registers across context switches (vecstress)"
	if [ -n "$emu" ]; then
		echo "xen-vm: EMULATOR FAULT: $emu (rc $rc)" >&2
		rc=98
	fi
fi
if [ "$rc" -ne 0 ]; then
	echo "xen-vm: FAILED (rc $rc) after ${wall}s; console log: $LOG; last lines:" >&2
	tail -n 40 "$LOG" >&2
	echo "xen-vm: dom0 results (logs, guest consoles) in $X/out" >&2
else
	echo "xen-vm: boot + scenario passed in ${wall}s (console log: $LOG)"
fi
exit "$rc"
