#!/bin/bash
# contrib/cacti: the template package (data queries, data and graph
# templates) rebuilt by make-templates.php and compared with the shipped
# one, then imported into Debian's Cacti 1.2 (a private copy on a private
# MariaDB) with Cacti's CLI; a device for the agent on the simulated host
# (stock snmpd plus the project's fragment), reindexed: every simulated
# domain, vCPU, VIF and VBD is found with its values, the sort field Cacti
# picks is the stable key (domain name, MAC, backing store); a graph per
# row from each graph template, one poll, and every RRD holds the value
# the agent served for its row; after a reboot's new domid a reindex finds
# the domain under its new index with the same key.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/mariadb.sh"

for tool in php rrdtool; do
	command -v "$tool" >/dev/null || { log "$tool missing: run tests/nms/install.sh cacti"; exit 1; }
done
[ -d /usr/share/cacti/site ] || { log "cacti missing: run tests/nms/install.sh cacti"; exit 1; }
Q=$top_srcdir/contrib/cacti

# --- every OID of the data queries is the MIB's ---
for oid in $(grep -ohE '\.1\.3\.6\.1\.4\.1\.99999(\.[0-9]+)+' "$Q"/*.xml | sort -u); do
	name=$(snmptranslate "${MIBOPTS[@]}" -OS "$oid" 2>/dev/null)
	check_match "data query OID $oid is in the MIB ($name)" '^XEN-DOMAIN-MIB::xdm[A-Za-z]+$' "$name"
done

serve_stock_host

# --- Cacti: Debian's schema, a copy of its files configured for it ---
t0=$EPOCHREALTIME
start_mariadb
trap 'keep=$?; stop_mariadb || true; (exit $keep); cleanup' EXIT
# two databases: "cacti" for the agent's host, "cactigen" where
# make-templates.php builds the template package anew
load_schema() {
	sql "CREATE DATABASE $1 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	sql_db "$1" <"$(ls /usr/share/doc/cacti/cacti.sql* | head -n 1)" 2>/dev/null ||
		zcat /usr/share/doc/cacti/cacti.sql.gz | sql_db "$1"
	# what Cacti's installer leaves: the schema's version
	sql_db "$1" "UPDATE version SET cacti = '$(dpkg-query -W -f='${Version}' cacti | sed 's/[+~-].*//')'"
}
load_schema cactigen & gen_pid=$!
load_schema cacti
wait "$gen_pid" || { log "loading Cacti's schema failed"; exit 1; }
log "MariaDB and Cacti schema: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
C=$T/cacti
cp -a /usr/share/cacti "$C"
for d in cache log rra; do rm -f "$C/site/$d"; mkdir -p "$C/site/$d"; done
rm -f "$C/site/resource"; cp -a /usr/share/cacti/resource "$C/site/resource"
rm -f "$C/site/include/config.php"
# the housekeeping poller.php starts in the background would outlive the test
for f in poller_maintenance poller_reports poller_spikekill poller_automation poller_dsstats poller_boost poller_rrdcheck; do echo '<?php' >"$C/site/$f.php"; done
cat >"$C/site/include/config.php" <<CONF
<?php
\$database_type = 'mysql'; \$database_default = getenv('CACTI_DB') ?: 'cacti'; \$database_hostname = 'localhost';
\$database_username = 'root'; \$database_password = ''; \$database_port = '3306';
\$database_retries = 2; \$database_ssl = false; \$database_ssl_key = ''; \$database_ssl_cert = '';
\$database_ssl_ca = ''; \$database_persist = false;
\$poller_id = 1; \$url_path = '/cacti/'; \$cacti_session_name = 'Cacti';
\$cacti_db_session = false; \$disable_log_rotation = true;
CONF
cphp() {	# cphp SCRIPT ARGS...: a Cacti CLI script against the private database
	php -d pdo_mysql.default_socket="$MYSQL_SOCKET" -d mysqli.default_socket="$MYSQL_SOCKET" \
		-d memory_limit=512M "$@"
}
cphp -r "chdir('$C/site'); include('$C/site/include/cli_check.php'); print db_fetch_cell('SELECT cacti FROM version') . \"\n\";" \
	>"$T/cacti-version" 2>&1 || true
check_match "Cacti runs on its schema" '^1\.2\.' "$(tail -n 1 "$T/cacti-version")"

