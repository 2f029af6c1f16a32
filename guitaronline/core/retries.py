"""Retries with backoff and a dead letter: the one rule for outbox events and e-mails.

Both keep `status`, `attempts` and `next_attempt_at`. A pending row, and a
failed one with attempts left, is retried once its next attempt is due; a
failed row that has used OUTBOX_MAX_RETRIES attempts is the dead letter,
which only staff send round again. The dispatcher, the staff dashboards, the
API and `/metrics` all read the limit from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

PENDING = "pending"
FAILED = "failed"


def max_retries() -> int:
    return settings.OUTBOX_MAX_RETRIES


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base … capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def failed_retryable() -> Q:
    """Failed, with attempts left."""
    return Q(status=FAILED, attempts__lt=max_retries())


def dead_letter() -> Q:
    """Failed, out of attempts."""
    return Q(status=FAILED, attempts__gte=max_retries())


def retryable() -> Q:
    """To be tried (again): pending, or failed with attempts left."""
    return Q(status=PENDING) | failed_retryable()


def due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


class RetryQuerySet(models.QuerySet):
    """The rule above as queryset methods, for models with the three fields."""

    def retryable_due(self, *, now: datetime) -> RetryQuerySet:
        return self.filter(retryable() & due(now))

    def dead_letter(self) -> RetryQuerySet:
        return self.filter(dead_letter())
