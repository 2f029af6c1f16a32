"""The calendar feeds (a student's and a teacher's, both `/calendar/<token>.ics`)
answer a valid calendar for any date a lesson row can hold: years 1 to 9999,
a lesson ending at 9999-12-31 23:59 UTC, viewers east and west of UTC.

Such rows are stored directly (the services refuse them): an old row, or one
written by staff in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone, translation

from booking.models import Booking
from lessons.feeds import lessons_calendar
from lessons.models import Lesson
from notifications.templatetags.notification_dates import in_sentence
from scheduling.models import Slot
from tests.clients import client_for
from tests.factories import StudentFactory, TeacherFactory, make_package

pytestmark = pytest.mark.django_db

# East of UTC (+14) and west of it (-11); New York is west of UTC in year 1
# too, where Kiritimati's local mean time was -10:29 and Pago Pago's +12:37.
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York", "Europe/Berlin"]
LAST = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


def feed(user) -> icalendar.Calendar:
    response = Client().get(urlsplit(user.get_calendar_feed_url()).path)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def lesson(teacher, student, start: datetime, end: datetime) -> Lesson:
    return Lesson.objects.create(teacher=teacher, student=student, start_at=start, end_at=end)


def events(calendar) -> dict[int, icalendar.Event]:
    return {int(str(event["UID"]).split("@")[0].removeprefix("lesson-")): event for event in calendar.walk("VEVENT")}


def next_hour(days: int) -> datetime:
    return (timezone.now() + timedelta(days=days)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture(params=ZONES)
def people(request):
    """A teacher and a student in the same zone, each with their own feed."""
    return TeacherFactory(timezone=request.param), StudentFactory(timezone=request.param)


@pytest.fixture
def extremes(people):
    teacher, student = people
    soon = next_hour(3)
    return {
        "normal": lesson(teacher, student, soon, soon + timedelta(hours=1)),
        "last": lesson(teacher, student, LAST - timedelta(hours=1, minutes=59), LAST),
        "far": lesson(teacher, student, datetime(9999, 6, 1, 10, tzinfo=UTC), datetime(9999, 6, 1, 11, tzinfo=UTC)),
        # a corrupt row: it starts next week and ends at the last minute
        "endless": lesson(teacher, student, soon + timedelta(days=7), LAST),
        "first": lesson(teacher, student, datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 1, tzinfo=UTC)),
    }


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_both_feeds_answer_for_lessons_at_the_ends_of_the_calendar(people, extremes, who):
    teacher, student = people
    viewer = {"teacher": teacher, "student": student}[who]
    zone = viewer.timezone
    calendar = feed(viewer)
    shown = events(calendar)

    # year 1 is before the feed's window (the last 30 days and everything ahead)
    assert set(shown) == {extremes[name].pk for name in ("normal", "last", "far", "endless")}
    for name in ("normal", "last", "far", "endless"):
        stored, event = extremes[name], shown[extremes[name].pk]
        assert event.decoded("DTSTART").astimezone(UTC) == stored.start_at, name
        assert event.decoded("DTEND").astimezone(UTC) == stored.end_at, name

    # near lessons on the viewer's wall clock, the rest in UTC (the same instant)
    normal = shown[extremes["normal"].pk]
    assert normal["DTSTART"].params["TZID"] == zone
    local = extremes["normal"].start_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert normal.decoded("DTSTART").replace(tzinfo=None) == local
    assert shown[extremes["endless"].pk]["DTSTART"].params["TZID"] == zone
    for name, prop in [("last", "DTSTART"), ("last", "DTEND"), ("far", "DTSTART"), ("endless", "DTEND")]:
        assert "TZID" not in shown[extremes[name].pk][prop].params, (name, prop)
        assert shown[extremes[name].pk][prop].to_ical().endswith(b"Z"), (name, prop)
    assert shown[extremes["last"].pk]["DTEND"].to_ical() == b"99991231T235900Z"

    # one VTIMEZONE, over the span around now, not thousands of years of rules
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == zone
    assert len(vtimezone.to_ical()) < 5000


@pytest.mark.parametrize("zone", ZONES)
def test_a_feed_with_only_far_lessons_is_valid_and_names_the_zone(zone):
    teacher, student = TeacherFactory(timezone=zone), StudentFactory(timezone=zone)
    last = lesson(teacher, student, LAST - timedelta(minutes=30), LAST)
    calendar = feed(student)
    assert str(calendar["X-WR-TIMEZONE"]) == zone
    assert events(calendar)[last.pk].decoded("DTEND") == LAST


@pytest.mark.parametrize("zone", ZONES)
def test_the_feed_is_rendered_for_any_stored_date_whatever_the_window(zone):
    """The renderer itself, beyond the feed's window: lessons at both ends of
    the calendar, one of them lasting from the first day to the last."""
    teacher, student = TeacherFactory(timezone=zone), StudentFactory(timezone=zone)
    rows = [
        lesson(teacher, student, datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 1, tzinfo=UTC)),
        lesson(teacher, student, LAST - timedelta(hours=2), LAST),
        lesson(teacher, student, datetime(1, 1, 1, 2, tzinfo=UTC), LAST),
    ]
    with translation.override("en"):
        body = lessons_calendar(user=student, lessons=rows, now=timezone.now())
    calendar = icalendar.Calendar.from_ical(body)
    decoded = {
        pk: (event.decoded("DTSTART").astimezone(UTC), event.decoded("DTEND").astimezone(UTC))
        for pk, event in events(calendar).items()
    }
    assert decoded == {row.pk: (row.start_at, row.end_at) for row in rows}
    assert calendar.walk("VTIMEZONE") == []  # nothing is written on the wall clock


# --- every other page and answer that shows a lesson or slot date ------------------------

# A lesson and a free slot at each end of the calendar. Late on 9999-12-31 (UTC)
# Kiritimati's clock reads year 10000; early on 0001-01-01 New York's (and
# Kiritimati's, then on local mean time) reads year 0.
LATE = (datetime(9999, 12, 31, 22, tzinfo=UTC), LAST)
LATE_FREE = (datetime(9999, 12, 31, 20, tzinfo=UTC), datetime(9999, 12, 31, 21, tzinfo=UTC))
EARLY = (datetime(1, 1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 2, tzinfo=UTC))
EARLY_FREE = (datetime(1, 1, 1, 3, tzinfo=UTC), datetime(1, 1, 1, 4, tzinfo=UTC))
PAGE_ZONES = ["Pacific/Kiritimati", "America/New_York", "Pacific/Pago_Pago"]


def booked(teacher, student, start: datetime, end: datetime) -> Booking:
    slot = Slot.objects.create(teacher=teacher, start_at=start, end_at=end)
    return Booking.objects.create(
        student=student,
        slot=slot,
        status=Booking.Status.CONFIRMED,
        package=make_package(student),
        lesson=lesson(teacher, student, start, end),
        confirmed_at=timezone.now(),
    )


@pytest.fixture(params=PAGE_ZONES)
def school(request):
    zone = request.param
    teacher, student = TeacherFactory(timezone=zone), StudentFactory(timezone=zone)
    late, early = booked(teacher, student, *LATE), booked(teacher, student, *EARLY)
    Slot.objects.create(teacher=teacher, start_at=LATE_FREE[0], end_at=LATE_FREE[1])
    Slot.objects.create(teacher=teacher, start_at=EARLY_FREE[0], end_at=EARLY_FREE[1])
    return SimpleNamespace(zone=zone, teacher=teacher, student=student, late=late, early=early)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


TEACHER_PAGES = {
    "teacher-dashboard": lambda school: "/teacher/",
    "students": lambda school: "/teacher/students/",
    "student-history": lambda school: f"/teacher/students/{school.student.pk}/",
    "lessons-upcoming": lambda school: "/lessons/?when=upcoming",
    "lessons-past": lambda school: "/lessons/?when=past",
    "lesson-late": lambda school: f"/lessons/{school.late.lesson_id}/",
    "lesson-early": lambda school: f"/lessons/{school.early.lesson_id}/",
    "week": lambda school: "/teacher/schedule/?week=9999-12-27",
}
STUDENT_PAGES = {
    "student-dashboard": lambda school: "/student/",
    "teacher-page": lambda school: f"/teachers/{school.teacher.pk}/",
    "bookings": lambda school: "/bookings/",
    "booking-late": lambda school: f"/bookings/{school.late.pk}/",
    "booking-early": lambda school: f"/bookings/{school.early.pk}/",
    "reschedule-late": lambda school: f"/bookings/{school.late.pk}/reschedule/",
    "lessons-upcoming": lambda school: "/lessons/?when=upcoming",
    "lessons-past": lambda school: "/lessons/?when=past",
    "lesson-late": lambda school: f"/lessons/{school.late.lesson_id}/",
    "lesson-early": lambda school: f"/lessons/{school.early.lesson_id}/",
    "teacher-history": lambda school: f"/lessons/teachers/{school.teacher.pk}/",
}


@pytest.mark.parametrize("name", TEACHER_PAGES)
def test_teacher_pages_show_lessons_and_slots_at_the_ends_of_the_calendar(school, name):
    response = signed_in(school.teacher).get(TEACHER_PAGES[name](school))
    assert response.status_code == 200


@pytest.mark.parametrize("name", STUDENT_PAGES)
def test_student_pages_show_lessons_and_slots_at_the_ends_of_the_calendar(school, name):
    response = signed_in(school.student).get(STUDENT_PAGES[name](school))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "shown"), [("lesson-late", LATE), ("lesson-early", EARLY)])
def test_a_time_the_viewers_clock_cannot_read_is_shown_in_utc_and_the_others_on_their_clock(school, name, shown):
    content = signed_in(school.student).get(STUDENT_PAGES[name](school)).content.decode()
    start, end = shown
    for moment in (start, end):
        local = moment.astimezone(ZoneInfo(school.zone)) if _readable(moment, school.zone) else moment
        assert f'datetime="{local.isoformat()}"' in content


def _readable(moment: datetime, zone: str) -> bool:
    try:
        moment.astimezone(ZoneInfo(zone))
    except OverflowError:
        return False
    return True


def api_results(client, url) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else [body]


def instants(items, *keys) -> set[tuple[datetime, ...]]:
    def value(item, key):
        for part in key.split("."):
            item = item[part]
        return datetime.fromisoformat(item).astimezone(UTC)

    return {tuple(value(item, key) for key in keys) for item in items}


@pytest.mark.parametrize(
    ("who", "url", "keys", "expected"),
    [
        ("teacher", "/api/v1/scheduling/slots/my?from=0001-01-01T00:00Z", ("start_at", "end_at"), {LATE, LATE_FREE}),
        ("student", "/api/v1/scheduling/slots/open", ("start_at", "end_at"), {LATE_FREE}),
        ("student", "/api/v1/lessons/my", ("start_at", "end_at"), {LATE, EARLY}),
        ("teacher", "/api/v1/lessons/my", ("start_at", "end_at"), {LATE, EARLY}),
        ("student", "/api/v1/booking/my", ("slot.start_at", "slot.end_at"), {LATE, EARLY}),
    ],
    ids=["my-slots", "open-slots", "student-lessons", "teacher-lessons", "bookings"],
)
def test_api_lists_give_every_instant_whatever_the_viewers_zone(school, who, url, keys, expected):
    client = client_for({"teacher": school.teacher, "student": school.student}[who])
    assert instants(api_results(client, url), *keys) >= expected


@pytest.mark.parametrize("which", ["late", "early"])
def test_api_details_give_every_instant_whatever_the_viewers_zone(school, which):
    booking = getattr(school, which)
    client = client_for(school.student)
    expected = {(booking.slot.start_at, booking.slot.end_at)}
    assert instants(api_results(client, f"/api/v1/lessons/{booking.lesson_id}"), "start_at", "end_at") == expected
    assert instants(api_results(client, f"/api/v1/booking/{booking.pk}"), "slot.start_at", "slot.end_at") == expected


def test_booking_the_last_slot_of_the_calendar_says_when(school):
    slot = Slot.objects.get(teacher=school.teacher, start_at=LATE_FREE[0])
    client = signed_in(school.student)
    held = client.post(f"/teachers/{school.teacher.pk}/hold/", {"slot": slot.pk})
    assert held.status_code == 302
    booking = Booking.objects.get(slot=slot)
    confirmed = client.post(f"/bookings/{booking.pk}/confirm/", follow=True)
    assert confirmed.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    messages = [str(message) for message in confirmed.context["messages"]]
    assert messages[-1].startswith("Your lesson is booked: 31 December 9999, ")


def test_removing_the_last_slot_of_the_calendar(school):
    slot = Slot.objects.get(teacher=school.teacher, start_at=LATE_FREE[0])
    response = signed_in(school.teacher).post(f"/teacher/schedule/{slot.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert not Slot.objects.filter(pk=slot.pk).exists()
    (message,) = [str(message) for message in response.context["messages"]]
    assert message.startswith("Slot removed: 31 December, ")


def test_a_message_about_a_lesson_at_the_end_of_the_calendar_is_written(school):
    with timezone.override(ZoneInfo(school.zone)), translation.override("en"):
        text = in_sentence(school.late.slot.start_at, "j E Y, H:i")
    local = school.late.slot.start_at
    if _readable(local, school.zone):
        local = local.astimezone(ZoneInfo(school.zone))
    assert text == f"{local.day} December 9999, {local:%H:%M}"
