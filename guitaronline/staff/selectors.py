"""Read models for staff: the KPI and operations overviews.

They read every domain app, so they live in the project package, above the
apps, and are shared by the API and the admin dashboards.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Role, User
from audit.selectors import outbox_backlog_counts
from billing.models import LessonPackage, Payment
from billing.selectors import packages_overdue
from booking.models import Booking
from booking.selectors import holds_stale, with_effective_status
from lessons.models import Lesson
from notifications.models import Notification

DEFAULT_MAX_RETRIES = 5


def _counts(rows, field: str, choices) -> dict[str, int]:
    counts = dict.fromkeys(choices, 0)
    for row in rows:
        counts[row[field]] = row["n"]
    counts["total"] = sum(counts[choice] for choice in choices)
    return counts


def _by(queryset, field: str, choices) -> dict[str, int]:
    return _counts(queryset.values(field).annotate(n=Count("pk")).order_by(), field, choices)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')):.2f}"


def payment_amounts() -> dict[str, dict[str, str]]:
    """Per currency: `succeeded` = all money received (also what was later
    refunded), `refunded`, and `net` = succeeded - refunded."""
    rows = (
        Payment.objects.filter(status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED])
        .values("currency", "status")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"succeeded": Decimal(0), "refunded": Decimal(0)})
    for row in rows:
        sums[row["currency"]]["succeeded"] += row["total"]
        if row["status"] == Payment.Status.REFUNDED:
            sums[row["currency"]]["refunded"] += row["total"]
    return {
        currency: {
            "succeeded": _money(values["succeeded"]),
            "refunded": _money(values["refunded"]),
            "net": _money(values["succeeded"] - values["refunded"]),
        }
        for currency, values in sorted(sums.items())
    }


def kpi_overview(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    bookings = with_effective_status(Booking.objects.all(), now=now)
    packages = LessonPackage.objects.all()
    package_counts = _by(packages, "status", LessonPackage.Status.values)
    overdue = packages_overdue(now=now).count()
    package_counts["active"] -= overdue
    package_counts["expired"] += overdue
    return {
        "generated_at": now.isoformat(),
        "users": _by(User.objects.all(), "role", Role.values),
        "bookings": _by(bookings, "effective_status", Booking.Status.values),
        "lessons": _by(Lesson.objects.all(), "status", Lesson.Status.values),
        "payments": {
            **_by(Payment.objects.all(), "status", Payment.Status.values),
            "amounts": payment_amounts(),
        },
        "packages": package_counts,
    }


def bookings_per_week(*, weeks: int = 12, now: datetime | None = None) -> list[dict]:
    """Bookings made per week (Monday to Sunday, UTC) for the last `weeks`
    weeks, oldest first, with weeks without bookings as zero."""
    now = now or timezone.now()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        Booking.objects.filter(created_at__gte=first)
        .annotate(week=TruncWeek("created_at", tzinfo=UTC))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["week"].date(): row["n"] for row in rows}
    return [
        {"week": (first + timedelta(weeks=i)).date(), "count": counts.get((first + timedelta(weeks=i)).date(), 0)}
        for i in range(weeks)
    ]


def ops_overview(*, max_retries: int = DEFAULT_MAX_RETRIES, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    outbox = outbox_backlog_counts(max_retries=max_retries)  # not every processed event
    return {
        "generated_at": now.isoformat(),
        "max_retries": max_retries,
        "outbox_pending": outbox["pending"],
        "outbox_failed_retryable": outbox["failed_retryable"],
        "outbox_failed_dead_letter": outbox["failed_dead_letter"],
        "failed_notifications": Notification.objects.filter(status=Notification.Status.FAILED).count(),
        "stale_booking_holds": holds_stale(now=now).count(),
        "overdue_active_packages": packages_overdue(now=now).count(),
    }
