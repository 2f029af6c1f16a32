"""The homework API's contract and who may do what (student A/B, teacher,
another teacher, staff, anonymous), with refusals changing nothing."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lessons.models import HomeworkItem, Lesson
from tests.clients import client_for
from tests.lessons.factories import add_homework, lesson_at
from tests.snapshots import homework_snapshot

pytestmark = pytest.mark.django_db


def item_url(item) -> str:
    return f"/api/v1/lessons/homework/{item.pk}"


def clients(people) -> dict:
    return {
        "student": client_for(people.student),
        "other_student": client_for(people.other_student),
        "teacher": client_for(people.teacher),
        "other_teacher": client_for(people.other_teacher),
        "staff": client_for(people.staff),
        "anonymous": APIClient(),
    }


def test_the_teacher_adds_an_item_and_the_lesson_shows_it(people):
    api = client_for(people.teacher)
    body = {"kind": "technique", "title": "Barre chords", "details": "F and B♭, clean"}
    response = api.post(f"/api/v1/lessons/{people.lesson.pk}/homework", body, format="json")
    assert response.status_code == 201
    item = response.json()
    assert {key: item[key] for key in ("lesson", "kind", "title", "details", "done", "done_at", "position")} == {
        "lesson": people.lesson.pk,
        "kind": "technique",
        "title": "Barre chords",
        "details": "F and B♭, clean",
        "done": False,
        "done_at": None,
        "position": 0,
    }
    for who in (people.student, people.teacher):
        lesson = client_for(who).get(f"/api/v1/lessons/{people.lesson.pk}").json()
        assert [row["title"] for row in lesson["homework_items"]] == ["Barre chords"]
        mine = client_for(who).get("/api/v1/lessons/my").json()["results"]
        assert mine[0]["homework_items"][0]["id"] == item["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "song", "title": "x"}, "kind"),
        ({"kind": "piece"}, "title"),
        ({"kind": "piece", "title": " "}, "title"),
    ],
)
def test_a_bad_item_is_a_400_and_changes_nothing(people, body, field):
    before = homework_snapshot()
    response = client_for(people.teacher).post(f"/api/v1/lessons/{people.lesson.pk}/homework", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["details"]
    assert homework_snapshot() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [("student", 404), ("other_student", 404), ("other_teacher", 404), ("staff", 404), ("anonymous", 401)],
)
def test_only_the_teacher_adds(people, role, status):
    before = homework_snapshot()
    response = clients(people)[role].post(
        f"/api/v1/lessons/{people.lesson.pk}/homework", {"kind": "piece", "title": "x"}, format="json"
    )
    assert response.status_code == status and set(response.json()) == {"error"}
    assert homework_snapshot() == before


def test_the_student_ticks_done_through_the_api(people):
    item = add_homework(people.lesson)
    response = client_for(people.student).patch(item_url(item), {"done": True}, format="json")
    assert response.status_code == 200 and response.json()["done"] is True and response.json()["done_at"]
    response = client_for(people.student).patch(item_url(item), {"done": False}, format="json")
    assert response.json()["done"] is False and response.json()["done_at"] is None


def test_the_teacher_edits_through_the_api(people):
    item = add_homework(people.lesson)
    response = client_for(people.teacher).patch(
        item_url(item), {"title": "Romanza, to the end", "position": 3}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["position"]) == ("Romanza, to the end", 3)


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("student", {"title": "Nothing"}, 403),  # the student cannot edit the title
        ("student", {"title": "Nothing", "done": True}, 403),
        ("student", {"kind": "technique"}, 403),
        ("teacher", {"done": True}, 403),  # ticking is the student's
        ("other_student", {"done": True}, 404),
        ("other_teacher", {"title": "x"}, 404),
        ("staff", {"done": True}, 404),
        ("anonymous", {"done": True}, 401),
        ("teacher", {"position": -1}, 400),
        ("teacher", {"title": ""}, 400),
    ],
)
def test_refused_changes_leave_the_item_as_it_was(people, role, body, status):
    item = add_homework(people.lesson)
    before = homework_snapshot()
    response = clients(people)[role].patch(item_url(item), body, format="json")
    assert response.status_code == status and set(response.json()) == {"error"}
    assert homework_snapshot() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("student", 403),
        ("other_student", 404),
        ("other_teacher", 404),
        ("staff", 404),
        ("anonymous", 401),
        ("teacher", 204),
    ],
)
def test_only_the_teacher_removes(people, role, status):
    item = add_homework(people.lesson)
    before = homework_snapshot()
    response = clients(people)[role].delete(item_url(item))
    assert response.status_code == status
    if status == 204:
        assert not HomeworkItem.objects.exists()
    else:
        assert homework_snapshot() == before


def test_a_canceled_lessons_homework_is_frozen(people):
    item = add_homework(people.lesson)
    Lesson.objects.filter(pk=people.lesson.pk).update(status="canceled")
    before = homework_snapshot()
    response = client_for(people.student).patch(item_url(item), {"done": True}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "lesson_canceled"
    assert homework_snapshot() == before


def test_my_lessons_run_the_same_queries_for_1_and_50_lessons_with_items(people, django_assert_num_queries):
    api = client_for(people.student)
    add_homework(people.lesson)
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/lessons/my")
    for number in range(49):
        lesson = lesson_at(
            people.teacher, people.student, dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=2 * number)
        )
        add_homework(lesson, f"Piece {number}")
        add_homework(lesson, f"Scale {number}", kind="technique")
    with django_assert_num_queries(len(one)):
        response = api.get("/api/v1/lessons/my?page_size=50")
    results = response.json()["results"]
    assert len(results) == 50 and sum(len(lesson["homework_items"]) for lesson in results) == 99
