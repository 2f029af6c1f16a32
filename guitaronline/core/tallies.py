"""Rows counted by a choice field: what the KPI overview, its dashboard and
`/metrics` show for users, bookings, lessons, payments and packages. Each app
counts its own rows (a selector returning a `Tally`); the staff pages only
read them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet


@dataclass(frozen=True)
class Tally:
    """A count for every choice, zero included, in the choices' order."""

    counts: dict[str, int]
    labels: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        """`{choice: count, ..., "total": n}`: the API's shape."""
        return {**self.counts, "total": self.total}

    def rows(self) -> list[tuple[str, int]]:
        """`[(label, count)]` in the choices' order: a dashboard table."""
        return [(self.labels[value], count) for value, count in self.counts.items()]


def tally(queryset: QuerySet, field: str, choices) -> Tally:
    """Count `queryset` by `field` (a column or an annotation) over the
    `TextChoices` class `choices`, in one query."""
    counts = dict.fromkeys(choices.values, 0)
    for row in queryset.order_by().values(field).annotate(n=Count("pk")):
        counts[row[field]] = row["n"]
    return Tally(counts=counts, labels=dict(choices.choices))
