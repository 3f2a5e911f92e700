#!/bin/bash
# Checks that the agent's OID header, generated from mib/XEN-DOMAIN-MIB.txt
# at build time, names every object of the MIB with the MIB's OID and
# every enumeration with the MIB's values (a broken generator fails
# here), and that smilint finds nothing at level 6, nor at level 9.
#
# Standalone: starts no process besides the net-snmp and libsmi tools.
set -uo pipefail

: "${top_srcdir:?run through make check}"
NAME=test_mib_oids
HEADER=${top_builddir:?run through make check}/agent/xensnmp_oids.h
MIBDIR=$top_srcdir/mib
MIB=$MIBDIR/XEN-DOMAIN-MIB.txt
passes=0
fails=0

log() { printf '%s: %s\n' "$NAME" "$*"; }
pass() { passes=$((passes + 1)); log "ok - $*"; }
fail() { fails=$((fails + 1)); log "FAIL - $*"; }

if ! command -v snmptranslate >/dev/null 2>&1; then
	log "SKIP - snmptranslate not found (package snmp)"
	exit 77
fi

T=$(mktemp -d /tmp/xensnmp-mibtest.XXXXXX)
trap 'rm -rf "$T"' EXIT
# keep the tools away from the user's and the system's configuration
mkdir -p "$T/persist/cert_indexes" "$T/conf"
export SNMP_PERSISTENT_DIR=$T/persist SNMPCONFPATH=$T/conf
unset MIBS MIBDIRS

translate() { snmptranslate -M "$MIBDIR:$MIBDIR/ietf" -m XEN-DOMAIN-MIB "$@"; }

# --- the header: #define lists and enum constants ---------------------
# Prints "D NAME tok,tok,..." for each #define and "E tag NAME value" for
# each enum constant.
parse_header() {
	awk '
	/^#define[ \t]+[A-Z_0-9]+[ \t]+[A-Z_0-9]/ {
		line = $0; sub(/\/\*.*/, "", line)
		name = $2; sub(/^#define[ \t]+[A-Z_0-9]+[ \t]+/, "", line)
		gsub(/[ \t]/, "", line)
		if (line ~ /^[A-Z_0-9]+(,[A-Z_0-9]+)*$/)
			print "D", name, line
		next
	}
	/^enum[ \t]+[a-z_0-9]+[ \t]*\{/ { tag = $2; next }
	tag != "" && /^\};/ { tag = ""; next }
	tag != "" && /^[ \t]*[A-Z_0-9]+[ \t]*=[ \t]*-?[0-9]+/ {
		line = $0; sub(/\/\*.*/, "", line); gsub(/[ \t,]/, "", line)
		split(line, kv, "=")
		print "E", tag, kv[1], kv[2]
	}' "$HEADER"
}
parse_header >"$T/header"

declare -A DEF CONST ENUMOF
while read -r kind a b c; do
	case $kind in
	D) DEF[$a]=$b ;;
	E) CONST[$b]=$c; ENUMOF[$b]=$a ;;
	esac
done <"$T/header"

# expand MACRO: numeric OID, dot separated; macros and enum constants
# are resolved recursively
expand() {
	local out="" tok v IFS=,
	for tok in $1; do
		if [[ $tok =~ ^[0-9]+$ ]]; then
			v=$tok
		elif [ -n "${DEF[$tok]+x}" ]; then
			v=$(expand "${DEF[$tok]}") || return 1
		elif [ -n "${CONST[$tok]+x}" ]; then
			v=${CONST[$tok]}
		else
			echo "unknown symbol $tok" >&2
			return 1
		fi
		out=${out:+$out.}$v
	done
	printf '.%s\n' "${out#.}"
}

