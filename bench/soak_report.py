"""The report of a bench/soak.sh run, as markdown, from the files it keeps in its folder.

  soak_report.py WORK_DIR            the report
  soak_report.py --check WORK_DIR    exits 0 when every expected alert has been received

WORK_DIR holds run.txt (the run's parameters and final readings), samples.csv (the daemon's
RSS and open file descriptors every 10 s), served.txt and hooks.jsonl (from soak_server.py)
and state/feedwatch.db.
"""

import collections
import csv
import json
import sqlite3
import sys


def alerts(work):
    """The links of the alerts expected, and how many times each link was received."""
    expected = set(open(work + "/served.txt").read().split())
    received = collections.Counter()
    for line in open(work + "/hooks.jsonl"):
        for link in json.loads(line)["links"]:
            received[link] += 1
    return expected, received


def report(work):
    run = dict(line.strip().split("=", 1) for line in open(work + "/run.txt"))
    minutes = int(run["minutes"])
    expected, received = alerts(work)
    rows = [{key: int(value) for key, value in row.items()}
            for row in csv.DictReader(open(work + "/samples.csv"))]
    missing = expected - set(received)
    duplicates = sum(count - 1 for count in received.values() if count > 1)

    def nearest(second):
        return min(rows, key=lambda row: abs(row["second"] - second))

    at_5 = nearest(5 * 60 - 10)
    at_start = nearest(30)
    print("| what | value |")
    print("|---|---|")
    print("| feeds, minutes, SIGKILLs | %s, %d, %s |" % (run["feeds"], minutes, run["kills"]))
    print("| alerts expected (Darchiev items served at least once) | %d |" % len(expected))
    print("| alerts received (distinct items) | %d |" % len(set(received) & expected))
    print("| missing | %d |" % len(missing))
    print("| duplicates (extra copies received) | %d |" % duplicates)
    print("| time to deliver the rest after the %d minutes (feeds frozen) | %s s |"
          % (minutes, run["drained_seconds"]))
    print("| RSS at %d s | %.1f MB |" % (at_5["second"], at_5["rss_kb"] / 1024))
    print("| RSS at the end | %.1f MB |" % (int(run["final_rss_kb"]) / 1024))
    print("| open file descriptors at %d s / at the end | %d / %s |"
          % (at_start["second"], at_start["fds"], run["final_fds"]))
    print("| exit status on the final SIGTERM | %s |" % run["stop_status"])

    # Per five minutes: a leak shows as a floor that rises; transfers in flight move the rest.
    print()
    print("| minutes | RSS (MB), min - max | open fds, min - max |")
    print("|---|---|---|")
    windows = collections.defaultdict(list)
    for row in rows:
        windows[min(row["second"] // 300, max(minutes // 5 - 1, 0))].append(row)
    for window, members in sorted(windows.items()):
        rss = [row["rss_kb"] / 1024 for row in members if row["rss_kb"] > 0]
        fds = [row["fds"] for row in members if row["fds"] > 0]
        print("| %d-%d | %.1f - %.1f | %d - %d |"
              % (window * 5, window * 5 + 5, min(rss), max(rss), min(fds), max(fds)))

    if missing:
        db = sqlite3.connect(work + "/state/feedwatch.db")
        print()
        print("Missing items, and their deliveries in the outbox:")
        print()
        for link in sorted(missing)[:20]:
            deliveries = db.execute(
                "SELECT d.state, d.attempts, d.last_error FROM deliveries d "
                "JOIN matches m ON m.id = d.match_id JOIN items i ON i.id = m.item_id "
                "WHERE i.link = ?", (link,)).fetchall()
            print("- %s: %s" % (link, deliveries or "no delivery (not matched)"))


if sys.argv[1] == "--check":
    expected, received = alerts(sys.argv[2])
    sys.exit(0 if expected <= set(received) else 1)
report(sys.argv[1])
