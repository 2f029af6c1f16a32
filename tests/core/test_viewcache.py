"""Cached page parts (`guitaronline.core.viewcache`): served from the cache
while nothing touches their owner, never stale after a committed change, a
change in the admin or time alone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import Booking
from guitaronline.core import viewcache
from notifications.models import Notification
from notifications.services import notifications_mark_read, outbox_dispatch
from scheduling.models import Slot
from tests.clients import signed_in
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db(transaction=True)  # the versions change when a change commits

DASHBOARD = "/student/"
WEEK = "/teacher/schedule/"


@pytest.fixture
def student():
    student = StudentFactory()
    make_package(student)
    return student


def unmasked(page: str) -> str:
    """The page without its CSRF tokens, which are masked afresh on every request."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def statements_of(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements.captured_queries), response.content.decode()


def test_a_second_dashboard_comes_from_the_cache_until_a_booking_changes_it(student):
    slot = make_slot(TeacherFactory())
    client = signed_in(student)
    first, page = statements_of(client, DASHBOARD)
    again, same = statements_of(client, DASHBOARD)
    assert again == first - 4  # no next lessons, live holds, packages or unread count read
    assert unmasked(same) == unmasked(page) and "Waiting for your confirmation" not in page

    booking = services.booking_hold(student=student, slot_id=slot.pk)
    held, page = statements_of(client, DASHBOARD)
    assert held == first and "Waiting for your confirmation" in page
    services.booking_confirm(booking=booking, actor=student)
    _, page = statements_of(client, DASHBOARD)
    assert "Waiting for your confirmation" not in page
    assert f'href="/bookings/{booking.pk}/"' in page  # now among the next lessons
    assert "9 lessons left" in page


def test_the_teachers_week_sees_their_students_bookings_and_their_own_changes_in_the_admin():
    teacher = TeacherFactory()
    slot = make_slot(teacher, starts_in=timedelta(hours=3))
    client = signed_in(teacher)
    _, page = statements_of(client, WEEK)
    assert "week-slot--free" in page
    student = StudentFactory()
    make_package(student)
    services.booking_hold(student=student, slot_id=slot.pk)  # someone else's change touches the teacher
    _, page = statements_of(client, WEEK)
    assert "week-slot--held" in page and "week-slot--free" not in page
    Slot.objects.create(  # written outside the services: the save itself ends the cached week
        teacher=teacher, start_at=slot.start_at + timedelta(hours=2), end_at=slot.end_at + timedelta(hours=2)
    )
    _, page = statements_of(client, WEEK)
    assert page.count('class="week-slot ') == 2


def test_each_browser_gets_the_week_with_tokens_of_its_own():
    teacher = TeacherFactory()
    make_slot(teacher, starts_in=timedelta(hours=3))
    other = make_slot(teacher, starts_in=timedelta(hours=5))
    remove = reverse("booking:slot-remove", args=[other.pk])
    browsers = [Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)]
    for browser in browsers:
        browser.force_login(teacher)  # a sign-in touches the teacher: both before either page is cached
    tokens = []
    for browser in browsers:
        page = browser.get(WEEK).content.decode()
        form = page[page.index(f'action="{remove}"') :]  # the token of the week's own form, not the header's
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1))
    answer = browsers[1].post(remove, {"csrfmiddlewaretoken": tokens[1]})
    assert answer.status_code == 302  # a token from the cached page of the first browser would be refused (403)
    assert not Slot.objects.filter(pk=other.pk, removed_at__isnull=True).exists()


def test_a_part_ends_when_time_changes_it_and_is_rendered_afresh_inside_the_changing_transaction(student):
    renders = []

    def render(until):
        def part():
            renders.append(until)
            return f"part {len(renders)}", until

        return part

    soon = timezone.now() + timedelta(milliseconds=500)
    assert viewcache.value("test", owner=student.pk, keys=["a"], compute=render(soon)) == "part 1"
    assert viewcache.value("test", owner=student.pk, keys=["a"], compute=render(soon)) == "part 2"  # ends within 1 s
    assert viewcache.value("test", owner=student.pk, keys=["b"], compute=render(None)) == "part 3"
    assert viewcache.value("test", owner=student.pk, keys=["b"], compute=render(None)) == "part 3"  # kept
    with transaction.atomic():
        viewcache.touched({student.pk})
        assert viewcache.value("test", owner=student.pk, keys=["b"], compute=render(None)) == "part 4"
        assert Booking.objects.count() == 0
    assert viewcache.value("test", owner=student.pk, keys=["b"], compute=render(None)) == "part 5"  # a new version


def test_the_people_of_a_change_are_those_its_row_and_payload_name(student):
    teacher = TeacherFactory()
    slot = make_slot(teacher)
    assert viewcache.people(slot) == {teacher.pk}
    assert viewcache.people(student) == {student.pk}
    assert viewcache.people(slot, {"student_id": student.pk, "teacher_id": "x"}) == {teacher.pk, student.pk}
    assert viewcache.people(None, {"user_id": 7}) == {7}


def test_the_directory_is_the_same_for_everyone_and_renewed_by_any_teachers_change(student):
    teacher = TeacherFactory(full_name="Ivan Strings")
    anonymous, signed = Client(), signed_in(student)
    first, page = statements_of(signed, "/teachers/")
    assert "Ivan Strings" in page
    again, _ = statements_of(signed, "/teachers/")
    assert again == first - 3  # neither the count nor the page of teachers read, nor the unread count
    statements_of(anonymous, "/teachers/")
    assert statements_of(anonymous, "/teachers/")[0] == 0  # no session, no user: the page from the cache alone
    profile = teacher.teacher_profile
    profile.display_name = "Ivan Chords"
    profile.save()
    _, page = statements_of(anonymous, "/teachers/")
    assert "Ivan Chords" in page and "Ivan Strings" not in page
    _, page = statements_of(anonymous, "/teachers/?search=Chords")  # each query its own part
    assert "Ivan Chords" in page
    teacher.is_active = False
    teacher.save()
    _, page = statements_of(signed, "/teachers/?search=Chords")
    assert "Ivan Chords" not in page


def test_the_unread_count_follows_the_workers_notifications_and_their_reading(student):
    slot = make_slot(TeacherFactory())
    client = signed_in(student)
    badge = re.compile(r'<span class="nav-badge">(\d+)<')
    assert not badge.search(statements_of(client, DASHBOARD)[1])
    services.booking_confirm(booking=services.booking_hold(student=student, slot_id=slot.pk), actor=student)
    assert not badge.search(statements_of(client, DASHBOARD)[1])  # kept: none yet
    outbox_dispatch()  # the worker makes the student's in-app notifications
    unread = Notification.objects.filter(recipient=student, channel="in_app", read_at__isnull=True).count()
    assert unread and badge.search(statements_of(client, DASHBOARD)[1]).group(1) == str(unread)
    notifications_mark_read(user=student)
    assert not badge.search(statements_of(client, DASHBOARD)[1])
