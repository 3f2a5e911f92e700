#!/bin/sh
# Writes the agent's OID header to stdout, generated from the MIBs so that
# mib/XEN-DOMAIN-MIB.txt and RFC 7666's mib/ietf/VM-MIB.txt are the one
# source of truth for object identifiers and enumeration values.  Usage:
# gen_oids.sh MIBDIR (holding XEN-DOMAIN-MIB and the ietf/ modules).
# Needs net-snmp's snmptranslate.
set -eu
MIBDIR=$1
: "${SNMPTRANSLATE:=snmptranslate}"
# keep the tool away from the user's and the system's configuration
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xensnmp-genoids.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/persist/cert_indexes"
export SNMP_PERSISTENT_DIR="$tmp/persist" SNMPCONFPATH="$tmp"
unset MIBS MIBDIRS
translate() { "$SNMPTRANSLATE" -M "$MIBDIR:$MIBDIR/ietf" -m XEN-DOMAIN-MIB:VM-MIB "$@"; }

translate -Tz >"$tmp/all" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
if [ -s "$tmp/err" ] || ! grep -q '"xdmObjects"' "$tmp/all" || ! grep -q '"vmObjects"' "$tmp/all"; then
	echo "gen_oids.sh: XEN-DOMAIN-MIB or VM-MIB does not load cleanly from $MIBDIR:" >&2
	cat "$tmp/err" >&2
	exit 1
fi
# "name oid" for the modules' own nodes
sed 's/"//g' "$tmp/all" | awk '$1 ~ /^(xdm|xensnmp|vm)/ { print $1, $2 }' >"$tmp/oids"

oid_of() { awk -v n="$1" '$1 == n { gsub(/\./, ", ", $2); print $2 }' "$tmp/oids"; }

# upper SNAKE from camelCase: dom0Stats -> DOM0_STATS, CpuMHz -> CPU_MHZ
snake() { sed 's/\([a-z0-9]\)\([A-Z]\)/\1_\2/g' | LC_ALL=C tr 'a-z' 'A-Z'; }

# children PARENT: "name subid" of the MIB nodes directly under PARENT
children() {
	awk -v p="$(awk -v n="$1" '$1 == n { print $2 }' "$tmp/oids")." '
		index($2, p) == 1 && substr($2, length(p) + 1) ~ /^[0-9]+$/ {
			print $1, substr($2, length(p) + 1)
		}' "$tmp/oids" | sort -k2n
}

