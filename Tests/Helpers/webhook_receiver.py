"""A webhook receiver for the tests: verifies every message with the standardwebhooks package
(an implementation not written here) and appends one JSON line per message to a file.

Usage: python3 webhook_receiver.py PORT SECRET OUTPUT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

port, secret, output = int(sys.argv[1]), sys.argv[2], sys.argv[3]
verifier = Webhook(secret)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            payload = verifier.verify(body, headers)
            line = {"id": headers["webhook-id"], "type": payload["type"], "data": payload["data"]}
            status = 204
        except Exception as error:  # a wrong signature is recorded, and refused
            line = {"invalid": str(error), "id": headers.get("webhook-id")}
            status = 400
        with open(output, "a") as file:
            file.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
