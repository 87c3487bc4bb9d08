#!/bin/sh
# dockline-health-postgres.sh - PostgreSQL healthcheck (POSIX sh, needs psql).
#
# Usage:  dockline-health-postgres.sh
# Connects over TCP (not the unix socket) and runs SELECT 1; healthy only when the answer
# is 1. During the official image's initdb the server listens on the socket only, so this
# probe stays unhealthy until the real server is up (pg_isready on the socket passes then).
# Prints exactly one "[HEALTHCHECK] ..." line on stdout; exits 0 or 1. Never prints the
# password. Runs under dash, busybox sh and bash.
#
# Environment (the official postgres image's variables):
#   POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD   or their *_FILE variants (not both)
#   HEALTHCHECK_HOST     default 127.0.0.1
#   HEALTHCHECK_PORT     default ${PGPORT:-5432}
#   HEALTHCHECK_TIMEOUT  whole seconds, 1 to 999999 (default 3; 0 is refused, not "no limit")
set -u
set -f

# say TEXT: the one output line. TEXT often quotes a server or a tool (an error message):
# line breaks and other control characters are shown escaped (\n, \x1b), so a forged second
# "[HEALTHCHECK]" line or a terminal escape cannot get out, and the line is cut at 1000 bytes.
say() {
    printf '%s\n' "[HEALTHCHECK] $*" | awk -v max=1000 '
        BEGIN {
            for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("\\x%02x", i)
            esc["\t"] = "\\t"; esc["\r"] = "\\r"; esc[sprintf("%c", 127)] = "\\x7f"
        }
        {
            if (NR > 1) s = s "\\n"
            n = length($0)
            for (i = 1; i <= n && length(s) <= max; i++) {
                c = substr($0, i, 1)
                s = s ((c in esc) ? esc[c] : c)
            }
            if (length(s) > max) exit
        }
        END {
            if (length(s) > max) s = substr(s, 1, max) "... (cut)"
            print s
        }'
}
unhealthy() { say "unhealthy: $*"; exit 1; }

[ "$#" -eq 0 ] || unhealthy "usage: dockline-health-postgres.sh (configure with environment variables)"

# file_var NAME: sets _v to the value of NAME, or to the content of the file NAME_FILE names.
file_var() {
    eval "_v=\${$1:-} _f=\${$1_FILE:-}"
    if [ -n "$_v" ] && [ -n "$_f" ]; then
        unhealthy "both $1 and $1_FILE are set; set only one"
    fi
    if [ -n "$_f" ]; then
        [ -r "$_f" ] || unhealthy "$1_FILE: cannot read $_f"
        _v=$(cat "$_f") || unhealthy "$1_FILE: cannot read $_f"
    fi
}

file_var POSTGRES_USER
user=$_v
file_var POSTGRES_DB
db=$_v
file_var POSTGRES_PASSWORD
password=$_v
user=${user:-postgres}
db=${db:-$user}
host=${HEALTHCHECK_HOST:-127.0.0.1}
port=${HEALTHCHECK_PORT:-${PGPORT:-5432}}
timeout=${HEALTHCHECK_TIMEOUT:-3}
# Whole seconds, more than 0: "00" is 0 (timeout(1) would read it as "no limit"), and
# "010" is 10 (shell arithmetic would read it as octal 8).
case $timeout in
    ''|*[!0-9]*) unhealthy "HEALTHCHECK_TIMEOUT must be a positive whole number of seconds" ;;
esac
while [ "${timeout#0}" != "$timeout" ]; do timeout=${timeout#0}; done
case $timeout in
    ''|???????*) unhealthy "HEALTHCHECK_TIMEOUT must be a positive whole number of seconds (1 to 999999)" ;;
esac
case $port in
    ''|*[!0-9]*) unhealthy "HEALTHCHECK_PORT: not a port number: $port" ;;
esac
case $host in
    -*) unhealthy "HEALTHCHECK_HOST: not a host name or address (starts with '-'): $host" ;;
    *[!A-Za-z0-9.:_-]*) unhealthy "HEALTHCHECK_HOST: not a host name or address: $host" ;;
esac
command -v psql >/dev/null 2>&1 || unhealthy "psql is not installed in this image"

where="postgres at $host:$port (db $db, user $user)"
set -- psql -X -w -q -A -t -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d "$db" -c 'SELECT 1'
if command -v timeout >/dev/null 2>&1; then
    set -- timeout "$timeout" "$@"
fi
# The password reaches psql through its environment only (never the command line).
out=$(PGPASSWORD=$password PGCONNECT_TIMEOUT=$timeout PGAPPNAME=dockline-healthcheck \
    PGSSLMODE=${PGSSLMODE:-prefer} "$@" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ "$out" = 1 ]; then
    say "healthy: $where answered SELECT 1"
    exit 0
fi
if [ "$rc" -eq 124 ]; then
    unhealthy "$where: no answer within ${timeout}s"
fi
# First meaningful line of psql's error, without its prefix.
msg=$(printf '%s\n' "$out" | awk 'NF { sub(/^psql: (error: )?/, ""); gsub(/[ \t]+/, " "); print; exit }')
if [ -n "$password" ] && [ "${#password}" -ge 4 ]; then
    case $msg in
        *"$password"*) msg="psql failed (its message contained the password and is withheld)" ;;
    esac
fi
case $msg in
    *"connection to server at"*"failed: "*) msg=${msg#*failed: } ;;
esac
unhealthy "$where: ${msg:-psql exit $rc, answer: $out}"
