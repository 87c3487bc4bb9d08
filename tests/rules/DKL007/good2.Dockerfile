ARG DEBUG
ARG BASE
FROM debian:12${DEBUG:+-dbg} AS a
FROM ${BASE:-debian:12}
