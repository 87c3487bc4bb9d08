#!/bin/sh
# dockline-health-http.sh - HTTP healthcheck for images without Python (POSIX sh).
#
# Usage:  dockline-health-http.sh [URL]
# Prints exactly one "[HEALTHCHECK] ..." line on stdout; exits 0 (healthy) or 1 (not
# healthy). Never 2: Docker reserves it. Runs under dash, busybox sh and bash.
#
# Environment:
#   HEALTHCHECK_URL      URL to fetch when no argument is given. Default:
#                        http://ADDR:${PORT:-80}${HEALTHCHECK_PATH:-/}
#   HEALTHCHECK_ADDR     ADDR for the default URL: 127.0.0.1 (default), or "auto" for the
#                        container's first address (`hostname -i` prints one per network;
#                        the talk's script pasted them all into the URL)
#   HEALTHCHECK_STATUS   accepted status codes, separated by spaces or commas (default 200)
#   HEALTHCHECK_HOST_HEADER  Host header to send (default: the URL's host)
#   HEALTHCHECK_TIMEOUT  whole seconds for the whole request, 1 to 999999 (default 3; 0 is refused)
#   DOCKLINE_HTTP_CLIENT curl | wget (default: curl if present, else wget)
# The User-Agent is "Internal Healthcheck", so access logs can filter probes out.
set -u
set -f  # no globbing: list variables are split on spaces only

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

[ "$#" -le 1 ] || unhealthy "usage: dockline-health-http.sh [URL]"

addr=${HEALTHCHECK_ADDR:-127.0.0.1}
if [ "$addr" = auto ]; then
    addr=$(hostname -i 2>/dev/null) || addr=127.0.0.1
    addr=${addr%% *}
    case $addr in
        '') addr=127.0.0.1 ;;
        *:*) addr="[$addr]" ;;
    esac
fi
url=${1:-${HEALTHCHECK_URL:-http://$addr:${PORT:-80}${HEALTHCHECK_PATH:-/}}}
timeout=${HEALTHCHECK_TIMEOUT:-3}
expected=$(printf '%s' "${HEALTHCHECK_STATUS:-200}" | tr ',' ' ')
host_header=${HEALTHCHECK_HOST_HEADER:-}

# The URL as shown: user:password@ never reaches the output.
shown=$url
case $url in
    *://*@*)
        rest=${url#*://}
        authority=${rest%%/*}
        case $authority in
            *@*) shown="${url%%://*}://***@${rest#*@}" ;;
        esac
        ;;
esac

case $url in
    *[[:cntrl:]]*|*' '*) unhealthy "the URL contains a space or control character" ;;
    http://?*|https://?*) ;;
    *) unhealthy "not an http(s) URL: $shown" ;;
esac
# The host must not look like an option (for curl or wget, or any tool it reaches later).
authority=${url#*://}
authority=${authority%%[/?#]*}
case ${authority##*@} in
    -*|\[-*) unhealthy "not a host name or address (starts with '-'): $shown" ;;
esac
# Whole seconds, more than 0: "00" is 0 (timeout(1) would read it as "no limit"), and
# "010" is 10 (shell arithmetic would read it as octal 8).
case $timeout in
    ''|*[!0-9]*) unhealthy "HEALTHCHECK_TIMEOUT must be a positive whole number of seconds" ;;
esac
while [ "${timeout#0}" != "$timeout" ]; do timeout=${timeout#0}; done
case $timeout in
    ''|???????*) unhealthy "HEALTHCHECK_TIMEOUT must be a positive whole number of seconds (1 to 999999)" ;;
esac
want=
for code in $expected; do
    case $code in
        [1-5][0-9][0-9]) want=${want:+$want,}$code ;;
        *) unhealthy "HEALTHCHECK_STATUS: not a status code: $code" ;;
    esac
done
[ -n "$want" ] || unhealthy "HEALTHCHECK_STATUS is empty"

case $host_header in
    *[!A-Za-z0-9.:_\[\]-]*) unhealthy "HEALTHCHECK_HOST_HEADER: not a host name" ;;
esac

client=${DOCKLINE_HTTP_CLIENT:-}
if [ -z "$client" ]; then
    if command -v curl >/dev/null 2>&1; then
        client=curl
    elif command -v wget >/dev/null 2>&1; then
        client=wget
    else
        unhealthy "neither curl nor wget is installed in this image"
    fi
fi

curl_reason() {
    case $1 in
        3) echo "malformed URL" ;;
        6) echo "could not resolve host" ;;
        7) echo "connection refused" ;;
        28) echo "no answer within ${timeout}s" ;;
        35|60) echo "TLS handshake failed" ;;
        52) echo "empty reply" ;;
        56) echo "connection reset" ;;
        *) echo "request failed" ;;
    esac
}

status=
reason=
case $client in
    curl)
        set -- -sS -o /dev/null -w '%{http_code}' -A 'Internal Healthcheck' --max-time "$timeout"
        [ -z "$host_header" ] || set -- "$@" -H "Host: $host_header"
        status=$(curl "$@" "$url" 2>/dev/null)
        rc=$?
        if [ "$rc" -ne 0 ]; then
            reason="$(curl_reason "$rc") (curl exit $rc)"
            status=
        fi
        ;;
    wget)
        # busybox 1.35 wget crashes on -T (and on -q with -S): bound it with timeout(1).
        set -- wget -S -O /dev/null -U 'Internal Healthcheck'
        if command -v timeout >/dev/null 2>&1; then
            set -- timeout "$timeout" "$@"
        else
            set -- "$@" -T "$timeout"
        fi
        [ -z "$host_header" ] || set -- "$@" --header "Host: $host_header"
        out=$("$@" "$url" 2>&1)
        rc=$?
        # The first status line is the answer of the URL itself (redirects are not followed
        # in meaning, as with curl without -L).
        status=$(printf '%s\n' "$out" | awk '$1 ~ /^HTTP\// { print $2; exit }')
        if [ -z "$status" ]; then
            last=$(printf '%s\n' "$out" | awk 'NF { l = $0 } END { print l }')
            reason="no answer (wget exit $rc${last:+: $last})"
        fi
        ;;
    *) unhealthy "DOCKLINE_HTTP_CLIENT must be curl or wget, not $client" ;;
esac

if [ -z "$status" ] || [ "$status" = 000 ]; then
    unhealthy "$shown: ${reason:-no answer}"
fi
for code in $expected; do
    if [ "$status" = "$code" ]; then
        say "healthy: $shown answered $status"
        exit 0
    fi
done
unhealthy "$shown answered $status, expected $want"
