"""A message's parameters as JSON and back, dates and times included.

Notifications keep what their template needs, not the text it makes, so
that a message is rendered when it is shown or sent: in the recipient's
language and zone of that moment. Datetimes, dates and times are tagged
(`{"$datetime": "..."}`) so that they come back as what they were.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_TYPES = (("$datetime", datetime), ("$date", date), ("$time", time))


def encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    for tag, kind in _TYPES:  # datetime before date: a datetime is a date too
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a notification parameter of type {type(value).__name__} cannot be stored")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, item),) = value.items()
            for tag, kind in _TYPES:
                if key == tag and isinstance(item, str):
                    return kind.fromisoformat(item)
        return {key: decode(item) for key, item in value.items()}
    return value
