"""Instants on a viewer's wall clock, also at the ends of datetime's range."""

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
