#!/bin/sh
# snmptrapd traphandle for Zabbix's SNMP trapper: appends each notification
# to FILE, Zabbix's SNMPTrapperFile, as one record:
#
#   15:04:05 2024/05/01 ZBXTRAP 192.0.2.7
#   UDP: [192.0.2.7]:50123->[192.0.2.1]:162
#   SNMPv2-MIB::snmpTrapOID.0 XEN-DOMAIN-MIB::xdmDomainCreated
#   XEN-DOMAIN-MIB::xdmNotifyDomainName.0 web1
#   ...
#
# Zabbix gives the record to the SNMP interfaces with the address after
# ZBXTRAP, strips that header, and matches the rest against the hosts'
# snmptrap[regexp] items.  The time is in the format of Zabbix's own
# zabbix_trap_receiver.pl, so that a log time format set for that one
# fits.  Debian packages neither that receiver nor the Perl module it
# needs; this needs only sh and awk.
#
#   traphandle default /usr/local/bin/zabbix_traphandle.sh /var/log/snmptrap/snmptrap.log
#
# snmptrapd runs the handlers one at a time, so records do not interleave.
file=${1:?usage: zabbix_traphandle.sh SNMPTRAPPERFILE}
now=$(date '+%H:%M:%S %Y/%m/%d')
awk -v now="$now" '
NR == 1 { next }	# the host name snmptrapd found for the sender
NR == 2 {
	# "UDP: [192.0.2.7]:50123->[192.0.2.1]:162" (IPv6 alike): the sender
	transport = $0; addr = "unknown"
	if (match($0, /\[[^]]*\]/)) addr = substr($0, RSTART + 1, RLENGTH - 2)
	next
}
{
	# Zabbix starts a record at any ZBXTRAP in the file, even inside a
	# value (a domain name, say): such a value must not split the trap
	gsub(/ZBXTRAP/, "ZBX-TRAP")
	body = body $0 "\n"
}
END { if (NR >= 2) printf "%s ZBXTRAP %s\n%s\n%s", now, addr, transport, body }' >>"$file"
