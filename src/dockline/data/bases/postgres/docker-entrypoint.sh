#!/bin/bash
# Entrypoint of dockline's test-bed postgres base (behaves like the official image's).
set -Eeuo pipefail

log() { printf '[entrypoint] %s\n' "$*" >&2; }
die() { printf '[entrypoint] error: %s\n' "$*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE (not both).
file_env() {
	local var="$1" def="${2:-}"
	local fvar="${var}_FILE"
	local val="$def"
	if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
		die "both $var and $fvar are set (but they are exclusive)"
	fi
	if [ -n "${!var:-}" ]; then
		val="${!var}"
	elif [ -n "${!fvar:-}" ]; then
		[ -r "${!fvar}" ] || die "$fvar names an unreadable file"
		val="$(< "${!fvar}")"
	fi
	export "$var"="$val"
	unset "$fvar"
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA"
	chown -R postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = 'postgres' ]; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
			die "database is uninitialized and POSTGRES_PASSWORD is not set (set it, POSTGRES_PASSWORD_FILE, or POSTGRES_HOST_AUTH_METHOD=trust)"
		fi
		log "initializing database in $PGDATA"
		pwfile="$(mktemp)"
		printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
		# shellcheck disable=SC2086
		initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
			--auth-host="$POSTGRES_HOST_AUTH_METHOD" $POSTGRES_INITDB_ARGS >/dev/null
		rm -f "$pwfile"
		printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
		printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"

		# Temporary server on the unix socket only: TCP clients see nothing during init.
		pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
		export PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql
		if [ "$POSTGRES_DB" != postgres ]; then
			# psql expands :"db" (quoted identifier) only in input, not in -c
			printf '%s\n' 'CREATE DATABASE :"db";' \
				| psql -v ON_ERROR_STOP=1 --dbname postgres --set db="$POSTGRES_DB" >/dev/null
		fi
		for f in /docker-entrypoint-initdb.d/*; do
			case "$f" in
				*.sh)
					# shellcheck source=/dev/null
					if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
				*.sql)    log "running $f"; psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
				*.sql.gz) log "running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" >/dev/null ;;
				*)        [ -e "$f" ] && log "ignoring $f" ;;
			esac
		done
		pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
		unset PGUSER PGHOST
		log "init process complete; ready for start up"
	fi
	unset POSTGRES_PASSWORD
fi

exec "$@"
