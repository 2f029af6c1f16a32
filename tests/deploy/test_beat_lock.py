"""One Celery beat at a time (guitaronline.beat): two real beat processes
against PostgreSQL; the second cannot take the lock and waits, then takes
over once the first is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from guitaronline.beat import LOCK_KEY
from tests.workers import ROOT, database_url, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


class Beat:
    def __init__(self, name: str, tmp_path: Path):
        self.log_path = tmp_path / f"beat-{name}.log"
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST")},
            "APP_ENV": "test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": "memory://",
            "BEAT_LOCK_RETRY_SECONDS": "0.5",
        }
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "guitaronline", "beat", "--loglevel=INFO",
                    "--scheduler", "guitaronline.beat:LockedDatabaseScheduler", "--pidfile=",
                    "--schedule", str(tmp_path / f"schedule-{name}"),
                ],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


def _holders() -> int:
    """Sessions holding the beat lock (a bigint key shows as its two 32-bit halves)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 1",
            [(LOCK_KEY >> 32) & 0xFFFFFFFF, LOCK_KEY & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]


def test_a_second_beat_cannot_take_the_lock_and_takes_over_when_the_first_is_gone(tmp_path):
    first = Beat("first", tmp_path)
    second = None
    try:
        wait_for(lambda: "beat lock taken" in first.output(), timeout=60)
        second = Beat("second", tmp_path)
        wait_for(lambda: "another beat holds the beat lock" in second.output(), timeout=60)
        time.sleep(2)  # several tries of the second beat meanwhile
        assert "beat lock taken" not in second.output()
        assert second.process.poll() is None  # waiting, not crashing
        assert _holders() == 1

        first.stop(signal.SIGKILL)  # the first beat dies: its connection, and the lock, go with it
        wait_for(lambda: "beat lock taken" in second.output(), timeout=30)
        assert second.process.poll() is None
        assert _holders() == 1
    finally:  # SIGKILL: a SIGTERM while beat still sets its schedule up can wait on its own connection
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop(signal.SIGKILL)
