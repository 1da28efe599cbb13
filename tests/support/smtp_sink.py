"""A real SMTP server for tests (aiosmtpd) on 127.0.0.1: stores each message it accepts.

  smtp_sink.py --port-file F --maildir D [--port N] [--fail-first N] [--drop-after-data]
               [--auth USER:PASSWORD]

Each accepted message becomes D/<n>.eml (the bytes received) and D/<n>.json (the envelope).
--fail-first N answers the first N DATA commands with 451 (try again later); a recipient whose
address contains "reject" is refused with 550. --drop-after-data closes the connection after
receiving a message's data, without a reply. --auth requires AUTH with those credentials
(offered without TLS: the tests run on loopback). The port is written to F once the server listens.
"""

import argparse
import asyncio
import json
import os

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, maildir, fail_first, drop_after_data):
        self.maildir = maildir
        self.fail_left = fail_first
        self.drop_after_data = drop_after_data
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after_data:
            server.transport.close()
            return "421 closing"
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later"
        self.count += 1
        base = os.path.join(self.maildir, "%03d" % self.count)
        with open(base + ".eml.tmp", "wb") as out:
            out.write(envelope.original_content)
        with open(base + ".json", "w") as out:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, out)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK queued"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--drop-after-data", action="store_true")
    parser.add_argument("--auth", default="")
    args = parser.parse_args()
    sink = Sink(args.maildir, args.fail_first, args.drop_after_data)
    options = {}
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticate(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login == user.encode()
                  and data.password == password.encode())
            return AuthResult(success=ok, handled=False)

        options = {"auth_required": True, "auth_require_tls": False,
                   "authenticator": authenticate}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, decode_data=False, enable_SMTPUTF8=True, **options),
        "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as out:
        out.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    await server.serve_forever()


asyncio.run(main())
