"""Calendar weeks (Monday to Sunday) in a viewer's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class LocalWeek:
    """The week holding a day: its Monday and its bounds [start, end) as local
    midnights, so a week with a DST change lasts 167 or 169 hours."""

    monday: date
    start: datetime
    end: datetime

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_week(day: date, zone: tzinfo) -> LocalWeek:
    monday = week_monday(day)
    return LocalWeek(
        monday=monday,
        start=datetime.combine(monday, time.min, tzinfo=zone),
        end=datetime.combine(monday + timedelta(days=7), time.min, tzinfo=zone),
    )
