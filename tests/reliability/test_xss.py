"""XSS probe: text people type (names, teacher bio and styles, notes,
homework, notification text) shown on every page that displays it, as
escaped text, never as markup."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeacherProfile
from booking import services as booking_services
from lessons import services as lesson_services
from lessons.models import Lesson
from notifications.models import Notification
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg/onload=alert(3)>",
    "javascript:alert(4)//<a href='javascript:alert(5)'>",
]
PROBE = " ".join(PAYLOADS)
DANGEROUS = ["<script>alert", "<img src=x", "<svg/onload", "<a href='javascript"]


@pytest.fixture
def poisoned():
    teacher = TeacherFactory(full_name=f"T {PROBE}", language="en")
    TeacherProfile.objects.filter(user=teacher).update(display_name=f"D {PROBE}", bio=f"B {PROBE}", styles=PROBE[:250])
    student = StudentFactory(full_name=f"S {PROBE}", language="en")
    make_package(student)
    booking = booking_services.booking_confirm(
        booking=booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk), actor=student
    )
    lesson = Lesson.objects.get(pk=booking.lesson_id)
    Lesson.objects.filter(pk=lesson.pk).update(start_at=timezone.now() - timedelta(hours=2))
    lesson_services.lesson_mark(
        lesson=lesson, status="completed", actor=teacher, notes=f"N {PROBE}", homework=f"H {PROBE}"
    )
    Notification.objects.create(
        recipient=student, event_id=uuid.uuid4(), event_type="x", channel="in_app", subject=f"S {PROBE}",
        body=f"B {PROBE}", status="sent",
    )  # fmt: skip
    return {"teacher": teacher, "student": student, "booking": booking, "lesson": lesson, "staff": StaffFactory()}


def pages(world) -> list[tuple[str, str]]:
    teacher, student, lesson = world["teacher"], world["student"], world["lesson"]
    return [
        ("anonymous", reverse("booking:teacher-list")),
        ("anonymous", reverse("booking:teacher-detail", args=[teacher.pk])),
        ("student", reverse("booking:dashboard")),
        ("student", reverse("booking:booking-list")),
        ("student", reverse("booking:booking-detail", args=[world["booking"].pk])),
        ("student", reverse("lessons:list") + "?period=past"),
        ("student", reverse("lessons:detail", args=[lesson.pk])),
        ("student", reverse("notifications:list")),
        ("student", reverse("accounts:profile")),
        ("teacher", reverse("booking:teacher-dashboard")),
        ("teacher", reverse("lessons:list") + "?period=past"),
        ("teacher", reverse("lessons:detail", args=[lesson.pk])),
        ("teacher", reverse("lessons:students")),
        ("teacher", reverse("lessons:student-history", args=[student.pk])),
        ("teacher", reverse("booking:teacher-week")),
        ("teacher", reverse("accounts:teacher-profile")),
        ("staff", reverse("admin:kpi-dashboard")),
        ("staff", reverse("admin:accounts_user_changelist")),
        ("staff", reverse("admin:lessons_lesson_change", args=[lesson.pk])),
        ("staff", reverse("admin:booking_booking_changelist")),
    ]


def test_typed_text_is_escaped_on_every_page_that_shows_it(poisoned):
    shown_somewhere = 0
    for role, url in pages(poisoned):
        client = Client()
        if role != "anonymous":
            client.force_login(poisoned[role])
        response = client.get(url, follow=True)
        assert response.status_code == 200, (role, url)
        html = response.content.decode()
        for marker in DANGEROUS:
            assert marker not in html, (role, url, marker)
        if "&lt;script&gt;alert(" in html:
            shown_somewhere += 1
    assert shown_somewhere >= 12  # the probe really reached the pages


def test_the_api_returns_the_text_as_data(poisoned):
    from tests.clients import client_for

    lesson = client_for(poisoned["student"]).get(f"/api/v1/lessons/{poisoned['lesson'].pk}")
    assert lesson["Content-Type"] == "application/json"
    assert PAYLOADS[0] in lesson.json()["homework"]  # stored verbatim, rendered escaped by clients
