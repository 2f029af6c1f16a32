"""Celery beat with django-celery-beat's database schedule, one at a time:
`LockedDatabaseScheduler` holds a PostgreSQL advisory lock for the life of
the process, on a connection of its own.

A second beat (a rolling update's new pod, a second `docker compose up`, a
mistake) waits, logging that another beat holds the lock, and takes over
when the first one ends: its connection closes and PostgreSQL releases the
lock. Waiting rather than exiting keeps it a warm standby and spares
Kubernetes a crash loop. Should the holder's own connection break (the
database restarted), the lock is gone with it: the holder then stops at
once, so that two beats never schedule together.

On SQLite (the embedded `make run`, one machine, one beat started by the
dev runner) there are no advisory locks: the scheduler runs unlocked.
"""

from __future__ import annotations

import hashlib
import logging
import time

import psycopg
from django.conf import settings
from django.db import connection
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(hashlib.sha256(b"guitaronline.beat").digest()[:8], "big", signed=True)
RETRY_SECONDS = 5.0


def _conninfo() -> str | None:
    """The default database as a libpq connection string, or None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return psycopg.conninfo.make_conninfo(**{key: value for key, value in params.items() if value not in (None, "")})


class BeatLock:
    """The advisory lock, on a connection held open for it."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self.connection: psycopg.Connection | None = None

    def acquire(self, *, retry_seconds: float = RETRY_SECONDS) -> None:
        """Wait until this process holds the lock. A stop asked meanwhile
        (SIGTERM, Ctrl-C) ends the wait for good: beat's shutdown makes a
        scheduler again to sync it, and that one must not wait too."""
        told = False
        try:
            while True:
                self.connection = psycopg.connect(self.conninfo, autocommit=True, application_name="guitaronline-beat")
                row = self.connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
                if row is not None and row[0]:
                    logger.info("beat lock taken: this beat schedules the periodic tasks")
                    return
                self.connection.close()
                if not told:
                    logger.warning("another beat holds the beat lock: waiting to take over (every %gs)", retry_seconds)
                    told = True
                time.sleep(retry_seconds)
        except BaseException:
            self.release()
            raise

    def held(self) -> bool:
        """Whether the lock's connection still answers (a broken one has lost the lock)."""
        if self.connection is None or self.connection.closed:
            return False
        try:
            self.connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def release(self) -> None:
        if self.connection is not None and not self.connection.closed:
            self.connection.close()


_process_lock: BeatLock | None = None  # one per process, whichever scheduler instance took it
_waiting = False
_stopped_waiting = False


def _lock_for_this_process() -> BeatLock | None:
    """The process's beat lock, taken (waited for) on first use; None off PostgreSQL."""
    global _process_lock, _waiting, _stopped_waiting
    if _process_lock is not None:
        return _process_lock
    # Asked to stop while waiting: never wait again. Beat's SIGTERM handler
    # syncs a scheduler, which it makes anew while the first still waits.
    if _stopped_waiting or _waiting:
        raise SystemExit(0)
    conninfo = _conninfo()
    if conninfo is None:
        logger.info("beat lock: not on PostgreSQL, running unlocked (one beat per machine)")
        return None
    lock = BeatLock(conninfo)
    _waiting = True
    try:
        lock.acquire(retry_seconds=settings.BEAT_LOCK_RETRY_SECONDS)
    except BaseException:
        _stopped_waiting = True
        raise
    finally:
        _waiting = False
    _process_lock = lock
    return lock


class LockedDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, run only while this process holds the beat lock."""

    lock: BeatLock | None = None

    def setup_schedule(self):
        # Here, not in __init__: beat also makes a lazy scheduler, only to print its banner.
        self.lock = _lock_for_this_process()
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        if self.lock is not None and not self.lock.held():
            logger.error("beat lock lost (its database connection broke): stopping so that no two beats run")
            raise SystemExit(1)
        return super().tick(*args, **kwargs)

    def close(self):
        try:
            super().close()
        finally:
            if self.lock is not None:
                self.lock.release()
