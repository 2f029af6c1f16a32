"""Helpers of the calendar feed tests: exact UTC times and DST Sundays, the
feed fetched and parsed back with `icalendar`, and the wall-clock times the
lesson pages show."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.test import Client


def utc(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def second_sunday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def feed_path(user) -> str:
    return urlsplit(user.get_calendar_feed_url()).path


def fetch_feed(user, client: Client | None = None) -> icalendar.Calendar:
    response = (client or Client()).get(feed_path(user))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid_of(lesson) -> str:
    return f"lesson-{lesson.pk}@"


def event_of(calendar: icalendar.Calendar, lesson) -> icalendar.Event:
    found = [event for uid, event in events_by_uid(calendar).items() if uid.startswith(uid_of(lesson))]
    assert len(found) == 1, [str(event["UID"]) for event in calendar.walk("VEVENT")]
    return found[0]


_CARD_TIMES = re.compile(
    r'href="/lessons/(?P<id>\d+)/"><time datetime="[^"]+">[^<]*?(?P<start>\d\d:\d\d)</time>'
    r'–<time datetime="[^"]+">(?P<end>\d\d:\d\d)</time>'
)
_DETAIL_TIMES = re.compile(
    r'<time datetime="[^"]+">[^<]*?(?P<start>\d\d:\d\d)</time>–<time datetime="[^"]+">(?P<end>\d\d:\d\d)</time>'
)


def list_page_times(client: Client, period: str = "upcoming") -> dict[int, tuple[str, str]]:
    """Lesson id -> (start, end) as HH:MM, as the lesson list shows them."""
    response = client.get(f"/lessons/?when={period}")
    assert response.status_code == 200
    return {
        int(match["id"]): (match["start"], match["end"]) for match in _CARD_TIMES.finditer(response.content.decode())
    }


def detail_page_times(client: Client, lesson) -> tuple[str, str]:
    response = client.get(f"/lessons/{lesson.pk}/")
    assert response.status_code == 200
    match = _DETAIL_TIMES.search(response.content.decode())
    assert match, "no lesson time on the lesson page"
    return match["start"], match["end"]
