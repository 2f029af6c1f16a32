"""Services that are steps of their caller's change."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


class _Callback(Protocol):
    def __call__(self) -> object: ...


C = TypeVar("C", bound=_Callback)


def joins_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` in the caller's transaction when there is one, else in a
    transaction of its own.

    For services that are usually a step of a larger change (an audit record,
    a lesson taken from a package while a booking is confirmed): unlike a
    nested `transaction.atomic` they set no savepoint, two round trips fewer
    per call; unlike `atomic(savepoint=False)` an error they raise leaves the
    caller's transaction usable, so a caller may catch it and go on. What they
    wrote before raising is then the caller's to roll back, as every other
    statement of its transaction is.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        with transaction.atomic():
            return func(*args, **kwargs)

    return wrapper


def pending_on_commit(kind: type[C]) -> C | None:
    """The callback of class `kind` the current transaction runs when it
    commits, if something registered one (`on_commit_once`)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    return next((callback for _, callback, _ in connection.run_on_commit if isinstance(callback, kind)), None)


def on_commit_once(kind: type[C]) -> C:
    """The one callback of class `kind` for the current transaction: made and
    registered (robust: its failure never fails the commit) by the first
    change that asks, the same one for every later change, however many. A
    rollback drops it with the changes. Outside a transaction Django runs a
    callback at once, so it is run at once here too."""
    callback = pending_on_commit(kind)
    if callback is None:
        callback = kind()
        transaction.on_commit(callback, robust=True)
    return callback
