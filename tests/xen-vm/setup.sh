#!/bin/bash
# Builds what tests/xen-vm/run.sh boots: the Xen 4.17 hypervisor image and
# the dom0 kernel (both unpacked from Debian's packages), a Debian 12 dom0
# root directory (shared with the VM over virtio-9p) and a small initramfs
# that mounts it.  Everything comes from the Debian mirror the machine's
# apt is configured with.  Results are cached: a second run only rebuilds
# what is missing or what a changed recipe invalidates.
#
# Usage: setup.sh [CACHE_DIR]   (default: $XENVM_CACHE, else <top>/build-xen/xen-vm)
# Environment: MIRROR, SECURITY_MIRROR override the mirrors read from apt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${1:-${XENVM_CACHE:-$top/build-xen/xen-vm}}
SUITE=bookworm
XENPKG=xen-hypervisor-4.17-amd64
# dom0 userspace: the Xen toolstack, net-snmp (master agent and tools) and
# the libraries xensnmpd links against
DOM0_PKGS=xen-utils-4.17,xenstore-utils,libxenstore4,snmpd,snmp,snmptrapd,libsnmp40,libcurl4,libxml2,kmod,procps,busybox,util-linux,passwd,iproute2
# (iproute2: Xen's vif-bridge hotplug script needs ip)
# virtio + 9p modules, loaded in this order by the initramfs
INITRD_MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"

