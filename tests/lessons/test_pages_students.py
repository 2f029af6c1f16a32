"""The teacher's students: who they teach (with counts and the next lesson)
and one student's history with this teacher."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC

import pytest
from django.test import Client
from django.urls import reverse

from booking import services as booking_services
from booking.models import Booking
from lessons import selectors
from lessons.models import Lesson
from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.factories import StaffFactory, TeacherFactory
from tests.lessons.factories import future_lesson, lesson_at, past_lesson, student_with_package
from tests.pages import html, is_login_redirect, text

pytestmark = pytest.mark.django_db

STUDENTS = reverse("lessons:students")


def history(student) -> str:
    return reverse("lessons:student-history", args=[student.pk])


def rows(response) -> list[str]:
    """The table's body rows as text: ["Sasha Student 1 1 3 Mon 4 March, 18:00", ...]."""
    body = html(response).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    body = re.sub(r"</?time[^>]*>", "", body)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


# --- who may open the pages -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(moscow_student):
    assert is_login_redirect(Client().get(STUDENTS))
    assert is_login_redirect(Client().get(history(moscow_student)))


@pytest.mark.parametrize("factory", [student_with_package, StaffFactory])
def test_students_and_staff_are_told_it_is_the_teachers_area(berlin_teacher, moscow_student, factory):
    future_lesson(berlin_teacher, moscow_student)
    client = signed_in(factory())
    assert_other_area(client.get(STUDENTS), "teachers")
    assert_other_area(client.get(history(moscow_student)), "teachers")


def test_the_student_cannot_open_their_own_history_page(berlin_teacher, moscow_student):
    future_lesson(berlin_teacher, moscow_student)
    assert_other_area(signed_in(moscow_student).get(history(moscow_student)), "teachers")


def test_a_teacher_cannot_open_the_history_of_someone_elses_student(
    berlin_teacher, moscow_student, other_berlin_teacher, other_moscow_student
):
    future_lesson(berlin_teacher, moscow_student)
    future_lesson(other_berlin_teacher, other_moscow_student)
    client = signed_in(berlin_teacher)
    assert client.get(history(other_moscow_student)).status_code == 404
    assert client.get(history(other_berlin_teacher)).status_code == 404
    assert client.get("/teacher/students/999999/").status_code == 404
    assert client.get("/teacher/students/99999999999999999999/").status_code == 404


# --- my students ---------------------------------------------------------------------------------


def test_the_list_shows_each_student_with_counts_and_the_next_lesson(
    berlin_teacher, moscow_student, other_moscow_student, other_berlin_teacher
):
    nxt = lesson_at(berlin_teacher, moscow_student, dt.datetime(2030, 1, 15, 16, tzinfo=UTC))
    lesson_at(berlin_teacher, moscow_student, dt.datetime(2030, 2, 15, 16, tzinfo=UTC))
    done = past_lesson(berlin_teacher, moscow_student)
    signed_in(berlin_teacher).post(reverse("lessons:mark", args=[done.pk]), {"mark-status": "completed"})
    past_lesson(
        berlin_teacher, moscow_student, ended_hours_ago=30
    )  # waits to be marked: neither upcoming nor completed
    canceled = future_lesson(berlin_teacher, other_moscow_student)
    booking_services.booking_cancel(booking=Booking.objects.get(lesson=canceled), actor=other_moscow_student)
    future_lesson(other_berlin_teacher, student_with_package(full_name="Not Mine"))

    response = signed_in(berlin_teacher).get(STUDENTS)
    assert rows(response) == [
        "Olga Other 0 0 1 —",
        "Sasha Student 2 1 4 Tue 15 January, 17:00",
    ]
    assert f'href="{history(moscow_student)}"' in html(response)
    assert f'href="{reverse("lessons:detail", args=[nxt.pk])}"' in html(response)
    assert '<time datetime="2030-01-15T17:00:00+01:00">' in html(response)
    assert "Not Mine" not in text(response)


def test_no_students_yet(berlin_teacher):
    assert "No students yet." in text(signed_in(berlin_teacher).get(STUDENTS))


def test_the_list_runs_the_same_queries_for_1_and_50_students(berlin_teacher, django_assert_num_queries):
    client = signed_in(berlin_teacher)

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            student = student_with_package(full_name=f"Student {number:02d}")
            lesson_at(berlin_teacher, student, dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number))

    add(0, 1)
    with django_assert_num_queries(5):  # session, user, unread count, count, students with their counts
        client.get(STUDENTS)
    add(1, 49)
    with django_assert_num_queries(5):
        response = client.get(STUDENTS)
    assert len(rows(response)) == 50


def test_the_selector_agrees_with_the_page_counts(berlin_teacher, moscow_student):
    future_lesson(berlin_teacher, moscow_student)
    [row] = selectors.students_of_teacher(teacher=berlin_teacher)
    assert (row.upcoming_count, row.completed_count, row.lessons_count) == (1, 0, 1)
    assert row.next_lesson_at == Lesson.objects.get().start_at


# --- a student's history -----------------------------------------------------------------------------


def test_the_history_shows_every_lesson_with_this_teacher_newest_first(
    berlin_teacher, moscow_student, other_berlin_teacher
):
    old = past_lesson(berlin_teacher, moscow_student, ended_hours_ago=24 * 14)
    recent = past_lesson(berlin_teacher, moscow_student, ended_hours_ago=24)
    upcoming = future_lesson(berlin_teacher, moscow_student)
    Lesson.objects.filter(pk=old.pk).update(status="completed", homework="Chromatic warm-up", notes="Tense wrist")
    Lesson.objects.filter(pk=recent.pk).update(status="completed", homework="Travis picking")
    elsewhere = future_lesson(other_berlin_teacher, moscow_student)

    response = signed_in(berlin_teacher).get(history(moscow_student))
    page = html(response)
    assert "Lessons with Sasha Student" in text(response)
    positions = [page.index(reverse("lessons:detail", args=[lesson.pk])) for lesson in (upcoming, recent, old)]
    assert positions == sorted(positions)
    assert reverse("lessons:detail", args=[elsewhere.pk]) not in page
    for words in ["Chromatic warm-up", "Tense wrist", "Travis picking"]:
        assert words in page


def test_the_history_runs_the_same_queries_for_1_and_50_lessons(
    berlin_teacher, moscow_student, django_assert_num_queries
):
    client = signed_in(berlin_teacher)

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            start = dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number)
            lesson = lesson_at(berlin_teacher, moscow_student, start)
            Lesson.objects.filter(pk=lesson.pk).update(notes=f"Notes {number}", homework=f"Homework {number}")

    add(0, 1)
    # session, user, unread count, the student (access), count, lessons, their homework items
    with django_assert_num_queries(7):
        client.get(history(moscow_student))
    add(1, 49)
    with django_assert_num_queries(7):
        response = client.get(history(moscow_student))
    assert html(response).count('class="card lesson-card"') == 50


def test_two_teachers_of_one_student_each_see_their_own_history(moscow_student):
    first, second = TeacherFactory(), TeacherFactory()
    mine = future_lesson(first, moscow_student)
    theirs = future_lesson(second, moscow_student)
    page = html(signed_in(first).get(history(moscow_student)))
    assert reverse("lessons:detail", args=[mine.pk]) in page
    assert reverse("lessons:detail", args=[theirs.pk]) not in page
