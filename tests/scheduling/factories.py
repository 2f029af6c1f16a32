"""Factories and booking helpers for the scheduling tests.

Tests may import booking, billing and lessons (scheduling code may not): a
slot's takenness is proved with real Booking rows.
"""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import LessonPackage
from booking.models import Booking
from lessons.models import Lesson
from scheduling.models import Slot
from tests.factories import StudentFactory, TeacherFactory


def hour_from_now(hours: int) -> dt.datetime:
    """A whole UTC hour about `hours` from now (slots start on round times)."""
    return (timezone.now() + dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    teacher = factory.SubFactory(TeacherFactory)
    start_at = factory.Sequence(lambda n: hour_from_now(48) + dt.timedelta(hours=2 * n))
    end_at = factory.LazyAttribute(lambda slot: slot.start_at + dt.timedelta(hours=1))


def hold_booking(*, slot: Slot, expires_at: dt.datetime, student=None) -> Booking:
    return Booking.objects.create(
        student=student or StudentFactory(), slot=slot, status=Booking.Status.HOLD, hold_expires_at=expires_at
    )


def confirmed_booking(*, slot: Slot, student=None) -> Booking:
    student = student or StudentFactory()
    package = LessonPackage.objects.create(
        student=student,
        lessons_total=10,
        lessons_left=9,
        price=Decimal("100.00"),
        currency="EUR",
        expires_at=slot.start_at + dt.timedelta(days=90),
    )
    lesson = Lesson.objects.create(teacher=slot.teacher, student=student, start_at=slot.start_at, end_at=slot.end_at)
    return Booking.objects.create(
        student=student,
        slot=slot,
        status=Booking.Status.CONFIRMED,
        package=package,
        lesson=lesson,
        confirmed_at=timezone.now(),
    )


def past_booking(*, slot: Slot, status: str, student=None) -> Booking:
    """A canceled or expired booking: history that no longer takes the slot."""
    return Booking.objects.create(
        student=student or StudentFactory(),
        slot=slot,
        status=status,
        hold_expires_at=timezone.now() - dt.timedelta(hours=1),
    )


def slot_in(teacher, now: dt.datetime, hours: float, length_minutes: int = 60) -> Slot:
    """A slot of `teacher` starting `hours` after `now`."""
    start = now + dt.timedelta(hours=hours)
    return SlotFactory(teacher=teacher, start_at=start, end_at=start + dt.timedelta(minutes=length_minutes))
