"""An HTTPS server for tests on 127.0.0.1, with the certificate it is given.

  tls_server.py --port-file F --cert CERT.pem --key KEY.pem --file FEED

Answers every GET with the contents of FEED as application/rss+xml.
"""

import argparse
import http.server
import os
import ssl

parser = argparse.ArgumentParser()
parser.add_argument("--port-file", required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--file", required=True)
args = parser.parse_args()
body = open(args.file, "rb").read()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *unused):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(args.cert, args.key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