t0=$(date +%s)
say() { echo "xen-vm setup [+$(( $(date +%s) - t0 ))s]: $*"; }
die() { echo "xen-vm setup: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, file ownership in the dom0 root)"
[ "$(uname -m)" = x86_64 ] || die "needs an x86_64 machine"

# --- the machine's own Debian mirrors -------------------------------------
# deb822 stanzas first (URIs + Suites), then the one-line format.
apt_uris() {	# apt_uris main|security
	local want=$1 u=""
	u=$(awk -v want="$want" '
		function flush() {
			if (!done && uris != "" && suites != "") {
				n = split(suites, s, " ")
				for (i = 1; i <= n; i++) {
					sec = (s[i] ~ /-security$/)
					if ((want == "security") == sec) { split(uris, a, " "); print a[1]; done = 1; break }
				}
			}
			uris = ""; suites = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
		/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
		END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$u" ] && [ -f /etc/apt/sources.list ]; then
		u=$(sed -e 's/\[[^]]*\]//' /etc/apt/sources.list | awk -v want="$want" '
			$1 == "deb" { sec = ($3 ~ /-security/); if ((want == "security") == sec) { print $2; exit } }')
	fi
	echo "$u"
}
MIRROR=${MIRROR:-$(apt_uris main)}
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
MIRROR=${MIRROR%/}
SECURITY_MIRROR=${SECURITY_MIRROR:-$(apt_uris security)}
SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
SECURITY_MIRROR=${SECURITY_MIRROR%/}

# --- host tools --------------------------------------------------------------
apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=300 "$@"
}
need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
command -v debootstrap >/dev/null || need="$need debootstrap"
command -v cpio >/dev/null || need="$need cpio"
command -v gzip >/dev/null || need="$need gzip"
command -v file >/dev/null || need="$need file"
command -v socat >/dev/null || need="$need socat"	# QEMU's monitor, when a boot hangs
command -v gdb >/dev/null || need="$need gdb"	# backtraces of cores dumped in dom0
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" || need="$need busybox-static"
updated=0
if [ -n "$need" ]; then
	say "installing host packages:$need"
	apt-get update -q >/dev/null; updated=1
	apt_install $need >/dev/null
fi
BUSYBOX=/bin/busybox
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not the static busybox (install busybox-static)"

mkdir -p "$CACHE"
cd "$CACHE"

# A recipe stamp: when this script changes, the root and images are rebuilt.
RECIPE=$(cat "$here/setup.sh" "$here/guest-init" | sha256sum | cut -c1-16)
if [ "$(cat recipe 2>/dev/null)" != "$RECIPE" ]; then
	[ -e recipe ] && say "recipe changed: rebuilding"
	rm -rf root root.new xen.bin vmlinuz vmlinux kernel initrd.cpio.gz guest.cpio.gz recipe
fi

# --- 1. hypervisor and kernel, unpacked from the .debs ------------------------
if [ ! -s xen.bin ] || [ ! -s vmlinuz ] || [ ! -d kernel ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$kpkg" ] || ! apt-cache show "$XENPKG" >/dev/null 2>&1; then
		[ "$updated" = 1 ] || { apt-get update -q >/dev/null; updated=1; }
		kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$kpkg" ] || die "cannot find the Debian kernel package behind linux-image-amd64"
	say "downloading $XENPKG and $kpkg"
	rm -rf debs kernel; mkdir -p debs kernel
	(cd debs && apt-get download -q -o APT::Sandbox::User=root "$XENPKG" "$kpkg" >/dev/null) || die "apt-get download failed"
	for d in debs/*.deb; do dpkg-deb -x "$d" kernel; done
	gunzip -c kernel/boot/xen-4.17-amd64.gz > xen.bin.new && mv xen.bin.new xen.bin
	cp kernel/boot/vmlinuz-* vmlinuz
	dpkg-deb -f debs/${XENPKG}_*.deb Version > xen.version
fi
# The guests boot the kernel's ELF image, unpacked here once: from the
# compressed one, xl (libxenguest) unpacks 66 MB of xz at every domain
# build, in dom0's emulated CPU.
if [ ! -s vmlinux ]; then
	off=$(LC_ALL=C grep -aboP '\xfd7zXZ\x00' vmlinuz | head -n1 | cut -d: -f1)
	[ -n "$off" ] || die "vmlinuz: no xz payload found"
	tail -c +$((off + 1)) vmlinuz > vmlinux.xz
	xz -dc --single-stream < vmlinux.xz > vmlinux.new || die "vmlinuz: cannot unpack its xz payload"
	rm -f vmlinux.xz
	[ "$(head -c 4 vmlinux.new | od -An -c | tr -d ' ')" = '177ELF' ] || die "vmlinuz: the xz payload is not an ELF image"
	mv vmlinux.new vmlinux
fi
KVER=$(ls kernel/lib/modules | head -n1)
MODDIR=kernel/lib/modules/$KVER/kernel

# --- 2. dom0 root ------------------------------------------------------------
if [ ! -x root/usr/sbin/xl ]; then
	say "debootstrap $SUITE from $MIRROR (log: $CACHE/debootstrap.log)"
	rm -rf root.new
	debootstrap --variant=minbase --include="$DOM0_PKGS" "$SUITE" root.new "$MIRROR" \
		> debootstrap.log 2>&1 || { tail -n 20 debootstrap.log; die "debootstrap failed"; }
	# the release's updates, so that the tools match the hypervisor and the
	# host's libxen-dev that xensnmpd is built against
	say "updating the root from $SUITE-updates and $SUITE-security"
	printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
		"$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SECURITY_MIRROR" "$SUITE" > root.new/etc/apt/sources.list
	cp /etc/resolv.conf root.new/etc/resolv.conf 2>/dev/null || true
	mount -t proc proc root.new/proc
	rc=0
	{ chroot root.new apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot root.new apt-get -y -q upgrade; } \
		> upgrade.log 2>&1 || rc=$?
	umount root.new/proc
	[ "$rc" -eq 0 ] || { tail -n 20 upgrade.log; die "upgrading the root failed"; }
	chroot root.new apt-get clean
	# only the kernel modules dom0 needs
	# (bridge, llc, stp: the guests' vif bridge; loop: file-backed disks)
	for m in drivers/xen fs/9p net/9p drivers/virtio drivers/block/xen-blkback drivers/net/xen-netback fs/netfs fs/fscache \
		net/bridge net/llc net/802 drivers/block/loop.ko; do
		[ -e "$MODDIR/$m" ] || continue
		mkdir -p "root.new/lib/modules/$KVER/kernel/$(dirname "$m")"
		cp -a "$MODDIR/$m" "root.new/lib/modules/$KVER/kernel/$m"
	done
	cp kernel/lib/modules/$KVER/modules.builtin* kernel/lib/modules/$KVER/modules.order root.new/lib/modules/$KVER/
	chroot root.new depmod -a "$KVER"
	# the unprivileged monitoring user of the non-root part of the scenario
	chroot root.new groupadd -r xenstore-access
	chroot root.new groupadd -r agentx
	chroot root.new useradd -r -M -d /nonexistent -s /usr/sbin/nologin -G xenstore-access,agentx xenmon
	rm -rf root.new/usr/share/doc root.new/usr/share/man root.new/usr/share/locale root.new/var/cache/apt/*.bin
	mv root.new root
fi
hv=$(cat xen.version 2>/dev/null || true)
rv=$(chroot root dpkg-query -W -f '${Version}' xen-utils-4.17)
say "hypervisor $hv, dom0 tools $rv"
[ -z "$hv" ] || [ "$hv" = "$rv" ] || echo "xen-vm setup: warning: hypervisor $hv and dom0 tools $rv differ" >&2

# --- 3. initramfs: mounts the 9p root and switches to it ------------------------
if [ ! -s initrd.cpio.gz ]; then
	say "building the initramfs"
	rm -rf initrd; mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev initrd/newroot initrd/mods
	cp "$BUSYBOX" initrd/bin/busybox
	for m in $INITRD_MODS; do
		f=$(find "$MODDIR" -name "$m.ko" | head -n1)
		[ -n "$f" ] || die "kernel module $m not found"
		cp "$f" initrd/mods/
	done
	cat > initrd/init <<EOI
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $INITRD_MODS; do insmod /mods/\$m.ko || echo "initramfs: cannot load \$m"; done
# the 9p cache mode from dom0's command line (run.sh sets p9cache=)
cache=\$(sed -n 's/.*p9cache=\([a-z]*\).*/\1/p' /proc/cmdline)
n=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=\${cache:-mmap} rootfs /newroot; do
	n=\$((n + 1))
	if [ \$n -gt 50 ]; then echo "initramfs: cannot mount the 9p root"; echo o > /proc/sysrq-trigger; fi
	sleep 0.2
done
umount /proc /sys /dev
exec switch_root /newroot /xentest/init
EOI
	chmod +x initrd/init
	(cd initrd && find . | cpio -o -H newc 2>/dev/null | gzip -9) > initrd.cpio.gz.new
	mv initrd.cpio.gz.new initrd.cpio.gz
	rm -rf initrd
fi

# --- 4. the guests' ramdisk: busybox and the PV frontends (see guest-init) ----
if [ ! -s guest.cpio.gz ]; then
	say "building the guest ramdisk"
	rm -rf guest; mkdir -p guest/bin guest/proc guest/sys guest/dev guest/mods
	cp "$BUSYBOX" guest/bin/busybox
	# the PV frontends, so that a guest's vif and disk connect
	for m in xen-netfront xen-blkfront; do
		f=$(find "$MODDIR" -name "$m.ko" | head -n1)
		[ -n "$f" ] || die "kernel module $m not found"
		cp "$f" guest/mods/
	done
	cp "$here/guest-init" guest/init; chmod +x guest/init
	(cd guest && find . | cpio -o -H newc 2>/dev/null | gzip -9) > guest.cpio.gz.new
	mv guest.cpio.gz.new guest.cpio.gz
	rm -rf guest
fi

echo "$RECIPE" > recipe
say "ready in $CACHE ($(du -sh root | cut -f1) root); took $(( $(date +%s) - t0 ))s"
