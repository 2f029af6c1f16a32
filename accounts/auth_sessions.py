"""Signed-in devices (`AuthSession`): a browser's Django session, or an API
client's chain of refresh tokens. The rules of starting, using and ending
them; `accounts.services` calls these inside its transactions.

- A browser's session holds the device's id (`SESSION_ID_KEY`); an API
  client's refresh and access tokens carry it as the `sid` claim, and a
  rotation keeps it.
- Every authenticated request asks `in_use`. That is one cache read; at most
  once per AUTH_SESSION_TOUCH_SECONDS per device it is one UPDATE instead,
  which also records the device's last use and address.
- `end` marks devices ended, deletes their browser sessions and blacklists
  their refresh tokens in the caller's transaction, forgets them in the cache
  at once and marks them ended there once committed. From then on their
  access tokens are refused, even the unexpired ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch
from ua_parser import parse as parse_user_agent

from accounts.errors import TokenInvalid
from accounts.models import AuthSession, SessionKind, User
from guitaronline.core.authentication import add_preference_claims

SESSION_ID_CLAIM = "sid"
SESSION_ID_KEY = "_auth_device"  # in a browser's session: its device's id
SESSION_KEY_KEY = "_auth_device_key"  # ... and the session key the device row last heard of

USER_AGENT_MAX = 512
_LIVE, _ENDED = "live", "ended"


def _cache_key(session_id) -> str:
    return f"auth-device:{session_id}"


def _mark_live(session_id) -> None:
    cache.set(_cache_key(session_id), _LIVE, settings.AUTH_SESSION_TOUCH_SECONDS)


def parse_id(value) -> uuid.UUID | None:
    """A device id from a token, a session or a URL; None if it cannot be one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- starting -----------------------------------------------------------------


def browser_start(*, user: User, session_key: str, user_agent: str, ip: str | None) -> AuthSession:
    """The device of a browser that has just signed in on session `session_key`."""
    now = timezone.now()
    device = AuthSession.objects.create(
        user=user,
        kind=SessionKind.BROWSER,
        session_key=session_key,
        user_agent=user_agent[:USER_AGENT_MAX],
        ip=ip or None,
        created_at=now,
        last_used_at=now,
    )
    _mark_live(device.pk)
    return device


def _refresh_for(user: User, session_id: uuid.UUID) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_ID_CLAIM] = str(session_id)
    return refresh


def _pair(refresh: RefreshToken, user: User) -> dict[str, str]:
    access = refresh.access_token  # copies the claims, `sid` among them
    add_preference_claims(access, user)
    return {"access": str(access), "refresh": str(refresh)}


def api_start(*, user: User, user_agent: str, ip: str | None) -> dict[str, str]:
    """A new API device for `user`, and its first token pair."""
    now = timezone.now()
    session_id = uuid.uuid4()
    refresh = _refresh_for(user, session_id)
    AuthSession.objects.create(
        id=session_id,
        user=user,
        kind=SessionKind.API,
        refresh_jti=refresh["jti"],
        expires_at=datetime_from_epoch(refresh["exp"]),
        user_agent=user_agent[:USER_AGENT_MAX],
        ip=ip or None,
        created_at=now,
        last_used_at=now,
    )
    _mark_live(session_id)
    return _pair(refresh, user)


def api_device_lock(token: RefreshToken) -> AuthSession | None:
    """The device a refresh token belongs to, locked for its rotation, before
    the token is consumed (the order `end` locks in too); None for a token from
    before devices were recorded. An ended or unknown device is refused."""
    claim = token.get(SESSION_ID_CLAIM)
    if claim is None:
        return None
    session_id = parse_id(claim)
    device = (
        AuthSession.objects.select_for_update()
        .filter(pk=session_id, user_id=token.get("user_id"), kind=SessionKind.API, ended_at__isnull=True)
        .first()
        if session_id is not None
        else None
    )
    if device is None:
        raise TokenInvalid()
    return device


def api_rotate(*, user: User, device: AuthSession | None, user_agent: str, ip: str | None) -> dict[str, str]:
    """The next token pair of `device` (locked by `api_device_lock`; the old
    refresh token already consumed); a token from before devices starts one."""
    if device is None:
        return api_start(user=user, user_agent=user_agent, ip=ip)
    refresh = _refresh_for(user, device.pk)
    device.refresh_jti = refresh["jti"]
    device.expires_at = datetime_from_epoch(refresh["exp"])
    device.last_used_at = timezone.now()
    device.ip = ip or device.ip
    device.save(update_fields=["refresh_jti", "expires_at", "last_used_at", "ip"])
    _mark_live(device.pk)
    return _pair(refresh, user)


# --- using --------------------------------------------------------------------


