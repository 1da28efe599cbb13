"""The other side of bench/latency-bench.sh, on 127.0.0.1: feeds that publish at random times
(a seeded Poisson process per feed), and the report of how soon feedwatch saw each item.

  latency_server.py --port P --profile NAME --log DIR [--seed 1]
  latency_server.py --report DIR --from T0 --to T1 --margin SECONDS

Serving: every feed's publication times are drawn once at start, for the window from two days
before it (or further back, until the feed has 30 items) to 24 hours after it, so that each
feed already has a history of dated items when the daemon first polls it. DIR/schedule.tsv gets
them (feed, class, item, unix time); DIR/requests.tsv gets one line per feed request (time,
feed, status), in the clock the items are published by.

GET /feed/<i>.xml: RSS 2.0 with the latest 30 items published at or before now, an ETag (the
newest item's) and a Last-Modified (its date); 304 to a matching If-None-Match.

Report: for each class, the items published from their feed's first poll after T0 (before it,
the daemon has not started polling the feed: the start spreads first polls over two minutes) to
T1 - margin (later ones might not have been polled yet, so the margin is the longest interval
the daemon may leave between two polls), the median, p90 and longest time from an item's publication to the first 200 of its feed at or
after it (a 304 cannot carry a new item; as the daemon sends If-None-Match, a 200 comes
whenever the feed changed), the items no 200 caught by T1 (0 unless the margin is too short),
requests per feed per hour and the shortest gap between two requests of one feed.
"""

import argparse
import bisect
import collections
import email.utils
import hashlib
import http.server
import math
import os
import random
import signal
import sys
import threading
import time

# Per profile, classes of feeds: (class, number of feeds, mean seconds between two items).
PROFILES = {
    "harness": [("busy", 5, 40), ("medium", 10, 5 * 60), ("hourly", 15, 60 * 60)],
    "mix": [("agency", 10, 90), ("outlet", 90, 20 * 60), ("quiet", 200, 86400 / 4)],
}
ITEMS = 30  # items a feed carries
HISTORY = 2 * 86400  # seconds of items before the start, at least
FUTURE = 86400  # seconds of items after the start

SYLLABLES = ["ba", "de", "ki", "lo", "mu", "ra", "se", "ti", "vo", "za", "ne", "po", "gu",
             "fe", "ho", "ly"]


def schedule(profile, seed, start):
    """Per feed, its class and its items' publication times, oldest first."""
    feeds = []
    for name, count, gap in PROFILES[profile]:
        for _ in range(count):
            rng = random.Random("%d/%d" % (seed, len(feeds)))
            # Backwards from the start (a Poisson process looks the same either way), then on.
            past = []
            t = start
            while True:
                t -= rng.expovariate(1 / gap)
                if t < start - HISTORY and len(past) >= ITEMS:
                    break
                past.append(t)
            future = []
            t = start
            while True:
                t += rng.expovariate(1 / gap)
                if t > start + FUTURE:
                    break
                future.append(t)
            feeds.append((name, past[::-1] + future))
    return feeds


def words(seed, feed, n, count):
    """Made-up words of an item, its own (so that no two items look like one story)."""
    h = hashlib.sha256(("%d/%d/%d" % (seed, feed, n)).encode()).digest()
    return ["".join(SYLLABLES[b % 16] for b in h[3 * k:3 * k + 3]) for k in range(count)]


