"""A server-rendered bar chart (inline SVG geometry, no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, GAP, LABEL_SPACE, HEADROOM = 720, 220, 8, 36, 18


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: int
    label: str


def bar_chart(points: list[tuple[str, int]]) -> dict:
    """Geometry for `points` [(label, value)] scaled into a fixed viewBox."""
    plot_height = HEIGHT - LABEL_SPACE - HEADROOM
    top = max((value for _, value in points), default=0) or 1
    width = (WIDTH - GAP * (len(points) + 1)) // max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        height = round(plot_height * value / top)
        bars.append(
            Bar(
                x=GAP + index * (width + GAP),
                y=HEADROOM + plot_height - height,
                width=width,
                height=height,
                value=value,
                label=label,
            )
        )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "baseline": HEADROOM + plot_height, "top": top}
