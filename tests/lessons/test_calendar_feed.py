"""The private iCalendar feed: what calendar apps read, parsed back with
`icalendar`, compared with what the pages show the same person."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from booking import services as booking_services
from lessons import services as lesson_services
from lessons.models import Lesson
from tests.clients import signed_in
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, book, in_days, make_package, slot_at
from tests.lessons.calendar_helpers import (
    detail_page_times,
    event_of,
    events_by_uid,
    feed_path,
    fetch_feed,
    last_sunday,
    list_page_times,
    second_sunday,
    utc,
)

pytestmark = pytest.mark.django_db


# --- wall-clock times across DST changes -------------------------------------------------


@pytest.fixture
def dst_lessons(berlin_teacher, new_york_student):
    """A teacher in Berlin and a student in New York with four lessons around
    next year's DST changes (the US switches two weeks before the EU):

    - the Friday before Berlin's switch (last Sunday of March) and the Monday after;
    - the Friday before New York's switch (second Sunday of March) and the Monday after.
    """
    year = timezone.now().year + 1
    eu, us = last_sunday(year, 3), second_sunday(year, 3)
    lessons = {
        # Berlin 17:00 CET = 16:00 UTC = New York 12:00 EDT
        "before_eu": utc(year, 3, (eu - timedelta(days=2)).day, 16),
        # Berlin 17:00 CEST = 15:00 UTC = New York 11:00 EDT
        "after_eu": utc(year, 3, (eu + timedelta(days=1)).day, 15),
        # New York 12:00 EST = 17:00 UTC = Berlin 18:00 CET
        "before_us": utc(year, 3, (us - timedelta(days=2)).day, 17),
        # New York 12:00 EDT = 16:00 UTC = Berlin 17:00 CET
        "after_us": utc(year, 3, (us + timedelta(days=1)).day, 16),
    }
    return {
        name: book(new_york_student, slot_at(berlin_teacher, start, minutes=45)).lesson
        for name, start in lessons.items()
    }


EXPECTED_LOCAL = {
    "Europe/Berlin": {
        "before_eu": ("17:00", "17:45"),
        "after_eu": ("17:00", "17:45"),
        "before_us": ("18:00", "18:45"),
        "after_us": ("17:00", "17:45"),
    },
    "America/New_York": {
        "before_eu": ("12:00", "12:45"),
        "after_eu": ("11:00", "11:45"),
        "before_us": ("12:00", "12:45"),
        "after_us": ("12:00", "12:45"),
    },
}


def _hhmm(value) -> str:
    return f"{value:%H:%M}"


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_the_feed_shows_the_wall_clock_times_of_the_pages_across_dst(
    who, berlin_teacher, new_york_student, dst_lessons
):
    viewer = {"teacher": berlin_teacher, "student": new_york_student}[who]
    calendar = fetch_feed(viewer)
    client = signed_in(viewer)
    listed = list_page_times(client)
    vtimezones = {str(tz["TZID"]): tz for tz in calendar.walk("VTIMEZONE")}
    assert set(vtimezones) == {viewer.timezone}
    zone_from_feed = vtimezones[viewer.timezone].to_tz(lookup_tzid=False)  # only what the feed says

    for name, lesson in dst_lessons.items():
        event = event_of(calendar, lesson)
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == viewer.timezone
        assert event["DTEND"].params["TZID"] == viewer.timezone
        shown = (_hhmm(start), _hhmm(end))
        assert shown == EXPECTED_LOCAL[viewer.timezone][name], name
        assert shown == listed[lesson.pk], name  # the lesson list
        assert shown == detail_page_times(client, lesson), name  # the lesson page
        # A calendar app that knows only the feed's VTIMEZONE lands on the same instant.
        naive = start.replace(tzinfo=None)
        assert naive.replace(tzinfo=zone_from_feed).astimezone(UTC) == lesson.start_at, name


def test_the_feed_follows_a_change_of_the_users_time_zone(new_york_student, dst_lessons):
    User.objects.filter(pk=new_york_student.pk).update(timezone="Asia/Tokyo")
    new_york_student.refresh_from_db()
    event = event_of(fetch_feed(new_york_student), dst_lessons["after_eu"])
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert _hhmm(event.decoded("DTSTART")) == "00:00"  # 15:00 UTC
    assert (
        _hhmm(event.decoded("DTSTART")) == list_page_times(signed_in(new_york_student))[dst_lessons["after_eu"].pk][0]
    )


# --- what each event says ------------------------------------------------------------------


def test_an_event_carries_uid_times_summary_status_and_links(settings, berlin_teacher, new_york_student):
    settings.SITE_URL = "https://school.example"
    booking = book(new_york_student, slot_at(berlin_teacher, in_days(5)))
    lesson = lesson_services.lesson_update_notes(
        lesson=booking.lesson, actor=berlin_teacher, meeting_url="https://meet.example/room-7"
    )
    calendar = fetch_feed(new_york_student)
    event = event_of(calendar, lesson)

    assert str(event["UID"]) == f"lesson-{lesson.pk}@school.example"
    assert str(event["SUMMARY"]) == f"Guitar lesson with {berlin_teacher.teacher_profile.display_name}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("LAST-MODIFIED") == lesson.updated_at.replace(microsecond=0)  # iCalendar has seconds
    assert event.decoded("DTSTAMP") == lesson.updated_at.replace(microsecond=0)
    assert event.decoded("DTSTART").astimezone(UTC) == lesson.start_at
    assert event.decoded("DTEND").astimezone(UTC) == lesson.end_at
    assert str(event["URL"]) == "https://meet.example/room-7"
    assert str(event["LOCATION"]) == "https://meet.example/room-7"
    assert f"https://school.example/lessons/{lesson.pk}/" in str(event["DESCRIPTION"])
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-TIMEZONE"]) == new_york_student.timezone

    # the teacher's feed names the student; the UID is the same lesson's
    teachers_event = event_of(fetch_feed(berlin_teacher), lesson)
    assert str(teachers_event["SUMMARY"]) == f"Guitar lesson with {new_york_student.full_name}"
    assert str(teachers_event["UID"]) == str(event["UID"])


def test_the_uid_is_stable_across_fetches_and_a_lesson_without_link_has_no_location(berlin_teacher, new_york_student):
    lesson = book(new_york_student, slot_at(berlin_teacher, in_days(5))).lesson
    first, second = fetch_feed(new_york_student), fetch_feed(new_york_student)
    assert events_by_uid(first).keys() == events_by_uid(second).keys()
    assert Client().get(feed_path(new_york_student)).content == Client().get(feed_path(new_york_student)).content
    event = event_of(first, lesson)
    assert "LOCATION" not in event and "URL" not in event


def test_the_summary_is_in_the_users_language_whatever_the_request_asks(berlin_teacher, new_york_student):
    User.objects.filter(pk=new_york_student.pk).update(language="ru")
    new_york_student.refresh_from_db()
    lesson = book(new_york_student, slot_at(berlin_teacher, in_days(5))).lesson
    response = Client().get(feed_path(new_york_student), HTTP_ACCEPT_LANGUAGE="en")
    event = event_of(icalendar.Calendar.from_ical(response.content), lesson)
    assert response["Content-Language"] == "ru"
    with translation.override("ru"):
        expected = gettext("Guitar lesson with %(name)s") % {"name": berlin_teacher.teacher_profile.display_name}
    assert str(event["SUMMARY"]) == expected


def test_a_canceled_lesson_stays_in_the_feed_as_cancelled(berlin_teacher, new_york_student):
    booking = book(new_york_student, slot_at(berlin_teacher, in_days(5)))
    uid = str(event_of(fetch_feed(new_york_student), booking.lesson)["UID"])
    booking_services.booking_cancel(booking=booking, actor=new_york_student)

    for viewer in (new_york_student, berlin_teacher):
        event = event_of(fetch_feed(viewer), booking.lesson)
        assert str(event["UID"]) == uid
        assert str(event["STATUS"]) == "CANCELLED"
        assert event.decoded("SEQUENCE") == 1
        assert str(event["SUMMARY"]).startswith("Canceled: Guitar lesson with ")
        assert event.decoded("LAST-MODIFIED") == Lesson.objects.get(pk=booking.lesson_id).updated_at.replace(
            microsecond=0
        )


def test_a_rescheduled_lesson_is_cancelled_and_its_successor_confirmed(berlin_teacher, new_york_student):
    booking = book(new_york_student, slot_at(berlin_teacher, in_days(5)))
    successor = booking_services.booking_reschedule(
        booking=booking, new_slot_id=slot_at(berlin_teacher, in_days(6)).pk, actor=new_york_student
    )
    calendar = fetch_feed(new_york_student)
    assert str(event_of(calendar, booking.lesson)["STATUS"]) == "CANCELLED"
    assert str(event_of(calendar, successor.lesson)["STATUS"]) == "CONFIRMED"


def test_the_feed_holds_the_last_30_days_and_everything_ahead(berlin_teacher, new_york_student):
    now = timezone.now().replace(microsecond=0)

    def lesson(days: float, status=Lesson.Status.COMPLETED) -> Lesson:
        start = now + timedelta(days=days)
        return Lesson.objects.create(
            teacher=berlin_teacher,
            student=new_york_student,
            start_at=start,
            end_at=start + timedelta(hours=1),
            status=status,
        )

    too_old = lesson(-30.1)
    recent = lesson(-29.9)
    far_ahead = lesson(400, status=Lesson.Status.SCHEDULED)
    uids = set(events_by_uid(fetch_feed(new_york_student)))
    assert {uid.split("@")[0] for uid in uids} == {f"lesson-{recent.pk}", f"lesson-{far_ahead.pk}"}
    assert f"lesson-{too_old.pk}" not in {uid.split("@")[0] for uid in uids}


def test_each_feed_holds_only_its_owners_lessons(berlin_teacher, new_york_student):
    mine = book(new_york_student, slot_at(berlin_teacher, in_days(5))).lesson
    other_student = StudentFactory()
    make_package(other_student)
    theirs = book(other_student, slot_at(berlin_teacher, in_days(6))).lesson
    other_teacher = TeacherFactory()
    elsewhere = book(new_york_student, slot_at(other_teacher, in_days(7))).lesson

    def ids(user) -> set[int]:
        return {int(uid.split("@")[0].removeprefix("lesson-")) for uid in events_by_uid(fetch_feed(user))}

    assert ids(new_york_student) == {mine.pk, elsewhere.pk}
    assert ids(other_student) == {theirs.pk}
    assert ids(berlin_teacher) == {mine.pk, theirs.pk}
    assert ids(other_teacher) == {elsewhere.pk}
    assert ids(StaffFactory()) == set()
    # signed in as someone else changes nothing: the token is the key
    assert {str(e["UID"]) for e in fetch_feed(new_york_student, client=signed_in(other_student)).walk("VEVENT")} == {
        str(e["UID"]) for e in fetch_feed(new_york_student).walk("VEVENT")
    }


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "short", "a" * 65, "%00" * 15, "..%2f..%2fetc", "' OR '1'='1' OR 'a'='aaaaaaaaaaa"],
)
def test_an_unknown_or_malformed_token_is_not_found(new_york_student, token):
    response = Client().get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.content


def test_a_deactivated_users_feed_is_gone(new_york_student):
    path = feed_path(new_york_student)
    User.objects.filter(pk=new_york_student.pk).update(is_active=False)
    assert Client().get(path).status_code == 404


def test_the_feed_answers_get_and_head_only_with_private_caching(new_york_student):
    path = feed_path(new_york_student)
    response = Client().get(path)
    assert response["Cache-Control"] == "private, max-age=300"
    assert "Set-Cookie" not in response
    assert Client().head(path).status_code == 200
    assert Client().post(path).status_code == 405


def test_the_feed_runs_the_same_queries_for_one_and_many_lessons(
    berlin_teacher, new_york_student, django_assert_num_queries
):
    book(new_york_student, slot_at(berlin_teacher, in_days(3)))
    client = Client()
    with django_assert_num_queries(2):  # the token's user, the lessons with names
        client.get(feed_path(new_york_student))
    for day in range(4, 30):
        book(new_york_student, slot_at(berlin_teacher, in_days(day)))
    with django_assert_num_queries(2):
        response = client.get(feed_path(new_york_student))
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 27
