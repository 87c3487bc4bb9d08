#!/bin/sh
# dockline-entrypoint.sh - bootstrap a container from its environment, then exec CMD.
#
# Usage (Dockerfile):  ENTRYPOINT ["/usr/local/bin/dockline-entrypoint.sh"]
#                      CMD ["nginx", "-g", "daemon off;"]
# Steps, in order (each optional, driven by the environment):
#   1. NAME_FILE -> NAME: the content of the file (a swarm secret, /run/secrets/...) becomes
#      the variable NAME. Both NAME and NAME_FILE set is an error. All *_FILE variables, or
#      only the names listed in DOCKLINE_FILE_VARS (space separated).
#   2. DOCKLINE_REQUIRED_ENV="A B": fail at start, with one line, when any is empty.
#   3. Templates: every DOCKLINE_TEMPLATE_DIR/*.template (default /etc/dockline/templates)
#      is rendered to DOCKLINE_TEMPLATE_OUT/<name without .template> (default
#      /etc/dockline/conf). $NAME and ${NAME} are replaced only when NAME is in the
#      environment (and listed in DOCKLINE_TEMPLATE_VARS, when that is set): nginx's $host
#      and $remote_addr survive.
#   4. Hooks: DOCKLINE_HOOKS_DIR (default /etc/dockline/entrypoint.d), in name order:
#      executable files are run (non-zero exit stops the start), *.envsh files are sourced
#      (they may export variables), anything else is skipped with a note.
#   5. DOCKLINE_WAIT_FOR="tcp://db:5432 http://api:8000/health": wait until each answers
#      (DOCKLINE_WAIT_TIMEOUT seconds in all, default 60; http wants DOCKLINE_WAIT_STATUS,
#      default 200), using the dockline-health-* scripts next to this one.
#   6. DOCKLINE_USER=user[:group]: when running as root, drop to that user (gosu, su-exec
#      or setpriv, whichever the image has; each execs, so no extra process remains).
#   7. exec "$@": the main process replaces this shell, becomes PID 1 and gets SIGTERM
#      from `docker stop` directly; its exit code is the container's. When the main
#      process cannot be PID 1 (it does not reap children or ignores SIGTERM), run the
#      container with an init: `init: true` in the stack file, `docker run --init`.
# Errors print one line "dockline-entrypoint: error: ..." on stderr and exit 78 (EX_CONFIG).
# Set DOCKLINE_QUIET=1 to silence the notes. Runs under dash, busybox sh and bash.
set -u
set -f

me=dockline-entrypoint
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 78; }
note() { [ -n "${DOCKLINE_QUIET:-}" ] || printf '%s: %s\n' "$me" "$*" >&2; }
valid_name() {
    case $1 in
        ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) return 1 ;;
    esac
    return 0
}

# ---- 1. NAME_FILE -> NAME ------------------------------------------------------------
file_vars=${DOCKLINE_FILE_VARS:-}
if [ -z "$file_vars" ]; then
    file_vars=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)_FILE=.*/\1/p' | sort -u)
fi
for name in $file_vars; do
    valid_name "$name" || die "DOCKLINE_FILE_VARS: not a variable name: $name"
    eval "fset=\${${name}_FILE+x} fval=\${${name}_FILE:-} val=\${${name}:-}"
    [ -n "$fset" ] || continue
    if [ -n "$val" ] && [ -n "$fval" ]; then
        die "both $name and ${name}_FILE are set; set only one"
    fi
    [ -n "$fval" ] || continue
    [ -r "$fval" ] || die "${name}_FILE: cannot read $fval"
    val=$(cat "$fval") || die "${name}_FILE: cannot read $fval"
    eval "export $name=\$val"
    unset "${name}_FILE"
    note "$name set from ${name}_FILE"
done

# ---- 2. required variables -------------------------------------------------------------
missing=
for name in ${DOCKLINE_REQUIRED_ENV:-}; do
    valid_name "$name" || die "DOCKLINE_REQUIRED_ENV: not a variable name: $name"
    eval "val=\${$name:-}"
    [ -n "$val" ] || missing="${missing:+$missing }$name"
done
[ -z "$missing" ] || die "required variable(s) not set: $missing (set them, or NAME_FILE)"
val=

