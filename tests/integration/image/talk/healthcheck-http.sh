#!/bin/bash -e
# The talk's web healthcheck, verbatim apart from this comment (slide "Healthchecks").
# Kept to show its failures: under -e a failed curl exits with curl's code before the
# message prints, and `hostname -i` prints one address per network.

host=$(hostname -i || echo '127.0.0.1');
port="${PORT:-8000}";
mount_path="${MOUNT_PATH:-/ws/designmaps}";

args=(
    -s
    -o /dev/null
    -w '%{http_code}'
    -A 'Internal Healthcheck'
    "http://${host}:${port}${mount_path}/"
);

http_code=$(curl "${args[@]}");
result=$?;

if [[ $result -eq 0 && $http_code -eq 200 ]]; then
    echo '[HEALTHCHECK] Webserver up and accepting connections.';
    exit 0;
fi

echo '[HEALTHCHECK] Webserver not healthy.';
exit 1;
