"""Instants on a viewer's wall clock, also at the ends of datetime's range,
and wall-clock times of a zone as instants."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django.utils import timezone


def in_zone(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """`moment` (aware) on the wall clock of `zone`, by default the active zone.

    Within hours of the ends of datetime's range a zone's clock reads a time
    no datetime holds: year 0 west of UTC, year 10000 east of it. Such an
    instant comes back in UTC instead, still the same instant, so a page or
    an answer shows it rather than failing. Only rows stored around the
    services come that close (these open slots at most
    SCHEDULING_MAX_DAYS_AHEAD days ahead)."""
    try:
        return moment.astimezone(zone or timezone.get_current_timezone())
    except OverflowError:
        return moment.astimezone(UTC)


def local_to_utc(local: datetime, zone: tzinfo) -> datetime | None:
    """A naive wall-clock time in `zone` as UTC; None when that time does not
    exist there (the gap of a spring-forward). An ambiguous time (the repeated
    hour of a fall-back) is read as its first occurrence (fold=0)."""
    aware = local.replace(tzinfo=zone, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return as_utc
