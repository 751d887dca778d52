"""Loudspeaker gateways for tests: an HTTP server on loopback that records what it receives
and fails on request (down for good, or for the first N attempts)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateways:
    def __init__(self, delay: float = 0.0):
        self.received: list[tuple[str, dict]] = []
        self.fail_first: dict[str, int] = {}
        self.down: set[str] = set()
        self.delay = delay
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        gateways = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if gateways.delay:
                    time.sleep(gateways.delay)
                with gateways.lock:
                    n = gateways.attempts[self.path] = gateways.attempts.get(self.path, 0) + 1
                    failing = self.path in gateways.down or n <= gateways.fail_first.get(self.path, 0)
                    if not failing:
                        gateways.received.append((self.path, json.loads(body)))
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default 5 drops concurrent SYNs (1 s retransmit each)

        self.server = Server(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path.lstrip('/')}"

    def messages_for(self, path: str) -> list[dict]:
        return [m for p, m in self.received if p == "/" + path.lstrip("/")]

    def paths(self) -> set[str]:
        return {p.lstrip("/") for p, _ in self.received}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
