"""Geometry of the server-side SVG charts of the index pages (no JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    left: float
    right: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return round(
            self.left + (value - self.low) / span * (self.right - self.left), 1
        )

    def ticks(self, step: float = 10.0) -> list[tuple[float, float]]:
        first = math.ceil(self.low / step) * step
        values = []
        value = first
        while value <= self.high + 1e-9:
            values.append((value, self(value)))
            value += step
        return values


def _bounds(values: list[float], pad: float = 2.0) -> tuple[float, float]:
    low, high = min(values) - pad, max(values) + pad
    low, high = max(0.0, math.floor(low / 5) * 5), min(100.0, math.ceil(high / 5) * 5)
    return (low, high) if high > low else (0.0, 100.0)


# Colour of a unit's dot by its band; units without a band are drawn hollow.
BAND_COLOURS = {"above": "#2e7d32", "same": "#1565c0", "below": "#c62828"}


def ranking_chart(
    results, overall: dict | None = None, width: int = 640, row: int = 22
) -> dict | None:
    """Points and error bars of each unit's index, one row per unit, coloured by
    band, with the overall index (and its interval) as a vertical line."""
    shown = [r for r in results if r.index is not None]
    if not shown:
        return None
    values = [v for r in shown for v in (r.ci_low, r.ci_high, r.index) if v is not None]
    overall = overall or {}
    if overall.get("index") is not None:
        values.append(overall["index"])
    scale = Scale(*_bounds(values), left=190, right=width - 20)
    rows = []
    for i, r in enumerate(shown):
        y = 30 + i * row
        band = r.band if r.rankable else None
        rows.append(
            {
                "y": y,
                "label": (r.unit_name or r.unit_code)[:16],
                "x": scale(r.index),
                "x_low": scale(r.ci_low if r.ci_low is not None else r.index),
                "x_high": scale(r.ci_high if r.ci_high is not None else r.index),
                "rankable": r.rankable,
                "band": band,
                "colour": BAND_COLOURS.get(band, "#757575"),
                "title": f"{r.unit_code}: {r.index:.1f} [{r.ci_low or 0:.1f}, "
                f"{r.ci_high or 0:.1f}]",
            }
        )
    height = 40 + len(rows) * row
    chart = {
        "width": width,
        "height": height,
        "rows": rows,
        "ticks": scale.ticks(10 if scale.high - scale.low > 30 else 5),
        "top": 18,
        "bottom": height - 10,
        "overall": None,
    }
    if overall.get("index") is not None:
        low = overall.get("ci_low", overall["index"])
        high = overall.get("ci_high", overall["index"])
        chart["overall"] = {
            "x": scale(overall["index"]),
            "x_low": scale(low if low is not None else overall["index"]),
            "width": round(
                scale(high if high is not None else overall["index"])
                - scale(low if low is not None else overall["index"]),
                1,
            ),
        }
    return chart


def trend_chart(trend: dict, width: int = 640, height: int = 240) -> dict | None:
    """Monthly index with its 95% interval as a band."""
    months = sorted(m for m, v in trend.items() if v.get("index") is not None)
    if not months:
        return None
    points = [trend[m] for m in months]
    values = [
        v
        for p in points
        for v in (p["index"], p.get("ci_low"), p.get("ci_high"))
        if v is not None
    ]
    y = Scale(*_bounds(values), left=height - 30, right=15)
    step = (width - 90) / max(1, len(months) - 1)
    xs = [
        round(60 + i * step, 1) if len(months) > 1 else width / 2
        for i in range(len(months))
    ]

    def pt(x, v):
        return f"{x},{y(v)}"

    upper = [
        pt(x, p.get("ci_high") or p["index"]) for x, p in zip(xs, points, strict=True)
    ]
    lower = [
        pt(x, p.get("ci_low") or p["index"]) for x, p in zip(xs, points, strict=True)
    ]
    return {
        "width": width,
        "height": height,
        "band": " ".join(upper + lower[::-1]),
        "line": " ".join(pt(x, p["index"]) for x, p in zip(xs, points, strict=True)),
        "points": [
            {
                "x": x,
                "y": y(p["index"]),
                "month": m,
                "index": p["index"],
                "n": p.get("n"),
            }
            for x, p, m in zip(xs, points, months, strict=True)
        ],
        "ticks": [(v, y(v)) for v, _ in y.ticks(10)],
        "left": 50,
        "right": width - 20,
    }


def driver_chart(
    scores: dict,
    weights: dict,
    index: float | None,
    intervals: dict | None = None,
    width: int = 640,
):
    """Each driver's score with its interval, and its pull on the index:
    weight x (score - index)."""
    items = [(k, v) for k, v in scores.items() if v is not None]
    if not items or index is None:
        return None
    scale = Scale(0.0, 100.0, left=250, right=width - 60)
    rows = []
    for i, (key, score) in enumerate(items):
        pull = weights.get(key, 0.0) * (score - index)
        interval = (intervals or {}).get(key) or {}
        low, high = interval.get("ci_low"), interval.get("ci_high")
        rows.append(
            {
                "key": key,
                "y": 20 + i * 26,
                "score": score,
                "x0": scale(0),
                "x": scale(score),
                "x_low": None if low is None else scale(max(0.0, low)),
                "x_high": None if high is None else scale(min(100.0, high)),
                "pull": pull,
            }
        )
    worst = min(rows, key=lambda r: r["pull"])["key"]
    return {
        "width": width,
        "height": 40 + len(rows) * 26,
        "rows": rows,
        "index_x": scale(index),
        "worst": worst,
    }
