"""Dates as they read inside a sentence, in the active language and time zone."""

from django import template
from django.utils import translation
from django.utils.formats import date_format

from guitaronline.core.times import in_zone

register = template.Library()

# Languages whose weekday and month names are lower case inside a sentence.
LOWER_CASE_NAMES = {"ru"}


@register.filter
def in_sentence(value, fmt: str = "l, j E Y, H:i") -> str:
    """`value` (aware) in the active zone, formatted with `fmt`; Russian
    weekday names start lower case mid-sentence ("во вторник"), English keep
    their capital."""
    if value is None:
        return ""
    text = date_format(in_zone(value), fmt)
    if translation.get_language() in LOWER_CASE_NAMES:
        text = text[:1].lower() + text[1:]
    return text
