"""The teacher's dashboard at /teacher/: next lessons, lessons waiting to be
marked, this week's slots, links, and the public profile summary."""

from __future__ import annotations

import datetime as dt
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeacherProfile
from booking import selectors as booking_selectors
from booking.models import Booking
from scheduling.models import Slot
from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.factories import StaffFactory, TeacherFactory, book, hold, make_slot
from tests.lessons.factories import future_lesson, past_lesson, student_with_package
from tests.pages import html, is_login_redirect, text

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("booking:teacher-dashboard")
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_dashboard_lives_at_teacher():
    assert DASHBOARD == "/teacher/"


def test_anonymous_visitors_are_sent_to_log_in():
    assert is_login_redirect(Client().get(DASHBOARD))


@pytest.mark.parametrize("factory", [student_with_package, StaffFactory])
def test_students_and_staff_are_told_it_is_the_teachers_area(factory):
    client = signed_in(factory())
    assert_other_area(client.get(DASHBOARD), "teachers")
    assert_other_area(client.get(reverse("accounts:teacher-home")), "teachers")


def test_the_old_teacher_home_sends_teachers_to_the_dashboard(berlin_teacher):
    response = signed_in(berlin_teacher).get(reverse("accounts:teacher-home"))
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_home_leads_a_teacher_to_the_dashboard(berlin_teacher):
    response = signed_in(berlin_teacher).get(reverse("accounts:home"), follow=True)
    assert response.redirect_chain[-1] == (DASHBOARD, 302)
    assert response.status_code == 200


def test_the_dashboard_shows_the_next_lessons_in_the_teachers_zone(berlin_teacher, moscow_student):
    lessons = [
        future_lesson(berlin_teacher, moscow_student, starts_in=dt.timedelta(days=3, hours=2 * n)) for n in range(6)
    ]
    response = signed_in(berlin_teacher).get(DASHBOARD)
    page = html(response)
    shown = [lesson for lesson in lessons if reverse("lessons:detail", args=[lesson.pk]) in page]
    assert shown == lessons[:5]
    first = timezone.localtime(lessons[0].start_at, BERLIN)
    assert f'<time datetime="{first.isoformat()}">' in page
    assert "Sasha Student" in page
    assert f'href="{reverse("lessons:list")}"' in page


def test_the_dashboard_counts_lessons_that_wait_to_be_marked(berlin_teacher, moscow_student):
    past_lesson(berlin_teacher, moscow_student)
    past_lesson(berlin_teacher, moscow_student, ended_hours_ago=30)
    assert "2 lessons have started and wait to be marked." in text(signed_in(berlin_teacher).get(DASHBOARD))


def this_week_slot(teacher, hours_from_monday: int) -> Slot:
    """A slot in the current local week of the teacher, `hours_from_monday` after Monday 00:00 local."""
    today = timezone.localtime(timezone.now(), BERLIN).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time.min, tzinfo=BERLIN)
    start = monday + dt.timedelta(hours=hours_from_monday)
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))


def test_the_dashboard_counts_this_weeks_free_held_and_booked_slots(
    berlin_teacher, moscow_student, other_moscow_student, frozen_now
):
    frozen_now(dt.datetime(2030, 1, 16, 12, tzinfo=UTC))  # Wednesday
    free = [this_week_slot(berlin_teacher, hours) for hours in (100, 102, 104)]  # Friday 04:00, 06:00, 08:00
    held = this_week_slot(berlin_teacher, 110)
    booked = this_week_slot(berlin_teacher, 120)
    hold(other_moscow_student, held)
    book(moscow_student, booked)
    dead = this_week_slot(berlin_teacher, 130)
    Booking.objects.create(
        student=other_moscow_student, slot=dead, status="hold", hold_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    this_week_slot(berlin_teacher, 24 * 7 + 1)  # next week
    this_week_slot(TeacherFactory(), 100)  # someone else's
    removed = this_week_slot(berlin_teacher, 140)
    Slot.objects.filter(pk=removed.pk).update(removed_at=timezone.now())

    dashboard = booking_selectors.teacher_dashboard(teacher=berlin_teacher, zone=BERLIN)
    assert (dashboard.slots_free, dashboard.slots_held, dashboard.slots_booked) == (len(free) + 1, 1, 1)
    assert (dashboard.week_first_day, dashboard.week_last_day) == (dt.date(2030, 1, 14), dt.date(2030, 1, 20))

    page = text(signed_in(berlin_teacher).get(DASHBOARD))
    assert "Free slots 4 Held 1 Booked 1" in page
    assert "14 January – 20 January" in page


def test_slot_counts_agree_with_each_slots_takenness(berlin_teacher, moscow_student, other_moscow_student):
    """The dashboard's counts and the week view read one rule (booking's)."""
    slots = [make_slot(berlin_teacher, starts_in=dt.timedelta(days=2, hours=2 * n)) for n in range(5)]
    hold(other_moscow_student, slots[0])
    book(moscow_student, slots[1])
    Booking.objects.create(
        student=other_moscow_student,
        slot=slots[2],
        status="hold",
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    start, end = slots[0].start_at - dt.timedelta(hours=1), slots[-1].end_at
    now = timezone.now()
    counts = booking_selectors.teacher_slot_counts(teacher=berlin_teacher, start=start, end=end, now=now)
    taken = [
        slot.taken
        for slot in booking_selectors.teacher_slots_taken(teacher=berlin_teacher, start=start, end=end, now=now)
    ]
    assert counts["held"] + counts["booked"] == sum(taken) == 2
    assert counts["free"] == len(taken) - sum(taken) == 3


def test_the_dashboard_links_to_every_teacher_page(berlin_teacher):
    page = html(signed_in(berlin_teacher).get(DASHBOARD))
    for name in [
        "booking:teacher-week",
        "scheduling:slot-add",
        "scheduling:slot-add-recurring",
        "lessons:list",
        "lessons:students",
        "accounts:teacher-profile",
    ]:
        assert f'href="{reverse(name)}"' in page, name


def test_the_dashboard_keeps_the_profile_summary(berlin_teacher):
    TeacherProfile.objects.filter(pk=berlin_teacher.pk).update(
        display_name="Sergei Strings", styles="blues, rock", levels=["beginner", "advanced"], lesson_minutes=45
    )
    page = text(signed_in(berlin_teacher).get(DASHBOARD))
    assert "Hello, Sergei Strings!" in page
    assert "Your profile is published" in page
    assert "blues, rock" in page
    assert "beginner, advanced" in page
    assert "45 minutes" in page


def test_an_empty_dashboard(berlin_teacher):
    page = text(signed_in(berlin_teacher).get(DASHBOARD))
    assert "No upcoming lessons yet." in page
    assert "Free slots 0 Held 0 Booked 0" in page
    assert "wait to be marked" not in page


def test_the_dashboard_runs_the_same_queries_with_1_and_many_lessons(berlin_teacher, django_assert_num_queries):
    client = signed_in(berlin_teacher)
    students = [student_with_package() for _ in range(7)]
    future_lesson(berlin_teacher, students[0])
    # session, user, profile, next lessons, waiting to be marked, slot counts
    with django_assert_num_queries(7):
        client.get(DASHBOARD)
    for number, student in enumerate(students[1:], start=1):
        future_lesson(berlin_teacher, student)
        past_lesson(berlin_teacher, student, ended_hours_ago=2 * number)
    with django_assert_num_queries(7):
        client.get(DASHBOARD)
