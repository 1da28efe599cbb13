#!/usr/bin/python3
"""Three `feedwatch run` instances on one PostgreSQL database keep `per_host` for the fleet: the
server never sees more than `per_host` requests at once from them on one host.

Three loopback servers (three hosts: 127.0.0.1 on three ports) publish HOST_FEEDS feeds each and
answer every request slowly, so that more of a host's feeds fall due than `per_host` lets run
at once: each instance alone would fill the host's slots. The servers count the requests they
are answering at each moment. After --seconds the script checks that
  - no host ever had more than `per_host` (2) requests at once;
  - some host did have `per_host` at once (the load was there: a test that could not fail
    otherwise);
  - every feed was polled, and none twice within its interval;
  - `feedwatch status` shows each host held by one live instance.

  per_host.py --bin build/release/feedwatch
"""

import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from test_cluster import Server, cluster, psql
HOSTS = 3
HOST_FEEDS = 10
PER_HOST = 2
INTERVAL = 10  # seconds
ANSWER_AFTER = 2.5  # seconds: ten feeds a host due every 10 s keep 2.5 requests busy


class Host:
    """What one server saw: requests at once, and when each feed was fetched."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.fetches = {}  # path -> [times]


def make_handler(host):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with host.lock:
                host.now += 1
                host.most = max(host.most, host.now)
                host.fetches.setdefault(self.path, []).append(time.monotonic())
            try:
                time.sleep(ANSWER_AFTER)
                body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{self.path}'
                        f'</title><item><title>Item of {self.path}</title><guid>{self.path}-1'
                        '</guid></item></channel></rss>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                with host.lock:
                    host.now -= 1

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the feedwatch binary")
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--pg", default=os.environ.get("FEEDWATCH_TEST_PG", ""),
                        help="a running test cluster's folder; default: start one")
    args = parser.parse_args()
    with cluster(args.pg) as pg:
        return run(args, pg)


def run(args, pg):
    hosts = [Host() for _ in range(HOSTS)]
    servers = [Server(("127.0.0.1", 0), make_handler(host)) for host in hosts]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    database = f"per_host_{os.getpid()}"
    psql(pg, f"CREATE DATABASE {database}")
    work = tempfile.mkdtemp(prefix="feedwatch-per-host.")
    config = os.path.join(work, "feedwatch.toml")
    with open(config, "w") as out:
        out.write(f'[store]\nurl = "postgresql://postgres@/{database}?host={pg}"\n'
                  f'[http]\nconcurrency = 32\nper_host = {PER_HOST}\ntimeout = "30s"\n'
                  f'[defaults]\ninterval = "{INTERVAL}s"\nmin_interval = "{INTERVAL}s"\n'
                  '[[watch]]\nname = "darchiev"\nquery = "Darchiev"\n'
                  '[[notify]]\nname = "console"\ntype = "console"\n')
        for h, server in enumerate(servers):
            for f in range(HOST_FEEDS):
                out.write(f'[[feed]]\nname = "h{h}-f{f}"\n'
                          f'url = "http://127.0.0.1:{server.server_address[1]}/f{f}.xml"\n')
    procs = [subprocess.Popen([args.bin, "run", "-c", config, "--state-dir",
                               os.path.join(work, f"state{k}")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for k in range(3)]
    failures = []
    try:
        time.sleep(args.seconds)
        status = json.loads(subprocess.run(
            [args.bin, "status", "--json", "-c", config, "--state-dir",
             os.path.join(work, "state0")], check=True, capture_output=True, text=True).stdout)
        held = [(host, instance["id"]) for instance in status["instances"] if instance["live"]
                for host in instance["hosts"]]
        print("hosts held, by feedwatch status:", held, flush=True)
    finally:
        for proc in procs:
            proc.terminate()
        errors = [proc.communicate(timeout=60)[1] for proc in procs]
        for server in servers:
            server.shutdown()
        psql(pg, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for h, host in enumerate(hosts):
        print(f"host {h}: at most {host.most} requests at once; fetches per feed "
              f"{sorted(len(t) for t in host.fetches.values())}", flush=True)
        if host.most > PER_HOST:
            failures.append(f"host {h} answered {host.most} requests at once (per_host = "
                            f"{PER_HOST})")
        if len(host.fetches) < HOST_FEEDS:
            failures.append(f"host {h}: {HOST_FEEDS - len(host.fetches)} feeds never polled")
        for path, times in host.fetches.items():
            gaps = [b - a for a, b in zip(times, times[1:])]
            if gaps and min(gaps) < INTERVAL - 1:
                failures.append(f"host {h} {path}: polled again after {min(gaps):.1f} s")
    ports = sorted(str(server.server_address[1]) for server in servers)
    if sorted(host.rsplit(":", 1)[-1] for host, _ in held) != ports:
        failures.append(f"feedwatch status does not show each host held by one live instance: "
                        f"{held}")
    if max(host.most for host in hosts) < PER_HOST:
        failures.append(f"no host ever had {PER_HOST} requests at once: the test did not load "
                        "the hosts")
    for k, error in enumerate(errors):
        if "error" in error.lower() or "critical" in error.lower():
            failures.append(f"instance {k} logged errors: {error[-1500:]}")
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
