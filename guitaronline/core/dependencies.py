"""The services the site depends on, each checked by doing the least real
work: the database (SELECT 1), the cache (a write read back, both caches)
and the Celery broker (a connection). `/ready` decides on the database alone
and shows the others; `/metrics` exports all three (`guitaronline_dependency_up`)
for the alert rules."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.core.cache import caches
from django.db import connections

logger = logging.getLogger(__name__)


def _database() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def _cache() -> None:
    for alias in ("default", "ratelimit"):
        cache = caches[alias]
        cache.set("ready-probe", "1", timeout=5)
        if cache.get("ready-probe") != "1":
            raise RuntimeError("value written was not read back")


def _broker() -> None:
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "broker": _broker}
# What a pod needs to serve pages: without the cache or the broker the pages
# still answer (the rate limiter fails closed, tasks wait in the outbox), so
# taking every pod out of the Service for a Redis blip would do more harm.
DECIDING = ("database",)


def states() -> dict[str, str]:
    """Each dependency: "ok", or "down: <error class>"."""
    found: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is its state, not ours
            logger.warning("dependency check %s failed: %s", name, exc)
            found[name] = f"down: {exc.__class__.__name__}"
        else:
            found[name] = "ok"
    return found
