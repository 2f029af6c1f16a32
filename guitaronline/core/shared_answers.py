"""One answer computed for many requests: a public read shared through the cache.

`shared_answer` keeps an answer fresh for `fresh_seconds`. After that it is
served stale while the one request that wins a refresh lock (`cache.add`, so
across every gunicorn worker and pod) computes the next one: a busy, costly
read is computed once per period instead of by every request that finds it
expired at the same moment (no dog-pile). A stale answer is kept for
`STALE_FACTOR` periods at most, so a refresher that dies only delays the
next refresh until its lock expires.

Only for answers that are the same for everyone asking the same question and
may be `fresh_seconds` old; the writes they describe stay authoritative (an
open slot listed a few seconds after it was taken answers its hold with 409).
With the cache unreachable (django-redis ignores the error) every request
computes its own answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

STALE_FACTOR = 6


def answer_key(namespace: str, *parts: str) -> str:
    """A cache key for one question: the namespace and a digest of its parts."""
    return f"{namespace}:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def shared_answer(key: str, *, fresh_seconds: int, compute: Callable[[], T]) -> T:
    """The answer cached under `key`, computed by `compute()` when missing,
    and refreshed by one request at a time once older than `fresh_seconds`."""
    entry = cache.get(key)  # (fresh until, answer)
    now = time.time()
    if entry is not None:
        fresh_until, answer = entry
        if fresh_until > now or not cache.add(f"{key}:refresh", 1, fresh_seconds):
            return answer
    try:
        answer = compute()
        cache.set(key, (now + fresh_seconds, answer), fresh_seconds * STALE_FACTOR)
    finally:
        if entry is not None:
            cache.delete(f"{key}:refresh")
    return answer
