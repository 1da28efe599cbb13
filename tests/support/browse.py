"""Loads a page in a real headless Chromium and reports, as JSON, what happened, for tests.

  /usr/bin/python3 browse.py URL --screenshot OUT.png [--width 1280] [--height 900] [--timeout 30]

Drives /usr/bin/chromium (fresh profile in a temporary directory, its own network traffic off)
over the DevTools protocol with Debian's python3-websocket: sets a WIDTHxHEIGHT viewport, loads URL,
waits for the load event and ~300 ms of quiet, saves a full-page PNG to OUT.png and prints

  {"url": document URL after redirects, "status": its HTTP status or null,
   "requests": [{"url", "status": int|null, "error": str|null}],  (redirect hops and the
   "console": [{"level": "log"|"warning"|"error"|..., "text"}],    browser's own /favicon.ico
   "exceptions": [str], "log": [{"level", "source", "text", "url"}],  included; CSP violations
   "dom": rendered outerHTML, "text": body innerText, "screenshot": OUT.png}  are in "log")

Exit status 0 when the page loaded, whatever errors it has: the caller judges them. 2 when the
browser could not be driven, the navigation failed or --timeout (for the whole run) passed, with
the reason and the tail of chromium's stderr on stderr. Chromium is killed and its profile
removed in every case. Only loopback is reachable: other host names resolve to nothing, without a
DNS query, so a request elsewhere shows up as net::ERR_NAME_NOT_RESOLVED.

DevTools rather than `chromium --dump-dom`: tests need every request, console message and error.
"""

import argparse
import base64
import ctypes
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = "/usr/bin/chromium"
SINK = "http://127.0.0.9:9/"  # loopback, not one the tests use, and a port Chromium refuses
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
    "--metrics-recording-only", "--password-store=basic", "--use-mock-keychain",
    # Chromium 156 still calls Google with the flags above: network time, the on-device model
    # manifest (update.googleapis.com) and ListAccounts (accounts.google.com).
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
    "NetworkTimeServiceQuerying",
    f"--component-updater=url-source={SINK}", f"--gaia-url={SINK}",
    # And in case a later version calls something else.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE ::1",
    "--no-proxy-server",
]
PORT_FILE_SECONDS = 20
QUIET_SECONDS = 0.3
MAX_SETTLE_SECONDS = 3  # a page that never goes quiet is reported after this long
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PR_SET_CHILD_SUBREAPER = 36


class Failure(Exception):
    pass


class Deadline:
    def __init__(self, seconds):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self, waiting_for):
        left = self.end - time.monotonic()
        if left <= 0:
            raise Failure(f"timed out after {self.seconds:g} s waiting for {waiting_for}")
        return left


class DevTools:
    """One page target: send() waits for a command's response, stashing events meanwhile."""

    def __init__(self, ws_url, deadline):
        self.deadline = deadline
        self.ws = websocket.create_connection(ws_url, timeout=deadline.left("DevTools"),
                                              suppress_origin=True, http_no_proxy=["127.0.0.1"])
        self.last_id = 0
        self.events = []

    def receive(self, waiting_for, timeout=None):
        """The next message, or None if none came within `timeout`."""
        left = self.deadline.left(waiting_for)
        self.ws.settimeout(min(timeout, left) if timeout else left)
        try:
            msg = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            self.deadline.left(waiting_for)  # raises if it is the whole run that timed out
            return None
        except (websocket.WebSocketException, OSError) as e:
            raise Failure(f"DevTools connection lost waiting for {waiting_for}: {e!r}") from e
        if "method" in msg:
            self.events.append(msg)
        return msg

    def send(self, method, params=None):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params or {}}))
        while True:
            msg = self.receive(method)
            if msg and msg.get("id") == self.last_id:
                if "error" in msg:
                    raise Failure(f"{method} failed: {msg['error']}")
                return msg["result"]

    def wait_for(self, method, since):
        """Waits for event `method` among those from index `since` on."""
        while not any(e["method"] == method for e in self.events[since:]):
            self.receive(method)

    def settle(self):
        """Collects events until none came for QUIET_SECONDS (at most MAX_SETTLE_SECONDS)."""
        end = time.monotonic() + MAX_SETTLE_SECONDS
        while time.monotonic() < end and self.receive("quiet", QUIET_SECONDS):
            pass


def devtools_port(proc, profile, deadline):
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.monotonic() + PORT_FILE_SECONDS
    while time.monotonic() < end and deadline.left("DevToolsActivePort"):
        if proc.poll() is not None:
            raise Failure(f"chromium exited with status {proc.returncode} before DevTools was up")
        try:
            with open(port_file) as f:
                lines = f.read().splitlines()
            if len(lines) >= 2:  # the port, then the browser target's path
                return int(lines[0])
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise Failure(f"chromium did not write DevToolsActivePort within {PORT_FILE_SECONDS} s")


