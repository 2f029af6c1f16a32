"""Wrong passwords per account and client address: AUTH_LOGIN_ACCOUNT_FAILURES
of them within AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS pause that account's logins
from that address for the window (`accounts.services.auth_authenticate`).

A counter on the `ratelimit` cache rather than django-axes: axes locks out per
(username, ip_address) too, but as an authentication backend with its own client
address settings, its own lockout answer and database rows for every attempt.

What the cache holds per account (a keyed hash of its e-mail, which is never
stored) and per client address:
- `gen`: the account's generation, replaced when its password is set: every
  counter and pause of an older one stops counting. It lives as long as
  anything counted under it;
- `fails`: the wrong passwords of one (account, address) pair since the first
  of the window (it expires with the window);
- `paused`: when the pause of a pair ends, and the generation it belongs to;
- `told`: the owner was told of a pause in this window (once per account).

With the store unreachable nothing is counted or paused; the per-IP limit
(`guitaronline.core.ratelimits`) still stands before every login.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac

PREFIX = "login"


@dataclass(frozen=True)
class Attempt:
    """A login about to check its password: whose, from where, and whether it may."""

    account: str
    source: str
    generation: str
    paused_until: datetime | None


@dataclass(frozen=True)
class Pause:
    until: datetime
    first_in_window: bool  # the account's first pause of the window: its owner is told


def _cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def _window() -> int:
    return settings.AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS


def _account(email: str) -> str:
    return salted_hmac("accounts.login_throttle", email).hexdigest()


def _generation_key(account: str) -> str:
    return f"{PREFIX}:gen:{account}"


def _paused_key(account: str, source: str) -> str:
    return f"{PREFIX}:paused:{account}:{source}"


def _failures_key(attempt: Attempt) -> str:
    return f"{PREFIX}:fails:{attempt.account}:{attempt.generation}:{attempt.source}"


def _told_key(account: str) -> str:
    return f"{PREFIX}:told:{account}"


def attempt_start(*, email: str, source: str, now: datetime) -> Attempt:
    """Whether logins to `email` (normalized) from `source` are paused at `now`: one cache read."""
    account = _account(email)
    paused_key, generation_key = _paused_key(account, source), _generation_key(account)
    found = _cache().get_many([paused_key, generation_key])
    generation = found.get(generation_key) or ""
    pause = found.get(paused_key)
    paused_until = None
    if isinstance(pause, dict) and pause.get("generation") == generation:
        until = datetime.fromtimestamp(pause["until"], tz=UTC)
        paused_until = until if until > now else None
    return Attempt(account=account, source=source, generation=generation, paused_until=paused_until)


def failure_record(attempt: Attempt, *, now: datetime) -> Pause | None:
    """Count a wrong password. The one that reaches the limit pauses the pair
    for the window (its count starts again after) and is returned."""
    cache, window = _cache(), _window()
    key = _failures_key(attempt)
    cache.add(key, 0, timeout=window)
    try:
        failures = cache.incr(key)
    except ValueError:  # the window ended between the two calls
        failures = 1
        cache.set(key, failures, timeout=window)
    if failures is None or failures < settings.AUTH_LOGIN_ACCOUNT_FAILURES:  # None: the store is unreachable
        _generation_keep(attempt)
        return None
    until = now + timedelta(seconds=window)
    cache.set(
        _paused_key(attempt.account, attempt.source),
        {"until": until.timestamp(), "generation": attempt.generation},
        timeout=window,
    )
    cache.delete(key)
    first_in_window = bool(cache.add(_told_key(attempt.account), 1, timeout=window))
    _generation_keep(attempt)
    return Pause(until=until, first_in_window=first_in_window)


def _generation_keep(attempt: Attempt) -> None:
    """A window more for the generation a counter or a pause was just written under."""
    if attempt.generation:
        _cache().touch(_generation_key(attempt.account), _window())


def success_record(attempt: Attempt) -> None:
    """The right password: the pair's wrong ones are forgotten."""
    _cache().delete(_failures_key(attempt))


def account_pauses_clear(*, email: str) -> None:
    """Lift every pause of the account and forget its wrong passwords (its
    password was set): a new generation. Whatever the old one counted ends
    within a window."""
    _cache().set(_generation_key(_account(email)), secrets.token_hex(8), timeout=_window())
