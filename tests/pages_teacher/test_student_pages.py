"""The teacher's students: who they teach (with counts and the next lesson)
and one student's history with this teacher."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from booking import services as booking_services
from booking.models import Booking
from lessons import selectors
from lessons.models import Lesson
from tests.areas import assert_other_area
from tests.factories import StaffFactory, TeacherFactory
from tests.pages_teacher.conftest import (
    UTC,
    future_lesson,
    html,
    is_login_redirect,
    lesson_at,
    past_lesson,
    signed_in,
    student_with_package,
    text,
)

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


def test_anonymous_visitors_are_sent_to_log_in(student):
    assert is_login_redirect(Client().get(STUDENTS))
    assert is_login_redirect(Client().get(history(student)))


@pytest.mark.parametrize("factory", [student_with_package, StaffFactory])
def test_students_and_staff_are_told_it_is_the_teachers_area(teacher, student, factory):
    future_lesson(teacher, student)
    client = signed_in(factory())
    assert_other_area(client.get(STUDENTS), "teachers")
    assert_other_area(client.get(history(student)), "teachers")


def test_the_student_cannot_open_their_own_history_page(teacher, student):
    future_lesson(teacher, student)
    assert_other_area(signed_in(student).get(history(student)), "teachers")


def test_a_teacher_cannot_open_the_history_of_someone_elses_student(teacher, student, other_teacher, other_student):
    future_lesson(teacher, student)
    future_lesson(other_teacher, other_student)
    client = signed_in(teacher)
    assert client.get(history(other_student)).status_code == 404
    assert client.get(history(other_teacher)).status_code == 404
    assert client.get("/teacher/students/999999/").status_code == 404
    assert client.get("/teacher/students/99999999999999999999/").status_code == 404


# --- my students ---------------------------------------------------------------------------------


def test_the_list_shows_each_student_with_counts_and_the_next_lesson(teacher, student, other_student, other_teacher):
    nxt = lesson_at(teacher, student, dt.datetime(2030, 1, 15, 16, tzinfo=UTC))
    lesson_at(teacher, student, dt.datetime(2030, 2, 15, 16, tzinfo=UTC))
    done = past_lesson(teacher, student)
    signed_in(teacher).post(reverse("lessons:mark", args=[done.pk]), {"mark-status": "completed"})
    past_lesson(teacher, student, ended_hours_ago=30)  # waits to be marked: neither upcoming nor completed
    canceled = future_lesson(teacher, other_student)
    booking_services.booking_cancel(booking=Booking.objects.get(lesson=canceled), actor=other_student)
    future_lesson(other_teacher, student_with_package(full_name="Not Mine"))

    response = signed_in(teacher).get(STUDENTS)
    assert rows(response) == [
        "Olga Other 0 0 1 —",
        "Sasha Student 2 1 4 Tue 15 January, 17:00",
    ]
    assert f'href="{history(student)}"' in html(response)
    assert f'href="{reverse("lessons:detail", args=[nxt.pk])}"' in html(response)
    assert '<time datetime="2030-01-15T17:00:00+01:00">' in html(response)
    assert "Not Mine" not in text(response)


def test_no_students_yet(teacher):
    assert "No students yet." in text(signed_in(teacher).get(STUDENTS))


def test_the_list_runs_the_same_queries_for_1_and_50_students(teacher, django_assert_num_queries):
    client = signed_in(teacher)

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            student = student_with_package(full_name=f"Student {number:02d}")
            lesson_at(teacher, student, dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number))

    add(0, 1)
    with django_assert_num_queries(5):  # session, user, unread count, count, students with their counts
        client.get(STUDENTS)
    add(1, 49)
    with django_assert_num_queries(5):
        response = client.get(STUDENTS)
    assert len(rows(response)) == 50


def test_the_selector_agrees_with_the_page_counts(teacher, student):
    future_lesson(teacher, student)
    [row] = selectors.students_of_teacher(teacher=teacher)
    assert (row.upcoming_count, row.completed_count, row.lessons_count) == (1, 0, 1)
    assert row.next_lesson_at == Lesson.objects.get().start_at


# --- a student's history -----------------------------------------------------------------------------


def test_the_history_shows_every_lesson_with_this_teacher_newest_first(teacher, student, other_teacher):
    old = past_lesson(teacher, student, ended_hours_ago=24 * 14)
    recent = past_lesson(teacher, student, ended_hours_ago=24)
    upcoming = future_lesson(teacher, student)
    Lesson.objects.filter(pk=old.pk).update(status="completed", homework="Chromatic warm-up", notes="Tense wrist")
    Lesson.objects.filter(pk=recent.pk).update(status="completed", homework="Travis picking")
    elsewhere = future_lesson(other_teacher, student)

    response = signed_in(teacher).get(history(student))
    page = html(response)
    assert "Lessons with Sasha Student" in text(response)
    positions = [page.index(reverse("lessons:detail", args=[lesson.pk])) for lesson in (upcoming, recent, old)]
    assert positions == sorted(positions)
    assert reverse("lessons:detail", args=[elsewhere.pk]) not in page
    for words in ["Chromatic warm-up", "Tense wrist", "Travis picking"]:
        assert words in page


def test_the_history_runs_the_same_queries_for_1_and_50_lessons(teacher, student, django_assert_num_queries):
    client = signed_in(teacher)

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            start = dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number)
            lesson = lesson_at(teacher, student, start)
            Lesson.objects.filter(pk=lesson.pk).update(notes=f"Notes {number}", homework=f"Homework {number}")

    add(0, 1)
    # session, user, unread count, the student (access), count, lessons, their homework items
    with django_assert_num_queries(7):
        client.get(history(student))
    add(1, 49)
    with django_assert_num_queries(7):
        response = client.get(history(student))
    assert html(response).count('class="card lesson-card"') == 50


def test_two_teachers_of_one_student_each_see_their_own_history(student):
    first, second = TeacherFactory(), TeacherFactory()
    mine = future_lesson(first, student)
    theirs = future_lesson(second, student)
    page = html(signed_in(first).get(history(student)))
    assert reverse("lessons:detail", args=[mine.pk]) in page
    assert reverse("lessons:detail", args=[theirs.pk]) not in page
