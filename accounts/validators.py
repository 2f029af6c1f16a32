from functools import lru_cache
from importlib import resources
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def offered_timezones() -> tuple[str, ...]:
    """The zones people pick from: one per region whose clocks have agreed
    since 1970 (tzdata's zone1970.tab, about 300), and UTC, without the
    aliases, the deprecated names and the technical ones ("Factory",
    "GMT-0", "US/Eastern"). Every IANA name is still accepted
    (`validate_timezone`): an account with another keeps it."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text(encoding="utf-8")
    names = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return tuple(sorted((names | {"UTC"}) & timezone_names()))


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(
            _("%(value)s is not a known IANA time zone (e.g. Europe/Moscow)."),
            code="invalid_timezone",
            params={"value": value},
        )
