#!/usr/bin/env python3
"""The `world` demo service: answers every GET with `world (<ip>)!!`.

<ip> is $POD_IP when set (Kubernetes), else the local address the request arrived on.
Standard library only; HTTP/1.1 with keep-alive and a Content-Length on every response.

    python3 demo/world.py [--ip 127.0.0.1] [--port 7778]
"""

import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 7778


class WorldHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "world-demo"

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._drain_body()
        ip = os.environ.get("POD_IP") or self.connection.getsockname()[0]
        self._reply(200, f"world ({ip})!!")

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self._drain_body()
        self._reply(405, "method not allowed\n", extra={"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _drain_body(self):
        # A body left unread would be parsed as the next request on this keep-alive connection.
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _reply(self, status, text, extra=None):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class names it `format`)
        sys.stderr.write("world: %s %s\n" % (self.address_string(), format % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port_arg", nargs="?", type=int, metavar="PORT", help="same as --port")
    parser.add_argument("--port", type=int, default=None, help=f"listen port, 0 for any free one (default {DEFAULT_PORT})")
    parser.add_argument("--ip", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args()
    # 0 asks the OS for a free port; the log line below names it.
    port = next((p for p in (args.port, args.port_arg) if p is not None), DEFAULT_PORT)

    if args.quiet:
        WorldHandler.log_message = lambda *_: None
    server = ThreadingHTTPServer((args.ip, port), WorldHandler)
    sys.stderr.write(f"world: listening on {args.ip}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
