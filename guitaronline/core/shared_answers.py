"""One answer computed for many requests: a public read shared through the cache.

`shared_answer` keeps an answer fresh for `fresh_seconds`. After that it is
served stale while the one request that wins a refresh lock (`cache.add`, so
across every gunicorn worker and pod) computes the next one: a busy, costly
read is computed once per period instead of by every request that finds it
expired at the same moment (no dog-pile). A stale answer is kept for
`STALE_FACTOR` periods at most, so a refresher that dies only delays the
next refresh until its lock expires.

Only for answers that are the same for everyone asking the same question.
What they are computed from may have a *version* (a topic): a write that
changes it calls `answers_outdated` in its transaction, and after the commit
every answer about the topic is computed afresh, so a user's own write shows
at once. What changes with time
alone (a slot passing its teacher's minimum notice, a hold running out) shows
within `fresh_seconds`; the writes stay authoritative (a slot that can no
longer be held answers its hold with 409). With the cache unreachable
(django-redis ignores the error) every request computes its own answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

STALE_FACTOR = 6

# What the open-slot listing is computed from: slots, their bookings and their
# teachers' booking rules. Scheduling, booking and accounts outdate it.
SLOT_AVAILABILITY = "slot-availability"


def _version_key(topic: str) -> str:
    return f"answer-version:{topic}"


def _next_version(topic: str) -> None:
    key = _version_key(topic)
    try:
        cache.incr(key)
    except ValueError:  # no version yet (or evicted): any new one will do
        if not cache.add(key, 1, timeout=None):
            cache.incr(key)


def answers_outdated(topic: str) -> None:
    """Every shared answer about `topic` is outdated once the running
    transaction commits (at once outside one): the next request computes it
    afresh. A rolled-back write outdates nothing."""
    transaction.on_commit(lambda: _next_version(topic), robust=True)


def answer_key(namespace: str, *parts: str) -> str:
    """A cache key for one question: the namespace and a digest of its parts."""
    return f"{namespace}:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def shared_answer(key: str, *, fresh_seconds: int, compute: Callable[[], T], topic: str | None = None) -> T:
    """The answer cached under `key`, computed by `compute()` when missing,
    and refreshed by one request at a time once older than `fresh_seconds`.

    With `topic`, an answer computed before the topic's latest version
    (`answers_outdated`) counts as missing: it is computed afresh, never
    served stale. The version is read with the answer, in one round trip,
    and before computing, so an answer is never kept under a version newer
    than the data it was computed from."""
    version_key = _version_key(topic) if topic else None
    found = cache.get_many([key, version_key] if version_key else [key])
    version = found.get(version_key, 0) if version_key else 0
    entry = found.get(key)  # (fresh until, answer, version)
    if entry is not None and entry[2] != version:
        entry = None
    now = time.time()
    if entry is not None:
        fresh_until, answer, _ = entry
        if fresh_until > now or not cache.add(f"{key}:refresh", 1, fresh_seconds):
            return answer
    try:
        answer = compute()
        cache.set(key, (now + fresh_seconds, answer, version), fresh_seconds * STALE_FACTOR)
    finally:
        if entry is not None:
            cache.delete(f"{key}:refresh")
    return answer
