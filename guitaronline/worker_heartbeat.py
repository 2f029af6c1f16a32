"""The Celery worker's liveness, independent of the broker: while the
worker's main thread lives, a thread of its own touches a file every
WORKER_HEARTBEAT_SECONDS; `deploy/healthcheck.py worker` (the Kubernetes and
compose liveness probe) checks the file is fresh.

The probe used to ping the worker through the broker: a broker outage then
failed every worker's probe at once and Kubernetes restarted them in a loop,
which helps nothing. Celery's own timer is no use here either: it stops while
the worker waits for the broker to come back.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from celery import bootsteps

DEFAULT_FILE = "/tmp/guitaronline-worker-heartbeat"


def heartbeat_file() -> Path:
    return Path(os.environ.get("WORKER_HEARTBEAT_FILE", DEFAULT_FILE))


def interval() -> float:
    return float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "15"))


class Heartbeat(bootsteps.StartStopStep):
    """A worker bootstep: starts the touching thread with the worker, stops it with the worker."""

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self._stop = threading.Event()

    def start(self, worker):
        path, every = heartbeat_file(), interval()
        main = threading.main_thread()

        def beat() -> None:
            while main.is_alive() and not self._stop.is_set():
                path.touch()
                self._stop.wait(every)

        threading.Thread(target=beat, name="liveness-heartbeat", daemon=True).start()

    def stop(self, worker):
        self._stop.set()


def age_seconds() -> float:
    """Seconds since the worker's last heartbeat (FileNotFoundError before the first)."""
    return time.time() - heartbeat_file().stat().st_mtime
