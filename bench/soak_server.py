"""The other side of bench/soak.sh, on 127.0.0.1: N feeds that change every minute, with random
server errors, and a webhook receiver that fails a share of deliveries.

  soak_server.py --port P --feeds N --log DIR [--error-rate 0.05] [--hook-failure-rate 0.2]

GET /feed/<i>.xml: RSS 2.0 with the feed's items of the last 10 minutes, one new each minute;
about one item in 40 mentions Darchiev, each with a headline of its own (made-up words, so
that feedwatch does not take two of them for one story). A share of requests
(--error-rate) gets a 500, a 503 or a connection closed mid-answer.
POST /hook: answers 500 to a share of requests (--hook-failure-rate), else 200.
POST /freeze: from now on the feeds stop changing (the end of a run, so that the daemon can
catch up).

DIR/served.txt gets the link of every Darchiev item served in a 200 answer (the alerts to
expect); DIR/hooks.jsonl one line per webhook request answered 200: its webhook-id and the
links of its alerts.
"""

import argparse
import hashlib
import http.server
import json
import os
import random
import threading
import time

def digest(*parts):
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def item(feed, minute):
    h = digest(feed, minute)
    link = "http://news.test/%d/%d" % (feed, minute)
    matching = h % 40 == 0
    # Words of their own, so that no two headlines look like one story to feedwatch.
    words = ["".join(chr(97 + digest(feed, minute, k, j) % 26) for j in range(7))
             for k in range(5)]
    if matching:
        title = "Darchiev on %s" % " ".join(words)
    else:
        title = "Report on %s" % " ".join(words)
    published = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(minute * 60))
    return link, title, published, matching


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--error-rate", type=float, default=0.05)
    parser.add_argument("--hook-failure-rate", type=float, default=0.2)
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"frozen_at": None}
    served = set()
    served_log = open(os.path.join(args.log, "served.txt"), "a")
    hooks_log = open(os.path.join(args.log, "hooks.jsonl"), "a")
    rng = random.Random(1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body, content_type="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            try:
                feed = int(self.path.split("/")[-1].split(".")[0])
            except ValueError:
                return self.reply(404, b"no such feed")
            with lock:
                roll = rng.random()
            if roll < args.error_rate / 3:
                return self.reply(500, b"internal error")
            if roll < 2 * args.error_rate / 3:
                self.send_response(503)
                self.send_header("Retry-After", "30")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            now = state["frozen_at"] or time.time()
            minute = int(now // 60)
            items = [item(feed, m) for m in range(minute, minute - 10, -1)]
            body = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
                    "<title>Soak feed %d</title><link>http://news.test/%d</link>" % (feed, feed)]
            for link, title, published, _ in items:
                body.append("<item><title>%s</title><link>%s</link><guid>%s</guid>"
                            "<pubDate>%s</pubDate><description>%s, and more.</description></item>"
                            % (title, link, link, published, title))
            body.append("</channel></rss>")
            data = "".join(body).encode()
            if roll < args.error_rate:  # cut the connection mid-answer
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
                return
            self.reply(200, data, "application/rss+xml")
            with lock:
                for link, _, _, matching in items:
                    if matching and link not in served:
                        served.add(link)
                        served_log.write(link + "\n")
                served_log.flush()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/freeze":
                state["frozen_at"] = time.time()
                return self.reply(200, b"frozen")
            with lock:
                fail = rng.random() < args.hook_failure_rate
            if fail:
                return self.reply(500, b"the soak receiver fails this one")
            document = json.loads(body)
            links = [alert["link"] for alert in document["data"]["alerts"]]
            with lock:
                hooks_log.write(json.dumps({"id": self.headers.get("webhook-id"),
                                            "links": links}) + "\n")
                hooks_log.flush()
            self.reply(200, b"ok")

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


main()
