"""What the multi-instance scripts share: a threaded loopback HTTP server, a PostgreSQL test
cluster (the one ctest started, or one of their own), and psql."""

import contextlib
import http.server
import os
import socketserver
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PG_CLUSTER = os.path.join(HERE, "..", "support", "pg-cluster")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64


def psql(pg, sql, database="postgres"):
    """Runs `sql` in `database`; returns what it printed, unaligned, without headers."""
    return subprocess.run(["psql", "-qtA", "-h", pg, "-U", "postgres", "-d", database, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def cluster(pg):
    """Yields the folder of a running test cluster: `pg`, or one started (and stopped) here."""
    if pg:
        yield pg
        return
    pg = tempfile.mkdtemp(prefix="feedwatch-pg.", dir="/tmp")
    subprocess.run([PG_CLUSTER, "start", pg], check=True)
    try:
        yield pg
    finally:
        subprocess.run([PG_CLUSTER, "stop", pg], check=False)
