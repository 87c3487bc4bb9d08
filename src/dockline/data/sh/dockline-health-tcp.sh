#!/bin/sh
# dockline-health-tcp.sh - TCP connect healthcheck (POSIX sh).
#
# Usage:  dockline-health-tcp.sh [HOST:PORT]      ([IPv6]:PORT for IPv6 literals)
# Prints exactly one "[HEALTHCHECK] ..." line on stdout; exits 0 (a TCP connection was
# accepted) or 1. Runs under dash, busybox sh and bash.
#
# Environment:
#   HEALTHCHECK_TCP      target when no argument is given (default 127.0.0.1:${PORT})
#   HEALTHCHECK_TIMEOUT  whole seconds, 1 to 999999 (default 3; 0 is refused, not "no limit")
#   DOCKLINE_TCP_CLIENT  bash | curl | nc (default: the first present: bash's /dev/tcp with
#                        timeout(1), curl, nc; busybox images have only nc)
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

[ "$#" -le 1 ] || unhealthy "usage: dockline-health-tcp.sh [HOST:PORT]"
target=${1:-${HEALTHCHECK_TCP:-}}
if [ -z "$target" ]; then
    [ -n "${PORT:-}" ] || unhealthy "no target: pass HOST:PORT, or set HEALTHCHECK_TCP or PORT"
    target=127.0.0.1:$PORT
fi
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

case $target in
    \[*\]:*) host=${target%]:*}; host=${host#\[}; port=${target##*]:} ;;
    *:*) host=${target%:*}; port=${target##*:} ;;
    *) unhealthy "not HOST:PORT: $target" ;;
esac
case $port in
    ''|*[!0-9]*) unhealthy "not a port number in $target" ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    unhealthy "port out of range in $target"
fi
case $host in
    -*) unhealthy "not a host name or address (starts with '-') in $target" ;;
    ''|*[!A-Za-z0-9.:_-]*) unhealthy "not a host name or address in $target" ;;
esac

client=${DOCKLINE_TCP_CLIENT:-}
if [ -z "$client" ]; then
    if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
        client=bash
    elif command -v curl >/dev/null 2>&1; then
        client=curl
    elif command -v nc >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
        client=nc
    else
        unhealthy "no TCP client in this image (needs bash or nc with timeout(1), or curl)"
    fi
fi

case $client in
    bash)
        # Host and port are passed as arguments, never pasted into the script text.
        # shellcheck disable=SC2016
        err=$(timeout "$timeout" bash -c 'exec 3<>"/dev/tcp/$1/$2"' probe "$host" "$port" 2>&1)
        rc=$?
        if [ "$rc" -eq 0 ]; then
            say "healthy: $host:$port accepts connections"
            exit 0
        fi
        if [ "$rc" -eq 124 ]; then
            unhealthy "$host:$port: no answer within ${timeout}s"
        fi
        err=$(printf '%s\n' "$err" | awk 'NF { print; exit }')
        unhealthy "$host:$port: ${err##*: }"
        ;;
    curl)
        # telnet:// connects, then waits for the server until --max-time: time_connect > 0
        # means the connection was accepted, whatever curl's exit code says afterwards. A
        # short first try keeps a healthy probe fast; a slow connect gets the full timeout.
        case $host in *:*) uhost="[$host]" ;; *) uhost=$host ;; esac
        for limit in 0.3 "$timeout"; do
            connect=$(curl -s -o /dev/null -w '%{time_connect}' --connect-timeout "$timeout" \
                --max-time "$limit" "telnet://$uhost:$port" </dev/null 2>/dev/null)
            rc=$?
            [ "$rc" -eq 28 ] || break
            awk -v t="${connect:-0}" 'BEGIN { exit !(t + 0 > 0) }' && break
        done
        if awk -v t="${connect:-0}" 'BEGIN { exit !(t + 0 > 0) }'; then
            say "healthy: $host:$port accepts connections"
            exit 0
        fi
        case $rc in
            6) unhealthy "$host:$port: could not resolve host" ;;
            7) unhealthy "$host:$port: connection refused" ;;
            28) unhealthy "$host:$port: no answer within ${timeout}s" ;;
            *) unhealthy "$host:$port: connection failed (curl exit $rc)" ;;
        esac
        ;;
    nc)
        if nc -h 2>&1 | grep -q -- '-z'; then
            err=$(timeout "$timeout" nc -z -w "$timeout" "$host" "$port" 2>&1 </dev/null)
            rc=$?
        else
            # busybox nc has no -z: it connects, sends nothing, and waits for the server to
            # close. Its own -w ends a connect that hangs (exit 1 after the timeout); still
            # running a second later means it is connected to a server that stays quiet.
            err=$(timeout "$((timeout + 1))" nc -w "$timeout" "$host" "$port" 2>&1 </dev/null >/dev/null)
            rc=$?
            [ "$rc" -ne 124 ] || rc=0
        fi
        if [ "$rc" -eq 0 ]; then
            say "healthy: $host:$port accepts connections"
            exit 0
        fi
        [ "$rc" -ne 124 ] || unhealthy "$host:$port: no answer within ${timeout}s"
        err=$(printf '%s\n' "$err" | awk 'NF { l = $0 } END { print l }')
        unhealthy "$host:$port: ${err##*: }"
        ;;
    *) unhealthy "DOCKLINE_TCP_CLIENT must be bash, curl or nc, not $client" ;;
esac
