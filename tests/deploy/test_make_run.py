"""`make run`'s process set as a new user gets it: the dev runner with
Procfile.dev (web, worker, beat) on a SQLite database and the embedded
SQLite broker. A crashed worker comes back, twice, and takes tasks again,
while the pages keep answering; the broker round-trips tasks between
processes; /favicon.ico is served; `make help` names every target."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "APP_ENV", "DJANGO_", "PYTEST"))
    }
    return {
        **env,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_DIR": str(tmp_path / "cache"),
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }


def _wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    tail = "\n".join(log.read_text().splitlines()[-40:]) if log is not None else ""
    raise TimeoutError(f"{what}\n{tail}")


def _page(port: int, path: str = "/") -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status
    except OSError:
        return 0


def _send(env: dict[str, str], count: int = 1) -> None:
    """Tasks through the broker from another process, as a page's commit sends them."""
    subprocess.run(
        [
            sys.executable, "-c",
            "import django; django.setup(); from guitaronline.celery import app; "
            f"[app.send_task('notifications.dispatch_outbox') for _ in range({count})]",
        ],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "guitaronline.settings"}, check=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def site(tmp_path):
    port = _free_port()
    env = _env(tmp_path, port)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        runner = subprocess.Popen(
            [sys.executable, "-m", "guitaronline.devrun", "-f", "Procfile.dev", "start"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield port, env, log
    finally:
        os.killpg(runner.pid, signal.SIGINT)
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)


def _worker_pids(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"worker started \(pid=(\d+)\)", log.read_text())]


def _tasks_done(log: Path) -> int:
    return len(re.findall(r"Task notifications\.dispatch_outbox\[[0-9a-f-]+\] succeeded", log.read_text()))


def test_a_killed_worker_comes_back_and_the_site_stays_up(site):
    port, env, log = site
    _wait_for(lambda: _page(port) == 200, 120, "the web server answers", log)
    _wait_for(lambda: " ready." in log.read_text() and _worker_pids(log), 120, "the worker is ready", log)
    _send(env)
    _wait_for(lambda: _tasks_done(log) >= 1, 60, "the first task is done", log)

    for round_ in (1, 2):
        started = len(_worker_pids(log))
        os.kill(_worker_pids(log)[-1], signal.SIGKILL)
        _wait_for(lambda: len(_worker_pids(log)) > started, 60, f"the worker restarts ({round_})", log)  # noqa: B023
        assert _page(port) == 200  # the site stayed up meanwhile
        assert f"worker exited with code -{int(signal.SIGKILL)}; restarting" in log.read_text()
        done = _tasks_done(log)
        _send(env)
        _wait_for(lambda: _tasks_done(log) > done, 120, f"the restarted worker takes tasks ({round_})", log)  # noqa: B023

    assert len(set(_worker_pids(log))) == 3
    assert "web.1 stopped" not in log.read_text() and "beat.1 stopped" not in log.read_text()
    assert _page(port, "/favicon.ico") == 200


def test_the_embedded_broker_carries_every_task_between_processes(site):
    _port, env, log = site
    _wait_for(lambda: " ready." in log.read_text(), 120, "the worker is ready", log)
    _send(env, count=40)
    _wait_for(lambda: _tasks_done(log) >= 40, 120, "all 40 tasks are done", log)
    assert "JSONDecodeError" not in log.read_text() and "Traceback" not in log.read_text()


def test_the_favicon_is_served(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_make_help_names_every_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE)) - {"help"}
    listed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert {target for target in targets if f"make {target} " not in listed} == set()
