"""The `date` and `time` filters of every template (a builtin library of the
template engine, see TEMPLATES in settings): Django's own filters, but the
value is put on the active zone's clock with `in_zone`, so a lesson or slot
stored at the very end (or start) of the calendar is shown in UTC where
Django's conversion would fail the whole page with OverflowError."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.template import defaultfilters
from django.utils import timezone

from guitaronline.core.times import in_zone

register = template.Library()


def _on_the_clock(value):
    """What the template engine does before Django's `date` and `time` (their
    `expects_localtime`), minus the failure."""
    if (
        isinstance(value, datetime)
        and settings.USE_TZ
        and timezone.is_aware(value)
        and getattr(value, "convert_to_local_time", True)  # not after |utc or |timezone
    ):
        return in_zone(value)
    return value


@register.filter(is_safe=False)
def date(value, arg=None):
    return defaultfilters.date(_on_the_clock(value), arg)


@register.filter(is_safe=False)
def time(value, arg=None):
    return defaultfilters.time(_on_the_clock(value), arg)
