"""Faults against a real server process: PostgreSQL cut off and back (through
a TCP proxy the test controls), Redis down for the auth rate limiter."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.factories import PASSWORD, StudentFactory, TeacherFactory

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TcpProxy:
    """Forwards a loopback port to PostgreSQL until `cut()`; `restore()` opens it again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def restore(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


def serve(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "guitaronline.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env={**os.environ, "APP_ENV": "test", "DJANGO_SETTINGS_MODULE": "guitaronline.settings", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise TimeoutError("server did not start")


def log_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    assert "sessionid" in session.cookies
    return session


@pytest.mark.django_db(transaction=True)
def test_postgresql_cut_off_gives_friendly_503s_and_the_site_recovers_by_itself(postgres_only, capsys):
    TeacherFactory()
    student = StudentFactory()
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.restore()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    server = serve({"DATABASE_URL": url, "REDIS_URL": "", "DB_CONN_MAX_AGE": "60"}, port)
    try:
        browser = log_in(base, student.email)
        assert requests.get(f"{base}/api/v1/teachers", timeout=10).status_code == 200
        assert browser.get(f"{base}/accounts/profile/", timeout=10).status_code == 200

        proxy.cut()
        api = requests.get(f"{base}/api/v1/teachers", timeout=30)
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "service_unavailable"
        assert api.headers["Retry-After"] == "30"
        page = browser.get(f"{base}/accounts/profile/", timeout=30)
        assert page.status_code == 503
        assert "Back in a moment" in page.text and "Traceback" not in page.text
        ready = requests.get(f"{base}/ready", timeout=30)
        assert ready.status_code == 503 and ready.json()["down"] == ["database"]

        proxy.restore()
        cut_over = time.monotonic()
        deadline = time.monotonic() + 20
        while requests.get(f"{base}/api/v1/teachers", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the site did not recover"
            time.sleep(0.2)
        recovered = time.monotonic() - cut_over
        assert browser.get(f"{base}/accounts/profile/", timeout=10).status_code == 200
        assert requests.get(f"{base}/ready", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        proxy.cut()
    with capsys.disabled():
        print(f"\n[faults] PostgreSQL cut: API 503 service_unavailable, page 503 friendly; back in {recovered:.1f} s")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("fail_open", "expected"), [("false", 429), ("true", 401)])
def test_with_redis_down_login_fails_closed_unless_configured_open(postgres_only, fail_open, expected):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there
        "CELERY_BROKER_URL": "memory://",
        "AUTH_RATE_LIMIT_FAIL_OPEN": fail_open,
    }
    server = serve(env, port)
    try:
        login = requests.post(
            f"{base}/api/v1/identity/auth/login", json={"email": "x@example.org", "password": "wrong"}, timeout=15
        )
        assert login.status_code == expected
        assert login.json()["error"]["code"] == ("rate_limited" if expected == 429 else "invalid_credentials")
        assert requests.get(f"{base}/api/v1/teachers", timeout=15).status_code == 200  # the rest keeps working
        ready = requests.get(f"{base}/ready", timeout=15)  # still in the Service: the pages answer
        assert (ready.status_code, ready.json()["status"], ready.json()["down"]) == (200, "degraded", ["cache"])
    finally:
        server.terminate()
        server.wait(timeout=10)
