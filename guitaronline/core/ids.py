"""Object ids from URLs and request bodies."""

from guitaronline.core.errors import NotFound

MAX_ID = 2**63 - 1  # the largest id a bigint primary key can hold


def object_id(value) -> int:
    """`value` as a primary key, or not-found: a non-number or an id no row
    can have (negative, zero, past 64 bits) never reaches the database."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not 0 < number <= MAX_ID:
        raise NotFound()
    return number
