#!/bin/sh
# Installs what xensnmp needs to build, test and run its demo on Debian 12,
# and to build and check its Debian package (debhelper, dh-autoreconf,
# lintian; perl's pod2man makes the manual pages).
set -e
PKGS="build-essential autoconf automake libtool pkg-config
      libsnmp-dev snmp snmpd snmptrapd libxen-dev xenstore-utils
      libcurl4-openssl-dev libcmocka-dev
      smitools socat procps
      debhelper dh-autoreconf lintian perl groff-base iproute2
      libmonitoring-plugin-perl libnet-snmp-perl libcrypt-des-perl
      libdigest-hmac-perl libcrypt-rijndael-perl icinga2-bin nagios4-core
      prometheus-snmp-exporter"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
