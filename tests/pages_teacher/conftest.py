"""Helpers for the teacher pages and the lesson pages of both roles.

Bookings and lessons are made through `booking.services` (hold, then
confirm), as the student pages make them."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog, OutboxEvent
from booking import services as booking_services
from booking.models import Booking
from lessons.models import Lesson
from scheduling.models import Slot
from tests.booking.conftest import make_package, make_slot
from tests.factories import StudentFactory, TeacherFactory

UTC = dt.UTC
LONG = dt.timedelta(days=20 * 365)  # packages that outlive the fixed dates the tests use


def student_with_package(**fields) -> User:
    student = StudentFactory(**fields)
    make_package(student, lessons=100, expires_in=LONG)
    return student


def signed_in(user: User, *, language: str = "en") -> Client:
    """A client signed in as `user`, whose pages come in `language`."""
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags dropped and whitespace squeezed."""
    body = html(response)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?time[^>]*>", "", body)  # keep "17:00–18:00" together
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")


def book(student: User, slot: Slot, *, now: dt.datetime | None = None) -> Booking:
    """Hold and confirm `slot` for `student` (who needs a usable package)."""
    booking = booking_services.booking_hold(student=student, slot_id=slot.pk, now=now)
    return booking_services.booking_confirm(booking=booking, actor=student, now=now)


def hold(student: User, slot: Slot) -> Booking:
    return booking_services.booking_hold(student=student, slot_id=slot.pk)


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


def snapshot() -> dict:
    """What a refused action must leave untouched."""
    return {
        "slots": list(Slot.objects.order_by("pk").values()),
        "bookings": list(Booking.objects.order_by("pk").values()),
        "lessons": list(Lesson.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` asserts the block changed nothing in the database."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = snapshot()
        yield
        assert snapshot() == before

    return check


@pytest.fixture
def frozen_now(monkeypatch):
    """`frozen_now(moment)` makes `timezone.now()` return `moment` for the
    pages and the services they call (set it before signing in)."""

    def freeze(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def teacher(db):
    return TeacherFactory(timezone="Europe/Berlin", full_name="Tatiana Teacher")


@pytest.fixture
def other_teacher(db):
    return TeacherFactory(timezone="Europe/Berlin")


@pytest.fixture
def student(db):
    student = StudentFactory(timezone="Europe/Moscow", full_name="Sasha Student")
    make_package(student, lessons=100, expires_in=LONG)
    return student


@pytest.fixture
def other_student(db):
    student = StudentFactory(timezone="Europe/Moscow", full_name="Olga Other")
    make_package(student, lessons=100, expires_in=LONG)
    return student