if [ ${#DEF[@]} -gt 0 ] && [ ${#CONST[@]} -gt 0 ]; then
	pass "parsed $HEADER (${#DEF[@]} defines, ${#CONST[@]} enum constants)"
else
	fail "could not parse $HEADER"
fi

# --- the MIB loads by name, without complaint --------------------------
out=$(translate -Tp XEN-DOMAIN-MIB::xdmMIB 2>&1 >/dev/null)
if [ -z "$out" ] && translate -Tp XEN-DOMAIN-MIB::xdmMIB >/dev/null 2>&1; then
	pass "XEN-DOMAIN-MIB loads by name"
else
	fail "XEN-DOMAIN-MIB does not load cleanly: $out"
fi

# --- objects: MIB name, base OID macro, header constant ----------------
# Host scalars sit directly under xdmHost, notification objects under
# xdmNotifyControl and notifications under xdmNotifications ("scalar");
# columns under <table>.1.
OBJECTS="
scalar XENSNMP_HOST_OID XENHOST_XEN_VERSION xdmHostXenVersion
scalar XENSNMP_HOST_OID XENHOST_NAME xdmHostName
scalar XENSNMP_HOST_OID XENHOST_CPUS xdmHostCpus
scalar XENSNMP_HOST_OID XENHOST_CPU_MHZ xdmHostCpuMHz
scalar XENSNMP_HOST_OID XENHOST_TOTAL_MEMORY xdmHostTotalMemory
scalar XENSNMP_HOST_OID XENHOST_FREE_MEMORY xdmHostFreeMemory
scalar XENSNMP_HOST_OID XENHOST_DOMAIN_COUNT xdmHostDomainCount
scalar XENSNMP_HOST_OID XENHOST_ACCESS_MODE xdmHostAccessMode
scalar XENSNMP_HOST_OID XENHOST_DRIVERS xdmHostDrivers
scalar XENSNMP_HOST_OID XENHOST_LAST_REFRESH xdmHostLastRefresh
scalar XENSNMP_HOST_OID XENHOST_SNAPSHOT_STATE xdmHostSnapshotState
scalar XENSNMP_HOST_OID XENHOST_REFRESH_INTERVAL xdmHostRefreshInterval
scalar XENSNMP_HOST_OID XENHOST_UNAVAILABLE xdmHostUnavailable
scalar XENSNMP_HOST_OID XENHOST_STALE_SOURCES xdmHostStaleSources
column XENSNMP_DOMAIN_TABLE_OID XENDOM_INDEX xdmDomainIndex
column XENSNMP_DOMAIN_TABLE_OID XENDOM_ID xdmDomainId
column XENSNMP_DOMAIN_TABLE_OID XENDOM_NAME xdmDomainName
column XENSNMP_DOMAIN_TABLE_OID XENDOM_UUID xdmDomainUUID
column XENSNMP_DOMAIN_TABLE_OID XENDOM_STATE xdmDomainState
column XENSNMP_DOMAIN_TABLE_OID XENDOM_SHUTDOWN_REASON xdmDomainShutdownReason
column XENSNMP_DOMAIN_TABLE_OID XENDOM_OS_TYPE xdmDomainOsType
column XENSNMP_DOMAIN_TABLE_OID XENDOM_MEM_CURRENT xdmDomainMemCurrent
column XENSNMP_DOMAIN_TABLE_OID XENDOM_MEM_TARGET xdmDomainMemTarget
column XENSNMP_DOMAIN_TABLE_OID XENDOM_MEM_MAX xdmDomainMemMax
column XENSNMP_DOMAIN_TABLE_OID XENDOM_VCPUS_ONLINE xdmDomainVcpusOnline
column XENSNMP_DOMAIN_TABLE_OID XENDOM_VCPUS_MAX xdmDomainVcpusMax
column XENSNMP_DOMAIN_TABLE_OID XENDOM_CPU_TIME xdmDomainCpuTime
column XENSNMP_DOMAIN_TABLE_OID XENDOM_UPTIME xdmDomainUptime
column XENSNMP_DOMAIN_TABLE_OID XENDOM_START_TIME xdmDomainStartTime
column XENSNMP_DOMAIN_TABLE_OID XENDOM_DATA_SOURCES xdmDomainDataSources
column XENSNMP_DOMAIN_TABLE_OID XENDOM_DISCONTINUITY_TIME xdmDomainDiscontinuityTime
column XENSNMP_DOMAIN_TABLE_OID XENDOM_ACTION xdmDomainAction
column XENSNMP_DOMAIN_TABLE_OID XENDOM_SET_MEM_TARGET xdmDomainSetMemTarget
column XENSNMP_DOMAIN_TABLE_OID XENDOM_SET_VCPUS xdmDomainSetVcpus
column XENSNMP_DOMAIN_TABLE_OID XENDOM_LAST_ACTION_RESULT xdmDomainLastActionResult
column XENSNMP_VCPU_TABLE_OID XENVCPU_INDEX xdmVcpuIndex
column XENSNMP_VCPU_TABLE_OID XENVCPU_AVAILABILITY xdmVcpuAvailability
column XENSNMP_VCPU_TABLE_OID XENVCPU_STATE xdmVcpuState
column XENSNMP_VCPU_TABLE_OID XENVCPU_CPU_TIME xdmVcpuCpuTime
column XENSNMP_VCPU_TABLE_OID XENVCPU_PHYS_CPU xdmVcpuPhysCpu
column XENSNMP_VCPU_TABLE_OID XENVCPU_DATA_SOURCES xdmVcpuDataSources
column XENSNMP_VCPU_TABLE_OID XENVCPU_DISCONTINUITY_TIME xdmVcpuDiscontinuityTime
column XENSNMP_VIF_TABLE_OID XENVIF_DEV_ID xdmVifDevId
column XENSNMP_VIF_TABLE_OID XENVIF_MAC xdmVifMac
column XENSNMP_VIF_TABLE_OID XENVIF_BRIDGE xdmVifBridge
column XENSNMP_VIF_TABLE_OID XENVIF_IF_NAME xdmVifIfName
column XENSNMP_VIF_TABLE_OID XENVIF_BACKEND_DOMAIN xdmVifBackendDomain
column XENSNMP_VIF_TABLE_OID XENVIF_STATE xdmVifState
column XENSNMP_VIF_TABLE_OID XENVIF_SCRIPT xdmVifScript
column XENSNMP_VIF_TABLE_OID XENVIF_RX_BYTES xdmVifRxBytes
column XENSNMP_VIF_TABLE_OID XENVIF_RX_PACKETS xdmVifRxPackets
column XENSNMP_VIF_TABLE_OID XENVIF_RX_ERRORS xdmVifRxErrors
column XENSNMP_VIF_TABLE_OID XENVIF_RX_DROPS xdmVifRxDrops
column XENSNMP_VIF_TABLE_OID XENVIF_TX_BYTES xdmVifTxBytes
column XENSNMP_VIF_TABLE_OID XENVIF_TX_PACKETS xdmVifTxPackets
column XENSNMP_VIF_TABLE_OID XENVIF_TX_ERRORS xdmVifTxErrors
column XENSNMP_VIF_TABLE_OID XENVIF_TX_DROPS xdmVifTxDrops
column XENSNMP_VIF_TABLE_OID XENVIF_DISCONTINUITY_TIME xdmVifDiscontinuityTime
column XENSNMP_VBD_TABLE_OID XENVBD_DEV_ID xdmVbdDevId
column XENSNMP_VBD_TABLE_OID XENVBD_DEV xdmVbdDev
column XENSNMP_VBD_TABLE_OID XENVBD_PARAMS xdmVbdParams
column XENSNMP_VBD_TABLE_OID XENVBD_MODE xdmVbdMode
column XENSNMP_VBD_TABLE_OID XENVBD_DEVICE_TYPE xdmVbdDeviceType
column XENSNMP_VBD_TABLE_OID XENVBD_BACKEND_TYPE xdmVbdBackendType
column XENSNMP_VBD_TABLE_OID XENVBD_BACKEND_DOMAIN xdmVbdBackendDomain
column XENSNMP_VBD_TABLE_OID XENVBD_STATE xdmVbdState
column XENSNMP_VBD_TABLE_OID XENVBD_RD_REQS xdmVbdRdReqs
column XENSNMP_VBD_TABLE_OID XENVBD_WR_REQS xdmVbdWrReqs
column XENSNMP_VBD_TABLE_OID XENVBD_RD_BYTES xdmVbdRdBytes
column XENSNMP_VBD_TABLE_OID XENVBD_WR_BYTES xdmVbdWrBytes
column XENSNMP_VBD_TABLE_OID XENVBD_OO_REQS xdmVbdOoReqs
column XENSNMP_VBD_TABLE_OID XENVBD_DISCONTINUITY_TIME xdmVbdDiscontinuityTime
scalar XENSNMP_CONTROL_OID XENCTL_NODE_SPIN_LOCK xdmControlSpinLock
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_UUID xdmControlUUID
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_DOMAIN_INDEX xdmControlDomainIndex
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_NAME xdmControlName
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_ACTION xdmControlAction
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_MEM_TARGET xdmControlMemTarget
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_VCPUS_ONLINE xdmControlVcpusOnline
column XENSNMP_CONTROL_OID,XENCTL_NODE_TABLE XENCTL_LAST_RESULT xdmControlLastResult
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_INDEX xdmResultIndex
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_REQUEST xdmResultRequest
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_VALUE xdmResultValue
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_UUID xdmResultUUID
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_NAME xdmResultName
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_DOMAIN_ID xdmResultDomainId
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_STATUS xdmResultStatus
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_DETAIL xdmResultDetail
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_REQUEST_TIME xdmResultRequestTime
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_END_TIME xdmResultEndTime
column XENSNMP_CONTROL_OID,XENCTL_NODE_RESULT_TABLE XENRES_REQUESTER xdmResultRequester
scalar XENSNMP_NOTIFY_OID XENNOTIFY_CREATED_ENABLE xdmNotifyCreatedEnable
scalar XENSNMP_NOTIFY_OID XENNOTIFY_STATE_CHANGED_ENABLE xdmNotifyStateChangedEnable
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DESTROYED_ENABLE xdmNotifyDestroyedEnable
scalar XENSNMP_NOTIFY_OID XENNOTIFY_ACTION_FINISHED_ENABLE xdmNotifyActionFinishedEnable
scalar XENSNMP_NOTIFY_OID XENNOTIFY_SNAPSHOT_ENABLE xdmNotifySnapshotEnable
scalar XENSNMP_NOTIFY_OID XENNOTIFY_RATE_LIMIT xdmNotifyRateLimit
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DROPPED xdmNotifyDropped
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DROPPED_SINCE xdmNotifyDroppedSince
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DOMAIN_INDEX xdmNotifyDomainIndex
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DOMAIN_ID xdmNotifyDomainId
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DOMAIN_UUID xdmNotifyDomainUUID
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DOMAIN_NAME xdmNotifyDomainName
scalar XENSNMP_NOTIFY_OID XENNOTIFY_DOMAIN_STATE xdmNotifyDomainState
scalar XENSNMP_NOTIFY_OID XENNOTIFY_PREV_STATE xdmNotifyPrevState
scalar XENSNMP_NOTIFY_OID XENNOTIFY_SHUTDOWN_REASON xdmNotifyShutdownReason
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_DOMAIN_CREATED xdmDomainCreated
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_DOMAIN_STATE_CHANGED xdmDomainStateChanged
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_DOMAIN_DESTROYED xdmDomainDestroyed
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_ACTION_FINISHED xdmActionFinished
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_SNAPSHOT_STALE xdmSnapshotStale
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_SNAPSHOT_FRESH xdmSnapshotFresh
scalar XENSNMP_NOTIFICATIONS_OID XENNOTIF_NOTIFICATIONS_DROPPED xdmNotificationsDropped
"

declare -A MAPPED_CONST MAPPED_NAME
while read -r kind base const name; do
	[ -n "$kind" ] || continue
	MAPPED_CONST[$const]=1
	MAPPED_NAME[$name]=1
	if [ -z "${CONST[$const]+x}" ]; then
		fail "$name: constant $const is not in the header"
		continue
	fi
	if [ "$kind" = scalar ]; then
		want=$(expand "$base,$const") || { fail "$name: cannot expand $base"; continue; }
	else
		want=$(expand "$base,1,$const") || { fail "$name: cannot expand $base"; continue; }
	fi
	got=$(translate -On "XEN-DOMAIN-MIB::$name" 2>&1)
	if [ "$got" = "$want" ]; then
		pass "$name = $want"
	else
		fail "$name: header implies $want, MIB gives [$got]"
	fi
done <<<"$OBJECTS"

# every constant of the object enums is checked above
for const in "${!ENUMOF[@]}"; do
	case ${ENUMOF[$const]} in
	xensnmp_host_scalar | xensnmp_domain_column | xensnmp_vcpu_column | \
	xensnmp_vif_column | xensnmp_vbd_column | xensnmp_control_column | \
	xensnmp_result_column | xensnmp_notify_object | xensnmp_notification)
		[ -n "${MAPPED_CONST[$const]+x}" ] ||
			fail "header constant $const has no MIB object in this test"
		;;
	esac
done

# every leaf object under the MIB's xdmObjects is checked above
objects_oid=$(translate -On XEN-DOMAIN-MIB::xdmObjects 2>/dev/null)
translate -Tz 2>/dev/null | tr -d '"' | awk -v p="${objects_oid#.}." '
	index($2, p) == 1 { name[$2] = $1 }
	END {
		for (o in name) {
			leaf = 1
			for (q in name)
				if (index(q, o ".") == 1) { leaf = 0; break }
			if (leaf) print name[o]
		}
	}' | sort >"$T/leaves"
nleaves=$(grep -c . "$T/leaves")
extra=""
while read -r leaf; do
	[ -n "${MAPPED_NAME[$leaf]+x}" ] || extra="$extra $leaf"
done <"$T/leaves"
if [ "$nleaves" -gt 0 ] && [ -z "$extra" ]; then
	pass "all $nleaves MIB objects are covered by the header"
else
	fail "MIB objects unknown to the header:${extra:- (none found)}"
fi

# every notification under xdmNotifications is checked above
notif_oid=$(translate -On XEN-DOMAIN-MIB::xdmNotifications 2>/dev/null)
extra=""
for leaf in $(translate -Tz 2>/dev/null | tr -d '"' | awk -v p="${notif_oid#.}." 'index($2, p) == 1 { print $1 }'); do
	[ -n "${MAPPED_NAME[$leaf]+x}" ] || extra="$extra $leaf"
done
if [ -n "$notif_oid" ] && [ -z "$extra" ]; then
	pass "all notifications are covered by the header"
else
	fail "notifications unknown to the header:${extra:- (xdmNotifications not found)}"
fi

# --- enumerations ------------------------------------------------------
# enum_of OBJECT: the MIB's enumeration of OBJECT as "label(n) ..." sorted
enum_of() {
	translate -Td "XEN-DOMAIN-MIB::$1" 2>/dev/null |
		awk '/^  SYNTAX/ { sub(/^[^{]*\{/, ""); sub(/\}.*/, ""); gsub(/,/, " "); print; exit }' |
		tr -s ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'
}

# check_enum OBJECT HEADER-ENUM label=CONSTANT...: the MIB enumeration of
# OBJECT is exactly the header's, every constant of HEADER-ENUM mapped
check_enum() {
	local obj=$1 tag=$2 want="" pair label const c missing=""
	shift 2
	for pair in "$@"; do
		label=${pair%%=*} const=${pair#*=}
		if [ -z "${CONST[$const]+x}" ]; then
			fail "$obj: constant $const is not in the header"
			return
		fi
		want="$want $label(${CONST[$const]})"
	done
	for c in "${!ENUMOF[@]}"; do
		[ "${ENUMOF[$c]}" = "$tag" ] || continue
		[[ " $* " == *"=$c "* ]] || missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		fail "$obj: header enum $tag has constants without a MIB label:$missing"
		return
	fi
	check_fixed_enum "$obj" $want
}

# check_fixed_enum OBJECT label(n)...: values fixed by the MIB alone
check_fixed_enum() {
	local obj=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//')
	got=$(enum_of "$obj")
	if [ "$got" = "$want" ]; then
		pass "$obj enumeration: $want"
	else
		fail "$obj enumeration: expected [$want], MIB gives [$got]"
	fi
}

check_enum xdmDomainState xensnmp_domain_state \
	unknown=XENSNMP_STATE_UNKNOWN running=XENSNMP_STATE_RUNNING \
	blocked=XENSNMP_STATE_BLOCKED paused=XENSNMP_STATE_PAUSED \
	shutdown=XENSNMP_STATE_SHUTDOWN crashed=XENSNMP_STATE_CRASHED \
	dying=XENSNMP_STATE_DYING shutoff=XENSNMP_STATE_SHUTOFF \
	suspended=XENSNMP_STATE_SUSPENDED
check_enum xdmDomainShutdownReason xensnmp_shutdown_reason \
	none=XENSNMP_SHUTDOWN_NONE poweroff=XENSNMP_SHUTDOWN_POWEROFF \
	reboot=XENSNMP_SHUTDOWN_REBOOT suspend=XENSNMP_SHUTDOWN_SUSPEND \
	crash=XENSNMP_SHUTDOWN_CRASH watchdog=XENSNMP_SHUTDOWN_WATCHDOG \
	softReset=XENSNMP_SHUTDOWN_SOFT_RESET unknown=XENSNMP_SHUTDOWN_UNKNOWN
check_enum xdmHostAccessMode xensnmp_access_mode \
	readOnly=XENSNMP_ACCESS_READ_ONLY readWrite=XENSNMP_ACCESS_READ_WRITE
for obj in xdmHostDrivers xdmHostStaleSources xdmDomainDataSources xdmVcpuDataSources; do
	check_enum $obj xensnmp_source_bit \
		xenstore=XENSNMP_SOURCE_XENSTORE xend=XENSNMP_SOURCE_XEND \
		hypervisor=XENSNMP_SOURCE_HYPERVISOR dom0Stats=XENSNMP_SOURCE_DOM0_STATS
done
check_enum xdmDomainAction xensnmp_domain_action \
	noAction=XENSNMP_ACTION_NO_ACTION pause=XENSNMP_ACTION_PAUSE \
	unpause=XENSNMP_ACTION_UNPAUSE shutdown=XENSNMP_ACTION_SHUTDOWN \
	reboot=XENSNMP_ACTION_REBOOT destroy=XENSNMP_ACTION_DESTROY
check_enum xdmDomainLastActionResult xensnmp_action_result \
	none=XENSNMP_RESULT_NONE success=XENSNMP_RESULT_SUCCESS \
	failed=XENSNMP_RESULT_FAILED inProgress=XENSNMP_RESULT_IN_PROGRESS
check_enum xdmControlAction xensnmp_domain_action \
	noAction=XENSNMP_ACTION_NO_ACTION pause=XENSNMP_ACTION_PAUSE \
	unpause=XENSNMP_ACTION_UNPAUSE shutdown=XENSNMP_ACTION_SHUTDOWN \
	reboot=XENSNMP_ACTION_REBOOT destroy=XENSNMP_ACTION_DESTROY
check_enum xdmResultStatus xensnmp_action_result \
	none=XENSNMP_RESULT_NONE success=XENSNMP_RESULT_SUCCESS \
	failed=XENSNMP_RESULT_FAILED inProgress=XENSNMP_RESULT_IN_PROGRESS
check_enum xdmResultRequest xensnmp_control_request \
	pause=XENSNMP_REQUEST_PAUSE unpause=XENSNMP_REQUEST_UNPAUSE \
	shutdown=XENSNMP_REQUEST_SHUTDOWN reboot=XENSNMP_REQUEST_REBOOT \
	destroy=XENSNMP_REQUEST_DESTROY setMemTarget=XENSNMP_REQUEST_SET_MEM_TARGET \
	setVcpus=XENSNMP_REQUEST_SET_VCPUS
check_enum xdmVcpuState xensnmp_vcpu_state \
	running=XENSNMP_VCPU_RUNNING blocked=XENSNMP_VCPU_BLOCKED \
	offline=XENSNMP_VCPU_OFFLINE unknown=XENSNMP_VCPU_UNKNOWN

for obj in xdmNotifyCreatedEnable xdmNotifyStateChangedEnable xdmNotifyDestroyedEnable \
	xdmNotifyActionFinishedEnable xdmNotifySnapshotEnable; do
	check_enum $obj xensnmp_truth_value true=XENSNMP_TRUTH_TRUE false=XENSNMP_TRUTH_FALSE
done
check_enum xdmHostSnapshotState xensnmp_snapshot_state \
	fresh=XENSNMP_SNAPSHOT_FRESH stale=XENSNMP_SNAPSHOT_STALE
check_enum xdmVcpuAvailability xensnmp_vcpu_availability \
	online=XENSNMP_AVAILABILITY_ONLINE offline=XENSNMP_AVAILABILITY_OFFLINE \
	unknown=XENSNMP_AVAILABILITY_UNKNOWN
check_enum xdmVbdMode xensnmp_vbd_mode readOnly=XENSNMP_VBD_MODE_READ_ONLY \
	readWrite=XENSNMP_VBD_MODE_READ_WRITE unknown=XENSNMP_VBD_MODE_UNKNOWN
check_enum xdmVbdDeviceType xensnmp_vbd_device_type disk=XENSNMP_VBD_TYPE_DISK \
	cdrom=XENSNMP_VBD_TYPE_CDROM other=XENSNMP_VBD_TYPE_OTHER \
	unknown=XENSNMP_VBD_TYPE_UNKNOWN
for obj in xdmVifState xdmVbdState; do
	check_fixed_enum $obj 'unknown(0)' 'initialising(1)' 'initWait(2)' \
		'initialised(3)' 'connected(4)' 'closing(5)' 'closed(6)' \
		'reconfiguring(7)' 'reconfigured(8)'
done

# --- smilint -------------------------------------------------------------
if command -v smilint >/dev/null 2>&1; then
	out=$(SMIPATH="$MIBDIR:$MIBDIR/ietf" smilint -l 6 -s "$MIB" 2>&1)
	if [ -z "$out" ]; then
		pass "smilint -l 6 is clean"
	else
		fail "smilint -l 6 reports:"
		printf '%s\n' "$out" | sed "s/^/$NAME:     /"
	fi
	out=$(SMIPATH="$MIBDIR:$MIBDIR/ietf" smilint -l 9 -s "$MIB" 2>&1)
	if [ -z "$out" ]; then
		pass "smilint -l 9 -s is clean"
	else
		fail "smilint -l 9 -s reports:"
		printf '%s\n' "$out" | sed "s/^/$NAME:     /"
	fi
else
	log "note - smilint not found (package smitools); smilint check skipped"
fi

log "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
