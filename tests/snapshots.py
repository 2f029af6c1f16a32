"""What a refused action must leave untouched: compare a snapshot taken
before with one taken after (`assert booking_snapshot() == before`)."""

from __future__ import annotations

from audit.models import AuditLog, OutboxEvent
from billing.models import LessonPackage
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from lessons.models import HomeworkItem, Lesson
from scheduling.models import Slot


def _rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def _records() -> dict:
    return {"audit": AuditLog.objects.count(), "outbox": OutboxEvent.objects.count()}


def booking_snapshot() -> dict:
    """Bookings, lessons and packages, and the audit and outbox counts."""
    return {"bookings": _rows(Booking), "lessons": _rows(Lesson), "packages": _rows(LessonPackage), **_records()}


def schedule_snapshot() -> dict:
    """Slots (removed ones included), bookings and lessons, and the audit and
    outbox counts: what the `unchanged` fixture compares."""
    return {"slots": _rows(Slot), "bookings": _rows(Booking), "lessons": _rows(Lesson), **_records()}


def waitlist_snapshot() -> dict:
    """Waitlist entries and offers, bookings and packages, and the audit and outbox counts."""
    return {
        "entries": _rows(WaitlistEntry),
        "offers": _rows(WaitlistOffer),
        "bookings": _rows(Booking),
        "packages": _rows(LessonPackage),
        **_records(),
    }


def homework_snapshot() -> dict:
    """Homework items and lessons, and the audit and outbox counts."""
    return {"items": _rows(HomeworkItem), "lessons": _rows(Lesson), **_records()}
