"""The teacher cancels a booked lesson: from the week page or the lesson page,
or the API, with a reason the student reads. The lesson goes back to the
student's package whatever the hour, the time is withdrawn from the
schedule, and the student is told, with the teacher's open slots to pick a
make-up time from."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import LessonPackage
from booking import services
from booking.models import Booking
from notifications.models import Notification
from notifications.services import outbox_dispatch
from tests.clients import client_for, signed_in
from tests.factories import make_slot
from tests.pages import text
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(school):
    """A lesson of `school.student` with `school.teacher` in three hours: inside the student's refund window."""
    slot = make_slot(school.teacher, starts_in=timedelta(hours=3))
    booking = services.booking_hold(student=school.student, slot_id=slot.pk)
    return services.booking_confirm(booking=booking, actor=school.student)


def cancel_url(booking) -> str:
    return reverse("booking:teacher-cancel", args=[booking.pk])


def test_the_week_and_the_lesson_page_offer_the_teacher_to_cancel(school, booked):
    teacher = signed_in(school.teacher)
    start = booked.slot.start_at
    week = teacher.get(reverse("booking:teacher-week") + f"?week={start:%Y-%m-%d}").content.decode()
    assert cancel_url(booked) in week
    lesson = teacher.get(reverse("lessons:detail", args=[booked.lesson_id])).content.decode()
    assert cancel_url(booked) in lesson
    assert (
        cancel_url(booked)
        not in signed_in(school.student).get(reverse("lessons:detail", args=[booked.lesson_id])).content.decode()
    )


def test_the_page_asks_for_a_reason_and_changes_nothing_without_one(school, booked):
    teacher = signed_in(school.teacher)
    assert "Why is the lesson canceled?" in text(teacher.get(cancel_url(booked)))
    before = booking_snapshot()

    refused = teacher.post(cancel_url(booked), {"reason": "  "})

    assert refused.status_code == 200
    assert "Tell the student why the lesson is canceled." in text(refused)
    assert booking_snapshot() == before


def test_the_teacher_cancels_inside_the_window_and_the_lesson_comes_back(school, booked):
    response = signed_in(school.teacher).post(cancel_url(booked), {"reason": "I'm ill, sorry"}, follow=True)

    assert "is canceled; it went back to" in text(response)
    booking = Booking.objects.get(pk=booked.pk)
    assert (booking.status, booking.lesson_returned, booking.cancel_reason) == ("canceled", True, "I'm ill, sorry")
    assert LessonPackage.objects.get(pk=school.package.pk).lessons_left == 10
    assert booking.slot.removed_at is not None


def test_the_student_is_told_with_the_reason_and_a_way_to_a_make_up_time(school, booked):
    school.student.language = "ru"
    school.student.save(update_fields=["language"])
    outbox_dispatch()
    mail.outbox.clear()
    services.booking_cancel(booking=booked, actor=school.teacher, reason="I'm ill & sorry")

    outbox_dispatch()

    [message] = mail.outbox  # the teacher is not told of their own cancellation
    assert message.to == [school.student.email]
    assert message.subject.startswith("Урок отменён")
    assert "Причина, которую назвал преподаватель: I'm ill & sorry" in message.body
    assert "Урок возвращён в ваш пакет уроков." in message.body
    make_up = reverse("booking:teacher-detail", args=[school.teacher.pk])
    assert message.body.rstrip().endswith(make_up)
    in_app = Notification.objects.get(recipient=school.student, channel="in_app", event_type="booking.canceled")
    assert in_app.link == make_up


def test_the_students_booking_page_gives_the_reason_and_the_make_up_link(school, booked):
    services.booking_cancel(booking=booked, actor=school.teacher, reason="A concert that evening")
    page = text(signed_in(school.student).get(reverse("booking:booking-detail", args=[booked.pk])))
    assert "canceled this lesson. The teacher's reason: A concert that evening" in page
    assert "Pick a make-up time" in page


def test_the_api_takes_the_teachers_reason(school, booked):
    api = client_for(school.teacher)
    url = f"/api/v1/booking/{booked.pk}/cancel"
    before = booking_snapshot()

    missing = api.post(url, {}, format="json")

    assert (missing.status_code, missing.json()["error"]["details"]) == (
        400,
        {"reason": ["Tell the student why the lesson is canceled."]},
    )
    assert booking_snapshot() == before
    done = api.post(url, {"reason": "Ill"}, format="json").json()
    assert (done["status"], done["lesson_returned"], done["cancel_reason"]) == ("canceled", True, "Ill")


def test_another_teacher_and_the_student_cannot_use_the_teachers_page(school, booked):
    assert signed_in(school.other_teacher).get(cancel_url(booked)).status_code == 404
    assert signed_in(school.student).get(cancel_url(booked)).status_code == 403
    assert Booking.objects.get(pk=booked.pk).status == "confirmed"