def rss(seed, port, feed, times, newest):
    """The feed's document with its items up to `newest` (an index in `times`), newest first."""
    out = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           "<title>Latency feed %d</title><link>http://127.0.0.1:%d/</link>"
           "<description>Items at random times</description>" % (feed, port)]
    for n in range(newest, max(newest - ITEMS, -1), -1):
        w = words(seed, feed, n, 6)
        out.append("<item><title>%s</title><link>http://127.0.0.1:%d/a/%d/%d</link>"
                   '<guid isPermaLink="false">f%d-%d</guid><pubDate>%s</pubDate>'
                   "<description>Officials in %s said the %s talks would resume.</description>"
                   "</item>" % (" ".join(w[:4]).capitalize(), port, feed, n, feed, n,
                                http_date(times[n]), w[4].capitalize(), w[5]))
    out.append("</channel></rss>")
    return "".join(out).encode()


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def serve(args):
    wall, mono = time.time(), time.monotonic()

    def now():  # wall time that never steps back
        return wall + time.monotonic() - mono

    feeds = schedule(args.profile, args.seed, wall)
    with open(os.path.join(args.log, "schedule.tsv"), "w") as out:
        for feed, (name, times) in enumerate(feeds):
            for n, t in enumerate(times):
                out.write("%d\t%s\t%d\t%.3f\n" % (feed, name, n, t))
    lock = threading.Lock()
    requests = open(os.path.join(args.log, "requests.tsv"), "w", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            prefix, _, name = self.path.rpartition("/")
            number = name.removesuffix(".xml")
            if prefix != "/feed" or number == name or not number.isdigit() \
                    or int(number) >= len(feeds):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            feed = int(number)
            times = feeds[feed][1]
            t = now()
            newest = bisect.bisect_right(times, t) - 1
            etag = '"f%d-%d"' % (feed, newest)
            status = 304 if self.headers.get("If-None-Match") == etag else 200
            body = b"" if status == 304 else rss(args.seed, args.port, feed, times, newest)
            self.send_response(status)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", http_date(times[newest]))
            if status == 200:
                self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with lock:
                if not requests.closed:  # a late answer while shutting down
                    requests.write("%.3f\t%d\t%d\n" % (t, feed, status))

        def log_message(self, *unused):
            pass

    def stop(*unused):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        server.server_close()
        with lock:
            requests.close()


def percentile(values, q):
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    return values[max(math.ceil(q * len(values)) - 1, 0)]


def report(args):
    t0, t1 = args.from_, args.to
    polls = collections.defaultdict(list)  # feed -> times of its requests in the window
    fresh = collections.defaultdict(list)  # feed -> times of its 200s in the window
    for line in open(os.path.join(args.report, "requests.tsv")):
        t, feed, status = line.split("\t")
        if t0 <= float(t) <= t1:
            polls[int(feed)].append(float(t))
            if status.strip() == "200":
                fresh[int(feed)].append(float(t))
    for times in [*polls.values(), *fresh.values()]:
        times.sort()  # the server's threads log in the order they finish
    classes = {}  # feed -> class
    items = collections.defaultdict(list)  # class -> (feed, publication time) counted
    for line in open(os.path.join(args.report, "schedule.tsv")):
        feed, name, _, t = line.split("\t")
        feed, t = int(feed), float(t)
        classes[feed] = name
        if (polls[feed][0] if polls[feed] else t0) <= t <= t1 - args.margin:
            items[name].append((feed, t))

    hours = (t1 - t0) / 3600
    print("Items published from their feed's first poll until %.0f s before the end"
          " (in the first %.1f of %.1f minutes):"
          % (args.margin, max(t1 - args.margin - t0, 0) / 60, (t1 - t0) / 60))
    print()
    print("| class | feeds | items | median | p90 | max | not polled | requests/feed/h | shortest gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(classes.values()):  # classes in profile order
        members = [feed for feed, c in classes.items() if c == name]
        latencies, missed = [], 0
        for feed, published in items[name]:
            i = bisect.bisect_left(fresh[feed], published)
            if i == len(fresh[feed]):
                missed += 1
            else:
                latencies.append(fresh[feed][i] - published)
        latencies.sort()
        gaps = [b - a for feed in members for a, b in zip(polls[feed], polls[feed][1:])]
        requests = sum(len(polls[feed]) for feed in members)
        stats = (["%.0f s" % percentile(latencies, q) for q in (0.5, 0.9, 1)]
                 if latencies else ["-"] * 3)
        print("| %s | %d | %d | %s | %d | %.1f | %s |"
              % (name, len(members), len(latencies) + missed, " | ".join(stats), missed,
                 requests / len(members) / hours,
                 "%.0f s" % min(gaps) if gaps else "-"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int)
    parser.add_argument("--profile", choices=sorted(PROFILES))
    parser.add_argument("--log", help="folder of schedule.tsv and requests.tsv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", metavar="DIR", help="report on the logs in DIR")
    parser.add_argument("--from", dest="from_", type=float, help="unix time the run started")
    parser.add_argument("--to", type=float, help="unix time the run ended")
    parser.add_argument("--margin", type=float, help="seconds before --to no item is counted")
    args = parser.parse_args()
    if args.report:
        if None in (args.from_, args.to, args.margin):
            parser.error("--report needs --from, --to and --margin")
        report(args)
    else:
        if None in (args.port, args.profile, args.log):
            parser.error("serving needs --port, --profile and --log")
        serve(args)


main()
