# A private MariaDB server for the NMS tests: data, socket and logs in the
# test's directory, no network, tuned for a throw-away database (no
# fsync).  Sourced after tests/integration/lib.sh.
MYSQL_SOCKET=$T/mysql.sock
MYSQL_PID=

start_mariadb() {
	mkdir -p "$T/mysql"
	mariadb-install-db --no-defaults --datadir="$T/mysql" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$T/mysql-install.log" 2>&1 ||
		{ log "mariadb-install-db failed"; cat "$T/mysql-install.log"; exit 1; }
	mariadbd --no-defaults --datadir="$T/mysql" --socket="$MYSQL_SOCKET" --skip-networking \
		--pid-file="$T/mysql.pid" --log-error="$T/mysql.err" --user="$(id -un)" \
		--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 \
		--innodb-buffer-pool-size=128M --skip-log-bin --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_bin >/dev/null 2>&1 &
	MYSQL_PID=$!
	wait_for 30 mariadb --no-defaults -S "$MYSQL_SOCKET" -u root -e 'SELECT 1' ||
		{ log "mariadbd did not start"; cat "$T/mysql.err"; exit 1; }
}

sql() {	# sql STATEMENT: as root, no database
	mariadb --no-defaults -S "$MYSQL_SOCKET" -u root -N -B -e "$1"
}

sql_db() {	# sql_db DATABASE [STATEMENT]: STATEMENT, or stdin
	if [ $# -gt 1 ]; then mariadb --no-defaults -S "$MYSQL_SOCKET" -u root -N -B "$1" -e "$2"
	else mariadb --no-defaults -S "$MYSQL_SOCKET" -u root -N -B "$1"; fi
}

stop_mariadb() {
	[ -n "$MYSQL_PID" ] || return 0
	kill -TERM "$MYSQL_PID" 2>/dev/null || true
	wait "$MYSQL_PID" 2>/dev/null || true
	MYSQL_PID=
}
