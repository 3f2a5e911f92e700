#!/bin/bash
# The Xen access layer alone (no SNMP): what it reads from a simulated
# host laid out as libxl lays out a real one, and how it fails.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
out=$("$XENSNAP" 2>"$T/xensnap.err")

expect_line() {	# expect_line DESCRIPTION EXACT-LINE
	if grep -qxF -- "$2" <<<"$out"; then pass "$1"; else fail "$1: no line [$2]"; printf '%s\n' "$out" | head -20; fi
}
expect_line "status line" 'status mode=read-write drivers=1 stale=0 domains=4 unavailable="hypervisor: no hypercall interface (No such file or directory); dom0 statistics: /sys/bus/xen-backend: No such file or directory"'
expect_line "Domain-0" 'domain 0 name=Domain-0 mem_target_kib=1048576 mem_max_kib=1048576 sources=1'
expect_line "web1" 'domain 1 name=web1 uuid=4f77abd2-3019-58e8-3bab-6fbf2118f880 ostype=linux mem_target_kib=524288 mem_max_kib=1048576 vcpus=2 vcpus_online=1 start_time=1700000000.25 sources=1'
expect_line "db1" 'domain 2 name=db1 uuid=0b5f6a52-83c5-4b1e-9d6c-1a2b3c4d5e6f ostype=hvm mem_target_kib=2097152 mem_max_kib=4194304 vcpus=4 vcpus_online=4 start_time=1700003600.50 sources=1'
expect_line "pvh-test" 'domain 7 name=pvh-test uuid=d1e2f3a4-b5c6-47d8-89ea-fb0c1d2e3f40 mem_target_kib=262144 mem_max_kib=262144 vcpus=1 vcpus_online=1 start_time=1700007200.00 sources=1'
expect_line "web1 vif" 'vif 1 0 mac=00:16:3e:00:00:01 bridge=xenbr0 ifname=vif1.0 script=vif-bridge'
expect_line "db1 vif 0 with vifname" 'vif 2 0 mac=00:16:3e:00:00:02 bridge=xenbr0 ifname=db1-eth0 script=vif-bridge'
expect_line "db1 vif 1" 'vif 2 1 mac=00:16:3e:00:01:02 bridge=xenbr1 ifname=vif2.1 script=vif-bridge'
expect_line "web1 vbd" 'vbd 1 51712 dev=xvda params=/var/lib/xen/images/web1.img mode=w device_type=disk backend=vbd'
expect_line "db1 qdisk cdrom" 'vbd 2 51728 dev=xvdb params=/srv/iso/tools.iso mode=r device_type=cdrom backend=qdisk'
check_eq "nothing else" 11 "$(grep -c . <<<"$out")"
if sanitizer_clean "$T/xensnap.err"; then pass "xensnap: no sanitizer report"; else fail "xensnap: sanitizer report"; cat "$T/xensnap.err"; fi

# read-only mode gives the same data
ro=$("$XENSNAP" --read-only 2>/dev/null | tail -n +2)
check_eq "read-only mode reads the same" "$(tail -n +2 <<<"$out")" "$ro"
check_match "read-only mode says so" 'status mode=read-only .*unavailable="hypervisor: read-only mode; dom0 statistics: .*; control: read-only mode"' "$("$XENSNAP" --read-only --quiet 2>/dev/null)"

# a full refresh is measured and counted; the simulator counts the same requests
sim reset-stats >/dev/null
full=$("$XENSNAP" --full 1 --quiet 2>/dev/null | grep '^full_refresh')
req=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$full")
served=$(sim stats | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
check_match "full refresh figures" '^full_refresh seconds=[0-9.]+ requests=[0-9]+$' "$full"
# (the measured refresh may be the first one itself, when the request for
# it arrives before the first gathering is done)
if [ "$req" -gt 40 ] && [ "$served" -ge "$req" ] && [ "$served" -le $((2 * req + 20)) ]; then
	pass "request counts agree ($req per refresh, $served served)"
else
	fail "request counts: $req per refresh, $served served"
fi

# a directory too large for one reply (1,100 vifs: their devids alone
# pass xenstore's 4,096-octet payload) is listed all the same, in pages
for i in $(seq 0 1099); do
	sim vif 7 "$i" "mac=00:16:3e:07:$(printf '%02x:%02x' $((i / 256)) $((i % 256)))" bridge=xenbr0 >/dev/null
done
big=$("$XENSNAP" 2>"$T/xensnap-big.err")
check_eq "1,100 vifs of one domain, all read" 1100 "$(grep -c '^vif 7 ' <<<"$big")"
check_eq "the last of them whole" 'vif 7 1099 mac=00:16:3e:07:04:4b bridge=xenbr0 ifname=vif7.1099' \
	"$(grep '^vif 7 1099 ' <<<"$big" | sed 's/ script=.*//')"

# no xenstored: one clear line per path tried, and a clean failure
stop_sim
rc=0; "$XENSNAP" --timeout 5 >/dev/null 2>"$T/none.err" || rc=$?
check_eq "no xenstored: exit 1" 1 "$rc"
grep -q "xenstore: socket $XENSTORED_PATH: No such file or directory" "$T/none.err" && pass "no xenstored: socket failure said" || { fail "no xenstored: socket failure said"; cat "$T/none.err"; }
grep -q "xenstore: unavailable: no xenstore reachable" "$T/none.err" && pass "no xenstored: unavailable said" || fail "no xenstored: unavailable said"
if sanitizer_clean "$T/none.err"; then pass "no xenstored: no sanitizer report"; else fail "no xenstored: sanitizer report"; fi
finish
