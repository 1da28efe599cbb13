#!/usr/bin/python3
"""Three `feedwatch once` started at the same moment on one PostgreSQL database, over feeds that
carry the same stories: each story must alert each watch once, whichever instance reads which
copy first.

A loopback HTTP server publishes six feeds of the same 53 articles: two outlets (tass, ria)
each with half of them, an aggregator and a second one linking to the outlets' copies with
?utm_* parameters (one with " - OUTLET" after the title), and two outlets that republish them
verbatim. Two watches ("Darchiev", "Moscow round") match two thirds of the articles each. The
three instances poll the six feeds at once (two each, as the leases fall) and record every copy
within the same second: the interleavings of one instance deciding a story and another
committing it, and of two instances claiming one outbox, happen in every run.

Each run has a new database; the script counts the console alerts per (watch, article) over
the three instances and fails when any was alerted twice, or never.

  story_race.py --bin build/release/feedwatch --runs 8
"""

import argparse
import collections
import http.server
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from xml.sax.saxutils import escape

from test_cluster import Server, cluster, psql

WORDS = """amber basin cedar delta ember fjord granite harbor island juniper kestrel lagoon meadow
nectar orchard pebble quarry ridge summit timber upland valley willow yarrow zephyr""".split()
FEEDS = ["tass", "ria", "news", "trt", "agg2", "wire"]
ARTICLES = 53


def articles():
    """(slug, title) of each article: a third about Darchiev only, a third about the Moscow
    round only, a third about both."""
    rng = random.Random(1)
    out = []
    for i in range(ARTICLES):
        words = " ".join(rng.sample(WORDS, 6))
        prefix = {0: "Darchiev says Moscow round ", 1: "Darchiev says ", 2: "Moscow round "}[i % 3]
        out.append((f"d{i:02d}", prefix + words))
    return out


def expected(arts):
    """Every (watch, slug) that must alert once."""
    pairs = set()
    for slug, title in arts:
        if "Darchiev" in title:
            pairs.add(("darchiev", slug))
        if "Moscow round" in title:
            pairs.add(("moscow-round", slug))
    return pairs


def rss(name, arts):
    items = []
    for n, (slug, title) in enumerate(arts):
        home = "tass" if n % 2 == 0 else "ria"
        link = f"http://outlet.test/{home}/{slug}.html"
        if name in ("tass", "ria") and name != home:
            continue
        if name == "news":
            link += "?utm_source=news&utm_medium=rss"
        elif name == "agg2":
            title, link = title + " - " + home.upper(), link + "?utm_campaign=x"
        items.append(f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                     f"<guid>{name}-{slug}</guid><description>{escape(title)}. The talks went "
                     "on.</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
            + "".join(items) + "</channel></rss>").encode()


def make_handler(bodies):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = bodies.get(self.path.strip("/").split(".")[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def one_run(args, pg, port, run, want):
    """Returns a list of failures of one run."""
    database = f"race_{os.getpid()}_{run}"
    psql(pg, f"CREATE DATABASE {database}")
    work = tempfile.mkdtemp(prefix="feedwatch-race.")
    config = os.path.join(work, "feedwatch.toml")
    with open(config, "w") as out:
        out.write(f'[store]\nurl = "postgresql://postgres@/{database}?host={pg}"\n'
                  '[defaults]\ninitial_lookback = "all"\n'
                  '[[watch]]\nname = "darchiev"\nquery = "Darchiev"\n'
                  '[[watch]]\nname = "moscow-round"\nquery = \'"Moscow round"\'\n'
                  '[[notify]]\nname = "console"\ntype = "console"\n')
        for name in FEEDS:
            out.write(f'[[feed]]\nname = "{name}"\nurl = "http://127.0.0.1:{port}/{name}.xml"\n')
    procs = [subprocess.Popen([args.bin, "once", "-c", config, "--state-dir",
                               os.path.join(work, f"state{k}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(3)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    failures = []
    counts = collections.Counter()
    for k, (out, err) in enumerate(outputs):
        if procs[k].returncode != 0:
            failures.append(f"instance {k} exited {procs[k].returncode}: {err[-1500:]}")
        for line in out.splitlines():
            fields = line.split("\t")  # time, watches, feed, title, link, ...
            if len(fields) < 5:
                continue
            slug = fields[4].rsplit("/", 1)[-1].split(".")[0]
            for watch in fields[1].split(","):
                counts[(watch, slug)] += 1
                if counts[(watch, slug)] == 2:
                    failures.append(f"instance {k} alerted {watch} on {slug} again: {line[:200]}")
    missing = sorted(want - set(counts))
    if missing:
        failures.append(f"never alerted: {missing[:5]} ({len(missing)} in all)")
    if failures and args.keep:
        for k, (out, err) in enumerate(outputs):
            with open(os.path.join(work, f"out{k}.txt"), "w") as f:
                f.write(out)
            with open(os.path.join(work, f"err{k}.txt"), "w") as f:
                f.write(err)
        failures.append(f"outputs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    psql(pg, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(f"run {run}: {sum(counts.values())} alerts of {len(want)} (watch, article) pairs, "
          f"{len(failures)} failures", flush=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the feedwatch binary")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--pg", default=os.environ.get("FEEDWATCH_TEST_PG", ""),
                        help="a running test cluster's folder; default: start one")
    parser.add_argument("--keep", action="store_true", help="keep a failed run's outputs")
    args = parser.parse_args()

    arts = articles()
    server = Server(("127.0.0.1", 0), make_handler({name: rss(name, arts) for name in FEEDS}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failures = []
    try:
        with cluster(args.pg) as pg:
            for run in range(args.runs):
                failures += one_run(args, pg, server.server_address[1], run, expected(arts))
    finally:
        server.shutdown()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
