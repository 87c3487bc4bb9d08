#!/usr/bin/env python3
"""Healthcheck probe cost per run: wall time and peak RSS, in one run.

    python3 bench/probes.py [--runs 40]

Probes, each run --runs times against the same local HTTP server on 127.0.0.1 (a
separate process, so its work is not counted) and a closed-for-nothing TCP listener:
  sh http (dash)       dockline-health-http.sh under dash (curl)
  sh http (busybox)    the same script under busybox sh (curl)
  sh http (bash)       the same script under bash (curl)
  talk bash+curl       the talk's #!/bin/bash -e script (with a `hostname` that prints 127.0.0.1)
  python CLI http      `python -m dockline health http URL` (what an image with Python would run)
  python lib http      python3 -c 'probe_http(...)': the library without the CLI's imports
  sh tcp (dash)        dockline-health-tcp.sh under dash (bash /dev/tcp)
  python CLI tcp       `python -m dockline health tcp HOST:PORT`
Peak RSS is the largest resident set of any process in the probe's tree (GNU time's %M).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dockline.health import scripts

GNU_TIME = "/usr/bin/time"  # Debian package `time`
ROOT = Path(__file__).resolve().parents[1]
TALK = ROOT / "tests" / "integration" / "image" / "talk" / "healthcheck-http.sh"
SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


def measure(argv: list[str], env: dict[str, str], rss_file: Path) -> tuple[float, int, int]:
    """One run: (wall seconds, peak RSS KiB, exit code).

    GNU time reports the peak RSS of the probe process tree (wait4's ru_maxrss in a small
    parent): measured from this Python process, Linux would count the pre-exec copy of it.
    Wall time is taken here (GNU time adds well under a millisecond)."""
    t0 = time.perf_counter()
    proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", str(rss_file), *argv], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    rss = int(rss_file.read_text().split()[-1])
    return wall, rss, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    tcp_port = listener.getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="dockline-bench-"))
    fake_hostname = tmp / "hostname"
    fake_hostname.write_text("#!/bin/sh\necho 127.0.0.1\n")
    fake_hostname.chmod(0o755)
    rss_file = tmp / "rss"
    url = f"http://127.0.0.1:{port}/"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCHECK_")}
    http_sh = str(scripts.script_path(scripts.HTTP))
    tcp_sh = str(scripts.script_path(scripts.TCP))
    lib = ("from dockline.health import probe_http, line, exit_code; import sys; "
           f"o = probe_http({url!r}); print(line(o)); sys.exit(exit_code(o))")
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("sh http (dash)", ["dash", http_sh, url], base_env),
        ("sh http (busybox)", ["busybox", "sh", http_sh, url], base_env),
        ("sh http (bash)", ["bash", http_sh, url], base_env),
        ("talk bash+curl", [str(TALK)],
         {**base_env, "PATH": f"{tmp}:{base_env['PATH']}", "PORT": str(port), "MOUNT_PATH": ""}),
        ("python CLI http", [sys.executable, "-m", "dockline", "health", "http", url], base_env),
        ("python lib http", [sys.executable, "-c", lib], base_env),
        ("sh tcp (dash)", ["dash", tcp_sh, f"127.0.0.1:{tcp_port}"], base_env),
        ("python CLI tcp", [sys.executable, "-m", "dockline", "health", "tcp", f"127.0.0.1:{tcp_port}"], base_env),
    ]
    try:
        rows = []
        for name, argv, env in cases:
            measure(argv, env, rss_file)  # warm the page cache
            walls, rss, codes = [], [], set()
            for _ in range(args.runs):
                w, r, c = measure(argv, env, rss_file)
                walls.append(w * 1000)
                rss.append(r / 1024)
                codes.add(c)
            walls.sort()
            rows.append((name, statistics.median(walls), walls[int(len(walls) * 0.95) - 1], max(rss),
                         ",".join(map(str, sorted(codes)))))
    finally:
        server.terminate()
        listener.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"probe cost per run, {args.runs} runs each, against 127.0.0.1 (python {sys.version.split()[0]})")
    print(f"{'probe':<20} {'median ms':>10} {'p95 ms':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for name, med, p95, rss_mib, exits in rows:
        print(f"{name:<20} {med:>10.1f} {p95:>8.1f} {rss_mib:>13.1f} {exits:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
