#!/bin/bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds under AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs the unit and integration tests.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build

"$top/contrib/install-deps.sh"
(cd "$top" && autoreconf -fi >/dev/null 2>&1 || autoreconf -fi)
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-sanitizers >/dev/null
make -j"$(nproc)" >/dev/null
rc=0
make -j"$(nproc)" check || rc=$?
if [ "$rc" -ne 0 ]; then
	for log in tests/unit/*.log tests/integration/*.log; do
		[ -f "$log" ] && grep -q 'FAIL' "$log" && { echo "=== $log"; cat "$log"; }
	done
fi
exit "$rc"
