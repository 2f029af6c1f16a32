"""Server-rendered bar charts (inline SVG geometry, no script, no CDN): one
bar per point, or a group of bars per point (one per series)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, GAP, LABEL_SPACE, HEADROOM = 720, 220, 8, 36, 18


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: int | Decimal
    label: str
    series: int = 0  # which of a group's bars (for its colour)


def grouped_bar_chart(points: list[tuple[str, list[int | Decimal]]]) -> dict:
    """Geometry for `points` [(label, [value per series])] scaled into a fixed
    viewBox: the bars of a point side by side, the label under the first."""
    plot_height = HEIGHT - LABEL_SPACE - HEADROOM
    top = max((value for _, values in points for value in values), default=0) or 1
    per_group = max((len(values) for _, values in points), default=1) or 1
    group_width = (WIDTH - GAP * (len(points) + 1)) // max(len(points), 1)
    width = max(group_width // per_group, 1)
    bars = []
    for index, (label, values) in enumerate(points):
        for series, value in enumerate(values):
            height = round(plot_height * value / top)
            bars.append(
                Bar(
                    x=GAP + index * (group_width + GAP) + series * width,
                    y=HEADROOM + plot_height - height,
                    width=width,
                    height=height,
                    value=value,
                    label=label if series == 0 else "",
                    series=series,
                )
            )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "baseline": HEADROOM + plot_height, "top": top}


def bar_chart(points: list[tuple[str, int]]) -> dict:
    """Geometry for `points` [(label, value)]: one bar each."""
    return grouped_bar_chart([(label, [value]) for label, value in points])