def in_use(*, session_id, user_id, ip: str | None = None, session_key: str | None = None) -> bool:
    """Whether the device `session_id` of user `user_id` is still signed in.
    On a cache miss, one UPDATE answers and records the use (and a browser's
    current session key)."""
    session_id = parse_id(session_id)
    if session_id is None:
        return False
    state = cache.get(_cache_key(session_id))
    if state is not None:
        return state == _LIVE
    now = timezone.now()
    fields: dict = {"last_used_at": now}
    if ip:
        fields["ip"] = ip
    if session_key:
        fields["session_key"] = session_key
    live = (
        AuthSession.objects.filter(pk=session_id, user_id=user_id, ended_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(**fields)
        == 1
    )
    cache.set(_cache_key(session_id), _LIVE if live else _ENDED, settings.AUTH_SESSION_TOUCH_SECONDS)
    return live


def browser_rekey(*, session_id, session_key: str) -> None:
    """A browser's session changed its key (a password change keeps the
    session under a new one): the device follows it."""
    device_id = parse_id(session_id)
    if device_id is not None:
        AuthSession.objects.filter(pk=device_id, kind=SessionKind.BROWSER).update(session_key=session_key)


# --- ending -------------------------------------------------------------------


def end(devices: QuerySet[AuthSession], *, refresh_tokens: QuerySet[OutstandingToken] | None = None) -> int:
    """End every live device of `devices`, in the caller's transaction: their
    browser sessions deleted, their refresh tokens (and `refresh_tokens`,
    where given) blacklisted. Returns how many devices were live."""
    now = timezone.now()
    ending = list(
        devices.filter(ended_at__isnull=True).select_for_update().values_list("pk", "session_key", "refresh_jti")
    )
    if ending:
        AuthSession.objects.filter(pk__in=[pk for pk, _key, _jti in ending]).update(ended_at=now)
    _delete_browser_sessions(key for _pk, key, _jti in ending if key)
    jtis = [jti for _pk, _key, jti in ending if jti]
    tokens = OutstandingToken.objects.filter(jti__in=jtis)
    if refresh_tokens is not None:
        tokens = tokens | refresh_tokens
    _blacklist(tokens)
    keys = [_cache_key(pk) for pk, _key, _jti in ending]
    if keys:
        cache.delete_many(keys)  # read from the database meanwhile, which already says so inside this transaction
        transaction.on_commit(
            partial(cache.set_many, dict.fromkeys(keys, _ENDED), settings.AUTH_SESSION_TOUCH_SECONDS), robust=True
        )
    return len(ending)


def _delete_browser_sessions(session_keys: Iterable[str]) -> None:
    Session.objects.filter(session_key__in=list(session_keys)).delete()  # SESSION_ENGINE is the database's


def _blacklist(tokens: QuerySet[OutstandingToken]) -> None:
    live = tokens.filter(blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


# --- reading ------------------------------------------------------------------


def live(*, user: User) -> QuerySet[AuthSession]:
    """`user`'s signed-in devices, last used first: not ended, an API
    device's refresh token not expired, a browser's session still there."""
    now = timezone.now()
    browser_session = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now)
    return AuthSession.objects.filter(user=user, ended_at__isnull=True).filter(
        Q(kind=SessionKind.API, expires_at__gt=now) | Q(Exists(browser_session), kind=SessionKind.BROWSER)
    )


@lru_cache(maxsize=512)
def _device_parts(user_agent: str) -> tuple[str, str]:
    """The program and the system a User-Agent names (ua-parser's families), "" where unknown."""
    parsed = parse_user_agent(user_agent)
    program, system = (
        part.family if part is not None and part.family != "Other" else "" for part in (parsed.user_agent, parsed.os)
    )
    return program, system


def device_label(user_agent: str) -> str:
    """What a device is called on the profile page and in the API: "Firefox on Ubuntu"."""
    program, system = _device_parts(user_agent or "")
    if program and system:
        return _("%(program)s on %(system)s") % {"program": program, "system": system}
    return program or system or _("Unknown device")


def clear_expired(*, now: datetime) -> dict[str, int]:
    """Delete what can no longer sign anyone in: expired browser sessions,
    expired refresh tokens (and their blacklist rows), and devices ended or
    expired more than AUTH_SESSION_KEEP_DAYS ago (kept that long for the
    profile's and the admin's record)."""
    before = now - timedelta(days=settings.AUTH_SESSION_KEEP_DAYS)
    sessions = Session.objects.filter(expire_date__lt=now).delete()[1].get(Session._meta.label, 0)
    tokens = OutstandingToken.objects.filter(expires_at__lte=now).delete()  # what flushexpiredtokens does
    browser_session = Session.objects.filter(session_key=OuterRef("session_key"))
    devices = AuthSession.objects.filter(
        Q(ended_at__lt=before)
        | Q(kind=SessionKind.API, expires_at__lt=before)
        | Q(~Exists(browser_session), kind=SessionKind.BROWSER, last_used_at__lt=before)
    ).delete()
    return {
        "devices": devices[1].get(AuthSession._meta.label, 0),
        "browser_sessions": sessions,
        "refresh_tokens": tokens[1].get(OutstandingToken._meta.label, 0),  # their blacklist rows go with them
    }
