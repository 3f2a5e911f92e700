#!/bin/bash
# The NMS server tests: Zabbix and Cacti, each with its server, frontend
# and MariaDB, against the agent on the simulated host.  Each installs
# what it needs first (tests/nms/install.sh); the time of the install and
# of the test is printed.  .ci/run runs this after the main suite;
# `make check-nms` too.
#   run.sh BUILD_DIR [zabbix] [cacti]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$(cd "${1:?usage: run.sh BUILD_DIR [TOOL...]}" && pwd); shift
export top_srcdir top_builddir SNMPD=${SNMPD:-/usr/sbin/snmpd}
[ $# -gt 0 ] || set -- zabbix cacti
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
passed=0 failed=0
for tool in "$@"; do
	t0=$EPOCHREALTIME
	if ! "$here/install.sh" "$tool" >"$top_builddir/nms-install-$tool.log" 2>&1; then
		echo "nms: $tool: install failed:"; tail -n 20 "$top_builddir/nms-install-$tool.log"
		failed=$((failed + 1)); continue
	fi
	install_s=$(secs "$t0")
	t0=$EPOCHREALTIME
	if "$here/test_$tool.sh" >"$top_builddir/nms-test-$tool.log" 2>&1; then
		passed=$((passed + 1)); verdict=PASS
	else
		failed=$((failed + 1)); verdict=FAIL
		grep -E 'FAIL|did not|missing' "$top_builddir/nms-test-$tool.log" | head -n 30
	fi
	echo "nms: $verdict $tool: $(tail -n 1 "$top_builddir/nms-test-$tool.log"); install ${install_s} s, test $(secs "$t0") s"
done
echo "nms: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