# objects ENUM-TAG CONST-PREFIX PARENT NAME-PREFIX FIRST-LAST-PREFIX
objects() {
	printf 'enum %s {\n' "$1"
	children "$3" | while read -r name subid; do
		printf '\t%s%s = %s,\n' "$2" "$(printf '%s' "${name#"$4"}" | snake)" "$subid"
	done
	printf '};\n'
	if [ -n "$5" ]; then
		# the accessible columns: the index (column 1) is not served
		printf '#define %s_FIRST_COLUMN %s\n' "$5" \
			"$(children "$3" | awk 'NR == 2 { print $2 }')"
		printf '#define %s_LAST_COLUMN %s\n' "$5" \
			"$(children "$3" | awk 'END { print $2 }')"
	fi
	printf '\n'
}

# values OBJECT ENUM-TAG CONST-PREFIX [MODULE]: an object's enumeration or BITS
values() {
	printf '/* %s */\nenum %s {\n' "$1" "$2"
	translate -Td "${4:-XEN-DOMAIN-MIB}::$1" |
		awk '/^  SYNTAX/ { sub(/^[^{]*\{/, ""); sub(/\}.*/, ""); gsub(/[ ,]+/, "\n"); print; exit }' |
		sed -n 's/^\([A-Za-z0-9]*\)(\([0-9]*\))$/\1 \2/p' |
		while read -r label value; do
			printf '\t%s%s = %s,\n' "$3" "$(printf '%s' "$label" | snake)" "$value"
		done
	printf '};\n\n'
}

cat <<'HEAD'
/*
 * Object identifiers and enumerations of XEN-DOMAIN-MIB and VM-MIB,
 * generated from mib/XEN-DOMAIN-MIB.txt and mib/ietf/VM-MIB.txt by
 * agent/gen_oids.sh when the agent is built.  Do not edit: change the
 * MIB.  The enterprise arc is provisional and defined only in the MIB
 * (xensnmpEnterprise); see docs/mib.md.
 */
#ifndef XENSNMP_OIDS_H
#define XENSNMP_OIDS_H

HEAD
printf '#define XENSNMP_HOST_OID %s\n' "$(oid_of xdmHost)"
printf '#define XENSNMP_DOMAIN_TABLE_OID %s\n' "$(oid_of xdmDomainTable)"
printf '#define XENSNMP_VCPU_TABLE_OID %s\n' "$(oid_of xdmVcpuTable)"
printf '#define XENSNMP_VIF_TABLE_OID %s\n' "$(oid_of xdmVifTable)"
printf '#define XENSNMP_VBD_TABLE_OID %s\n' "$(oid_of xdmVbdTable)"
printf '#define XENSNMP_CONTROL_OID %s\n' "$(oid_of xdmControl)"
printf '#define XENSNMP_NOTIFY_OID %s\n' "$(oid_of xdmNotifyControl)"
printf '#define XENSNMP_NOTIFICATIONS_OID %s\n\n' "$(oid_of xdmNotifications)"

objects xensnmp_host_scalar XENHOST_ xdmHost xdmHost ""
printf '#define XENHOST_FIRST %s\n#define XENHOST_LAST %s\n\n' \
	"$(children xdmHost | awk 'NR == 1 { print $2 }')" \
	"$(children xdmHost | awk 'END { print $2 }')"
objects xensnmp_domain_column XENDOM_ xdmDomainEntry xdmDomain XENDOM
objects xensnmp_vcpu_column XENVCPU_ xdmVcpuEntry xdmVcpu XENVCPU
objects xensnmp_vif_column XENVIF_ xdmVifEntry xdmVif XENVIF
objects xensnmp_vbd_column XENVBD_ xdmVbdEntry xdmVbd XENVBD
objects xensnmp_control_node XENCTL_NODE_ xdmControl xdmControl ""
objects xensnmp_control_column XENCTL_ xdmControlEntry xdmControl XENCTL
objects xensnmp_result_column XENRES_ xdmControlResultEntry xdmResult XENRES
objects xensnmp_notify_object XENNOTIFY_ xdmNotifyControl xdmNotify ""
objects xensnmp_notification XENNOTIF_ xdmNotifications xdm ""

values xdmDomainState xensnmp_domain_state XENSNMP_STATE_
values xdmDomainShutdownReason xensnmp_shutdown_reason XENSNMP_SHUTDOWN_
values xdmHostAccessMode xensnmp_access_mode XENSNMP_ACCESS_
values xdmHostSnapshotState xensnmp_snapshot_state XENSNMP_SNAPSHOT_
values xdmHostDrivers xensnmp_source_bit XENSNMP_SOURCE_
values xdmDomainAction xensnmp_domain_action XENSNMP_ACTION_
values xdmDomainLastActionResult xensnmp_action_result XENSNMP_RESULT_
values xdmResultRequest xensnmp_control_request XENSNMP_REQUEST_
values xdmVcpuAvailability xensnmp_vcpu_availability XENSNMP_AVAILABILITY_
values xdmVcpuState xensnmp_vcpu_state XENSNMP_VCPU_
values xdmVbdMode xensnmp_vbd_mode XENSNMP_VBD_MODE_
values xdmVbdDeviceType xensnmp_vbd_device_type XENSNMP_VBD_TYPE_
values xdmNotifyCreatedEnable xensnmp_truth_value XENSNMP_TRUTH_

# VM-MIB (RFC 7666)
printf '#define VMMIB_OBJECTS_OID %s\n' "$(oid_of vmObjects)"
printf '#define VMMIB_HYPERVISOR_OID %s\n' "$(oid_of vmHypervisor)"
printf '#define VMMIB_TABLE_OID %s\n' "$(oid_of vmTable)"
printf '#define VMMIB_CPU_TABLE_OID %s\n' "$(oid_of vmCpuTable)"
printf '#define VMMIB_CPU_AFFINITY_TABLE_OID %s\n' "$(oid_of vmCpuAffinityTable)"
printf '#define VMMIB_STORAGE_TABLE_OID %s\n' "$(oid_of vmStorageTable)"
printf '#define VMMIB_NETWORK_TABLE_OID %s\n' "$(oid_of vmNetworkTable)"
printf '#define VMMIB_NOTIFICATIONS_OID %s\n\n' "$(oid_of vmNotifications)"
objects vmmib_object VMOBJ_ vmObjects vm ""
objects vmmib_hv_scalar VMHV_ vmHypervisor vmHv ""
printf '#define VMHV_FIRST %s\n#define VMHV_LAST %s\n\n' \
	"$(children vmHypervisor | awk 'NR == 1 { print $2 }')" \
	"$(children vmHypervisor | awk 'END { print $2 }')"
objects vmmib_column VM_ vmEntry vm VM
objects vmmib_cpu_column VMCPU_ vmCpuEntry vmCpu VMCPU
# vmCpuAffinityEntry has no column 1: its first accessible column is 3
objects vmmib_affinity_column VMAFF_ vmCpuAffinityEntry vmCpu ""
objects vmmib_storage_column VMSTOR_ vmStorageEntry vmStorage ""
objects vmmib_network_column VMNET_ vmNetworkEntry vmNetwork VMNET
objects vmmib_notification VMNOTIF_ vmNotifications vm ""

values vmAdminState vmmib_admin_state VM_ADMIN_ VM-MIB
values vmOperState vmmib_oper_state VM_OPER_ VM-MIB
values vmAutoStart vmmib_auto_start VM_AUTOSTART_ VM-MIB
values vmPersistent vmmib_persistent VM_PERSISTENT_ VM-MIB
values vmCpuAffinity vmmib_cpu_affinity VM_AFFINITY_ VM-MIB
values vmStorageSourceType vmmib_storage_source VM_SOURCE_ VM-MIB
values vmStorageAccess vmmib_storage_access VM_ACCESS_ VM-MIB
values vmStorageMediaType vmmib_media_type VM_MEDIA_ VM-MIB

printf '#endif\n'
