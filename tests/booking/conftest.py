import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditLog, OutboxEvent
from billing.models import LessonPackage
from booking.models import Booking
from lessons.models import Lesson
from scheduling.models import Slot
from tests.factories import StudentFactory, TeacherFactory

_spread = itertools.count()


def make_slot(teacher, *, starts_in: timedelta | None = None, minutes: int = 60) -> Slot:
    """A slot `starts_in` from now; by default a fresh hour three days ahead."""
    if starts_in is None:
        starts_in = timedelta(days=3, hours=2 * next(_spread))
    start = (timezone.now() + starts_in).replace(microsecond=0)
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(minutes=minutes))


def make_package(student, *, lessons: int = 10, left: int | None = None, expires_in=timedelta(days=90)):
    return LessonPackage.objects.create(
        student=student,
        lessons_total=lessons,
        lessons_left=lessons if left is None else left,
        price=Decimal("10000.00"),
        currency="RUB",
        expires_at=timezone.now() + expires_in,
    )


def snapshot() -> dict:
    """What a failed operation must leave untouched."""
    return {
        "bookings": list(Booking.objects.order_by("pk").values()),
        "lessons": list(Lesson.objects.order_by("pk").values()),
        "packages": list(LessonPackage.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


@pytest.fixture
def school(db):
    """A published teacher with a slot three days ahead and a student with a 10-lesson package."""

    class School:
        teacher = TeacherFactory()
        student = StudentFactory()
        other_student = StudentFactory()
        other_teacher = TeacherFactory()

    school = School()
    school.slot = make_slot(school.teacher)
    school.package = make_package(school.student)
    make_package(school.other_student)
    return school
