#!/usr/bin/python3
"""Several feedwatch instances on one PostgreSQL database, one of them killed now and then.

A loopback HTTP server publishes FEEDS feeds: each gets a new item every --publish seconds, one
in ten about ambassador Darchiev, and every --shared seconds one story appears in three feeds
at once, each copy with its own link (three outlets reporting it). A webhook receiver on the
same server records every alert. INSTANCES `feedwatch run` processes share the database and
the configuration; every --kill-every seconds one of them, at random, gets SIGKILL and is
started again two seconds later (a new pid: a new instance id).

Publishing stops --drain seconds before the end, the kills with it; then the script checks:
  - every story about Darchiev alerted exactly once: one webhook message id per story, the
    shared ones included (three copies, three instances, one alert). A message a killed
    instance sent but could not record as sent is sent again under the same id (the receiver's
    idempotency key); such repeats are counted and reported, not failed;
  - no feed was fetched twice within one interval (counted at the server), except a fetch that
    was in flight when its instance was killed, or ended in the 5 s before (a poll that found
    nothing is written with the others of those 5 s): that poll was never recorded, so the
    feed is due again once the lease ends;
  - no feed waited longer than its interval (plus jitter) and the lease between two fetches:
    a killed instance's feeds are taken over within the lease time plus one interval.
It prints the figures as JSON and exits 1 when a check fails.

  multi_instance.py --bin build/release/feedwatch --minutes 30
"""

import argparse
import http.server
import json
import os
import random
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
PG_CLUSTER = os.path.join(HERE, "..", "support", "pg-cluster")

WORDS = """amber basin cedar delta ember fjord granite harbor island juniper kestrel lagoon meadow
nectar orchard pebble quarry ridge summit timber upland valley willow yarrow zephyr anchor
beacon canyon dune estuary falcon glacier heron inlet jasper knoll lantern marble nettle oasis
prairie quartz raven sierra tundra umber vortex walnut xenon yonder zenith acorn bramble copper
driftwood egret fennel garnet hazel ivory jade kelp lichen maple nutmeg onyx pine quill russet
sage thistle umbra violet wren yew zinc alder birch clover dahlia elm fern gorse holly iris
jonquil kale laurel myrtle nori olive poppy quince rose sorrel tansy ursine verbena wisteria""".split()


