FROM debian:12
RUN <<EOF
set -e
cd /src
make
EOF
