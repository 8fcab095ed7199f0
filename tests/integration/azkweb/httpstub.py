"""A fake executor HTTP endpoint on 127.0.0.1 that records exactly what the driver sends."""

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body  # raw bytes, to check encoding and parameter order

    @property
    def params(self):
        return urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)

    @property
    def action(self):
        return dict(self.params).get("action")


class StubExecutor:
    """`responder(request) -> (status, content_type, body bytes)`; default replies `{}`."""

    def __init__(self, responder=None):
        self.requests = []
        self.responder = responder or (lambda req: (200, "application/json", b"{}"))
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                req = Request("POST", self.path, dict(self.headers), self.rfile.read(length))
                stub.requests.append(req)
                status, ctype, body = stub.responder(req)
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = "127.0.0.1"
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
