#!/bin/bash
# A dom0 scenario that only exercises xl: creates and destroys a small PV
# guest N times (XL_STRESS_N, default 20; every other one runs, the others
# stay paused) and counts how xl ends each time: 0, killed by a signal (a
# core lands in /xentest/out), timed out, or failed.  Used to measure how
# often the emulated machine makes xl crash under a given QEMU setup:
#   XENVM_SCENARIO=tests/xen-vm/stress-xl.sh tests/xen-vm/run.sh BUILD
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
P=/xentest W=/run/xl-stress N=${XL_STRESS_N:-20}
mkdir -p "$W"
cat > "$W/g.cfg" <<EOC
name = "stress"
type = "pv"
kernel = "$P/vmlinux"
ramdisk = "$P/guest.cpio.gz"
extra = "console=hvc0 loglevel=4 sleep=5"
memory = 96
vcpus = 1
on_poweroff = "destroy"
EOC
ok=0 sig=0 tmo=0 err=0
for i in $(seq 1 "$N"); do
	t=$(date +%s.%N)
	rc=0
	if [ $((i % 2)) -eq 0 ]; then timeout 300 xl create "$W/g.cfg" >"$W/c.log" 2>&1 || rc=$?
	else timeout 300 xl create -p "$W/g.cfg" >"$W/c.log" 2>&1 || rc=$?; fi
	el=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	0) ok=$((ok + 1)) ;;
	124) tmo=$((tmo + 1)) ;;
	13[0-9]|1[4-9][0-9]) sig=$((sig + 1)) ;;
	*) err=$((err + 1)) ;;
	esac
	echo "stress $i: xl create rc $rc in ${el}s$([ "$rc" -ne 0 ] && echo ": $(tail -n 2 "$W/c.log" | tr '\n' ' ')")"
	[ $((i % 2)) -eq 0 ] && sleep 3	# the guest boots a little
	timeout 120 xl destroy stress >/dev/null 2>&1
done
echo "stress summary: $N creates: $ok ok, $sig killed by a signal, $tmo timed out, $err failed"
[ $((sig + tmo + err)) -eq 0 ]
