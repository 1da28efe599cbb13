"""A webhook receiver for tests on 127.0.0.1 that verifies Standard Webhooks signatures.

  webhook_receiver.py --port-file F --log L [--secret whsec_...] [--statuses 500,500,200]
                      [--hang-first N]

Each request is appended to L as one JSON line: the webhook-id, -timestamp and -signature
headers, whether the signature verified, the other headers and the body. --statuses gives the
status of each request in turn (200 after the list ends); --hang-first N leaves the first N
requests unanswered until the process is killed.

The verification follows the Standard Webhooks specification
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md) with
Python's own hmac, not feedwatch's code: the signed content is id.timestamp.body, the key is the
base64 after "whsec_", each space-separated "v1,<base64>" is compared in constant time, and a
timestamp more than 5 minutes from now is refused.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import threading
import time

TOLERANCE_SECONDS = 5 * 60


def verify(secret, headers, body):
    if not secret:
        return False
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return False
    except ValueError:
        return False
    signed = ("%s.%s." % (msg_id, timestamp)).encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers.get("webhook-signature", "").split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--secret", default="")
    parser.add_argument("--statuses", default="")
    parser.add_argument("--hang-first", type=int, default=0)
    args = parser.parse_args()
    statuses = [int(s) for s in args.statuses.split(",") if s]
    lock = threading.Lock()
    state = {"count": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                n = state["count"]
                state["count"] += 1
                record = {
                    "n": n,
                    "id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "signature": headers.get("webhook-signature"),
                    "verified": verify(args.secret, headers, body),
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                }
                status = statuses[n] if n < len(statuses) else 200
                record["status"] = None if n < args.hang_first else status
                with open(args.log, "a") as out:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if n < args.hang_first:
                threading.Event().wait()  # never answers
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            reply = b"ok" if status < 300 else b"refused by the test receiver"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


main()
