"""Helpers of the waitlist tests: join, a student with a package, the next
given weekday, the open offer of a slot, the outbox events of some types."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from audit.models import OutboxEvent
from booking import waitlist
from booking.models import WaitlistEntry, WaitlistOffer
from tests.factories import StudentFactory, make_package


def join(student, teacher, *, weekday=None, start=None, end=None) -> WaitlistEntry:
    return waitlist.waitlist_join(
        student=student, teacher_id=teacher.pk, weekday=weekday, start_time=start, end_time=end
    )


def student_with_package(**fields):
    """A student with a default package (10 lessons, 90 days)."""
    student = StudentFactory(**fields)
    make_package(student)
    return student


def next_weekday_at(weekday: int, at: time, zone, *, weeks_ahead: int = 1) -> datetime:
    """The given weekday and wall-clock time in `zone`, at least `weeks_ahead` weeks from today."""
    today = timezone.localtime(timezone.now(), zone).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
    return datetime.combine(day, at, zone)


def open_offer(slot) -> WaitlistOffer | None:
    return WaitlistOffer.objects.filter(slot=slot, status="offered").select_related("entry").first()


def events(*types: str) -> list[str]:
    return list(
        OutboxEvent.objects.filter(event_type__in=types).order_by("created_at").values_list("event_type", flat=True)
    )
