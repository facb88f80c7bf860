"""Server-rendered SVG figures (no JavaScript, no external script: the CSP
allows none), shared by the public record and the office's first page.

Each function takes plain numbers and labels already translated, and returns
the <svg> as Markup with a <title> for screen readers; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GOOD, BAD, NEUTRAL, MUTED, OVERDUE = (
    "#2e7d32",
    "#c62828",
    "#1565c0",
    "#9e9e9e",
    "#c62828",
)
LEVEL_COLOURS = {5: "#1b5e20", 4: "#66bb6a", 3: "#bdbdbd", 2: "#ef9a9a", 1: "#c62828"}


@dataclass(frozen=True)
class RateRow:
    label: str
    rate: float | None  # None: too few answers, drawn as its interval only
    low: float | None
    high: float | None


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def rate_intervals(rows: Sequence[RateRow], title: str, width: int = 640) -> Markup:
    """One row per unit: the 95% interval as a bar, the rate as a dot (hollow
    when there are too few answers to state it)."""
    left, right, top, step = 200, width - 20, 28, 22
    height = top + step * max(len(rows), 1) + 10

    def x(value: float) -> float:
        return left + value * (right - left)

    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 8}" x2="{x(tick):.1f}" '
            f'y2="{height - 6}" stroke="#e0e0e0"/>'
        )
        body.append(_text(x(tick), top - 12, f"{tick:.0%}", "middle", 11))
    for i, row in enumerate(rows):
        y = top + i * step + step / 2
        body.append(_text(left - 8, y + 4, row.label[:18], "end"))
        if row.low is not None and row.high is not None:
            body.append(
                f'<line x1="{x(row.low):.1f}" y1="{y:.1f}" x2="{x(row.high):.1f}" '
                f'y2="{y:.1f}" stroke="{NEUTRAL}" stroke-width="3"/>'
            )
        if row.rate is not None:
            body.append(
                f'<circle cx="{x(row.rate):.1f}" cy="{y:.1f}" r="5" fill="{GOOD}"/>'
            )
    return _svg(width, height, title, body)


def trend(
    labels: Sequence[str],
    rates: Sequence[float | None],
    counts: Sequence[int],
    title: str,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Monthly bars of the number of answers (grey) and the line of 好评率."""
    left, right, top, bottom = 40, width - 10, 20, height - 30
    n = max(len(labels), 1)
    step = (right - left) / n
    peak = max(counts or [0]) or 1
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#9e9e9e"/>'
    ]
    for tick in (0, 0.5, 1.0):
        y = bottom - tick * (bottom - top)
        body.append(_text(left - 4, y + 4, f"{tick:.0%}", "end", 10))
    points = []
    for i, (label, rate, count) in enumerate(zip(labels, rates, counts, strict=True)):
        cx = left + step * i + step / 2
        bar = count / peak * (bottom - top) * 0.9
        body.append(
            f'<rect x="{cx - step * 0.35:.1f}" y="{bottom - bar:.1f}" '
            f'width="{step * 0.7:.1f}" height="{bar:.1f}" fill="#e0e0e0"/>'
        )
        body.append(_text(cx, bottom + 14, label[-5:], "middle", 10))
        if rate is not None:
            points.append((cx, bottom - rate * (bottom - top)))
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{GOOD}" stroke-width="2"/>'
        )
    for px, py in points:
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{GOOD}"/>')
    return _svg(width, height, title, body)


def distribution(
    counts: dict[int, int], names: dict[int, str], title: str, width: int = 640
) -> Markup:
    """The five levels as horizontal bars with their counts and shares."""
    total = sum(counts.values()) or 1
    left, right, top, step = 130, width - 90, 10, 26
    body = []
    for i, level in enumerate((5, 4, 3, 2, 1)):
        count = counts.get(level, 0)
        y = top + i * step
        length = count / total * (right - left)
        body.append(_text(left - 8, y + 15, names[level], "end"))
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{step - 8}" '
            f'fill="{LEVEL_COLOURS[level]}"/>'
        )
        body.append(_text(left + length + 6, y + 15, f"{count} ({count / total:.0%})"))
    return _svg(width, top + 5 * step + 6, title, body)


def cases_by_state(
    rows: Sequence[tuple[str, int, int]],
    title: str,
    overdue_label: str,
    width: int = 640,
) -> Markup:
    """(state name, cases, of which overdue): bars, the overdue part in red."""
    peak = max((count for _, count, _ in rows), default=0) or 1
    left, right, top, step = 130, width - 120, 10, 26
    body = []
    for i, (name, count, overdue) in enumerate(rows):
        y = top + i * step
        full = count / peak * (right - left)
        late = overdue / peak * (right - left)
        body.append(_text(left - 8, y + 15, name, "end"))
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{full:.1f}" height="{step - 8}" '
            f'fill="{NEUTRAL}"/>'
        )
        if overdue:
            body.append(
                f'<rect x="{left}" y="{y + 3}" width="{late:.1f}" '
                f'height="{step - 8}" fill="{OVERDUE}"/>'
            )
        note = f"{count}" + (f" ({overdue} {overdue_label})" if overdue else "")
        body.append(_text(left + full + 6, y + 15, note))
    return _svg(width, top + step * max(len(rows), 1) + 6, title, body)
