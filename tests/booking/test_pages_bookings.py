"""My bookings: statuses, cancel (with the refund notice first), reschedule."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import LessonPackage
from booking.models import Booking
from booking.selectors import booking_cancel_returns_lesson, week_monday
from lessons.models import Lesson
from scheduling.models import Slot
from tests.clients import signed_in
from tests.factories import book, hold, make_package, make_slot, slot_at
from tests.pages import NO_LESSONS_LEFT, messages_of, queries_of, text
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
RETURNED = "If you cancel now, the lesson will be returned to your package."
NOT_RETURNED = (
    "The lesson starts in less than 24 hours: if you cancel now, the lesson will not be returned to your package."
)


def list_url() -> str:
    return reverse("booking:booking-list")


def lessons_left(package) -> int:
    package.refresh_from_db()
    return package.lessons_left


# --- the list ---------------------------------------------------------------------


def test_list_shows_each_booking_with_its_status_in_the_students_zone(school, student_client):
    live = hold(school.student, make_slot(school.teacher))
    done = book(school.student, make_slot(school.teacher))
    dead = hold(school.student, make_slot(school.teacher))
    Booking.objects.filter(pk=dead.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    hold(school.other_student, make_slot(school.teacher))  # someone else's

    response = student_client.get(list_url())
    html = response.content.decode()
    shown = text(response)
    assert response.status_code == 200
    assert html.count('class="card booking-item"') == 3
    assert "On hold" in shown and "Confirmed" in shown and "Expired" in shown
    for booking in (live, done, dead):
        assert f'href="{reverse("booking:booking-detail", args=[booking.pk])}"' in html
    start = timezone.localtime(done.slot.start_at, MOSCOW)
    assert f'<time datetime="{start.isoformat()}">' in html
    assert "Times are shown in Europe/Moscow." in shown
    # only the confirmed upcoming booking can be canceled or moved
    assert html.count('class="cancel-form"') == 1
    assert f'href="{reverse("booking:reschedule", args=[done.pk])}"' in html
    assert f'action="{reverse("booking:cancel", args=[done.pk])}"' in html


def test_list_of_a_student_without_bookings(student_client):
    assert "You have no bookings yet." in text(student_client.get(list_url()))


def test_list_queries_do_not_grow_with_the_bookings(school, student_client, django_assert_num_queries):
    make_package(school.student, lessons=100)
    book(school.student, make_slot(school.teacher))
    expected = queries_of(student_client, list_url())
    for number in range(49):
        slot = make_slot(school.teacher, starts_in=timedelta(days=5, hours=2 * number))
        if number % 3 == 0:
            hold(school.student, slot)
        elif number % 3 == 1:
            book(school.student, slot)
        else:
            booking = book(school.student, slot)
            Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELED)
    with django_assert_num_queries(expected):
        response = student_client.get(list_url())
    assert response.content.decode().count('class="card booking-item"') == 20


# --- cancel -----------------------------------------------------------------------


def test_cancel_outside_the_window_says_and_returns_the_lesson(school, student_client):
    booking = book(school.student, school.slot)  # three days ahead
    assert lessons_left(school.package) == 9
    assert RETURNED in text(student_client.get(list_url()))
    assert RETURNED in text(student_client.get(reverse("booking:booking-detail", args=[booking.pk])))

    response = student_client.post(reverse("booking:cancel", args=[booking.pk]), {"next": list_url()})
    assert response["Location"] == list_url()
    assert messages_of(response) == ["The booking is canceled. The lesson has been returned to your package."]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED
    assert booking.lesson_returned is True
    assert booking.lesson.status == Lesson.Status.CANCELED
    assert lessons_left(school.package) == 10
    page = text(student_client.get(reverse("booking:booking-detail", args=[booking.pk])))
    assert "Canceled" in page and "The lesson has been returned to your package." in page


def test_cancel_inside_the_window_says_and_keeps_the_lesson_used(school, student_client):
    soon = make_slot(school.teacher, starts_in=timedelta(hours=5))
    booking = book(school.student, soon)
    assert lessons_left(school.package) == 9
    listed = text(student_client.get(list_url()))
    assert NOT_RETURNED in listed and RETURNED not in listed

    response = student_client.post(reverse("booking:cancel", args=[booking.pk]))
    assert messages_of(response) == [
        "The booking is canceled. The lesson was not returned to your package: "
        "the cancellation came too close to the start."
    ]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED
    assert booking.lesson_returned is False
    assert lessons_left(school.package) == 9


def test_the_page_and_the_service_share_one_rule(school, settings):
    """The notice is computed by the very function booking_cancel applies."""
    booking = book(school.student, school.slot)
    start = booking.slot.start_at
    window = timedelta(hours=settings.BOOKING_REFUND_WINDOW_HOURS)
    assert booking_cancel_returns_lesson(
        booking=booking, actor=school.student, now=start - window - timedelta(seconds=1)
    )
    assert not booking_cancel_returns_lesson(booking=booking, actor=school.student, now=start - window)
    assert booking_cancel_returns_lesson(booking=booking, actor=school.teacher, now=start - timedelta(hours=1))


def test_cancel_after_the_start_changes_nothing(school, student_client):
    booking = book(school.student, school.slot)
    Slot.objects.filter(pk=school.slot.pk).update(
        start_at=timezone.now() - timedelta(minutes=5), end_at=timezone.now() + timedelta(minutes=55)
    )
    before = booking_snapshot()
    response = student_client.post(reverse("booking:cancel", args=[booking.pk]))
    assert messages_of(response) == ["The lesson has already started."]
    assert booking_snapshot() == before
    # and the list offers no Cancel button for it
    assert 'class="cancel-form"' not in student_client.get(list_url()).content.decode()


def test_canceling_twice_is_harmless(school, student_client):
    booking = book(school.student, school.slot)
    student_client.post(reverse("booking:cancel", args=[booking.pk]))
    before = booking_snapshot()
    student_client.post(reverse("booking:cancel", args=[booking.pk]))
    assert booking_snapshot() == before


# --- reschedule -----------------------------------------------------------------------


def reschedule_url(booking, week=None) -> str:
    url = reverse("booking:reschedule", args=[booking.pk])
    return f"{url}?week={week.isoformat()}" if week else url


def local_week(slot):
    return week_monday(timezone.localtime(slot.start_at, MOSCOW).date())


def test_reschedule_page_lists_the_teachers_open_slots(school, student_client):
    booking = book(school.student, school.slot)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=3, hours=1))
    other_teachers = make_slot(school.other_teacher, starts_in=timedelta(days=3, hours=1))
    response = student_client.get(reschedule_url(booking, local_week(new_slot)))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="slot" value="{new_slot.pk}"' in html
    assert f'name="slot" value="{school.slot.pk}"' not in html  # its own slot is taken (by itself)
    assert f'name="slot" value="{other_teachers.pk}"' not in html
    assert f'action="{reverse("booking:reschedule", args=[booking.pk])}"' in html
    assert "Move here" in text(response)
    assert "the lesson of the old time is returned to your package" in text(response)
    assert 'rel="next"' in html


def test_reschedule_moves_the_lesson_and_shows_the_new_booking(school, student_client):
    booking = book(school.student, school.slot)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=4))
    response = student_client.post(reschedule_url(booking), {"slot": new_slot.pk})
    successor = Booking.objects.get(rescheduled_from=booking)
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:booking-detail", args=[successor.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED
    assert successor.status == Booking.Status.CONFIRMED
    assert successor.slot == new_slot
    assert lessons_left(school.package) == 9  # one returned, one taken
    start = timezone.localtime(new_slot.start_at, MOSCOW)
    [message] = messages_of(response)
    assert message.startswith("Your lesson is moved to ")
    assert f"{start:%H:%M} (Europe/Moscow)." in message
    assert message.endswith("The lesson of the old time has been returned to your package.")
    page = text(student_client.get(reverse("booking:booking-detail", args=[successor.pk])))
    assert "Moved from" in page and "Confirmed" in page
    old = text(student_client.get(reverse("booking:booking-detail", args=[booking.pk])))
    assert "This lesson was moved to another time." in old


def test_reschedule_to_a_taken_slot_changes_nothing(school, student_client):
    booking = book(school.student, school.slot)
    taken = make_slot(school.teacher, starts_in=timedelta(days=4))
    book(school.other_student, taken)
    before = booking_snapshot()
    response = student_client.post(reschedule_url(booking), {"slot": taken.pk, "week": "2030-01-07"})
    assert response["Location"] == reschedule_url(booking) + "?week=2030-01-07"
    assert messages_of(response) == ["This slot is already taken or no longer available."]
    assert booking_snapshot() == before


def test_reschedule_inside_the_window_without_a_lesson_to_spare_changes_nothing(school, student_client):
    soon = make_slot(school.teacher, starts_in=timedelta(hours=5))
    booking = book(school.student, soon)
    LessonPackage.objects.filter(pk=school.package.pk).update(lessons_left=0, status=LessonPackage.Status.DEPLETED)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=4))
    page = text(student_client.get(reschedule_url(booking)))
    assert "the lesson of the old time is not returned to your package" in page
    before = booking_snapshot()
    response = student_client.post(reschedule_url(booking), {"slot": new_slot.pk})
    assert messages_of(response) == [NO_LESSONS_LEFT]  # with the link to buy lessons
    assert booking_snapshot() == before


def test_reschedule_of_a_hold_is_not_offered_and_refused(school, student_client):
    booking = hold(school.student, school.slot)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=4))
    page = student_client.get(reschedule_url(booking))
    assert "Only a confirmed booking can be rescheduled." in text(page)
    assert 'name="slot"' not in page.content.decode()
    before = booking_snapshot()
    response = student_client.post(reschedule_url(booking), {"slot": new_slot.pk})
    assert messages_of(response) == ["Only a confirmed booking can be rescheduled."]
    assert booking_snapshot() == before


def test_reschedule_to_its_own_slot_says_why_and_changes_nothing(school, student_client):
    booking = book(school.student, school.slot)
    before = booking_snapshot()
    response = student_client.post(reschedule_url(booking), {"slot": school.slot.pk})
    assert messages_of(response) == ["Choose a different slot."]
    assert booking_snapshot() == before


def test_reschedule_with_a_malformed_slot_changes_nothing(school, student_client):
    booking = book(school.student, school.slot)
    before = booking_snapshot()
    response = student_client.post(reschedule_url(booking), {"slot": "x"})
    assert response["Location"] == reschedule_url(booking)
    assert messages_of(response) == ["This slot is already taken or no longer available."]
    assert booking_snapshot() == before


def test_reschedule_page_slots_queries_do_not_grow(school, student_client, django_assert_num_queries):
    booking = book(school.student, school.slot)
    monday = local_week(school.slot) + timedelta(days=14)
    first = datetime.combine(monday, time(0), MOSCOW)
    slot_at(school.teacher, first)
    url = reschedule_url(booking, monday)
    expected = queries_of(student_client, url)
    for number in range(1, 50):
        slot_at(school.teacher, first + timedelta(hours=3 * number))
    with django_assert_num_queries(expected):
        response = student_client.get(url)
    assert response.content.decode().count('name="slot"') == 50


def test_another_students_booking_is_not_found_everywhere(school):
    booking = book(school.student, school.slot)
    new_slot = make_slot(school.teacher, starts_in=timedelta(days=4))
    intruder = signed_in(school.other_student)
    before = booking_snapshot()
    assert intruder.get(reverse("booking:booking-detail", args=[booking.pk])).status_code == 404
    assert intruder.get(reschedule_url(booking)).status_code == 404
    assert intruder.post(reverse("booking:confirm", args=[booking.pk])).status_code == 404
    assert intruder.post(reverse("booking:cancel", args=[booking.pk])).status_code == 404
    assert intruder.post(reschedule_url(booking), {"slot": new_slot.pk}).status_code == 404
    assert booking_snapshot() == before
