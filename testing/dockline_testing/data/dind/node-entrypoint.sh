#!/bin/sh
# Start the inner dockerd of a lab node.
#
# The node container cannot be --privileged here (the host lacks CAP_SYS_RESOURCE, so
# runc refuses a privileged container); it runs with every other capability instead,
# and /sys plus the cgroup mounts arrive read-only. Make them writable for the inner
# daemon, then hand over to dockerd (arguments come from `docker run ... IMAGE ARGS`).
set -eu

if grep -q ' /sys sysfs ro' /proc/mounts; then
    mount -o remount,rw /sys
fi

if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2: leave the root cgroup so the inner daemon may delegate controllers.
    mkdir -p /sys/fs/cgroup/node
    while read -r pid; do
        echo "$pid" > /sys/fs/cgroup/node/cgroup.procs 2>/dev/null || true
    done < /sys/fs/cgroup/cgroup.procs
    for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    done
else
    # cgroup v1: the tmpfs and each controller are separate read-only mounts.
    mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
    for m in $(awk '$3 == "cgroup" { print $2 }' /proc/mounts); do
        mount -o remount,bind,rw "$m"
    done
fi

# A stopped-then-started node keeps its old pid files; dockerd would refuse to start.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid

exec dockerd --host=unix:///var/run/docker.sock "$@"
