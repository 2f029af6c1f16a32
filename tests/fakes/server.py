"""What the fake payment providers share: a real HTTP server on 127.0.0.1 in
a thread, its API and its hosted payment page, a way to go down and come
back, the calls it received, and delivering notifications to the app.

A fake subclasses `FakeProvider`, names its API and page prefixes, and
answers `api(method, path, headers, raw) -> (status, JSON)` and
`page(method, rest) -> (status, HTML, redirect)`.

No Django here: the fakes are the world outside the app.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Call:
    """An API request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeProvider:
    API_PREFIX = "/api/"
    PAGE_PREFIX = "/pay/"
    name = "fake-provider"

    def __init__(self, *, webhook_url: str = ""):
        self.webhook_url = webhook_url
        self.calls: list[Call] = []
        self.failing = False  # "error": every API call answers 500
        self.hanging = 0.0  # "hang": every API call answers after this many seconds
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- running --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def go_down(self, how: str = "refuse", *, seconds: float = 5.0) -> None:
        """ "refuse": nothing listens on the port any more; "error": the API
        answers 500; "hang": the API answers only after `seconds`."""
        if how == "refuse":
            self.stop()
        elif how == "error":
            self.failing = True
        elif how == "hang":
            self.hanging = seconds
        else:
            raise ValueError(how)

    def come_back(self) -> None:
        self.failing, self.hanging = False, 0.0
        if self._server is None:
            self.start()  # the same port again

    # --- what the tests look at ------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_to(self, method: str, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if (call.method, call.path) == (method, path)]

    # --- to the app -------------------------------------------------------------------------

    def post_to_app(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST a notification to the app's webhook; its status and answer."""
        request = urllib.request.Request(
            self.webhook_url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    # --- what a fake answers ---------------------------------------------------------------------

    def api(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        raise NotImplementedError

    def page(self, method: str, rest: str) -> tuple[int, str, str]:
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format, *args):  # quiet
        pass

    def _reply(self, status: int, body: bytes, content_type: str, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str) -> None:
        fake: FakeProvider = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if path.startswith(fake.API_PREFIX):
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = fake.api(method, path, headers, raw)
            self._reply(status, json.dumps(answer).encode(), "application/json")
        elif path.startswith(fake.PAGE_PREFIX):
            status, html, location = fake.page(method, path.removeprefix(fake.PAGE_PREFIX))
            self._reply(status, html.encode(), "text/html; charset=utf-8", location)
        else:
            self._reply(404, b"", "text/plain")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")
