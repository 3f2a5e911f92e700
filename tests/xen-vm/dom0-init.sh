#!/bin/sh
# PID 1 of the test dom0 (installed as /xentest/init).  The root is the host
# directory shared over virtio-9p, so what goes to /xentest/out is read by
# the host afterwards.  Starts the Xen toolstack the way Debian's init
# script does, runs the scenario, records its exit code, powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run/lock /var/log/xen /var/lib/xen
hostname xensnmp-dom0
busybox ip link set lo up

OUT=/xentest/out
mkdir -p $OUT
say() { echo "dom0 [$(cut -d' ' -f1 /proc/uptime)s]: $*"; }
finish() {
	say "done, rc=$1"
	echo "$1" > $OUT/rc
	sync
	busybox poweroff -f
	echo o > /proc/sysrq-trigger
	sleep 30
}

say "userspace up"
# a crashing process (xl, xenstored, the agent) leaves its core where the
# host reads it; run.sh prints each core's backtrace
ulimit -c unlimited
echo "$OUT/core.%e.%p" > /proc/sys/kernel/core_pattern
rm -rf /var/log/xen/console
mkdir -p /var/log/xen/console
export XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"
/etc/init.d/xen start > $OUT/xen-start.log 2>&1 || { cat $OUT/xen-start.log; finish 100; }
grep -q control_d /proc/xen/capabilities 2>/dev/null || { say "not the control domain"; finish 101; }
say "Xen toolstack up"
# what the emulated CPU offers dom0 (the -cpu model decides it)
grep -m1 '^flags' /proc/cpuinfo > $OUT/dom0-cpu-flags 2>/dev/null

rc=0
timeout ${SCENARIO_TIMEOUT:-900} /xentest/scenario.sh > $OUT/scenario.log 2>&1 || rc=$?
cat $OUT/scenario.log
cp -r /var/log/xen/console $OUT/guest-consoles 2>/dev/null
finish $rc
