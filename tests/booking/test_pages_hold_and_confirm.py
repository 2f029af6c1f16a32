"""Hold -> booking page (time left) -> confirm, and every way it can fail."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import LessonPackage
from booking.models import Booking
from lessons.models import Lesson
from tests.areas import assert_other_area
from tests.clients import signed_in
from tests.factories import StaffFactory, book, hold, in_days, slot_at
from tests.pages import NO_LESSONS_LEFT, messages_of, text
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def hold_url(school) -> str:
    return reverse("booking:hold", args=[school.teacher.pk])


def detail_url(booking) -> str:
    return reverse("booking:booking-detail", args=[booking.pk])


# --- hold -------------------------------------------------------------------------


def test_hold_creates_a_hold_and_shows_the_booking_page_with_the_time_left(school, student_client, settings):
    response = student_client.post(hold_url(school), {"slot": school.slot.pk})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(booking)
    assert booking.student == school.student
    assert booking.status == Booking.Status.HOLD
    expires = timezone.localtime(booking.hold_expires_at, MOSCOW)
    assert messages_of(response) == [f"The slot is held for you until {expires:%H:%M}. Confirm it to book the lesson."]

    page = student_client.get(detail_url(booking))
    html = page.content.decode()
    assert f"Your hold expires at {expires:%H:%M} (in {settings.BOOKING_HOLD_MINUTES} minutes)." in text(page)
    assert f'<time datetime="{expires.isoformat()}">{expires:%H:%M}</time>' in html
    assert 'data-seconds-left="' in html
    assert re.search(r'<script src="/static/js/hold-countdown\.js" defer></script>', html)
    assert f'action="{reverse("booking:confirm", args=[booking.pk])}"' in html
    assert "Confirm the booking" in text(page)
    start = timezone.localtime(school.slot.start_at, MOSCOW)
    assert f", {start:%H:%M}</time>–<time" in html


def test_one_minute_left_reads_in_one_minute(school, student_client):
    booking = hold(school.student, school.slot)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() + timedelta(seconds=50))
    assert "(in 1 minute)." in text(student_client.get(detail_url(booking)))


def test_hold_a_slot_someone_else_holds_changes_nothing(school, student_client):
    hold(school.other_student, school.slot)
    before = booking_snapshot()
    response = student_client.post(hold_url(school), {"slot": school.slot.pk, "week": "2030-01-07"}, follow=True)
    assert response.redirect_chain[0] == (
        reverse("booking:teacher-detail", args=[school.teacher.pk]) + "?week=2030-01-07",
        302,
    )
    assert messages_of(response) == ["This slot is already taken or no longer available."]
    assert booking_snapshot() == before


def test_hold_without_a_package_changes_nothing(school, student_client):
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=0, status=LessonPackage.Status.DEPLETED)
    before = booking_snapshot()
    response = student_client.post(hold_url(school), {"slot": school.slot.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:teacher-detail", args=[school.teacher.pk])
    assert messages_of(response) == [NO_LESSONS_LEFT]  # with the link to buy lessons
    assert booking_snapshot() == before


@pytest.mark.parametrize("slot", ["", "abc", "-1", "99999999"])
def test_hold_of_a_missing_or_malformed_slot_changes_nothing(school, student_client, slot):
    before = booking_snapshot()
    response = student_client.post(hold_url(school), {"slot": slot})
    assert response.status_code == 302
    assert messages_of(response) == ["This slot is already taken or no longer available."]
    assert booking_snapshot() == before


def test_hold_too_soon_is_refused(school, student_client):
    soon = slot_at(school.teacher, timezone.now() + timedelta(minutes=45))
    before = booking_snapshot()
    response = student_client.post(hold_url(school), {"slot": soon.pk})
    assert messages_of(response) == ["This lesson starts too soon to be booked."]
    assert booking_snapshot() == before


def test_hold_in_russian_shows_the_error_in_russian(school):
    from accounts.models import User

    User.objects.filter(pk=school.student.pk).update(language="ru")
    hold(school.other_student, school.slot)
    response = signed_in(school.student).post(hold_url(school), {"slot": school.slot.pk})
    assert messages_of(response) == ["Этот слот уже занят или больше недоступен."]


def test_visitor_posting_a_hold_is_sent_to_login_and_back_to_the_teacher(school, client):
    response = client.post(hold_url(school), {"slot": school.slot.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={hold_url(school)}"
    assert not Booking.objects.exists()
    # after logging in, the `next` page (a GET) leads back to the teacher's slots
    response = signed_in(school.student).get(hold_url(school))
    assert response["Location"] == reverse("booking:teacher-detail", args=[school.teacher.pk])


@pytest.mark.parametrize("who", ["teacher", "staff"])
def test_non_students_cannot_hold(school, who):
    user = school.teacher if who == "teacher" else StaffFactory()
    response = signed_in(user).post(hold_url(school), {"slot": school.slot.pk})
    assert_other_area(response, "students")
    assert not Booking.objects.exists()


# --- confirm ------------------------------------------------------------------------


def test_confirm_books_the_lesson_and_the_page_shows_it(school, student_client):
    booking = hold(school.student, school.slot)
    response = student_client.post(reverse("booking:confirm", args=[booking.pk]))
    assert response.status_code == 302
    assert response["Location"] == detail_url(booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert Lesson.objects.filter(student=school.student).count() == 1
    school.package.refresh_from_db()
    assert school.package.lessons_left == 9
    start = timezone.localtime(school.slot.start_at, MOSCOW)
    [message] = messages_of(response)
    assert message.startswith("Your lesson is booked: ")
    assert f"{start:%H:%M} (Europe/Moscow)" in message

    page = student_client.get(detail_url(booking))
    shown = text(page)
    assert "Your lesson" in shown
    assert "Confirmed" in shown
    assert "Scheduled" in shown  # the lesson's status
    assert f"Package #{school.package.pk}" in shown
    assert "Your hold expires" not in shown
    assert "Reschedule" in shown and "Cancel the booking" in shown
    assert "hold-countdown.js" not in page.content.decode()


def test_confirm_an_expired_hold_changes_nothing(school, student_client):
    booking = hold(school.student, school.slot)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    page = text(student_client.get(detail_url(booking)))
    assert "Expired" in page and "The hold has expired; hold the slot again." in page
    assert "Confirm the booking" not in page
    before = booking_snapshot()
    response = student_client.post(reverse("booking:confirm", args=[booking.pk]))
    assert response["Location"] == detail_url(booking)
    assert messages_of(response) == ["The hold has expired; hold the slot again."]
    assert booking_snapshot() == before


def test_confirm_when_the_package_ran_out_meanwhile_changes_nothing(school, student_client):
    booking = hold(school.student, school.slot)
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=0, status=LessonPackage.Status.DEPLETED)
    before = booking_snapshot()
    response = student_client.post(reverse("booking:confirm", args=[booking.pk]))
    assert messages_of(response) == [NO_LESSONS_LEFT]  # with the link to buy lessons
    assert booking_snapshot() == before


def test_confirming_twice_is_harmless(school, student_client):
    booking = book(school.student, school.slot)
    before = booking_snapshot()
    response = student_client.post(reverse("booking:confirm", args=[booking.pk]))
    assert response.status_code == 302
    assert booking_snapshot() == before


def test_confirm_needs_post(school, student_client):
    booking = hold(school.student, school.slot)
    assert student_client.get(reverse("booking:confirm", args=[booking.pk])).status_code == 405


def test_release_a_hold_frees_the_slot(school, student_client):
    booking = hold(school.student, school.slot)
    teacher_page = reverse("booking:teacher-detail", args=[school.teacher.pk])
    response = student_client.post(reverse("booking:cancel", args=[booking.pk]), {"next": teacher_page})
    assert response["Location"] == teacher_page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED
    assert booking.lesson_returned is None
    assert messages_of(response) == ["The hold is released; the slot is free for others again."]


def test_cancel_ignores_a_foreign_next_url(school, student_client):
    booking = hold(school.student, school.slot)
    response = student_client.post(reverse("booking:cancel", args=[booking.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("booking:booking-list")


def test_slot_times_on_the_booking_page_follow_the_students_zone(school, student_client):
    slot = slot_at(school.teacher, in_days(5, 15))
    booking = hold(school.student, slot)
    html = student_client.get(detail_url(booking)).content.decode()
    assert ", 18:00</time>–<time" in html
    assert ">19:00</time>" in html
