"""The worker's liveness probe (`deploy/healthcheck.py worker`) passes while
the broker is down (a real worker on a closed port), and fails once the
worker stops moving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.workers import ROOT, wait_for


def _probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "deploy/healthcheck.py", "worker"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_worker_stays_live_without_its_broker_and_not_once_it_is_stuck(tmp_path):
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))},
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nothing listens there
        "WORKER_HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "WORKER_HEARTBEAT_MAX_AGE": "3",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "guitaronline", "worker", "--pool=solo", "--without-gossip",
         "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: (tmp_path / "heartbeat").exists(), timeout=60)
        time.sleep(4)  # longer than the allowed age: only a living worker keeps the file fresh
        live = _probe(env)
        assert live.returncode == 0, live.stdout + live.stderr

        os.killpg(worker.pid, signal.SIGSTOP)  # the worker stops moving
        time.sleep(4)
        stuck = _probe(env)
        assert stuck.returncode == 1
        assert "heartbeat is" in stuck.stdout + stuck.stderr
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
