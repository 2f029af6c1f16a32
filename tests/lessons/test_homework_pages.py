"""Homework on the pages: the lesson page (teacher forms, student ticks),
both histories showing the items, who may reach each page, and query counts."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from lessons.models import HomeworkItem
from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.lessons.factories import add_homework, lesson_at
from tests.pages import html, is_login_redirect, text
from tests.snapshots import homework_snapshot

pytestmark = pytest.mark.django_db


def detail(lesson) -> str:
    return reverse("lessons:detail", args=[lesson.pk])


def test_the_teacher_adds_and_removes_homework_on_the_lesson_page(people):
    client = signed_in(people.teacher)
    page = html(client.get(detail(people.lesson)))
    assert reverse("lessons:homework-add", args=[people.lesson.pk]) in page
    response = client.post(
        reverse("lessons:homework-add", args=[people.lesson.pk]),
        {"homework-kind": "technique", "homework-title": "Alternate picking", "homework-details": "80 bpm"},
        follow=True,
    )
    assert "Homework added." in text(response)
    item = HomeworkItem.objects.get()
    assert (item.kind, item.title, item.details, item.lesson) == (
        "technique",
        "Alternate picking",
        "80 bpm",
        people.lesson,
    )
    page = text(response)
    assert "Alternate picking" in page and "Technique" in page and "not done yet" in page
    response = client.post(reverse("lessons:homework-remove", args=[item.pk]), follow=True)
    assert "Homework removed." in text(response)
    assert not HomeworkItem.objects.exists()


def test_a_bad_item_shows_the_form_again_with_the_error(people):
    before = homework_snapshot()
    response = signed_in(people.teacher).post(
        reverse("lessons:homework-add", args=[people.lesson.pk]),
        {"homework-kind": "piece", "homework-title": "   "},
    )
    assert response.status_code == 200
    assert "Please correct the errors below." in text(response)
    assert homework_snapshot() == before


def test_the_student_ticks_an_item_with_a_plain_form(people):
    item = add_homework(people.lesson, "Romanza, first part")
    client = signed_in(people.student)
    page = html(client.get(detail(people.lesson)))
    assert reverse("lessons:homework-done", args=[item.pk]) in page
    assert 'type="checkbox" name="done"' in page
    assert reverse("lessons:homework-add", args=[people.lesson.pk]) not in page  # no teacher forms
    assert reverse("lessons:homework-remove", args=[item.pk]) not in page
    response = client.post(reverse("lessons:homework-done", args=[item.pk]), {"done": "on"}, follow=True)
    assert "Marked done: Romanza, first part." in text(response)
    item.refresh_from_db()
    assert item.done and item.done_at is not None
    assert 'name="done" value="on" checked' in html(response)
    response = client.post(reverse("lessons:homework-done", args=[item.pk]), {}, follow=True)  # unticked
    item.refresh_from_db()
    assert not item.done and item.done_at is None
    assert "Marked not done yet: Romanza, first part." in text(response)


def test_the_teacher_sees_what_the_student_ticked(people):
    item = add_homework(people.lesson, "Scales")
    signed_in(people.student).post(reverse("lessons:homework-done", args=[item.pk]), {"done": "on"})
    page = text(signed_in(people.teacher).get(detail(people.lesson)))
    assert "Scales" in page and "done " in page


@pytest.mark.parametrize(
    ("role", "name", "data", "expected"),
    [
        ("other_student", "lessons:homework-done", {"done": "on"}, 404),
        ("teacher", "lessons:homework-done", {"done": "on"}, 404),  # ticking is the student's
        ("staff", "lessons:homework-done", {"done": "on"}, 404),
        ("anonymous", "lessons:homework-done", {"done": "on"}, "login"),
        ("student", "lessons:homework-remove", {}, 404),
        ("other_teacher", "lessons:homework-remove", {}, 404),
        ("staff", "lessons:homework-remove", {}, 404),
        ("anonymous", "lessons:homework-remove", {}, "login"),
        ("student", "lessons:homework-add", {"homework-kind": "piece", "homework-title": "x"}, 404),
        ("other_teacher", "lessons:homework-add", {"homework-kind": "piece", "homework-title": "x"}, 404),
        ("staff", "lessons:homework-add", {"homework-kind": "piece", "homework-title": "x"}, 404),
        ("anonymous", "lessons:homework-add", {"homework-kind": "piece", "homework-title": "x"}, "login"),
    ],
)
def test_homework_pages_refuse_everyone_else_and_change_nothing(people, role, name, data, expected):
    item = add_homework(people.lesson)
    users = {
        "student": people.student,
        "other_student": people.other_student,
        "teacher": people.teacher,
        "other_teacher": people.other_teacher,
        "staff": people.staff,
    }
    client = signed_in(users[role]) if role in users else Client()
    target = people.lesson.pk if name == "lessons:homework-add" else item.pk
    before = homework_snapshot()
    response = client.post(reverse(name, args=[target]), data)
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    assert homework_snapshot() == before
    assert client.get(reverse(name, args=[target])).status_code in (302, 405)  # POST only


def test_both_histories_show_the_same_lessons_with_their_items(people):
    item = add_homework(people.lesson, "Romanza, first part")
    signed_in(people.student).post(reverse("lessons:homework-done", args=[item.pk]), {"done": "on"})
    teacher_side = text(signed_in(people.teacher).get(reverse("lessons:student-history", args=[people.student.pk])))
    student_side = text(signed_in(people.student).get(reverse("lessons:teacher-history", args=[people.teacher.pk])))
    for page in (teacher_side, student_side):
        assert "Romanza, first part" in page and "Piece" in page
    assert "Lessons with Tatiana Teacher" in student_side
    assert "Lessons with Sasha Student" in teacher_side


def test_the_lesson_page_links_to_the_history_for_both(people):
    assert reverse("lessons:teacher-history", args=[people.teacher.pk]) in html(
        signed_in(people.student).get(detail(people.lesson))
    )
    assert reverse("lessons:student-history", args=[people.student.pk]) in html(
        signed_in(people.teacher).get(detail(people.lesson))
    )


def test_the_lesson_list_shows_the_items(people):
    add_homework(people.lesson, "Chromatic warm-up", kind="practice_target")
    for user in (people.student, people.teacher):
        page = text(signed_in(user).get(reverse("lessons:list")))
        assert "Chromatic warm-up" in page and "Practice target" in page


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 200), ("other_student", 404), ("teacher", 403), ("other_teacher", 403), ("staff", 403)],
)
def test_the_students_history_with_a_teacher_is_theirs_alone(people, role, expected):
    user = getattr(people, role)
    url = reverse("lessons:teacher-history", args=[people.teacher.pk])
    response = signed_in(user).get(url)
    if expected == 403:  # a page of the students' area
        assert_other_area(response, "students")
    assert response.status_code == expected
    assert is_login_redirect(Client().get(url))
    assert (
        signed_in(people.student).get(reverse("lessons:teacher-history", args=[people.other_teacher.pk])).status_code
        == 404
    )


def test_the_student_history_runs_the_same_queries_for_1_and_50_lessons(people, django_assert_num_queries):
    client = signed_in(people.student)
    url = reverse("lessons:teacher-history", args=[people.teacher.pk])
    add_homework(people.lesson)
    # session, user, unread count, the teacher (access), count, lessons, their homework items
    with django_assert_num_queries(7):
        client.get(url)
    for number in range(49):
        lesson = lesson_at(
            people.teacher, people.student, dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=2 * number)
        )
        add_homework(lesson, f"Piece {number}")
    with django_assert_num_queries(7):
        response = client.get(url)
    assert html(response).count('class="card lesson-card"') == 50
    assert text(response).count("Piece ") >= 49


def test_staff_read_homework_in_the_admin(people):
    add_homework(people.lesson)
    staff = signed_in(people.staff)
    assert staff.get(reverse("admin:lessons_homeworkitem_changelist")).status_code == 200
    assert staff.get(reverse("admin:lessons_homeworkitem_add")).status_code == 403
