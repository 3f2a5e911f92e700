#!/bin/bash
# contrib/prometheus: the snmp_exporter module for XEN-DOMAIN-MIB, run by
# Debian's prometheus-snmp-exporter against the agent on the simulated host
# (behind stock snmpd plus the project's fragment); the scrape is checked
# against the agent's own answers.  snmp.yml must be what Debian's
# prometheus-snmp-generator makes of generator.yml, and the Grafana
# dashboard may use only series and labels that the scrape has.
. "$(dirname "$0")/lib.sh"

P=$top_srcdir/contrib/prometheus
for tool in prometheus-snmp-exporter prometheus-snmp-generator jq curl; do
	command -v "$tool" >/dev/null || { log "$tool missing: run contrib/install-deps.sh"; exit 1; }
done

# --- snmp.yml is generated from generator.yml ---
mkdir -p "$T/gen"
cp "$P/generator.yml" "$T/gen/"
if (cd "$T/gen" && MIBDIRS="$top_srcdir/mib:$top_srcdir/mib/ietf" \
	prometheus-snmp-generator --fail-on-parse-errors generate) >"$T/gen/log" 2>&1; then
	pass "generator.yml generates"
else
	fail "generator.yml: $(tail -n 3 "$T/gen/log")"
fi
if cmp -s "$T/gen/snmp.yml" "$P/snmp.yml"; then pass "snmp.yml is the generator's output"
else fail "snmp.yml differs from the generator's output:"; diff "$P/snmp.yml" "$T/gen/snmp.yml" | head -n 20; fi

serve_stock_host

EXPORTER_ADDR=127.0.0.1:$((20000 + RANDOM % 30000))
prometheus-snmp-exporter --config.file="$P/snmp.yml" --web.listen-address="$EXPORTER_ADDR" \
	>"$T/exporter.log" 2>&1 &
EXPORTER_PID=$!
stop_exporter() { kill -TERM "$EXPORTER_PID" 2>/dev/null || true; wait "$EXPORTER_PID" 2>/dev/null || true; }
trap 'keep=$?; stop_exporter; (exit $keep); cleanup' EXIT
wait_for 10 curl -sf "http://$EXPORTER_ADDR/metrics" || { log "exporter did not start"; cat "$T/exporter.log"; exit 1; }

scrape() {	# scrape FILE: the module against the agent
	curl -s -o "$1" -w '%{http_code}' "http://$EXPORTER_ADDR/snmp?module=xen_domain&target=127.0.0.1:$PORT"
}
getn() {	# getn OID: the agent's value, numeric
	snmpget -v2c -c public -t 3 -r 1 -Oqv -On "$AGENT_ADDR" "$1" 2>&1
}
sample() {	# sample METRIC LABEL-MATCH: the value of the first line that matches
	local re="^$1\{([^}]*,)?$2[,}]"
	[ -n "$2" ] || re="^$1 "
	{ grep -E "$re" "$T/scrape" || true; } | awk '{ print $NF }' | head -n 1
}
num_eq() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 == b + 0) }'; }

before=$(getn .1.3.6.1.4.1.99999.1.1.2.1.13.1)
vif_before=$(getn .1.3.6.1.4.1.99999.1.1.4.1.8.1.0)
check_eq "scrape answers 200" 200 "$(scrape "$T/scrape")"
after=$(getn .1.3.6.1.4.1.99999.1.1.2.1.13.1)
vif_after=$(getn .1.3.6.1.4.1.99999.1.1.4.1.8.1.0)
check_eq "no SNMP error in the scrape" "" "$(grep -E '^(snmp_error|An error)' "$T/scrape" | head -n 3)"

# metric families and their types
for m in xdmDomainCpuTime xdmVcpuCpuTime xdmVifRxBytes xdmVifTxBytes xdmVifRxPackets xdmVbdRdBytes \
	xdmVbdWrBytes xdmVbdRdReqs; do
	check_match "$m is a counter" "^# TYPE $m counter$" "$(grep "^# TYPE $m " "$T/scrape")"
done
for m in xdmHostDomainCount xdmDomainMemCurrent xdmDomainMemMax xdmDomainVcpusOnline xdmDomainState \
	xdmHostSnapshotState xdmHostFreeMemory; do
	check_match "$m is a gauge" "^# TYPE $m gauge$" "$(grep "^# TYPE $m " "$T/scrape")"
done
check_eq "control columns left out" 0 "$(grep -c '^xdmDomain\(Action\|SetMemTarget\|SetVcpus\)' "$T/scrape" || true)"
check_eq "VBD params (paths) left out" 0 "$(grep -c '^xdmVbdParams' "$T/scrape" || true)"

# every simulated domain, with its name and UUID as labels
check_eq "domain count" "$(getn .1.3.6.1.4.1.99999.1.1.1.7.0)" "$(sample xdmHostDomainCount '')"
for row in '0 Domain-0 ' '1 web1 0x4F77ABD2301958E83BAB6FBF2118F880' '2 db1 0x0B5F6A5283C54B1E9D6C1A2B3C4D5E6F' \
	'7 pvh-test 0xD1E2F3A4B5C647D889EAFB0C1D2E3F40'; do
	read -r idx name uuid <<<"$row"
	lbl="xdmDomainIndex=\"$idx\",xdmDomainName=\"$name\",xdmDomainUUID=\"$uuid\""
	check_eq "$name: labelled by name and UUID" 1 "$(grep -c "^xdmDomainMemCurrent{$lbl}" "$T/scrape" || true)"
	for col in 2:xdmDomainId 8:xdmDomainMemCurrent 9:xdmDomainMemTarget 10:xdmDomainMemMax \
		11:xdmDomainVcpusOnline 12:xdmDomainVcpusMax; do
		want=$(getn ".1.3.6.1.4.1.99999.1.1.2.1.${col%%:*}.$idx")
		got=$(sample "${col#*:}" "xdmDomainIndex=\"$idx\"")
		if num_eq "$want" "$got"; then pass "$name ${col#*:} = $want"
		else fail "$name ${col#*:}: agent [$want], exporter [$got]"; fi
	done
