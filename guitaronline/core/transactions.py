"""Services that are steps of their caller's change."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


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
