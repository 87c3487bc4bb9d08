#!/bin/bash -e
# The talk-style entrypoint (bootstrap, then trap and forward SIGTERM to a background
# child). Kept to show its failure: when SIGTERM arrives the trap runs, but `wait` then
# returns 143 and `-e` exits the script at once; PID 1 is gone ~ms after SIGTERM and the
# kernel kills the child that was still shutting down.

_term() {
  echo "Caught SIGTERM, forwarding to child ${child}";
  kill -TERM "${child}" 2>/dev/null;
}
trap _term SIGTERM

"$@" &
child=$!
wait "${child}"
