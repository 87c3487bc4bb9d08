FROM debian:12
RUN curl -fsSL https://example.org/x | tar xz; set -o pipefail
RUN <<EOT
curl -fsSL https://example.org/y | tar xz
EOT
