#!/usr/bin/env python3
"""A webhook receiver in its own process, for Masthead's tests.

Listens on 127.0.0.1:PORT, writes every POST it receives (path, headers,
body) as one JSON line to --log, and answers 500 to the first --fail
requests (a receiver that is down for a while), 200 after that.
Standard library only.
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--fail", type=int, default=0)
args = parser.parse_args()

lock = threading.Lock()
seen = 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        with lock:
            seen += 1
            failing = seen <= args.fail
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(json.dumps({
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "answered": 500 if failing else 200,
                }) + "\n")
        self.send_response(500 if failing else 200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"not now\n" if failing else b"thanks\n")

    def log_message(self, *_):
        pass


ThreadingHTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()