# ---- 3. templates ------------------------------------------------------------------------
render() {
    awk -v only="${DOCKLINE_TEMPLATE_VARS:-}" '
    BEGIN {
        n = split(only, names, /[ ,]+/)
        restrict = 0
        for (i = 1; i <= n; i++) if (names[i] != "") { allowed[names[i]] = 1; restrict = 1 }
    }
    function known(name) { return (name in ENVIRON) && (!restrict || (name in allowed)) }
    {
        line = $0; out = ""
        while ((i = index(line, "$")) > 0) {
            out = out substr(line, 1, i - 1)
            rest = substr(line, i)
            if (match(rest, /^\$\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
                name = substr(rest, 3, RLENGTH - 3)
            } else if (match(rest, /^\$[A-Za-z_][A-Za-z0-9_]*/)) {
                name = substr(rest, 2, RLENGTH - 1)
            } else {
                out = out "$"; line = substr(rest, 2); continue
            }
            if (known(name)) out = out ENVIRON[name]
            else out = out substr(rest, 1, RLENGTH)
            line = substr(rest, RLENGTH + 1)
        }
        print out line
    }' "$1"
}
tdir=${DOCKLINE_TEMPLATE_DIR:-/etc/dockline/templates}
tout=${DOCKLINE_TEMPLATE_OUT:-/etc/dockline/conf}
if [ -d "$tdir" ]; then
    set +f
    for t in "$tdir"/*.template; do
        [ -f "$t" ] || continue
        base=${t##*/}
        out="$tout/${base%.template}"
        mkdir -p "$tout" || die "cannot create $tout"
        if ! render "$t" >"$out.dockline-tmp"; then
            rm -f "$out.dockline-tmp"
            die "cannot render $t to $out"
        fi
        mv -f "$out.dockline-tmp" "$out" || die "cannot write $out"
        note "rendered $t -> $out"
    done
    set -f
fi

# ---- 4. hooks ------------------------------------------------------------------------------
hdir=${DOCKLINE_HOOKS_DIR:-/etc/dockline/entrypoint.d}
if [ -d "$hdir" ]; then
    set +f
    for hook in "$hdir"/*; do
        [ -f "$hook" ] || continue
        case $hook in
            *.envsh)
                note "sourcing $hook"
                # shellcheck disable=SC1090
                . "$hook" || die "hook $hook failed"
                ;;
            *)
                if [ -x "$hook" ]; then
                    note "running $hook"
                    "$hook" || die "hook $hook failed (exit $?)"
                else
                    note "skipping $hook (not executable)"
                fi
                ;;
        esac
    done
    set -f
fi

# ---- 5. wait for dependencies --------------------------------------------------------------
if [ -n "${DOCKLINE_WAIT_FOR:-}" ]; then
    here=$(dirname "$0")
    wait_timeout=${DOCKLINE_WAIT_TIMEOUT:-60}
    case $wait_timeout in
        ''|*[!0-9]*) die "DOCKLINE_WAIT_TIMEOUT must be a whole number of seconds" ;;
    esac
    deadline=$(( $(date +%s) + wait_timeout ))
    for target in $DOCKLINE_WAIT_FOR; do
        case $target in
            tcp://*) probe="$here/dockline-health-tcp.sh"; arg=${target#tcp://} ;;
            http://*|https://*) probe="$here/dockline-health-http.sh"; arg=$target ;;
            *) die "DOCKLINE_WAIT_FOR: $target is not tcp://HOST:PORT or http(s)://URL" ;;
        esac
        [ -x "$probe" ] || die "DOCKLINE_WAIT_FOR needs $probe (dockline scaffold copies it)"
        note "waiting for $target (up to ${wait_timeout}s in all)"
        while :; do
            if line=$(HEALTHCHECK_TIMEOUT=2 HEALTHCHECK_STATUS=${DOCKLINE_WAIT_STATUS:-200} "$probe" "$arg"); then
                note "$target is up"
                break
            fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                die "gave up waiting for $target after ${wait_timeout}s: ${line#\[HEALTHCHECK\] }"
            fi
            sleep 1
        done
    done
fi

# ---- 6. drop privileges --------------------------------------------------------------------
[ "$#" -gt 0 ] || die "no command to run (give CMD in the Dockerfile or arguments to docker run)"
if [ -n "${DOCKLINE_USER:-}" ]; then
    user=${DOCKLINE_USER%%:*}
    group=
    case $DOCKLINE_USER in *:*) group=${DOCKLINE_USER#*:} ;; esac
    case $user$group in
        *[!A-Za-z0-9._-]*) die "DOCKLINE_USER: not a user[:group]: $DOCKLINE_USER" ;;
    esac
    if [ "$(id -u)" != 0 ]; then
        [ "$(id -un 2>/dev/null)" = "$user" ] || [ "$(id -u)" = "$user" ] \
            || die "DOCKLINE_USER=$DOCKLINE_USER but not running as root, cannot switch user"
    elif command -v gosu >/dev/null 2>&1; then
        set -- gosu "$DOCKLINE_USER" "$@"
    elif command -v su-exec >/dev/null 2>&1; then
        set -- su-exec "$DOCKLINE_USER" "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        id "$user" >/dev/null 2>&1 || case $user in
            *[!0-9]*) die "DOCKLINE_USER: no such user: $user" ;;
        esac
        [ -n "$group" ] || group=$(id -g "$user" 2>/dev/null) || group=$user
        case $user in
            *[!0-9]*) groups=--init-groups ;;
            *) groups=--clear-groups ;;
        esac
        set -- setpriv --reuid="$user" --regid="$group" "$groups" -- "$@"
    else
        die "DOCKLINE_USER is set but the image has none of gosu, su-exec, setpriv"
    fi
fi

# ---- 7. become the main process --------------------------------------------------------------
exec "$@"
