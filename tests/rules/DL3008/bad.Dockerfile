FROM debian:12
RUN --mount=type=bind,source=.,rw <<EOF
apt-get update
apt-get install -y --no-install-recommends curl
EOF
