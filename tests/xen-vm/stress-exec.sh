#!/bin/bash
# A dom0 scenario that looks for memory or register corruption in the
# emulated machine, with a guest running beside dom0 as in the suite:
# vecstress checks that vector registers survive context switches, a loop
# starts short programs from the root (dynamic loading, glibc's string
# functions) and counts those killed by a signal, and the checksums of a
# few libraries are read again after every page-cache drop.
#   XENVM_SCENARIO=tests/xen-vm/stress-exec.sh tests/xen-vm/run.sh BUILD
# Environment (dom0): STRESS_SECS (default 90).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
P=/xentest W=/run/exec-stress SECS=${STRESS_SECS:-90}
mkdir -p "$W"
# progress also goes to the console: with cache=loose the log reaches the
# host only after power-off, and a hang must show how far dom0 got
say() { echo "$*"; echo "$*" > /dev/console; }
cat > "$W/g.cfg" <<EOC
name = "busy"
type = "pv"
kernel = "$P/vmlinux"
ramdisk = "$P/guest.cpio.gz"
extra = "console=hvc0 loglevel=4 sleep=600 busy=1"
memory = 96
vcpus = 1
on_poweroff = "destroy"
EOC
timeout 300 xl create "$W/g.cfg" > "$W/create.log" 2>&1; say "stress: xl create rc $?"
libs="/lib/x86_64-linux-gnu/libc.so.6 /usr/sbin/xl /usr/bin/bash /lib/x86_64-linux-gnu/libxenlight.so.4.17"
for f in $libs; do md5sum "$f"; done > "$W/sums.0"
say "stress [$(cut -d' ' -f1 /proc/uptime)s]: checksums read; running ${SECS}s"
"$P/bin/vecstress" "$SECS" 2 > "$W/vec.log" 2>&1 &
vec=$!
end=$(( $(date +%s) + SECS ))
runs=0 sig=0 drops=0 badsum=0
while [ "$(date +%s)" -lt "$end" ]; do
	for c in "tr -d x" "sed -n 1p" "awk 1" "sort" "bash -c read"; do
		$c < /etc/passwd > /dev/null 2>&1; rc=$?
		runs=$((runs + 1))
		if [ "$rc" -ge 128 ]; then sig=$((sig + 1)); say "stress: '$c' killed by signal $((rc - 128))"; fi
	done
	xenstore-ls /local/domain > /dev/null 2>&1; rc=$?; runs=$((runs + 1))
	[ "$rc" -ge 128 ] && { sig=$((sig + 1)); echo "stress: xenstore-ls killed by signal $((rc - 128))"; }
	if [ $((runs % 30)) -eq 0 ]; then
		sync; echo 3 > /proc/sys/vm/drop_caches; drops=$((drops + 1))
		say "stress [$(cut -d' ' -f1 /proc/uptime)s]: $runs programs, $sig killed"
		for f in $libs; do md5sum "$f"; done > "$W/sums.1"
		cmp -s "$W/sums.0" "$W/sums.1" || { badsum=$((badsum + 1)); echo "stress: checksums changed:"; diff "$W/sums.0" "$W/sums.1"; }
	fi
done
wait "$vec"; vrc=$?
cat "$W/vec.log"
cores=$(ls /xentest/out/core.* 2>/dev/null | wc -l)
say "stress summary: $runs programs, $sig killed by a signal, $cores cores, $drops cache drops, $badsum checksum changes, vecstress rc $vrc"
cp "$W/sums.0" /xentest/out/sums.txt
[ "$sig" -eq 0 ] && [ "$badsum" -eq 0 ] && [ "$vrc" -eq 0 ]
