"""Shared set-up of the homework tests: a teacher, their student with a
booked lesson, another student and another teacher, and helpers."""

from __future__ import annotations

import pytest

from audit.models import AuditLog, OutboxEvent
from lessons import services
from lessons.models import HomeworkItem, Lesson
from tests.booking.conftest import make_package, make_slot
from tests.factories import StaffFactory, StudentFactory, TeacherFactory
from tests.pages_teacher.conftest import LONG, book, signed_in  # noqa: F401  (re-exported for the tests)


def snapshot() -> dict:
    """What a refused action must leave untouched."""
    return {
        "items": list(HomeworkItem.objects.order_by("pk").values()),
        "lessons": list(Lesson.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


def add(lesson, title="Romanza, first part", kind="piece", details="") -> HomeworkItem:
    return services.homework_item_add(lesson=lesson, actor=lesson.teacher, kind=kind, title=title, details=details)


@pytest.fixture
def people(db):
    class People:
        teacher = TeacherFactory(timezone="Europe/Berlin", full_name="Tatiana Teacher")
        other_teacher = TeacherFactory()
        student = StudentFactory(timezone="Europe/Moscow", full_name="Sasha Student")
        other_student = StudentFactory(full_name="Olga Other")
        staff = StaffFactory()

    make_package(People.student, lessons=100, expires_in=LONG)
    make_package(People.other_student, lessons=100, expires_in=LONG)
    people = People()
    people.lesson = book(people.student, make_slot(people.teacher)).lesson
    return people
