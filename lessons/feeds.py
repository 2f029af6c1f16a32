"""The private iCalendar feed of a user's lessons: `/calendar/<token>.ics`.

No login: the secret token in the URL is the key (see `accounts.User.calendar_token`),
and replacing it on the profile page or through the API makes the old URL a 404
at once. A student sees the lessons they take, a teacher the lessons they give,
from the last CALENDAR_PAST_DAYS days on, in their own language.

Times: DTSTART/DTEND carry the user's IANA zone (TZID) with a VTIMEZONE built
from the same tz database the pages use, so a calendar app shows the wall-clock
time the pages show, also across a DST change. A time further than ZONED_SPAN
from now (a row no booking makes, e.g. a lesson stored in year 9999) is written
in UTC instead: the same instant, which calendar apps show in their own zone.
So the VTIMEZONE spans at most that much around now, and the feed never
converts near the ends of datetime's range, where a zone's wall clock would
read year 0 or 10000. A lesson's times never change (a
reschedule cancels it and books a new lesson), so its only significant change is
the cancel: SEQUENCE 0, then 1 with STATUS:CANCELLED, which tells calendar apps
to remove it. LAST-MODIFIED and DTSTAMP are the lesson's `updated_at`.

Not rate limited: the token has 256 random bits (nothing to guess), calendar
services fetch many users' feeds from a few shared addresses (a per-IP limit
would cut off Google's fetchers), and one fetch is two indexed queries; clients
are asked to come back hourly and may reuse an answer for five minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import User
from lessons import selectors
from lessons.models import Lesson

CACHE_CONTROL = "private, max-age=300"
REFRESH_INTERVAL = timedelta(hours=1)
PRODID = "-//GuitarOnline//Lesson calendar//EN"
# Times this close to now are written on the user's wall clock; slots open at
# most 3650 days ahead (SCHEDULING_MAX_DAYS_AHEAD), so only rows no booking
# makes fall outside.
ZONED_SPAN = timedelta(days=3660)


def _uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "guitaronline"


def _other_party(lesson: Lesson, user: User) -> str:
    """Who the lesson is with, as the lesson page names them."""
    if lesson.teacher_id == user.pk:
        return lesson.student.full_name
    return lesson.teacher.display_name


def _zoned(moment: datetime, now: datetime) -> bool:
    """Whether the feed writes `moment` on the user's wall clock (else in UTC)."""
    return now - ZONED_SPAN <= moment <= now + ZONED_SPAN


def _when(moment: datetime, *, zone: ZoneInfo, now: datetime) -> datetime:
    return moment.astimezone(zone if _zoned(moment, now) else UTC)


def _event(lesson: Lesson, *, user: User, zone: ZoneInfo, now: datetime) -> icalendar.Event:
    canceled = lesson.status == Lesson.Status.CANCELED
    summary = _("Guitar lesson with %(name)s") % {"name": _other_party(lesson, user)}
    if canceled:
        summary = _("Canceled: %(lesson)s") % {"lesson": summary}
    description = [_("Lesson page: %(url)s") % {"url": settings.SITE_URL + reverse("lessons:detail", args=[lesson.pk])}]
    event = icalendar.Event()
    event.add("uid", f"lesson-{lesson.pk}@{_uid_domain()}")
    event.add("dtstamp", lesson.updated_at)
    event.add("created", lesson.created_at)
    event.add("last-modified", lesson.updated_at)
    event.add("sequence", 1 if canceled else 0)
    event.add("dtstart", _when(lesson.start_at, zone=zone, now=now))
    event.add("dtend", _when(lesson.end_at, zone=zone, now=now))
    event.add("summary", summary)
    event.add("status", "CANCELLED" if canceled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if canceled else "OPAQUE")
    if lesson.meeting_url:
        event.add("location", lesson.meeting_url)
        event.add("url", lesson.meeting_url)
        description.insert(0, _("Meeting link: %(url)s") % {"url": lesson.meeting_url})
    event.add("description", "\n".join(description))
    return event


def lessons_calendar(*, user: User, lessons: list[Lesson], now: datetime) -> bytes:
    """The VCALENDAR of `lessons` as `user` sees them (their zone; their
    language must be active)."""
    zone = ZoneInfo(user.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("GuitarOnline lessons"))
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for lesson in lessons:
        calendar.add_component(_event(lesson, user=user, zone=zone, now=now))
    # The zone's rules over the times written in it (a day of margin each side).
    zoned = [now] + [moment for lesson in lessons for moment in (lesson.start_at, lesson.end_at) if _zoned(moment, now)]
    first, last = min(zoned), max(zoned)
    calendar.add_missing_timezones(
        first_date=(first - timedelta(days=1)).date(), last_date=(last + timedelta(days=1)).date()
    )
    return calendar.to_ical()


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = selectors.calendar_owner(token=token)
    now = timezone.now()
    lessons = list(selectors.lessons_for_calendar(user=user, now=now))
    with translation.override(user.language):
        body = lessons_calendar(user=user, lessons=lessons, now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Language"] = user.language
    response["Content-Disposition"] = 'inline; filename="guitaronline-lessons.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
