"""The calendar feeds (a student's and a teacher's, both `/calendar/<token>.ics`)
answer a valid calendar for any date a lesson row can hold: years 1 to 9999,
a lesson ending at 9999-12-31 23:59 UTC, viewers east and west of UTC.

Such rows are stored directly (the services refuse them): an old row, or one
written by staff in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone, translation

from lessons.feeds import lessons_calendar
from lessons.models import Lesson
from tests.factories import StudentFactory, TeacherFactory

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