# the template package is what make-templates.php exports (the hashes'
# Cacti version aside)
rc=0; CACTI_DB=cactigen cphp "$Q/make-templates.php" "$C/site" "$T/templates.xml" >"$T/make-templates.log" 2>&1 || rc=$?
check_eq "make-templates.php builds the package" 0 "$rc"
[ "$rc" = 0 ] || cat "$T/make-templates.log"
unversioned() { sed 's/hash_\([0-9a-f]\{2\}\)[0-9a-f]\{4\}/hash_\1/g' "$1"; }
if diff -u <(unversioned "$Q/xensnmp_templates.xml") <(unversioned "$T/templates.xml") >"$T/templates.diff"; then
	pass "xensnmp_templates.xml is what make-templates.php exports"
else
	cp "$T/templates.xml" "$top_builddir/xensnmp_templates.xml"
	fail "xensnmp_templates.xml differs from what make-templates.php exports (kept in $top_builddir):"
	head -n 40 "$T/templates.diff"
fi

# the package imported as the README says: the data queries' XML in
# resource/snmp_queries, then the templates with import_template.php
cp "$Q"/xensnmp_{domains,vcpus,vifs,vbds}.xml "$C/site/resource/snmp_queries/"
rc=0; out=$(cphp "$C/cli/import_template.php" --filename="$Q/xensnmp_templates.xml" --with-profile 2>&1) || rc=$?
check_eq "import_template.php imports xensnmp_templates.xml" "0 4 4 4" \
	"$rc $(sql_db cacti "SELECT COUNT(*) FROM snmp_query WHERE xml_path LIKE '%/xensnmp_%'") $(sql_db cacti "SELECT COUNT(*) FROM graph_templates WHERE name LIKE 'Xen %'") $(sql_db cacti "SELECT COUNT(*) FROM data_template WHERE name LIKE 'Xen %'")"
[ "$rc" = 0 ] || log "$out"
qid() { sql_db cacti "SELECT id FROM snmp_query WHERE xml_path LIKE '%/$1.xml'"; }

out=$(cphp "$C/cli/add_device.php" --description=xenhost1 --ip=127.0.0.1 --template=0 --version=2 \
	--community=public --port="$PORT" --avail=snmp 2>&1) || true
hid=$(sed -n 's/.*device-id: (\([0-9]*\)).*/\1/p' <<<"$out")
check_match "add_device.php adds the agent's host" '^[0-9]+$' "$hid"
[ -n "$hid" ] || { log "$out"; exit 1; }
for xml in xensnmp_domains xensnmp_vcpus xensnmp_vifs xensnmp_vbds; do
	out=$(cphp "$C/cli/add_data_query.php" --host-id="$hid" --data-query-id="$(qid $xml)" --reindex-method=1 2>&1) || true
	check_match "add_data_query.php: $xml" 'Success' "$out"
done
rc=0; out=$(cphp "$C/cli/poller_reindex_hosts.php" --id="$hid" --qid=All 2>&1) || rc=$?
check_eq "poller_reindex_hosts.php" 0 "$rc"

