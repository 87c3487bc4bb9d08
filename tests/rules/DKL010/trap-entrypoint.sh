#!/bin/bash
set -e
term() { kill -TERM "$child"; }
trap term TERM
/usr/local/bin/server "$@" &
child=$!
wait "$child"
