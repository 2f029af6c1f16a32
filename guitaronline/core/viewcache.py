"""Cached page parts that can never show a stale booking.

A part of a page that shows one person's own data (a student's lessons,
holds and packages; a teacher's week of slots; the unread count in the
navigation) is cached under that person's *version*: a random token in the
cache that changes after every committed change touching them. What everyone
sees (the teacher directory) has a topic for owner instead. A change touches
the people its row names (`student_id`, `teacher_id`, `recipient_id`,
`user_id`, or the user itself), and those its audit payload names:
`change_record` tells `touched` of every change a service makes (an
`update()` included), the services that write without it tell it themselves
(the outbox worker's in-app notifications, marking them read), and a save or
delete of a watched model (`watch`) tells it too, for what is written outside
the services (the admin's forms, fixtures).

The version changes *after* the commit (`transaction.on_commit`), so a part
rendered from the old rows meanwhile is stored under a version that is never
read again, and the person making the change reads it fresh on their next
page; the changing transaction itself renders their parts without the cache.
A part also ends when its data does by itself: the caller gives the earliest
moment something on it changes with time alone (a hold's expiry, a lesson's
start), and `PART_MAX_SECONDS` bounds it; that bound is also how long a
change can go unseen if the cache lost its version update while failing.

One read per page: the version and the part are fetched together, the part
stored with the version it was rendered under.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from guitaronline.core.transactions import on_commit_once, pending_on_commit

PART_MAX_SECONDS = 60
VERSION_SECONDS = 24 * 3600  # a version evicted or expired is simply a new one: every part misses once
PEOPLE = ("student_id", "teacher_id", "recipient_id", "user_id")


Owner = int | str  # a user's id, or a topic: what a part everyone sees is about ("teachers")


def _version_key(owner: Owner) -> str:
    return f"view-version:{owner}"


def people(entity: models.Model | None, payload: dict | None = None) -> set[int]:
    """The ids of the people a change of `entity` (with `payload`) touches."""
    found: list = []
    if entity is not None:
        if entity._meta.label == settings.AUTH_USER_MODEL:
            found.append(entity.pk)
        found += [getattr(entity, name, None) for name in PEOPLE]
    found += [(payload or {}).get(name) for name in PEOPLE]
    ids = {value for value in found if isinstance(value, int)}
    return ids


def bump(owners: Iterable[Owner]) -> None:
    """New versions for these owners now: every part cached for them is gone."""
    cache.set_many({_version_key(owner): secrets.token_hex(8) for owner in owners}, VERSION_SECONDS)


class _Bump:
    """The bump a transaction owes when it commits: one per transaction
    (`on_commit_once`), however many changes it makes."""

    def __init__(self) -> None:
        self.owners: set[Owner] = set()

    def __call__(self) -> None:
        bump(self.owners)


def touched(owners: Iterable[Owner]) -> None:
    """These people's (or topics') parts change when the current transaction
    commits (at once outside a transaction). Until then the transaction itself
    renders their parts afresh (`value`), and others read what is committed."""
    owners = set(owners)
    if not owners:
        return
    if not transaction.get_connection().in_atomic_block:
        bump(owners)
        return
    on_commit_once(_Bump).owners |= owners


def watch(*model_classes: type[models.Model], topics: Callable[[Any], Iterable[str]] | None = None) -> None:
    """Saves and deletes of these models touch the people their rows name,
    and the `topics` a row gives (a teacher's profile: "teachers")."""

    def saved_or_deleted(sender, instance: models.Model, **kwargs) -> None:
        touched(people(instance) | set(topics(instance) if topics else ()))

    for model in model_classes:
        uid = f"viewcache-{model._meta.label}"
        post_save.connect(saved_or_deleted, sender=model, weak=False, dispatch_uid=f"{uid}-save")
        post_delete.connect(saved_or_deleted, sender=model, weak=False, dispatch_uid=f"{uid}-delete")


def viewer(request: HttpRequest, *, forms: bool = False, query: bool = False) -> list[str]:
    """What a part depends on besides its owner's data: the language and the
    time zone it is shown in, for a part with forms (`forms`) the browser's
    CSRF secret its tokens are made from, and for a part of a search or a
    list (`query`) the query string."""
    keys = [translation.get_language() or "", timezone.get_current_timezone_name()]
    if query:
        keys.append(hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:16])
    if forms:
        get_token(request)  # sets the secret when the browser brought none
        keys.append(hashlib.sha256(request.META.get("CSRF_COOKIE", "").encode()).hexdigest()[:16])
    return keys


def value(name: str, *, owner: Owner, keys: Iterable[str], compute: Callable[[], tuple[Any, datetime | None]]) -> Any:
    """The value `name` of `owner` (a user's id, or a topic for what everyone
    sees) for `keys` (the language, the time zone, the week shown…): a part
    of a page's HTML, or a figure a page shows (the unread count). From the
    cache while the owner's version holds, else from `compute()`, which
    returns the value and the moment it stops being true with time alone
    (None: only a change ends it)."""
    pending = pending_on_commit(_Bump)
    if pending is not None and owner in pending.owners:  # changed in this very transaction
        return compute()[0]
    version_key = _version_key(owner)
    value_key = ":".join(["view-value", name, str(owner), *keys])
    found = cache.get_many([version_key, value_key])
    version = found.get(version_key)
    stored = found.get(value_key)
    if version is not None and isinstance(stored, tuple) and stored[0] == version:
        return stored[1]
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(version_key, version, VERSION_SECONDS):
            version = cache.get(version_key)  # another request made it first
    result, until = compute()
    seconds = float(PART_MAX_SECONDS)
    if until is not None:
        seconds = min(seconds, (until - timezone.now()).total_seconds())
    if version is not None and seconds >= 1:
        cache.set(value_key, (version, result), int(seconds))
    return result
