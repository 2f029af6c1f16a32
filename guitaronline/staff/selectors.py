"""Read models for staff: the KPI and operations overviews.

They compose what each app counts of its own rows (its selectors), so they
live in the roof, above the apps, and are shared by the API and the admin
dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts import selectors as account_selectors
from audit import selectors as audit_selectors
from billing import selectors as billing_selectors
from booking import selectors as booking_selectors
from guitaronline.core import retries
from guitaronline.core.tallies import Tally
from lessons import selectors as lesson_selectors
from notifications import selectors as notification_selectors


@dataclass(frozen=True)
class KpiOverview:
    generated_at: datetime
    users: Tally
    bookings: Tally
    lessons: Tally
    packages: Tally
    payments: Tally
    payment_amounts: dict[str, dict[str, str]]

    def as_dict(self) -> dict:
        """The API's shape."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "users": self.users.as_dict(),
            "bookings": self.bookings.as_dict(),
            "lessons": self.lessons.as_dict(),
            "payments": {**self.payments.as_dict(), "amounts": self.payment_amounts},
            "packages": self.packages.as_dict(),
        }


def kpi_overview(*, now: datetime | None = None) -> KpiOverview:
    now = now or timezone.now()
    return KpiOverview(
        generated_at=now,
        users=account_selectors.users_by_role(),
        bookings=booking_selectors.bookings_by_status(now=now),
        lessons=lesson_selectors.lessons_by_status(),
        packages=billing_selectors.packages_by_status(now=now),
        payments=billing_selectors.payments_by_status(),
        payment_amounts=billing_selectors.payment_amounts(),
    )


def ops_overview(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    outbox = audit_selectors.outbox_backlog_counts()  # not every processed event
    return {
        "generated_at": now.isoformat(),
        "max_retries": retries.max_retries(),
        "outbox_pending": outbox["pending"],
        "outbox_failed_retryable": outbox["failed_retryable"],
        "outbox_failed_dead_letter": outbox["failed_dead_letter"],
        "failed_notifications": notification_selectors.failed_notifications_count(),
        "stale_booking_holds": booking_selectors.holds_stale(now=now).count(),
        "overdue_active_packages": billing_selectors.packages_overdue(now=now).count(),
    }


@dataclass(frozen=True)
class FinanceOverview:
    generated_at: datetime
    months: dict  # currency -> [billing.selectors.MonthMoney], oldest first
    pending_stale: list
    mismatched_events: list

    def as_dict(self) -> dict:
        """The API's shape."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "months": {
                currency: [
                    {
                        "month": row.month.isoformat()[:7],
                        "revenue": f"{row.revenue:.2f}",
                        "refunds": f"{row.refunds:.2f}",
                    }
                    for row in rows
                ]
                for currency, rows in self.months.items()
            },
            "pending_older_than_a_day": [
                {
                    "id": payment.pk,
                    "student": payment.student.email,
                    "amount": f"{payment.amount:.2f}",
                    "currency": payment.currency,
                    "provider": payment.provider,
                    "created_at": payment.created_at.isoformat(),
                }
                for payment in self.pending_stale
            ],
            "mismatched_events": [
                {"id": event.pk, "provider": event.provider, "event_id": event.event_id, "detail": event.detail}
                for event in self.mismatched_events
            ],
        }


def finance_overview(*, now: datetime | None = None) -> FinanceOverview:
    now = now or timezone.now()
    return FinanceOverview(
        generated_at=now,
        months=billing_selectors.money_by_month(months=12, now=now),
        pending_stale=list(billing_selectors.payments_pending_stale(now=now)[:100]),
        mismatched_events=list(billing_selectors.payment_events_mismatched().order_by("-created_at")[:50]),
    )