def page_websocket(port, deadline):
    base = f"http://127.0.0.1:{port}/json"
    with NO_PROXY.open(f"{base}/list", timeout=deadline.left("/json/list")) as r:
        pages = [t for t in json.load(r) if t["type"] == "page"]
    if not pages:
        new = urllib.request.Request(f"{base}/new?about:blank", method="PUT")
        with NO_PROXY.open(new, timeout=deadline.left("/json/new")) as r:
            pages = [json.load(r)]
    return pages[0]["webSocketDebuggerUrl"]


def console_text(arg):
    key = next((k for k in ("value", "unserializableValue", "description") if k in arg), "type")
    return arg[key] if isinstance(arg[key], str) else json.dumps(arg[key])


def browse(port, args, deadline):
    dt = DevTools(page_websocket(port, deadline), deadline)
    for domain in ("Network", "Runtime", "Log", "Page"):
        dt.send(f"{domain}.enable")
    dt.send("Emulation.setDeviceMetricsOverride", {"width": args.width, "height": args.height,
                                                    "deviceScaleFactor": 1, "mobile": False})
    since = len(dt.events)
    nav = dt.send("Page.navigate", {"url": args.url})
    if nav.get("errorText"):
        raise Failure(f"navigation to {args.url} failed: {nav['errorText']}")
    dt.wait_for("Page.loadEventFired", since)
    dt.settle()

    # The content width leaves out a vertical scrollbar, but the full-page capture has none and
    # lays the page out at the viewport's width again: clip at least that wide.
    size = dt.send("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": max(args.width, math.ceil(size["width"])),
            "height": max(args.height, math.ceil(size["height"])), "scale": 1}
    shot = dt.send("Page.captureScreenshot",
                   {"format": "png", "captureBeyondViewport": True, "clip": clip})
    with open(args.screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))

    def evaluate(expression):
        return dt.send("Runtime.evaluate", {"expression": expression,
                                            "returnByValue": True})["result"].get("value")

    result = {"url": args.url, "status": None, "requests": [], "console": [], "exceptions": [],
              "log": [], "dom": evaluate("document.documentElement.outerHTML"),
              "text": evaluate("document.body ? document.body.innerText : ''"),
              "screenshot": args.screenshot}
    requests = {}  # requestId -> its latest entry in result["requests"] (redirects reuse ids)
    for event in dt.events[since:]:
        method, p = event["method"], event["params"]
        if method == "Network.requestWillBeSent":
            if "redirectResponse" in p and p["requestId"] in requests:
                requests[p["requestId"]]["status"] = p["redirectResponse"]["status"]
            requests[p["requestId"]] = {"url": p["request"]["url"], "status": None, "error": None}
            result["requests"].append(requests[p["requestId"]])
        elif method == "Network.responseReceived" and p["requestId"] in requests:
            requests[p["requestId"]]["status"] = p["response"]["status"]
        elif method == "Network.loadingFailed" and p["requestId"] in requests:
            reason = p.get("blockedReason")
            requests[p["requestId"]]["error"] = p["errorText"] + (f" ({reason})" if reason else "")
        elif method == "Runtime.consoleAPICalled":
            result["console"].append({"level": p["type"],
                                      "text": " ".join(console_text(a) for a in p["args"])})
        elif method == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            description = details.get("exception", {}).get("description", "")
            result["exceptions"].append(f"{details['text']} {description}".strip())
        elif method == "Log.entryAdded":
            entry = p["entry"]
            result["log"].append({k: entry.get(k) for k in ("level", "source", "text", "url")})
    document = requests.get(nav["loaderId"])  # the main document's requestId is its loaderId
    if document:
        result["url"], result["status"] = document["url"], document["status"]
    return result


def children():
    """Our child processes, adopted orphans included."""
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid():
            yield int(entry)


def stop(proc):
    """Kills chromium's process group, then what escaped it: the crashpad handlers live in sessions
    of their own, but as a subreaper we adopt them like every orphan. Reaps them all, so no
    chromium process, not even a zombie, outlives this script."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    while True:
        for pid in children():
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    deadline = Deadline(args.timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))  # so that `finally` still cleans up
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)

    tmp = tempfile.mkdtemp(prefix="feedwatch-browse-")
    profile, log_path = os.path.join(tmp, "profile"), os.path.join(tmp, "chromium.log")
    proc = None
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    env={**os.environ, "TMPDIR": tmp},  # its temp files too
                                    start_new_session=True)
        result = browse(devtools_port(proc, profile, deadline), args, deadline)
    except (Failure, OSError, websocket.WebSocketException, ValueError, KeyError) as e:
        reason = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        with open(log_path, errors="replace") as log:  # less its complaints about no D-Bus
            tail = "".join([line for line in log if "dbus" not in line][-15:])
        print(f"browse.py: {reason}\n--- last lines of chromium's stderr ---\n{tail}",
              file=sys.stderr)
        return 2
    finally:
        if proc:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