class World:
    """The feeds as they are at any time, and what the server saw."""

    def __init__(self, feeds, publish, shared_every, start, stop_publishing):
        self.feeds = feeds
        self.publish = publish
        self.shared_every = shared_every
        self.start = start
        self.stop_publishing = stop_publishing
        self.lock = threading.Lock()
        self.fetches = [[] for _ in range(feeds)]  # times each feed was fetched
        self.alerts = []  # (time, message id, title, watches)

    def _offset(self, feed):
        return 20 + (feed * 7919) % self.publish

    def items(self, feed, now):
        """(k, published, title, link) of the feed's last ten items at `now`, newest first."""
        out = []
        last = min(now, self.stop_publishing)
        k = int((last - self.start - self._offset(feed)) // self.publish)
        while k >= 0 and len(out) < 10:
            at = self.start + self._offset(feed) + k * self.publish
            rng = random.Random(feed * 100003 + k)
            words = " ".join(rng.sample(WORDS, 5))
            if (feed * 7 + k) % 10 == 0:
                title = f"Darchiev {words} feed {feed} item {k}"
            else:
                title = f"Weather {words} feed {feed} item {k}"
            out.append((f"i{k}", at, title, f"http://outlet{feed}.test/news/{k}"))
            k -= 1
        # A shared story: published in three feeds at once, each copy with its own link.
        s = int((last - self.start - 30) // self.shared_every)
        while s >= 0:
            at = self.start + 30 + s * self.shared_every
            if now - at > 10 * self.publish:
                break
            copies = [(s * 3 + c * (self.feeds // 3)) % self.feeds for c in range(3)]
            if feed in copies:
                rng = random.Random(-s - 1)
                title = "Moscow round: Darchiev " + " ".join(rng.sample(WORDS, 6))
                out.append((f"s{s}", at, title, f"http://outlet{feed}.test/shared/{s}"))
            s -= 1
        return out

    def expected(self):
        """Every Darchiev story published: its title."""
        titles = set()
        for feed in range(self.feeds):
            k = 0
            while self.start + self._offset(feed) + k * self.publish <= self.stop_publishing:
                if (feed * 7 + k) % 10 == 0:
                    rng = random.Random(feed * 100003 + k)
                    titles.add(f"Darchiev {' '.join(rng.sample(WORDS, 5))} feed {feed} item {k}")
                k += 1
        s = 0
        while self.start + 30 + s * self.shared_every <= self.stop_publishing:
            rng = random.Random(-s - 1)
            titles.add("Moscow round: Darchiev " + " ".join(rng.sample(WORDS, 6)))
            s += 1
        return titles

    def rss(self, feed, now):
        parts = [f"<rss version=\"2.0\"><channel><title>Outlet {feed}</title>"
                 f"<link>http://outlet{feed}.test/</link><description>news</description>"]
        for guid, at, title, link in self.items(feed, now):
            parts.append(f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                         f"<guid isPermaLink=\"false\">{feed}-{guid}</guid>"
                         f"<pubDate>{formatdate(at, usegmt=True)}</pubDate>"
                         f"<description>{escape(title)}.</description></item>")
        parts.append("</channel></rss>")
        return "".join(parts).encode()


def make_handler(world):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            now = time.time()
            if not self.path.startswith("/feed/"):
                self.send_error(404)
                return
            feed = int(self.path[len("/feed/"):].split(".")[0])
            with world.lock:
                world.fetches[feed].append(now)
            body = world.rss(feed, now)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with world.lock:
                for alert in body["data"]["alerts"]:
                    world.alerts.append((time.time(), self.headers.get("webhook-id", ""),
                                         alert["title"], tuple(alert["watches"])))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="the feedwatch binary")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--interval", type=int, default=60, help="each feed's, in seconds")
    parser.add_argument("--lease", type=int, default=15, help="[store] lease, in seconds")
    parser.add_argument("--publish", type=int, default=90, help="a new item per feed every")
    parser.add_argument("--shared", type=int, default=45, help="a story in three feeds every")
    parser.add_argument("--kill-every", type=int, default=50)
    parser.add_argument("--pg", default=os.environ.get("FEEDWATCH_TEST_PG", ""),
                        help="a running test cluster's folder; default: start one")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--log-level", default="info", help="the instances' log_level")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="feedwatch-multi.")
    pg = args.pg
    own_cluster = not pg
    if own_cluster:
        pg = tempfile.mkdtemp(prefix="feedwatch-pg.", dir="/tmp")
        subprocess.run([PG_CLUSTER, "start", pg], check=True)
    database = f"multi_{os.getpid()}"
    subprocess.run(["psql", "-q", "-h", pg, "-U", "postgres", "-d", "postgres", "-c",
                    f"CREATE DATABASE {database}"], check=True)

    total = args.minutes * 60
    drain = int(args.interval * 1.1) + args.lease + 30
    start = time.time()
    world = World(args.feeds, args.publish, args.shared, start, start + total - drain)
    server = Server(("127.0.0.1", 0), make_handler(world))
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    config = os.path.join(work, "feedwatch.toml")
    with open(config, "w") as f:
        f.write(f"""[daemon]
log_level = "{args.log_level}"
shutdown_deadline = "2s"

[http]
per_host = 16
timeout = "10s"

[store]
url = "postgresql://postgres@/{database}?host={pg}"
lease = "{args.lease}s"

[defaults]
interval = "{args.interval}s"
initial_lookback = "all"

[[notify]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{port}/hook"

[[watch]]
name = "darchiev"
query = "Darchiev"
notify = ["hook"]
""")
        for n in range(args.feeds):
            f.write(f'\n[[feed]]\nname = "feed-{n}"\nurl = "http://127.0.0.1:{port}/feed/{n}.xml"\n')

    procs = {}
    logs = []

    def launch(slot):
        log = open(os.path.join(work, f"instance-{slot}-{len(logs)}.log"), "w")
        logs.append(log)
        state = os.path.join(work, f"state-{slot}")
        procs[slot] = subprocess.Popen([args.bin, "run", "--config", config, "--state-dir", state],
                                       stdout=log, stderr=subprocess.STDOUT)

    for slot in range(args.instances):
        launch(slot)

    kills = []  # (time, slot)
    rng = random.Random(7)
    next_kill = start + args.kill_every
    try:
        while time.time() < start + total:
            time.sleep(0.5)
            now = time.time()
            for slot, proc in procs.items():
                if proc.poll() is not None and not any(k[1] == slot and now - k[0] < 3
                                                       for k in kills):
                    raise SystemExit(f"instance {slot} exited by itself: {proc.returncode}")
            if now >= next_kill and now < world.stop_publishing:
                slot = rng.randrange(args.instances)
                procs[slot].send_signal(signal.SIGKILL)
                procs[slot].wait()
                kills.append((time.time(), slot))
                time.sleep(2)
                launch(slot)
                next_kill = now + args.kill_every
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.shutdown()
        if own_cluster:
            subprocess.run([PG_CLUSTER, "stop", pg], check=False)
        else:
            subprocess.run(["psql", "-q", "-h", pg, "-U", "postgres", "-d", "postgres", "-c",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)

    end = start + total
    failures = []
    # Alerts: one message per story.
    by_title = {}
    for _, message_id, title, _ in world.alerts:
        by_title.setdefault(title, []).append(message_id)
    expected = world.expected()
    missing = sorted(expected - set(by_title))
    unexpected = sorted(set(by_title) - expected)
    doubled = {t: ids for t, ids in by_title.items() if len(set(ids)) > 1}
    repeats = sum(len(ids) - len(set(ids)) for ids in by_title.values())
    if missing:
        failures.append(f"{len(missing)} stories never alerted, e.g. {missing[:3]}")
    if unexpected:
        failures.append(f"{len(unexpected)} alerts for no expected story, e.g. {unexpected[:3]}")
    if doubled:
        failures.append(f"{len(doubled)} stories alerted in more than one message, e.g. "
                        f"{list(doubled.items())[:3]}")

    # Fetches: none twice within an interval, unless the first started within 6 s of a kill
    # (in flight, or ended but not yet written: PollRecords writes 5 s at a time); none
    # waiting longer than the interval, jitter, lease and host takeover: a killed instance's
    # hosts are taken once its heartbeat is older than the lease (15 s at least), by instances
    # that ask for their hosts every 5 s, so a feed there waits up to 5 s past the lease.
    min_gap = args.interval * 0.85
    max_gap = args.interval * 1.1 + max(args.lease, 15) + 5 + 10
    short = []
    long_gaps = []
    excused = 0
    fetches = 0
    largest = 0.0
    for feed, times in enumerate(world.fetches):
        times.sort()
        fetches += len(times)
        if not times:
            failures.append(f"feed {feed} was never fetched")
            continue
        for a, b in zip(times, times[1:]):
            gap = b - a
            largest = max(largest, gap)
            if gap < min_gap:
                if any(0 <= k - a <= 6 for k, _ in kills):
                    excused += 1
                else:
                    short.append((feed, round(a - start, 1), round(gap, 1)))
            if gap > max_gap:
                long_gaps.append((feed, round(a - start, 1), round(gap, 1)))
        tail = end - times[-1]
        if tail > max_gap + 5:
            long_gaps.append((feed, round(times[-1] - start, 1), round(tail, 1)))
    if short:
        failures.append(f"{len(short)} fetches within one interval of the last, e.g. {short[:5]}")
    if long_gaps:
        failures.append(f"{len(long_gaps)} waits longer than interval + lease + takeover, e.g. "
                        f"{long_gaps[:5]}")

    figures = {
        "minutes": args.minutes,
        "feeds": args.feeds,
        "instances": args.instances,
        "interval_s": args.interval,
        "lease_s": args.lease,
        "kills": len(kills),
        "fetches": fetches,
        "refetched_after_kill": excused,
        "largest_gap_s": round(largest, 1),
        "stories_expected": len(expected),
        "stories_alerted_once": len(expected) - len(missing) - len(doubled),
        "webhook_posts": len(world.alerts),
        "repeated_posts_same_id": repeats,
        "failures": failures,
    }
    print(json.dumps(figures, indent=2))
    if failures:
        print(f"logs in {work}", file=sys.stderr)
        sys.exit(1)
    if not args.keep:
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
