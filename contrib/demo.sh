#!/bin/bash
# The main job on one machine: a real snmpd on loopback, the simulated
# Xen host with a handful of domains, and xensnmpd serving them over
# AgentX; then the domain table, by MIB name.
#
#   contrib/demo.sh          install what is missing, build, start, show
#   contrib/demo.sh stop     stop what the demo started
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/run/demo
build=$top/build-demo
port=${XENSNMP_DEMO_PORT:-11161}
mibs=(-M "$top/mib:$top/mib/ietf" -m XEN-DOMAIN-MIB)

stop() {
	local f pid
	for f in agent snmpd sim; do
		[ -s "$run/$f.pid" ] || continue
		pid=$(cat "$run/$f.pid")
		kill -TERM "$pid" 2>/dev/null && echo "stopped $f ($pid)" || true
		rm -f "$run/$f.pid"
	done
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi

"$top/contrib/install-deps.sh"
if [ ! -x "$build/agent/xensnmpd" ]; then
	(cd "$top" && [ -x configure ] || autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" >/dev/null && make -j"$(nproc)" >/dev/null)
fi
stop >/dev/null
mkdir -p "$run/persist"
rm -f "$run"/*.log

# the simulated Xen host: the real libxenstore finds it through XENSTORED_PATH
export XENSTORED_PATH=$run/xenstored.sock
setsid "$build/tests/sim/xensimd" --xenstore "$XENSTORED_PATH" --control "$run/sim.ctl" \
	--scenario "$top/tests/scenarios/basic.scn" --pidfile "$run/sim.pid" --stats-root "$run/stats" \
	>"$run/sim.log" 2>&1 </dev/null &

cat >"$run/snmpd.conf" <<CONF
master agentx
agentXSocket unix:$run/agentx.sock
agentaddress udp:127.0.0.1:$port
rocommunity public 127.0.0.1
CONF
SNMP_PERSISTENT_DIR=$run/persist /usr/sbin/snmpd -C -c "$run/snmpd.conf" \
	-Lf "$run/snmpd.log" -p "$run/snmpd.pid" "${mibs[@]}"

for _ in $(seq 50); do [ -S "$run/agentx.sock" ] && [ -e "$run/stats/sys" ] && break; sleep 0.1; done
# the simulated host's hypervisor (the libxenctrl stand-in) and its dom0
# device counters, so that every column has a value to show
cat >"$run/xensnmpd.conf" <<CONF
xensnmpProcRoot $run/stats/proc
xensnmpSysRoot $run/stats/sys
CONF
LD_PRELOAD=$build/tests/sim/.libs/libxcsim.so XENSIM_CONTROL=$run/sim.ctl \
	"$build/agent/xensnmpd" -x "unix:$run/agentx.sock" -c "$run/xensnmpd.conf" \
	-Lf "$run/agent.log" -p "$run/agent.pid"

# until the table is whole: past the first snapshot, which is the
# hypervisor's domain list alone while xenstore's first reading runs
for _ in $(seq 100); do
	snmpget -v2c -c public -Oqv "${mibs[@]}" "127.0.0.1:$port" XEN-DOMAIN-MIB::xdmHostDomainCount.0 \
		XEN-DOMAIN-MIB::xdmHostUnavailable.0 2>/dev/null >"$run/ready" &&
		grep -qE '^[1-9]' "$run/ready" && ! grep -q 'first reading in progress' "$run/ready" && break
	sleep 0.1
done

snmptable -v2c -c public -Cb -Cw 160 "${mibs[@]}" "127.0.0.1:$port" XEN-DOMAIN-MIB::xdmDomainTable
cat <<MSG

xensnmpd serves XEN-DOMAIN-MIB through snmpd on udp:127.0.0.1:$port.
Try:   snmpwalk -v2c -c public -M $top/mib:$top/mib/ietf -m XEN-DOMAIN-MIB 127.0.0.1:$port xdmMIB
Move the simulated host:  $build/tests/sim/xensimd ctl $run/sim.ctl add 9 name=new vcpus=2
Logs:  $run/*.log
Stop:  $top/contrib/demo.sh stop
MSG
