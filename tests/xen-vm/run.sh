#!/bin/bash
# Boots Xen 4.17 with the Debian 12 dom0 prepared by setup.sh under QEMU
# (software emulation), runs scenario.sh inside dom0 with the xensnmpd of
# BUILD_DIR, and exits with the scenario's result.
#
# Usage: run.sh BUILD_DIR [CACHE_DIR]   (cache default: $XENVM_CACHE, else <top>/build-xen/xen-vm)
# Environment: XENVM_MEM (MiB, default 2048), XENVM_SMP (default 2),
#              XENVM_TIMEOUT (seconds, default 1200), XENVM_ACCEL (default tcg).
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
"$QEMU" -accel help 2>/dev/null | grep -qx "$ACCEL" ||
	die "this machine cannot run QEMU with -accel $ACCEL: cannot run the real-Xen tests"
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
[ "$avail" -ge $((MEM + 512)) ] ||
	die "QEMU needs about $((MEM + 512)) MiB of free memory, $avail MiB available: cannot run the real-Xen tests"

# --- the payload: this tree's agent, the MIBs, the scripts -------------------------
R=$CACHE/root
X=$R/xentest
rm -rf "$X"
mkdir -p "$X/bin" "$X/mib/ietf" "$X/out"
cp "$AGENT" "$X/bin/xensnmpd"
cp "$top/mib/XEN-DOMAIN-MIB.txt" "$X/mib/"
cp -r "$top/mib/ietf/." "$X/mib/ietf/"
cp "$here/scenario.sh" "$X/scenario.sh"
cp "$here/dom0-init.sh" "$X/init"
chmod 755 "$X" "$X/bin" "$X/scenario.sh" "$X/init"
cp "$CACHE/vmlinuz" "$CACHE/guest.cpio.gz" "$X/"
missing=$(chroot "$R" ldd /xentest/bin/xensnmpd 2>&1 | grep 'not found')
[ -z "$missing" ] || die "the dom0 root lacks libraries xensnmpd needs (add them to setup.sh):
$missing"

# --- boot ------------------------------------------------------------------------
LOG=$CACHE/console${XENVM_LOG_SUFFIX:-}.log
echo "xen-vm: booting Xen under QEMU ($ACCEL, ${MEM} MiB, $SMP CPUs); console: $LOG"
t0=$(date +%s)
timeout --foreground -k 10 "$TMO" "$QEMU" -accel "$ACCEL" -machine q35 -cpu max -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot -display none -vga none -net none -monitor none -serial stdio \
	-fsdev local,id=rootfs,path="$R",security_model=passthrough \
	-device virtio-9p-pci,fsdev=rootfs,mount_tag=rootfs \
	-kernel "$CACHE/xen.bin" \
	-append "dom0_mem=1024M,max:1024M smap=0 smep=0 console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all" \
	-initrd "$CACHE/vmlinuz console=hvc0 earlyprintk=xen loglevel=4,$CACHE/initrd.cpio.gz" \
	</dev/null >"$LOG" 2>&1
qrc=$?
wall=$(( $(date +%s) - t0 ))

if [ -s "$X/out/scenario.log" ]; then
	echo "xen-vm: ---- scenario output ----"
	cat "$X/out/scenario.log"
	echo "xen-vm: ---- end of scenario output ----"
fi
rc=$(cat "$X/out/rc" 2>/dev/null || echo "")
if [ -z "$rc" ]; then
	if ! grep -q 'Xen version' "$LOG"; then
		echo "xen-vm: QEMU (exit $qrc) did not even start Xen: this machine cannot run the VM" >&2
	elif [ "$qrc" -eq 124 ]; then
		echo "xen-vm: timed out after ${TMO}s" >&2
	else
		echo "xen-vm: dom0 did not report a result (QEMU exit $qrc)" >&2
	fi
	rc=99
fi
if [ "$rc" -ne 0 ]; then
	echo "xen-vm: FAILED (rc $rc) after ${wall}s; console log: $LOG; last lines:" >&2
	tail -n 40 "$LOG" >&2
	echo "xen-vm: dom0 results (logs, guest consoles) in $X/out" >&2
else
	echo "xen-vm: boot + scenario passed in ${wall}s (console log: $LOG)"
fi
exit "$rc"
