"""Shared set-up of the waitlist tests: a published teacher with a slot
three days ahead, students with packages (the booking tests' `school`), and
helpers to join, book and read what changed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog, OutboxEvent
from billing.models import LessonPackage
from booking import services, waitlist
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from scheduling.models import Slot
from tests.booking.conftest import make_package, make_slot, school  # noqa: F401  (the `school` fixture)
from tests.factories import StudentFactory


def join(student, teacher, *, weekday=None, start=None, end=None) -> WaitlistEntry:
    return waitlist.waitlist_join(
        student=student, teacher_id=teacher.pk, weekday=weekday, start_time=start, end_time=end
    )


def confirmed(student, slot, now: datetime | None = None) -> Booking:
    booking = services.booking_hold(student=student, slot_id=slot.pk, now=now)
    return services.booking_confirm(booking=booking, actor=student, now=now)


def student_with_package(**fields):
    student = StudentFactory(**fields)
    make_package(student)
    return student


def slot_at(teacher, start: datetime, minutes: int = 60) -> Slot:
    """A slot starting exactly at `start` (aware)."""
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(minutes=minutes))


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


def snapshot() -> dict:
    """What a refused action must leave untouched."""
    return {
        "entries": list(WaitlistEntry.objects.order_by("pk").values()),
        "offers": list(WaitlistOffer.objects.order_by("pk").values()),
        "bookings": list(Booking.objects.order_by("pk").values()),
        "packages": list(LessonPackage.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def waiting(school):  # noqa: F811
    """`school` plus a third student with a confirmed booking of the teacher's slot,
    and two more students waiting for the teacher in this order: first, second."""
    school.booker = student_with_package()
    school.booking = confirmed(school.booker, school.slot)
    school.first, school.second = student_with_package(), student_with_package()
    school.first_entry = join(school.first, school.teacher)
    school.second_entry = join(school.second, school.teacher)
    return school
