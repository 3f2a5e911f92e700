#!/bin/bash
# make check-xen: prepares (or reuses) the cached Xen VM image, boots it and
# runs the end-to-end scenario with the agent of BUILD_DIR.
# Usage: check-xen.sh BUILD_DIR [CACHE_DIR]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [CACHE_DIR]" >&2; exit 2; }
t0=$(date +%s)
"$here/setup.sh" ${2:+"$2"} || { echo "xen-vm: setup failed" >&2; exit 2; }
t1=$(date +%s)
# Emulated Xen is slow and not always steady: one boot that fails or hangs
# is tried once more (each boot is bounded), and the retry is said.
export XENVM_TIMEOUT=${XENVM_TIMEOUT:-480}
rc=0
"$here/run.sh" "$@" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then	# 2: this machine cannot run it at all
	echo "xen-vm: first boot failed (rc $rc); booting once more" >&2
	rc=0
	XENVM_LOG_SUFFIX=-retry "$here/run.sh" "$@" || rc=$?
fi
t2=$(date +%s)
echo "xen-vm: setup $((t1 - t0))s, boot + scenario $((t2 - t1))s, total $((t2 - t0))s: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (rc $rc)")"
exit "$rc"
