#!/bin/sh
# test main process: needs 2 s to shut down cleanly after SIGTERM, then exits 3
trap 'echo "child: SIGTERM, shutting down (2 s)"; sleep 2; echo "child: clean shutdown"; exit 3' TERM
echo "child: running as PID $$"
while :; do sleep 0.2 & wait $!; done
