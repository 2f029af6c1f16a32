"""The student's dashboard at /student/: next lessons, live holds, packages, links."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeacherProfile, User
from billing.models import LessonPackage
from billing.selectors import packages_usable
from booking.models import Booking
from booking.selectors import UPCOMING_LESSONS
from tests.clients import signed_in
from tests.factories import TeacherFactory, book, hold, make_package, make_slot
from tests.notifications.factories import notify
from tests.pages import text

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def url() -> str:
    return reverse("booking:dashboard")


def test_dashboard_greets_and_links_every_student_page(school, student_client):
    User.objects.filter(pk=school.student.pk).update(full_name="Maria Ivanova", timezone="Europe/Berlin")
    response = student_client.get(url())
    html = response.content.decode()
    shown = text(response)
    assert "Hello, Maria!" in shown
    assert "Europe/Berlin" in shown and "English" in shown
    for name in ["booking:teacher-list", "booking:booking-list", "billing:package-list", "notifications:list"]:
        assert f'href="{reverse(name)}"' in html, name
    assert f'href="{reverse("accounts:profile")}"' in html


def test_dashboard_shows_the_next_five_lessons_in_order(school, student_client):
    make_package(school.student, lessons=20)
    bookings = [
        # months ahead: clear of the shared `make_slot` spread (3 to 53 days) that `school.slot` uses
        book(school.student, make_slot(school.teacher, starts_in=timedelta(days=90, hours=2 * n)))
        for n in range(6)
    ]
    canceled = book(school.student, make_slot(school.teacher, starts_in=timedelta(days=2)))
    from booking import services

    services.booking_cancel(booking=canceled, actor=school.student)
    html = student_client.get(url()).content.decode()
    positions = []
    for booking in bookings[:5]:
        link = f'href="{reverse("booking:booking-detail", args=[booking.pk])}"'
        assert link in html
        positions.append(html.index(link))
    assert positions == sorted(positions)
    assert f'href="{reverse("booking:booking-detail", args=[bookings[5].pk])}"' not in html
    assert f'href="{reverse("booking:booking-detail", args=[canceled.pk])}"' not in html
    start = timezone.localtime(bookings[0].slot.start_at, MOSCOW)
    assert f'<time datetime="{start.isoformat()}">' in html


def test_dashboard_shows_live_holds_and_package_balance(school, student_client):
    live = hold(school.student, school.slot)
    dead = hold(school.student, make_slot(school.teacher))
    Booking.objects.filter(pk=dead.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    make_package(school.student, lessons=5)
    make_package(school.student, lessons=5, expires_in=timedelta(days=-1))  # expired: not counted
    response = student_client.get(url())
    html = response.content.decode()
    shown = text(response)
    assert "Waiting for your confirmation" in shown
    assert f'href="{reverse("booking:booking-detail", args=[live.pk])}"' in html
    assert f'href="{reverse("booking:booking-detail", args=[dead.pk])}"' not in html
    expires = timezone.localtime(live.hold_expires_at, MOSCOW)
    assert f">{expires:%H:%M}</time>" in html
    assert "15 lessons left" in shown
    assert f"Package #{school.package.pk}: 10 of 10 left" in shown


def test_dashboard_without_lessons_or_packages(school, student_client):
    LessonPackage.objects.filter(student=school.student).delete()
    shown = text(student_client.get(url()))
    assert "No upcoming lessons yet." in shown
    assert "You have no active lesson package with lessons left." in shown
    assert "Waiting for your confirmation" not in shown


def test_dashboard_in_russian(school):
    User.objects.filter(pk=school.student.pk).update(full_name="Мария Иванова", language="ru")
    shown = text(signed_in(school.student).get(url()))
    assert "Здравствуйте, Мария!" in shown
    assert "Кабинет ученика" in shown
    assert "Ваши уроки" in shown
    assert "Русский" in shown


def test_dashboard_names_each_lessons_teacher(school, student_client):
    TeacherProfile.objects.filter(user=school.teacher).update(display_name="Mr. Strings")
    other = TeacherFactory(full_name="Olga Petrova")
    TeacherProfile.objects.filter(user=other).update(display_name="")  # no display name: the full name
    make_package(school.student)
    book(school.student, school.slot)
    book(school.student, make_slot(other))
    shown = text(student_client.get(url()))
    assert "· Mr. Strings" in shown
    assert "· Olga Petrova" in shown


def _fill(school, *, lessons: int, holds: int, packages: int, notifications: int) -> None:
    make_package(school.student, lessons=lessons)
    for _ in range(lessons):
        book(school.student, make_slot(school.teacher))
    for _ in range(holds):
        hold(school.student, make_slot(school.teacher))
    for _ in range(packages):
        make_package(school.student)
    for _ in range(notifications):
        notify(school.student)


def _shown(response) -> tuple[int, int, str]:
    html = response.content.decode()
    lessons = html[html.index('id="lessons-title"') : html.index('id="packages-title"')]
    return len(re.findall(r'href="/bookings/\d+/"', lessons)), text(response).count("Package #"), html


def test_dashboard_statements_do_not_grow_with_the_rows(school, django_assert_num_queries):
    statements = 6  # session, user, the next lessons, the live holds, the packages, the unread count
    client = signed_in(school.student)
    _fill(school, lessons=1, holds=1, packages=0, notifications=1)
    with django_assert_num_queries(statements):
        response = client.get(url())
    assert _shown(response)[:2] == (1 + 1, 2)
    _fill(school, lessons=9, holds=4, packages=5, notifications=20)
    with django_assert_num_queries(statements):
        response = client.get(url())
    links, packages, html = _shown(response)
    assert links == UPCOMING_LESSONS + 5
    assert packages == len(packages_usable(student=school.student)) > 5
    assert '<span class="nav-badge">21<span class="visually-hidden"> unread</span></span>' in html
