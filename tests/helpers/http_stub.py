#!/usr/bin/env python3
"""http_stub.py — a small HTTP(S) peer for the notify/ticket tests.

Listens on 127.0.0.1 only. Every request is appended to --log as one JSON
line: {"t", "method", "path", "headers" (lower-case names), "body"}.

Routes (GET or POST):
  /ok                 200 {"ok": true}
  /status/NNN         answers NNN
  /flaky/KEY/N        500 for the first N requests with this KEY, then 200
  /sleep/SECONDS      sleeps, then 200 (threaded: other requests go on)
  /hang               sleeps 3600 s (an endpoint that never answers)
  /redirect           302 to /ok
  /ticket/ID          200 with the JSON of --tickets[ID], else 404
  /big                200 with a 200 KiB JSON body
  anything else       200 {"ok": true} (a webhook that accepts)

  http_stub.py --port-file F --log L [--tickets JSON] [--tls CERT KEY]
"""
import argparse
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTS = {}


class Handler(BaseHTTPRequestHandler):
    server_version = "http_stub/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def record(self, body):
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        line = {"t": time.time(), "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": parsed}
        with LOCK, open(self.server.log, "a") as f:
            f.write(json.dumps(line) + "\n")

    def answer(self, code, obj=None, extra=None):
        data = json.dumps(obj if obj is not None else {"code": code}).encode()
        self.send_response(code)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        head = parts[0]
        if head == "ok":
            return self.answer(200, {"ok": True})
        if head == "status" and len(parts) == 2:
            return self.answer(int(parts[1]))
        if head == "flaky" and len(parts) == 3:
            with LOCK:
                n = COUNTS[parts[1]] = COUNTS.get(parts[1], 0) + 1
            return self.answer(500 if n <= int(parts[2]) else 200)
        if head == "sleep" and len(parts) == 2:
            time.sleep(float(parts[1]))
            return self.answer(200)
        if head == "hang":
            time.sleep(3600)
            return None
        if head == "redirect":
            return self.answer(302, extra={"Location": "/ok"})
        if head == "ticket" and len(parts) == 2:
            t = self.server.tickets.get(parts[1])
            return self.answer(200, t) if t is not None else self.answer(404)
        if head == "big":
            return self.answer(200, {"pad": "x" * 200 * 1024})
        return self.answer(200, {"ok": True})

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.record(body)
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = handle_any
    do_POST = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tickets", default="{}")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.log = a.log
    srv.tickets = json.loads(a.tickets)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    open(a.log, "a").close()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
