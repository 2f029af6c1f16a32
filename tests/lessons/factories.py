"""Lessons made the real way (hold, then confirm, through `booking.services`),
before, during or after their time, and homework added by the teacher."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from lessons import services
from lessons.models import HomeworkItem, Lesson
from scheduling.models import Slot
from tests.factories import StudentFactory, book, make_package, make_slot

LONG = dt.timedelta(days=20 * 365)  # packages that outlive the fixed dates the tests use


def student_with_package(**fields) -> User:
    """A student with 100 lessons that outlive the fixed dates the tests use."""
    student = StudentFactory(**fields)
    make_package(student, lessons=100, expires_in=LONG)
    return student


def past_lesson(teacher: User, student: User, *, ended_hours_ago: float = 2, minutes: int = 60) -> Lesson:
    """A real lesson that has already ended: booked three days before its start."""
    end = (timezone.now() - dt.timedelta(hours=ended_hours_ago)).replace(microsecond=0)
    start = end - dt.timedelta(minutes=minutes)
    slot = Slot.objects.create(teacher=teacher, start_at=start, end_at=end)
    return book(student, slot, now=start - dt.timedelta(days=3)).lesson


def started_lesson(teacher: User, student: User) -> Lesson:
    """A real lesson that started ten minutes ago and is still running."""
    return past_lesson(teacher, student, ended_hours_ago=-50 / 60)


def future_lesson(teacher: User, student: User, **slot_options) -> Lesson:
    return book(student, make_slot(teacher, **slot_options)).lesson


def lesson_at(teacher: User, student: User, start: dt.datetime, minutes: int = 60) -> Lesson:
    """A real lesson at a fixed time (booked three days before it)."""
    slot = Slot.objects.create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(minutes=minutes))
    return book(student, slot, now=start - dt.timedelta(days=3)).lesson


def add_homework(lesson, title="Romanza, first part", kind="piece", details="") -> HomeworkItem:
    """A homework item the lesson's teacher adds through `lessons.services`."""
    return services.homework_item_add(lesson=lesson, actor=lesson.teacher, kind=kind, title=title, details=details)
