#!/bin/bash
# What a guest writes is never believed as the toolstack's word: devices
# come only from dom0's backend directories, cross-checked both ways
# (XSA-175); a guest's frontend backend pointer is never followed.
. "$(dirname "$0")/lib.sh"

start_sim --scenario "$top_srcdir/tests/scenarios/basic.scn"
write_snmpd_conf </dev/null
start_snmpd
start_agent

# the simulator refuses what libxl does not let a guest write
check_match "a guest cannot write its own name" 'error.*denied' "$(sim guest-write 1 name evil 2>&1)"

# (a) domain 1's vif 0 pointed at domain 2's backend
sim guest-write 1 device/vif/0/backend /local/domain/0/backend/vif/2/0 >/dev/null
# (b) domain 2's vif 1 pointed at a fabricated backend in its own data/
sim guest-write 2 data/backend/vif/2/1/bridge fabricated-bridge >/dev/null
sim guest-write 2 data/backend/vif/2/1/script /etc/xen/scripts/evil >/dev/null
sim guest-write 2 data/backend/vif/2/1/mac 00:16:3e:66:66:66 >/dev/null
sim guest-write 2 data/backend/vif/2/1/vifname evil0 >/dev/null
sim guest-write 2 data/backend/vif/2/1/frontend-id 2 >/dev/null
sim guest-write 2 data/backend/vif/2/1/frontend /local/domain/2/device/vif/1 >/dev/null
sim guest-write 2 device/vif/1/backend /local/domain/2/data/backend/vif/2/1 >/dev/null
# (c) paths with .. and // (xenstored refuses both), with a fabricated
# MAC and device-type in the frontend to fall back on
sim guest-write 2 device/vif/0/backend /local/domain/0/backend/vif/1/../2/0 >/dev/null
sim guest-write 2 device/vif/0/mac 00:16:3e:66:66:66 >/dev/null
sim rm /local/domain/0/backend/vbd/1/51712/device-type >/dev/null
sim guest-write 1 device/vbd/51712/backend /local/domain/0//backend/vbd/1/51712 >/dev/null
sim guest-write 1 device/vbd/51712/device-type cdrom >/dev/null
# (d) backends in dom0 that do not point back at domain 7, which a
# guest frontend of domain 7 names
sim write /local/domain/0/backend/vif/7/0/frontend-id 1 >/dev/null
sim write /local/domain/0/backend/vif/7/0/frontend /local/domain/1/device/vif/0 >/dev/null
sim write /local/domain/0/backend/vif/7/0/mac 00:16:3e:77:77:77 >/dev/null
sim write /local/domain/0/backend/vif/7/0/bridge stolen >/dev/null
sim write /local/domain/0/backend/vif/7/1/frontend-id 7 >/dev/null
sim write /local/domain/0/backend/vif/7/1/frontend /local/domain/1/device/vif/0 >/dev/null
sim write /local/domain/0/backend/vif/7/1/mac 00:16:3e:77:77:71 >/dev/null
sim guest-write 7 device/vif/0/backend /local/domain/0/backend/vif/7/0 >/dev/null
sim guest-write 7 device/vif/0/backend-id 0 >/dev/null
sim guest-write 7 device/vif/1/backend /local/domain/0/backend/vif/7/1 >/dev/null
sim guest-write 7 device/vif/1/backend-id 0 >/dev/null
# (e) a domain id in xenstore's reserved range
sim write /local/domain/32752/name reserved-id >/dev/null
sim write /local/domain/65535/name reserved-id >/dev/null
sleep 2.5	# past the minimum re-read interval and a timer tick

check_eq "(a) another domain's backend: own MAC" '0:16:3e:0:0:1' "$(get xdmVifMac.1.0)"
check_eq "(a) another domain's backend: own interface" vif1.0 "$(get xdmVifIfName.1.0)"
check_eq "(a) another domain's backend: own bridge" xenbr0 "$(get xdmVifBridge.1.0)"
check_eq "(b) own data/: real bridge" xenbr1 "$(get xdmVifBridge.2.1)"
check_eq "(b) own data/: real script" vif-bridge "$(get xdmVifScript.2.1)"
check_eq "(b) own data/: real MAC" '0:16:3e:0:1:2' "$(get xdmVifMac.2.1)"
check_eq "(b) own data/: real interface name" vif2.1 "$(get xdmVifIfName.2.1)"
check_eq "(c) .. path: real MAC, not the frontend's" '0:16:3e:0:0:2' "$(get xdmVifMac.2.0)"
check_eq "(c) .. path: real interface name" db1-eth0 "$(get xdmVifIfName.2.0)"
check_eq "(c) // path: real params" /var/lib/xen/images/web1.img "$(get xdmVbdParams.1.51712)"
check_match "(c) no device-type in the backend: unknown, not the frontend's" '^(No Such Instance.*|unknown)$' \
	"$(get xdmVbdDeviceType.1.51712)"
check_match "(d) frontend-id not pointing back: not served" 'No Such Instance' "$(get xdmVifMac.7.0)"
check_match "(d) frontend path not pointing back: not served" 'No Such Instance' "$(get xdmVifMac.7.1)"
check_eq "(d) domain 7 has no VIF rows" 0 "$(walk xdmVifMac | grep -c 'xdmVifMac\.7\.' || true)"
check_eq "backend domain comes from where the backend was found" 0 "$(get xdmVifBackendDomain.2.1)"
vif_table=$(walk xdmVifTable)
for bad in fabricated-bridge /etc/xen/scripts/evil evil0 stolen '0:16:3e:66:66:66' '0:16:3e:77:77'; do
	check_eq "nothing in xdmVifTable says $bad" 0 "$(grep -c -- "$bad" <<<"$vif_table" || true)"
done
check_match "(e) domid 32752 is no domain" 'No Such Instance' "$(get xdmDomainName.32752)"
check_match "(e) domid 65535 is no domain" 'No Such Instance' "$(get xdmDomainName.65535)"
check_eq "(e) domain count leaves reserved ids out" 4 "$(get xdmHostDomainCount.0)"

# a mismatching backend is logged once, however often its domain is read
for i in 1 2 3; do sim set 7 mem_target_kib=$((262144 + i)) >/dev/null; sleep 1.2; done
check_eq "mismatch logged once per device" 1 "$(grep -c 'backend/vif/7/0 does not point back' "$T/agent.log" || true)"
check_eq "the domain was re-read meanwhile" 262147 "$(get xdmDomainMemTarget.7)"
stop_agent
finish
