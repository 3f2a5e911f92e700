#!/bin/bash
# The Debian package end to end, as an operator gets it: builds the
# packages with dpkg-buildpackage from this tree's distribution tarball,
# checks them with lintian, installs them with dpkg, starts the stock
# snmpd (with the stock snmpd.conf, which reads the shipped fragment) and
# the installed xensnmpd service against the simulated Xen host, walks
# XEN-DOMAIN-MIB by name through the installed MIB files only, stops
# both, purges the packages and checks that nothing of them is left.
#
# Root only: it installs into this machine (port 161 on loopback and
# /var/agentx/master must be free, xensnmp must not be installed).  Where
# systemd runs the machine, the units are started with systemctl;
# elsewhere run_unit starts each unit's ExecStart line as written, with
# the unit's environment, runtime directory and privilege settings, and
# fails on any setting it cannot reproduce.
#
#   tests/package/test_package.sh BUILD_DIR [TARBALL]
# BUILD_DIR is a configured build (its simulator is the Xen host; "make
# dist" there makes the tarball unless TARBALL is given).  With
# XENSNMP_PKG_BUILT=DIR, the packages already built in DIR (a kept log
# directory's build/) are tested instead of building them again.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [TARBALL]" >&2; exit 2; }
top_builddir=$(cd "$1" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
TARBALL=${2:-}
NAME=test_package
SIM=$top_builddir/tests/sim/xensimd
XCSIM=$top_builddir/tests/sim/.libs/libxcsim.so
PACKAGES="xensnmp xensnmp-mib"
passes=0
fails=0

log() { printf '%s: %s\n' "$NAME" "$*"; }
pass() { passes=$((passes + 1)); log "ok - $*"; }
fail() { fails=$((fails + 1)); log "FAIL - $*"; }
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi; }
die() { fail "$*"; finish; }
finish() {
	echo "$NAME: $passes passed, $fails failed"
	[ "$fails" -eq 0 ] && exit 0 || exit 1
}
wait_for() {	# wait_for SECONDS COMMAND...
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

[ "$(id -u)" -eq 0 ] || { log "skip - needs root (it installs the packages)"; exit 77; }
for tool in dpkg-buildpackage lintian dh; do
	command -v "$tool" >/dev/null || die "$tool missing (contrib/install-deps.sh installs it)"
done
[ -x "$SIM" ] && [ -f "$XCSIM" ] || die "no simulator in $top_builddir (build it first)"
for p in $PACKAGES; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		die "$p is installed already: this test would remove it; purge it first"
	fi
done
if [ -S /var/agentx/master ] && socat -u /dev/null UNIX-CONNECT:/var/agentx/master 2>/dev/null; then
	die "a master agent listens on /var/agentx/master: stop the system's snmpd first"
fi
if snmpget -v2c -c public -t 1 -r 0 -On 127.0.0.1 .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; then
	die "an SNMP agent answers on 127.0.0.1:161: stop the system's snmpd first"
fi
# the stock snmpd makes /var/agentx; the test removes it again if it made it
AGENTX_DIR_WAS=$([ -e /var/agentx ] && echo yes || true)

T=$(mktemp -d /tmp/xensnmp-pkg.XXXXXX)
# sockets and the preloaded stand-in where a sandboxed service sees them
# (PrivateTmp hides /tmp, ProtectHome a build tree under /root)
R=$(mktemp -d /run/xensnmp-pkg.XXXXXX)
SNMPD_PID= AGENT_PID= SIM_PID= INSTALLED= DROPIN=
SYSTEMD=
[ -d /run/systemd/system ] && SYSTEMD=yes

alive() {	# alive PID: running (a child that exited is a zombie until waited for)
	local stat
	stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}
stop_pid() {	# stop_pid PID: SIGTERM, then SIGKILL after 10 s; returns its status
	local pid=$1 rc=0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

cleanup() {
	local rc=$?
	set +e
	if [ -n "$SYSTEMD" ]; then
		systemctl stop xensnmpd.service 2>/dev/null
		[ -n "$DROPIN" ] && rm -rf "$DROPIN" && systemctl daemon-reload
	fi
	[ -n "$AGENT_PID" ] && stop_pid "$AGENT_PID"
	[ -n "$SNMPD_PID" ] && stop_pid "$SNMPD_PID"
	[ -n "$SIM_PID" ] && stop_pid "$SIM_PID"
	rm -rf /run/xensnmpd /run/agentx
	[ -n "$AGENTX_DIR_WAS" ] || rm -rf /var/agentx
	# never leave the packages on the machine
	[ -n "$INSTALLED" ] && dpkg --purge $PACKAGES >>"$T/purge.log" 2>&1
	rm -rf "$R"
	if [ "$rc" -ne 0 ] || [ "$fails" -ne 0 ]; then log "logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# --- the unit runner (where systemd does not run the machine) ---
# The [Service] settings run_unit reproduces, and those only systemd's
# sandbox or supervisor can enforce, which it leaves out; any other
# setting makes it fail, so a unit change it would not honour is noticed.
REPRODUCED=" ExecStart Environment RuntimeDirectory RuntimeDirectoryMode CapabilityBoundingSet
	AmbientCapabilities NoNewPrivileges UMask "
SYSTEMD_ONLY=" Type ExecReload Restart RestartSec ProtectSystem ProtectHome PrivateTmp
	ProtectKernelTunables ProtectKernelModules ProtectKernelLogs ProtectControlGroups
	RestrictAddressFamilies RestrictNamespaces RestrictRealtime RestrictSUIDSGID LockPersonality
	MemoryDenyWriteExecute SystemCallArchitectures "
REPRODUCED=" $(echo $REPRODUCED) " SYSTEMD_ONLY=" $(echo $SYSTEMD_ONLY) "
unit_values() {	# unit_values UNIT KEY: the values of KEY in [Service], one a line
	awk -v k="$2" '/^\[/ { s = ($0 == "[Service]") } s && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$1"
}
run_unit() {	# run_unit UNIT OUTFILE [ENV=VALUE...]: starts it, sets RUN_PID
	local unit=$1 out=$2 key exec mode caps nnp umask_v dir
	shift 2
	for key in $(awk '/^\[/ { s = ($0 == "[Service]") } s && /^[A-Za-z]+=/ { sub(/=.*/, ""); print }' "$unit" | sort -u); do
		[[ $REPRODUCED == *" $key "* || $SYSTEMD_ONLY == *" $key "* ]] ||
			die "$(basename "$unit"): the runner cannot reproduce $key="
	done
	exec=$(unit_values "$unit" ExecStart | tail -n1)
	exec=${exec#[-@+!]}
	[ -n "$exec" ] || die "$(basename "$unit") has no ExecStart"
	local env=()
	while read -r line; do [ -n "$line" ] && env+=($line); done < <(unit_values "$unit" Environment)
	mode=$(unit_values "$unit" RuntimeDirectoryMode | tail -n1)
	for dir in $(unit_values "$unit" RuntimeDirectory); do
		mkdir -p "/run/$dir" && chmod "${mode:-0755}" "/run/$dir"
	done
	local wrap=()
	caps=$(unit_values "$unit" CapabilityBoundingSet | tail -n1)
	if unit_values "$unit" CapabilityBoundingSet | grep -q .; then
		[ -z "$caps" ] || die "the runner only reproduces an empty CapabilityBoundingSet="
		wrap+=(--bounding-set=-all --inh-caps=-all)
	fi
	[ -z "$(unit_values "$unit" AmbientCapabilities | tail -n1)" ] ||
		die "the runner only reproduces an empty AmbientCapabilities="
	nnp=$(unit_values "$unit" NoNewPrivileges | tail -n1)
	[ "$nnp" = yes ] && wrap+=(--no-new-privs)
	umask_v=$(unit_values "$unit" UMask | tail -n1)
	log "starting $(basename "$unit"): $exec"
	# shellcheck disable=SC2086
	( umask "${umask_v:-0022}"; cd /
	  if [ ${#wrap[@]} -gt 0 ]; then
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" "$@" setpriv "${wrap[@]}" -- $exec
	  else
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" "$@" $exec
	  fi ) >"$out" 2>&1 </dev/null &
	RUN_PID=$!
}
stop_unit() {	# stop_unit UNIT PID: SIGTERM; the runtime directories go
	local rc=0 dir
	stop_pid "$2" || rc=$?
	for dir in $(unit_values "$1" RuntimeDirectory); do rm -rf "/run/${dir:?}"; done
	return "$rc"
}

# --- build ---
if [ -n "${XENSNMP_PKG_BUILT:-}" ]; then
	cp -r "$XENSNMP_PKG_BUILT" "$T/build"
	log "testing the packages built before in $XENSNMP_PKG_BUILT"
elif [ -z "$TARBALL" ]; then
	log "make dist"
	make -C "$top_builddir" dist >"$T/dist.log" 2>&1 || { cat "$T/dist.log"; die "make dist failed"; }
	TARBALL=$(ls -t "$top_builddir"/xensnmp-*.tar.gz | head -n1)
fi
if [ -z "${XENSNMP_PKG_BUILT:-}" ]; then
	version=$(basename "$TARBALL" .tar.gz); version=${version#xensnmp-}
	mkdir "$T/build"
	tar -xzf "$TARBALL" -C "$T/build"
	cp "$TARBALL" "$T/build/xensnmp_$version.orig.tar.gz"
	log "dpkg-buildpackage -us -uc -b (log: $T/build.log)"
	start=$SECONDS
	# nocheck: the suite ran before in the sanitizer build and in distcheck
	if (cd "$T/build/xensnmp-$version" && DEB_BUILD_OPTIONS=nocheck \
		dpkg-buildpackage -us -uc -b -Pnocheck) >"$T/build.log" 2>&1; then
		pass "dpkg-buildpackage built the packages ($((SECONDS - start)) s)"
	else
		tail -n 40 "$T/build.log"; die "dpkg-buildpackage failed"
	fi
fi
changes=$(ls "$T"/build/xensnmp_*.changes)
version=$(basename "$changes" | sed 's/^xensnmp_//; s/-[^-]*$//')
debs=()
for p in $PACKAGES; do debs+=("$(ls "$T"/build/"${p}"_*.deb)"); done
for deb in "${debs[@]}"; do
	log "contents of $(basename "$deb"):"
	dpkg-deb -c "$deb" | awk '{ print "    " $1 " " $6 ($7 ? " " $7 " " $8 : "") }'
done

lintian_out=$(lintian --fail-on error,warning "$changes" 2>&1) && lrc=0 || lrc=$?
lintian_out=$(grep -v 'running with root privileges' <<<"$lintian_out" || true)
log "lintian: ${lintian_out:-(no tags)}"
check_eq "lintian: no error or warning" "0 []" "$lrc [$(grep -E '^[EW]: ' <<<"$lintian_out" || true)]"

# --- install ---
# what exists before, where the packages and their scripts write
WATCH=(/etc/snmp /etc/systemd/system /lib/systemd/system /usr/sbin /usr/share/doc /usr/share/man/man5
       /usr/share/man/man8 /usr/share/snmp /usr/share/xensnmp "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/xensnmp" /var/lib/systemd /run/xensnmpd
       /var/lib/snmp/xensnmpd.conf)
snapshot() { { find "${WATCH[@]}" 2>/dev/null || true; } | grep -v '^/var/lib/snmp/snmpd' | sort -u; }
snapshot >"$T/before.txt"
INSTALLED=yes
if dpkg -i "${debs[@]}" >"$T/install.log" 2>&1; then
	pass "dpkg -i installs $PACKAGES"
else
	cat "$T/install.log"; die "dpkg -i failed"
fi
dpkg -L $PACKAGES | sort -u >"$T/files.txt"
unit=/lib/systemd/system/xensnmpd.service
for f in /usr/sbin/xensnmpd "$unit" /etc/snmp/xensnmpd.conf /etc/snmp/snmpd.conf.d/xensnmp.conf \
	/usr/share/man/man8/xensnmpd.8.gz /usr/share/man/man5/xensnmpd.conf.5.gz \
	/usr/share/snmp/mibs/XEN-DOMAIN-MIB.txt /usr/share/xensnmp/mibs/SNMPv2-SMI.txt \
	/usr/share/xensnmp/mibs/VM-MIB.txt; do
	grep -qxF "$f" "$T/files.txt" && pass "installed: $f" || fail "not in the packages: $f"
done
plugin=$(grep '/xensnmp\.so$' "$T/files.txt" || true)
[ -n "$plugin" ] && pass "installed: $plugin" || fail "no xensnmp.so in the packages"
grep -qF "dlmod xensnmp $plugin" <(zcat /usr/share/man/man5/xensnmpd.conf.5.gz | sed 's/\\-/-/g') &&
	pass "xensnmpd.conf(5) gives the plugin's installed path" || fail "xensnmpd.conf(5) lacks 'dlmod xensnmp $plugin'"
if command -v systemd-analyze >/dev/null; then
	check_eq "systemd-analyze verify: the installed unit is sound" "" \
		"$(systemd-analyze verify "$unit" 2>&1 || true)"
	log "systemd-analyze security: $(systemd-analyze security --offline=yes "$unit" 2>&1 | tail -n1 || true)"
else
	log "skip - no systemd-analyze: the unit is not verified"
fi
grep -qx 'includeDir /etc/snmp/snmpd.conf.d' /etc/snmp/snmpd.conf &&
	pass "the stock snmpd.conf reads snmpd.conf.d" || fail "/etc/snmp/snmpd.conf has no includeDir /etc/snmp/snmpd.conf.d"

# --- run: the simulated Xen host, the stock snmpd, the installed service ---
"$SIM" --xenstore "$R/xenstored.sock" --control "$R/sim.ctl" --pidfile "$R/sim.pid" \
	--scenario "$top_srcdir/tests/scenarios/basic.scn" >"$T/sim.log" 2>&1 &
SIM_PID=$!
wait_for 30 test -s "$R/sim.pid" || { cat "$T/sim.log"; die "the simulator did not start"; }
cp "$XCSIM" "$R/libxcsim.so"
# the Xen host the service sees: the simulator's xenstore and hypervisor
XENHOST_ENV=("XENSTORED_PATH=$R/xenstored.sock" "LD_PRELOAD=$R/libxcsim.so" "XENSIM_CONTROL=$R/sim.ctl")
SNMP=(env -i PATH=/usr/bin:/bin HOME="$T" snmpwalk -v2c -c public -t 2 -r 1)
MIBS=(-M +/usr/share/xensnmp/mibs -m XEN-DOMAIN-MIB)

if [ -n "$SYSTEMD" ]; then
	DROPIN=/run/systemd/system/xensnmpd.service.d
	mkdir -p "$DROPIN"
	{
		echo "[Unit]"
		echo "ConditionPathExists="	# no /proc/xen: the simulator stands in
		echo "[Service]"
		for e in "${XENHOST_ENV[@]}"; do echo "Environment=$e"; done
	} >"$DROPIN/simulated-host.conf"
	systemctl daemon-reload
	systemctl restart snmpd.service || die "systemctl restart snmpd failed"
	systemctl start xensnmpd.service || die "systemctl start xensnmpd failed"
	AGENT_MAIN=$(systemctl show -p MainPID --value xensnmpd.service)
else
	log "systemd does not run this machine: the units' ExecStart lines, as written"
	run_unit /lib/systemd/system/snmpd.service "$T/snmpd.out"
	SNMPD_PID=$RUN_PID
	run_unit "$unit" "$T/xensnmpd.journal" "${XENHOST_ENV[@]}"
	AGENT_PID=$RUN_PID
fi
wait_for 20 "${SNMP[@]}" -On 127.0.0.1 .1.3.6.1.2.1.1.3 ||
	{ cat "$T/snmpd.out" 2>/dev/null; die "the stock snmpd does not answer on 127.0.0.1"; }
pass "the stock snmpd answers"
# served, past the quick first snapshot (the hypervisor's domain list alone)
served() {
	local out
	out=$("${SNMP[@]}" "${MIBS[@]}" -Oqv 127.0.0.1 XEN-DOMAIN-MIB::xdmHostDomainCount &&
		"${SNMP[@]}" "${MIBS[@]}" -Oqv 127.0.0.1 XEN-DOMAIN-MIB::xdmHostUnavailable) || return 1
	grep -qE '^[0-9]+$' <<<"$out" && ! grep -q 'first reading in progress' <<<"$out"
}
if wait_for 30 served; then
	pass "XEN-DOMAIN-MIB is served through the stock snmpd and the shipped fragment"
else
	tail -n 20 "$T/xensnmpd.journal" 2>/dev/null; fail "xdmHostDomainCount not served"
fi

# by name, with the installed MIB files only (no -M into the build tree,
# HOME with no .snmp, no MIBDIRS)
expected_names=$(awk '/^domain / { for (i = 3; i <= NF; i++) if ($i ~ /^name=/) print substr($i, 6) }' \
	"$top_srcdir/tests/scenarios/basic.scn" | tr '\n' ' ')
names=$("${SNMP[@]}" "${MIBS[@]}" -Oqv 127.0.0.1 XEN-DOMAIN-MIB::xdmDomainName 2>&1 | tr '\n' ' ' || true)
check_eq "walk of xdmDomainName by name: the simulated host's domains" "$expected_names" "$names"
walk=$("${SNMP[@]}" "${MIBS[@]}" -Oq 127.0.0.1 XEN-DOMAIN-MIB::xdmMIB 2>&1 || true)
count=$(grep -c '^XEN-DOMAIN-MIB::' <<<"$walk" || true)
[ "$count" -ge 50 ] && pass "walk of the whole XEN-DOMAIN-MIB by name: $count objects" ||
	fail "walk of XEN-DOMAIN-MIB: $count objects: $(head -n 5 <<<"$walk")"
# (vmIndex follows the order VMs were first seen, not the domid: sorted)
vm_names=$("${SNMP[@]}" -M +/usr/share/xensnmp/mibs -m VM-MIB -Oqv 127.0.0.1 VM-MIB::vmName 2>&1 | sort | tr '\n' ' ' || true)
check_eq "walk of VM-MIB's vmName by name, through the shipped fragment's view" \
	"$(tr ' ' '\n' <<<"$expected_names" | grep . | sort | tr '\n' ' ')" "$vm_names"
check_eq "as the unit runs it: read-write" readWrite \
	"$("${SNMP[@]}" "${MIBS[@]}" -Oqv 127.0.0.1 XEN-DOMAIN-MIB::xdmHostAccessMode 2>&1 || true)"
check_eq "db1's state from the hypervisor driver (libxenctrl without capabilities)" paused \
	"$("${SNMP[@]}" "${MIBS[@]}" -Oqv 127.0.0.1 XEN-DOMAIN-MIB::xdmDomainState.2 2>&1 || true)"

if [ -z "$SYSTEMD" ]; then
	grep -q "xensnmpd $version started" "$T/xensnmpd.journal" &&
		pass "the service logs to standard output (the journal)" || fail "no start line on the service's standard output"
	[ -d /run/xensnmpd ] && [ "$(stat -c %a:%U /run/xensnmpd)" = 700:root ] &&
		pass "its persistent directory is the runtime directory, root's" || fail "/run/xensnmpd missing or not root's 0700"
	kill -HUP "$AGENT_PID"	# ExecReload
	wait_for 10 grep -q 'SIGHUP: re-reading' "$T/xensnmpd.journal" && pass "reload (SIGHUP) re-reads the configuration" ||
		fail "no reload line after SIGHUP"
	rc=0; stop_unit "$unit" "$AGENT_PID" || rc=$?; AGENT_PID=
	check_eq "the service stops on SIGTERM with status 0" 0 "$rc"
	stop_unit /lib/systemd/system/snmpd.service "$SNMPD_PID" || true; SNMPD_PID=
else
	systemctl stop xensnmpd.service
	check_eq "the service stopped cleanly" "inactive" "$(systemctl is-active xensnmpd.service || true)"
	[ -n "$AGENT_MAIN" ] && ! kill -0 "$AGENT_MAIN" 2>/dev/null && pass "its process is gone" || fail "its process is still there"
	rm -rf "$DROPIN"; DROPIN=; systemctl daemon-reload
fi
stop_pid "$SIM_PID" || true; SIM_PID=

# --- purge ---
if dpkg --purge $PACKAGES >"$T/purge.log" 2>&1; then
	pass "dpkg --purge $PACKAGES"
	INSTALLED=
else
	cat "$T/purge.log"; fail "dpkg --purge failed"
fi
left=""
while read -r f; do
	[ -d "$f" ] && continue	# directories other packages share
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$T/files.txt"
check_eq "every file the packages held is gone" "" "$left"
snapshot >"$T/after.txt"
check_eq "nothing new is left where the packages and their scripts write" "" \
	"$(comm -13 "$T/before.txt" "$T/after.txt" | tr '\n' ' ')"
[ ! -e /etc/snmp/snmpd.conf.d/xensnmp.conf ] && [ ! -e /etc/snmp/xensnmpd.conf ] &&
	pass "the conffiles are gone" || fail "conffiles left after purge"
finish