cache() {	# cache QUERY FIELD: "index value" of Cacti's reindex, sorted by index
	sql_db cacti "SELECT snmp_index, field_value FROM host_snmp_cache WHERE host_id = $hid
		AND snmp_query_id = $(qid "$1") AND field_name = '$2' ORDER BY snmp_index" | tr '\t' ' '
}
check_eq "every domain found, by name" "$(printf '0 Domain-0\n1 web1\n2 db1\n7 pvh-test')" "$(cache xensnmp_domains xdmDomainName)"
check_eq "web1's UUID read" "1 4F 77 AB D2 30 19 58 E8 3B AB 6F BF 21 18 F8 80" "$(cache xensnmp_domains xdmDomainUUID | grep '^1 ')"
check_eq "every vCPU found" "0.0 0.1 1.0 1.1 2.0 2.1 2.2 2.3 7.0" "$(cache xensnmp_vcpus xdmVcpuKey | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "every VIF found" "1.0 2.0 2.1" "$(cache xensnmp_vifs xdmVifKey | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "VIF MACs read" "$(printf '1.0 00 16 3E 00 00 01\n2.0 00 16 3E 00 00 02\n2.1 00 16 3E 00 01 02')" "$(cache xensnmp_vifs xdmVifMac)"
check_eq "every VBD found, by backing store" \
	"$(printf '1.51712 /var/lib/xen/images/web1.img\n2.51712 /dev/vg0/db1\n2.51728 /srv/iso/tools.iso')" \
	"$(cache xensnmp_vbds xdmVbdParams | sort)"

# the sort field Cacti picks for graphs: the stable key
best() {
	cphp -r "chdir('$C/site'); include('$C/site/include/cli_check.php'); include_once('$C/site/lib/data_query.php');
		print get_best_data_query_index_type($hid, $(qid "$1")) . \"\n\";" 2>&1 | tail -n 1
}
check_eq "domains: Cacti sorts and keys by name" xdmDomainName "$(best xensnmp_domains)"
check_eq "VIFs: by MAC" xdmVifMac "$(best xensnmp_vifs)"
check_eq "VBDs: by backing store" xdmVbdParams "$(best xensnmp_vbds)"

# --- the package's graphs for every row, one poll, and each RRD holds
# what the agent served for its row ---
# "query|graph template|field that selects the rows|data source=column ..."
graphs=(
	"xensnmp_domains|Xen domain - CPU time|xdmDomainName|cpu_time=xdmDomainCpuTime"
	"xensnmp_domains|Xen domain - Memory|xdmDomainName|mem_current=xdmDomainMemCurrent mem_target=xdmDomainMemTarget"
	"xensnmp_vifs|Xen VIF - Traffic (bits/sec)|xdmVifMac|rx_bytes=xdmVifRxBytes tx_bytes=xdmVifTxBytes"
	"xensnmp_vbds|Xen VBD - I/O (bytes/sec)|xdmVbdParams|rd_bytes=xdmVbdRdBytes wr_bytes=xdmVbdWrBytes"
)
added=""
for g in "${graphs[@]}"; do
	IFS='|' read -r q name field _ <<<"$g"
	gt=$(sql_db cacti "SELECT id FROM graph_templates WHERE name = '$name'")
	qt=$(sql_db cacti "SELECT id FROM snmp_query_graph WHERE snmp_query_id = $(qid "$q") AND graph_template_id = '$gt'")
	out=$(cphp "$C/cli/add_graphs.php" --host-id="$hid" --graph-type=ds --graph-template-id="$gt" \
		--snmp-query-id="$(qid "$q")" --snmp-query-type-id="$qt" --snmp-field="$field" --snmp-value-regex=. 2>&1) || true
	added="$added $(grep -c '^Graph Added' <<<"$out")"
done
check_eq "add_graphs.php: a graph per domain (CPU, memory), VIF and VBD" " 4 4 3 3" "$added"

# cmd.php, as poller.php starts it, reaches the private MariaDB too
mkdir -p "$T/php"
printf 'pdo_mysql.default_socket=%s\nmysqli.default_socket=%s\nmemory_limit=512M\n' \
	"$MYSQL_SOCKET" "$MYSQL_SOCKET" >"$T/php/cacti.ini"
export PHP_INI_SCAN_DIR=:$T/php
for kv in poller_enabled=on poller_type=1 path_php_binary="$(command -v php)" \
	path_rrdtool="$(command -v rrdtool)" rrdtool_version="$(rrdtool --version | awk 'NR == 1 { print $2 }')"; do
	sql_db cacti "REPLACE INTO settings (name, value) VALUES ('${kv%%=*}', '${kv#*=}')"
done
served() {	# served: "data-source index value" lines for every graphed row
	local g q ds col idx
	for g in "${graphs[@]}"; do
		IFS='|' read -r q _ field ds <<<"$g"
		for idx in $(sql_db cacti "SELECT snmp_index FROM host_snmp_cache
			WHERE host_id = $hid AND snmp_query_id = $(qid "$q") AND field_name = '$field'"); do
			# what the agent does not serve (a CD-ROM's byte counts) is unknown: U
			for col in $ds; do echo "${col%%=*} $idx $(get "${col#*=}.$idx" | sed 's/^No Such.*/U/')"; done
		done
	done | sort
}
served >"$T/served-before"
t0=$EPOCHREALTIME
rc=0; cphp "$C/site/poller.php" --force >"$T/poller.log" 2>&1 || rc=$?
log "poller.php --force: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
check_eq "poller.php --force" 0 "$rc"
served >"$T/served-after"
# every data source's RRD: "data-source index last-value" from rrdtool lastupdate
sql_db cacti "SELECT dl.snmp_index, dtd.data_source_path FROM data_local dl
	JOIN data_template_data dtd ON dtd.local_data_id = dl.id WHERE dl.host_id = $hid" |
while read -r idx path; do
	rrd=${path/<path_rra>/$C/site/rra}
	rrdtool lastupdate "$rrd" 2>&1 | awk -v i="$idx" 'NR == 1 { n = split($0, ds) } NR == 3 { for (k = 1; k <= n; k++) print ds[k], i, $(k + 1) }'
done | sort >"$T/rrd-last"
check_eq "an RRD for every data source" "$(awk '{ print $1, $2 }' "$T/served-before")" "$(awk '{ print $1, $2 }' "$T/rrd-last")"
# counters move between the reads: the stored value lies between them
bad=$(join -j1 <(awk '{ print $1 "/" $2, $3 }' "$T/served-before") \
	<(join -j1 <(awk '{ print $1 "/" $2, $3 }' "$T/served-after") <(awk '{ print $1 "/" $2, $3 }' "$T/rrd-last")) |
	awk '$2 == "U" && $3 == "U" && $4 == "U" { next }
		!($2 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ && length($2) <= length($4) && ($2 <= $4 || length($2) < length($4)) &&
		length($4) <= length($3) && ($4 <= $3 || length($4) < length($3))) { print $0 }')
check_eq "each RRD holds the value the agent served for its row" "" "$bad"
[ -z "$bad" ] || { log "data-source/index before after rrd:"; log "$bad"; tail -n 20 "$C/site/log/cacti.log" 2>/dev/null || true; }
check_eq "memory RRDs: exactly xdmDomainMemCurrent/Target" \
	"$(grep '^mem_' "$T/served-after")" "$(grep '^mem_' "$T/rrd-last")"

# a reboot: web1 gets domid 21; the reindex finds it there, same name
sim remove 1 >/dev/null
sim add 21 name=web1 uuid=4f77abd2-3019-58e8-3bab-6fbf2118f880 state=running mem_target_kib=786432 mem_max_kib=1048576 >/dev/null
moved() { snmpget -v2c -c public -Oqv "$AGENT_ADDR" .1.3.6.1.4.1.99999.1.1.2.1.3.21 | grep -q web1; }
wait_for 10 moved || true
out=$(cphp "$C/cli/poller_reindex_hosts.php" --id="$hid" --qid="$(qid xensnmp_domains)" 2>&1) || true
check_eq "after the reboot: web1 under its new index" "$(printf '0 Domain-0\n2 db1\n21 web1\n7 pvh-test')" \
	"$(cache xensnmp_domains xdmDomainName)"
check_eq "after the reboot: web1's UUID under its new index" "21 4F 77 AB D2 30 19 58 E8 3B AB 6F BF 21 18 F8 80" \
	"$(cache xensnmp_domains xdmDomainUUID | grep '^21 ')"
# web1's graphs followed it: its data sources are now index 21's, and the
# next poll stores domid 21's values in web1's RRDs
check_eq "after the reboot: web1's data sources (CPU, memory) moved to index 21" "2 0" \
	"$(sql_db cacti "SELECT COUNT(*) FROM data_local WHERE host_id = $hid AND snmp_index = '21'") $(sql_db cacti "SELECT COUNT(*) FROM data_local WHERE host_id = $hid AND snmp_index = '1'")"
sleep 1	# rrdtool takes one update a second per file
cphp "$C/site/poller.php" --force >>"$T/poller.log" 2>&1 || true
rrd=$(sql_db cacti "SELECT dtd.data_source_path FROM data_local dl JOIN data_template_data dtd ON dtd.local_data_id = dl.id
	JOIN data_template dt ON dt.id = dl.data_template_id WHERE dl.host_id = $hid AND dl.snmp_index = '21' AND dt.name = 'Xen domain - Memory'")
check_eq "after the reboot: web1's memory RRD holds domid 21's values" \
	"$(get xdmDomainMemCurrent.21) $(get xdmDomainMemTarget.21)" \
	"$(rrdtool lastupdate "${rrd/<path_rra>/$C/site/rra}" 2>&1 | awk 'NR == 1 { for (k = 1; k <= NF; k++) c[$k] = k + 1 } NR == 3 { print $c["mem_current"], $c["mem_target"] }')"
# nothing poller.php started outlives the test
bg_done() { ! pgrep -f -- "$C/site/poller_" >/dev/null; }
wait_for 20 bg_done || log "poller.php's background scripts still running: $(pgrep -af -- "$C/site/poller_")"
stop_agent
finish
