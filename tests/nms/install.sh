#!/bin/sh
# Installs the Debian packages of the NMS server tests (tests/nms): the
# NMS's own server, frontend and MariaDB (and for Zabbix's traps,
# snmptrapd).  Kept out of
# contrib/install-deps.sh: they are big, and only these tests need them.
# Services are not started (the tests run private instances); Cacti is
# told not to set up a database of its own.
#   install.sh zabbix|cacti...
set -e
pkgs=""
for tool in "$@"; do
	case $tool in
	zabbix) pkgs="$pkgs mariadb-server zabbix-server-mysql zabbix-frontend-php php-mysql php-cli curl jq snmptrapd" ;;
	cacti) pkgs="$pkgs mariadb-server cacti rrdtool php-cli php-mysql curl" ;;
	*) echo "install.sh: unknown tool $tool (zabbix, cacti)" >&2; exit 2 ;;
	esac
done
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "cacti cacti/dbconfig-install boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q \
	--no-install-recommends $missing
