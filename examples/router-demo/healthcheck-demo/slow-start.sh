#!/bin/sh
# Pretend to bootstrap for SLOW_START seconds (default 10), then exec the server so it
# gets the signals (SIGQUIT: graceful stop) directly.
set -eu
sleep "${SLOW_START:-10}"
exec "$@"