done
check_eq "db1 paused (state set)" 1 "$(sample xdmDomainState 'xdmDomainIndex="2",xdmDomainName="db1",xdmDomainState="paused"')"
check_eq "db1 not running" 0 "$(sample xdmDomainState 'xdmDomainIndex="2",xdmDomainName="db1",xdmDomainState="running"')"
check_eq "web1 running" 1 "$(sample xdmDomainState 'xdmDomainIndex="1",xdmDomainName="web1",xdmDomainState="running"')"
check_eq "snapshot fresh" 1 "$(sample xdmHostSnapshotState 'xdmHostSnapshotState="fresh"')"
got=$(sample xdmDomainCpuTime 'xdmDomainIndex="1"')
if awk -v a="$before" -v g="$got" -v b="$after" 'BEGIN { exit !(g + 0 >= a - 1e6 && g + 0 <= b + 1e6 && b > 0) }'; then
	pass "web1 CPU time between the agent's before and after ($before <= $got <= $after)"
else fail "web1 CPU time: agent $before .. $after, exporter [$got]"; fi
# device rows get the domain's labels too
check_eq "db1's second VIF labelled db1" 1 \
	"$(grep -c '^xdmVifRxBytes{xdmDomainIndex="2",xdmDomainName="db1",xdmDomainUUID="0x0B5F6A5283C54B1E9D6C1A2B3C4D5E6F",xdmVifDevId="1"}' "$T/scrape" || true)"
got=$(sample xdmVifRxBytes 'xdmDomainIndex="1",xdmDomainName="web1",xdmDomainUUID="[^"]*",xdmVifDevId="0"')
if awk -v a="$vif_before" -v g="$got" -v b="$vif_after" 'BEGIN { exit !(g + 0 >= a && g + 0 <= b && b > 0) }'; then
	pass "web1 vif0 received bytes between the agent's before and after ($got)"
else fail "web1 vif0 rx bytes: agent $vif_before .. $vif_after, exporter [$got]"; fi
got=$(sample xdmVbdRdBytes 'xdmDomainIndex="1",xdmDomainName="web1",xdmDomainUUID="[^"]*",xdmVbdDevId="51712"')
check_match "web1 xvda read bytes served" '^[0-9.e+]+$' "$got"
check_eq "the cdrom on qdisk has no blkback counters" "" \
	"$(sample xdmVbdRdReqs 'xdmDomainIndex="2",xdmDomainName="db1",xdmDomainUUID="[^"]*",xdmVbdDevId="51728"')"
check_eq "vCPU rows: web1 has two" 2 "$(grep -c '^xdmVcpuAvailability{[^}]*xdmDomainName="web1"[^}]*xdmVcpuAvailability="online"' "$T/scrape" || true)"

# a new domain appears with its labels at the next scrape
sim add 12 name=new1 uuid=12345678-9abc-4def-8123-456789abcdef state=running >/dev/null
wait_for 5 sh -c "snmpget -v2c -c public -Oqv $AGENT_ADDR .1.3.6.1.4.1.99999.1.1.2.1.3.12 | grep -q new1"
scrape "$T/scrape" >/dev/null
check_eq "a new domain at the next scrape" 1 \
	"$(grep -c '^xdmDomainCpuTime{xdmDomainIndex="12",xdmDomainName="new1",xdmDomainUUID="0x123456789ABC4DEF8123456789ABCDEF"}' "$T/scrape" || true)"

# --- the Grafana dashboard: JSON, and only series and labels scraped ---
D=$P/xensnmp-dashboard.json
if jq -e '.panels | length > 0' "$D" >/dev/null; then pass "dashboard is JSON with panels"; else fail "dashboard JSON"; fi
for id in $(jq -r '.panels[].targets[] | .expr, .legendFormat' "$D" | grep -oE '\bxdm[A-Za-z]+' | sort -u); do
	if grep -qE "(^$id[{ ]|[{,]$id=)" "$T/scrape"; then pass "dashboard's $id is scraped"
	else fail "dashboard uses $id, which the scrape does not have"; fi
done
for q in $(jq -r '.templating.list[].query.query' "$D" | grep -oE '\bxdm[A-Za-z]+' | sort -u); do
	if grep -qE "(^$q[{ ]|[{,]$q=)" "$T/scrape"; then pass "dashboard variable's $q is scraped"
	else fail "dashboard variable uses $q, which the scrape does not have"; fi
done

# --- a stale snapshot shows in the state set ---
stop_sim
# the statistics go too: a refresh from dom0's statistics alone counts as
# fresh once the other sources are lost, and this is about a host gone
rm -rf "$T/stats"
wait_for 15 sh -c "snmpget -v2c -c public -Oqv $AGENT_ADDR .1.3.6.1.4.1.99999.1.1.1.11.0 | grep -qx 2"
scrape "$T/scrape" >/dev/null
check_eq "snapshot stale" 1 "$(sample xdmHostSnapshotState 'xdmHostSnapshotState="stale"')"
stop_exporter
stop_agent
finish
