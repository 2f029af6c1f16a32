"""The lesson pages of both roles: the list (upcoming / past), the lesson page
in the viewer's zone, and the teacher's forms to mark a lesson and to write
notes, homework and the meeting link (the student only reads)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import OutboxEvent
from booking import services as booking_services
from booking.models import Booking
from lessons.models import Lesson
from tests.clients import signed_in
from tests.factories import StaffFactory, TeacherFactory
from tests.lessons.factories import future_lesson, lesson_at, past_lesson, started_lesson
from tests.pages import html, is_login_redirect, messages_of, text

pytestmark = pytest.mark.django_db

LESSONS = reverse("lessons:list")


def detail(lesson: Lesson) -> str:
    return reverse("lessons:detail", args=[lesson.pk])


def mark(lesson: Lesson) -> str:
    return reverse("lessons:mark", args=[lesson.pk])


def notes(lesson: Lesson) -> str:
    return reverse("lessons:notes", args=[lesson.pk])


def mark_data(status: str = "completed", notes: str = "", homework: str = "") -> dict:
    return {"mark-status": status, "mark-notes": notes, "mark-homework": homework}


def notes_data(notes: str = "", homework: str = "", meeting_url: str = "") -> dict:
    return {"notes-notes": notes, "notes-homework": homework, "notes-meeting_url": meeting_url}


def cancel(lesson: Lesson) -> None:
    booking = Booking.objects.get(lesson=lesson)
    booking_services.booking_cancel(booking=booking, actor=booking.student)


# --- who may open the pages -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(berlin_teacher, moscow_student, unchanged):
    lesson = started_lesson(berlin_teacher, moscow_student)
    client = Client()
    assert is_login_redirect(client.get(LESSONS))
    assert is_login_redirect(client.get(detail(lesson)))
    with unchanged():
        assert is_login_redirect(client.post(mark(lesson), mark_data(homework="x")))
        assert is_login_redirect(client.post(notes(lesson), notes_data(homework="x")))


@pytest.mark.parametrize("who", ["other_moscow_student", "other_berlin_teacher"])
def test_strangers_get_404_on_someone_elses_lesson(berlin_teacher, moscow_student, who, request, unchanged):
    lesson = started_lesson(berlin_teacher, moscow_student)
    client = signed_in(request.getfixturevalue(who))
    assert client.get(detail(lesson)).status_code == 404
    with unchanged():
        assert client.post(mark(lesson), mark_data(homework="x")).status_code == 404
        assert client.post(notes(lesson), notes_data(homework="x")).status_code == 404


def test_the_student_only_reads_their_lesson(berlin_teacher, moscow_student, unchanged):
    lesson = started_lesson(berlin_teacher, moscow_student)
    client = signed_in(moscow_student)
    page = html(client.get(detail(lesson)))
    assert 'method="post" action="/lessons/' not in page
    with unchanged():
        assert client.post(mark(lesson), mark_data(homework="x")).status_code == 404
        assert client.post(notes(lesson), notes_data(homework="x")).status_code == 404


def test_staff_read_a_lesson_without_the_teachers_forms(berlin_teacher, moscow_student, unchanged):
    lesson = started_lesson(berlin_teacher, moscow_student)
    client = signed_in(StaffFactory())
    response = client.get(detail(lesson))
    assert response.status_code == 200
    assert 'method="post" action="/lessons/' not in html(response)
    with unchanged():
        assert client.post(mark(lesson), mark_data()).status_code == 404


@pytest.mark.parametrize("lesson_id", ["999999", "99999999999999999999"])
def test_unknown_lessons_are_404(berlin_teacher, lesson_id):
    client = signed_in(berlin_teacher)
    assert client.get(f"/lessons/{lesson_id}/").status_code == 404
    assert client.post(f"/lessons/{lesson_id}/mark/", mark_data()).status_code == 404


def test_mark_and_notes_take_post_only(berlin_teacher, moscow_student):
    lesson = started_lesson(berlin_teacher, moscow_student)
    client = signed_in(berlin_teacher)
    assert client.get(mark(lesson)).status_code == 405
    assert client.get(notes(lesson)).status_code == 405


# --- the list -------------------------------------------------------------------------------


def test_the_student_sees_their_upcoming_lessons_in_their_zone(berlin_teacher, moscow_student, other_moscow_student):
    lesson = lesson_at(berlin_teacher, moscow_student, dt.datetime(2030, 1, 15, 16, tzinfo=UTC))
    lesson_at(berlin_teacher, other_moscow_student, dt.datetime(2030, 1, 15, 18, tzinfo=UTC))
    response = signed_in(moscow_student).get(LESSONS)
    page = text(response)
    assert "My lessons" in page
    assert "Tuesday, 15 January 2030, 19:00" in page  # Moscow, UTC+3
    assert f"Teacher: {berlin_teacher.teacher_profile.display_name}" in page
    assert "Olga Other" not in page
    assert f'href="{detail(lesson)}"' in html(response)
    assert 'aria-current="page">Upcoming' in html(response)


def test_the_teacher_sees_the_lessons_they_give_in_their_zone(
    berlin_teacher, moscow_student, other_moscow_student, other_berlin_teacher
):
    lesson_at(berlin_teacher, moscow_student, dt.datetime(2030, 1, 15, 16, tzinfo=UTC))
    lesson_at(other_berlin_teacher, other_moscow_student, dt.datetime(2030, 1, 15, 18, tzinfo=UTC))
    page = text(signed_in(berlin_teacher).get(LESSONS))
    assert "Lessons I give" in page
    assert "Tuesday, 15 January 2030, 17:00" in page  # Berlin in winter
    assert "Student: Sasha Student" in page
    assert "Olga Other" not in page


def test_upcoming_soonest_first_and_past_newest_first_with_notes_and_homework(berlin_teacher, moscow_student):
    later = future_lesson(berlin_teacher, moscow_student, starts_in=dt.timedelta(days=9))
    sooner = future_lesson(berlin_teacher, moscow_student, starts_in=dt.timedelta(days=4))
    older = past_lesson(berlin_teacher, moscow_student, ended_hours_ago=48)
    newer = past_lesson(berlin_teacher, moscow_student, ended_hours_ago=3)
    Lesson.objects.filter(pk=newer.pk).update(homework="Play the C major scale", notes="Good thumb position")
    client = signed_in(moscow_student)

    upcoming = html(client.get(LESSONS))
    assert upcoming.index(detail(sooner)) < upcoming.index(detail(later))
    assert detail(older) not in upcoming

    response = client.get(f"{LESSONS}?when=past")
    past = html(response)
    assert past.index(detail(newer)) < past.index(detail(older))
    assert detail(sooner) not in past
    assert "Play the C major scale" in past
    assert "Good thumb position" in past
    assert 'aria-current="page">Past' in past


def test_a_teacher_sees_which_past_lessons_wait_to_be_marked(berlin_teacher, moscow_student):
    past_lesson(berlin_teacher, moscow_student)
    assert "waiting to be marked" in text(signed_in(berlin_teacher).get(f"{LESSONS}?when=past"))
    assert "waiting to be marked" not in text(signed_in(moscow_student).get(f"{LESSONS}?when=past"))


@pytest.mark.parametrize("when", ["bogus", ""])
def test_an_unknown_period_shows_the_upcoming_lessons(berlin_teacher, moscow_student, when):
    lesson = future_lesson(berlin_teacher, moscow_student)
    response = signed_in(moscow_student).get(f"{LESSONS}?when={when}")
    assert detail(lesson) in html(response)


def test_empty_lists_say_so(moscow_student):
    client = signed_in(moscow_student)
    assert "No upcoming lessons." in text(client.get(LESSONS))
    assert "No past lessons yet." in text(client.get(f"{LESSONS}?when=past"))


@pytest.mark.parametrize("viewer", ["student", "teacher"])
@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_the_list_runs_the_same_queries_for_1_and_50_lessons(
    berlin_teacher, moscow_student, viewer, when, django_assert_num_queries
):
    client = signed_in(berlin_teacher if viewer == "teacher" else moscow_student)
    url = f"{LESSONS}?when={when}"

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            start = dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number)
            if when == "past":
                start -= dt.timedelta(days=365 * 10)
            lesson = lesson_at(berlin_teacher, moscow_student, start)
            Lesson.objects.filter(pk=lesson.pk).update(homework=f"Homework {number}")

    add(0, 1)
    # session, user, count, lessons with both people and the teacher's profile, their homework items
    with django_assert_num_queries(6):
        client.get(url)
    add(1, 49)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert html(response).count('class="card lesson-card"') == 50


def test_the_list_pages_after_50_lessons(berlin_teacher, moscow_student):
    for number in range(51):
        lesson_at(
            berlin_teacher, moscow_student, dt.datetime(2030, 1, 1, 8, tzinfo=UTC) + dt.timedelta(hours=2 * number)
        )
    client = signed_in(moscow_student)
    first = html(client.get(LESSONS))
    assert first.count('class="card lesson-card"') == 50
    assert 'href="?when=upcoming&amp;page=2" rel="next"' in first
    assert html(client.get(f"{LESSONS}?when=upcoming&page=2")).count('class="card lesson-card"') == 1


# --- the lesson page --------------------------------------------------------------------------


def test_the_lesson_page_shows_the_time_in_each_viewers_zone(berlin_teacher, moscow_student):
    lesson = lesson_at(berlin_teacher, moscow_student, dt.datetime(2030, 1, 15, 16, tzinfo=UTC))
    Lesson.objects.filter(pk=lesson.pk).update(
        meeting_url="https://meet.example.org/abc", homework="Scales", notes="Relax the wrist"
    )
    as_teacher = signed_in(berlin_teacher).get(detail(lesson))
    assert "Tuesday, 15 January 2030, 17:00–18:00 (Europe/Berlin)" in text(as_teacher)
    assert '<time datetime="2030-01-15T17:00:00+01:00">' in html(as_teacher)
    assert "Student Sasha Student" in text(as_teacher)

    as_student = signed_in(moscow_student).get(detail(lesson))
    page = text(as_student)
    assert "Tuesday, 15 January 2030, 19:00–20:00 (Europe/Moscow)" in page
    assert f"Teacher {berlin_teacher.teacher_profile.display_name}" in page
    assert "Status Scheduled" in page
    assert "Scales" in page and "Relax the wrist" in page
    assert 'href="https://meet.example.org/abc" rel="noopener noreferrer"' in html(as_student)


def test_before_the_start_the_teacher_gets_the_notes_form_but_no_mark_form(berlin_teacher, moscow_student):
    lesson = future_lesson(berlin_teacher, moscow_student)
    response = signed_in(berlin_teacher).get(detail(lesson))
    page = html(response)
    assert f'action="{notes(lesson)}"' in page
    assert f'action="{mark(lesson)}"' not in page
    assert "You can mark the lesson completed or as a no-show once it has started" in text(response)


def test_after_the_start_the_teacher_gets_the_mark_form(berlin_teacher, moscow_student):
    lesson = started_lesson(berlin_teacher, moscow_student)
    page = html(signed_in(berlin_teacher).get(detail(lesson)))
    assert f'action="{mark(lesson)}"' in page
    assert 'name="mark-status" value="completed"' in page
    assert 'name="mark-status" value="no_show"' in page
    assert 'for="id_mark-homework"' in page and 'for="id_notes-homework"' in page  # no duplicate ids
    assert page.count("csrfmiddlewaretoken") >= 3  # log out, mark, notes


def test_a_canceled_lesson_has_no_forms(berlin_teacher, moscow_student):
    lesson = future_lesson(berlin_teacher, moscow_student)
    cancel(lesson)
    response = signed_in(berlin_teacher).get(detail(lesson))
    assert "Status Canceled" in text(response)
    assert 'method="post" action="/lessons/' not in html(response)


# --- mark -----------------------------------------------------------------------------------


def test_the_teacher_marks_a_started_lesson_completed_with_homework(berlin_teacher, moscow_student):
    lesson = started_lesson(berlin_teacher, moscow_student)
    response = signed_in(berlin_teacher).post(
        mark(lesson), mark_data("completed", notes="Nice vibrato", homework="Learn bars 1-8"), follow=True
    )
    assert response.redirect_chain == [(detail(lesson), 302)]
    assert messages_of(response) == ["The lesson is marked completed."]
    lesson.refresh_from_db()
    assert (lesson.status, lesson.notes, lesson.homework) == ("completed", "Nice vibrato", "Learn bars 1-8")
    assert lesson.finished_at is not None
    assert OutboxEvent.objects.filter(event_type="lesson.completed").count() == 1
    assert "Status Completed" in text(response)
    assert f'action="{mark(lesson)}"' not in html(response)

    student_page = text(signed_in(moscow_student).get(detail(lesson)))
    assert "Learn bars 1-8" in student_page and "Nice vibrato" in student_page


def test_the_teacher_marks_a_no_show(berlin_teacher, moscow_student):
    lesson = past_lesson(berlin_teacher, moscow_student)
    response = signed_in(berlin_teacher).post(mark(lesson), mark_data("no_show"), follow=True)
    assert messages_of(response) == ["The lesson is marked as a no-show."]
    lesson.refresh_from_db()
    assert lesson.status == "no_show"


def test_marking_before_the_start_is_refused_and_changes_nothing(berlin_teacher, moscow_student, unchanged):
    lesson = future_lesson(berlin_teacher, moscow_student)
    with unchanged():
        response = signed_in(berlin_teacher).post(mark(lesson), mark_data(homework="Too early"))
    assert response.status_code == 200
    assert response.context["mark_form"].non_field_errors() == ["A lesson can be marked only after it has started."]
    assert "A lesson can be marked only after it has started." in text(response)


def test_the_refusal_comes_in_the_teachers_language(berlin_teacher, moscow_student, unchanged):
    lesson = future_lesson(berlin_teacher, moscow_student)
    with unchanged():
        response = signed_in(berlin_teacher, language="ru").post(mark(lesson), mark_data())
    assert "Отметить урок можно только после его начала." in text(response)


def test_marking_a_finished_lesson_the_other_way_is_refused(berlin_teacher, moscow_student, unchanged):
    lesson = past_lesson(berlin_teacher, moscow_student)
    client = signed_in(berlin_teacher)
    client.post(mark(lesson), mark_data("completed"))
    with unchanged():
        response = client.post(mark(lesson), mark_data("no_show"))
    assert "This lesson has already been marked completed or no-show." in text(response)


def test_marking_a_canceled_lesson_is_refused(berlin_teacher, moscow_student, unchanged):
    lesson = future_lesson(berlin_teacher, moscow_student)
    cancel(lesson)
    with unchanged():
        response = signed_in(berlin_teacher).post(mark(lesson), mark_data())
    assert "This lesson was canceled." in text(response)


@pytest.mark.parametrize("status", ["scheduled", "canceled", "done", ""])
def test_marking_with_a_bad_status_is_refused(berlin_teacher, moscow_student, unchanged, status):
    lesson = started_lesson(berlin_teacher, moscow_student)
    with unchanged():
        response = signed_in(berlin_teacher).post(mark(lesson), mark_data(status))
    assert response.status_code == 200
    assert response.context["mark_form"].errors["status"]


# --- notes, homework, meeting link ------------------------------------------------------------------


def test_the_teacher_saves_notes_homework_and_the_meeting_link(berlin_teacher, moscow_student):
    lesson = future_lesson(berlin_teacher, moscow_student)
    response = signed_in(berlin_teacher).post(
        notes(lesson),
        notes_data("Bring a capo", "Practise the G chord", "https://meet.example.org/lesson-1"),
        follow=True,
    )
    assert response.redirect_chain == [(detail(lesson), 302)]
    assert messages_of(response) == ["Notes, homework and meeting link saved."]
    lesson.refresh_from_db()
    assert (lesson.notes, lesson.homework, lesson.meeting_url) == (
        "Bring a capo",
        "Practise the G chord",
        "https://meet.example.org/lesson-1",
    )
    assert lesson.status == "scheduled"  # writing notes never marks
    page = text(signed_in(moscow_student).get(detail(lesson)))
    assert "Practise the G chord" in page and "https://meet.example.org/lesson-1" in page


def test_the_notes_form_shows_the_current_values(berlin_teacher, moscow_student):
    lesson = future_lesson(berlin_teacher, moscow_student)
    Lesson.objects.filter(pk=lesson.pk).update(homework="Arpeggios", meeting_url="https://meet.example.org/x")
    page = html(signed_in(berlin_teacher).get(detail(lesson)))
    assert "Arpeggios</textarea>" in page
    assert 'value="https://meet.example.org/x"' in page


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (notes_data(meeting_url="javascript:alert(1)"), "meeting_url", "Enter a valid URL."),
        (notes_data(homework="x" * 10001), "homework", "At most 10000 characters."),
    ],
)
def test_refused_notes_show_the_error_and_change_nothing(berlin_teacher, moscow_student, unchanged, data, field, error):
    lesson = future_lesson(berlin_teacher, moscow_student)
    with unchanged():
        response = signed_in(berlin_teacher).post(notes(lesson), data)
    assert response.status_code == 200
    assert error in response.context["notes_form"].errors[field]


def test_notes_on_a_canceled_lesson_are_refused(berlin_teacher, moscow_student, unchanged):
    lesson = future_lesson(berlin_teacher, moscow_student)
    cancel(lesson)
    with unchanged():
        response = signed_in(berlin_teacher).post(notes(lesson), notes_data(homework="x"))
    assert "This lesson was canceled." in text(response)


def test_another_teachers_student_cannot_be_reached_through_the_lesson_of_a_second_teacher(moscow_student):
    """Two teachers of one student each see only their own lesson."""
    first, second = TeacherFactory(), TeacherFactory()
    mine = future_lesson(first, moscow_student)
    theirs = future_lesson(second, moscow_student)
    client = signed_in(first)
    assert client.get(detail(mine)).status_code == 200
    assert client.get(detail(theirs)).status_code == 404
    assert detail(theirs) not in html(client.get(LESSONS))


def test_a_student_of_many_teachers_sees_every_lesson(moscow_student):
    teachers = [TeacherFactory(), TeacherFactory()]
    lessons = [future_lesson(teacher, moscow_student) for teacher in teachers]
    page = html(signed_in(moscow_student).get(LESSONS))
    assert all(detail(lesson) in page for lesson in lessons)
