"""Vectorised fraud and carelessness signals over a batch of survey responses."""

# Every function takes plain arrays / Series aligned with the batch and returns
# one value per response; thresholds arrive as arguments (see quality.py for
# the documented defaults). No function looks at the clock or a database.

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from surveyapp.analysis.careless import longstring as _longstring

# Automation that never comes from a citizen's phone -> reject.
AUTOMATED_UA = re.compile(
    r"curl|wget|python|requests|aiohttp|httpx|urllib|go-http|okhttp|java/|"
    r"libwww|scrapy|httpclient|postman|insomnia|headless|phantom|selenium|"
    r"puppeteer|playwright|webdriver|bot\b|bot/|spider|crawler|slurp|"
    # the families surveyapp stores for such agents (services/responses/submit.py)
    r"^script$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OpeningHours:
    """Opening sessions of a hall on its working weekdays (Mon=0).

    Default: Yulin halls' 8:30-12:00 and 14:30-17:30, Monday to Friday.
    """

    sessions: tuple[tuple[time, time], ...] = (
        (time(8, 30), time(12, 0)),
        (time(14, 30), time(17, 30)),
    )
    weekdays: frozenset[int] = frozenset(range(5))
    closed_dates: frozenset[date] = field(default_factory=frozenset)
    extra_open_dates: frozenset[date] = field(default_factory=frozenset)

    def hours_per_day(self) -> float:
        """Open hours on a working day."""
        return sum(_sec(b) - _sec(a) for a, b in self.sessions) / 3600.0


def _sec(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def epoch_seconds(times: pd.Series) -> np.ndarray:
    """Naive-local seconds since the epoch (time zones dropped, wall clock kept)."""
    values = pd.to_datetime(times)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[s]").astype("int64").to_numpy()


def speed_ratio(
    duration_s: np.ndarray,
    questionnaire_id: pd.Series,
    median_by_questionnaire: Mapping[object, float] | None = None,
    min_group: int = 30,
) -> np.ndarray:
    """Duration divided by the questionnaire's median duration (NaN if unknown).

    The median comes from ``median_by_questionnaire`` when given (history),
    else from the batch for questionnaires with at least ``min_group``
    responses. Its inverse is Leiner's (2019) relative speed index.
    """
    duration = np.asarray(duration_s, dtype=float)
    keys = pd.Series(questionnaire_id).reset_index(drop=True)
    frame = pd.DataFrame({"q": keys, "d": duration})
    grouped = frame.groupby("q", dropna=False)["d"]
    median = grouped.transform("median").to_numpy()
    size = grouped.transform("count").to_numpy()
    median = np.where(size >= min_group, median, np.nan)
    if median_by_questionnaire:
        given = keys.map(median_by_questionnaire).to_numpy(dtype=float)
        median = np.where(np.isnan(given), median, given)
    with np.errstate(divide="ignore", invalid="ignore"):
        return duration / median


def below_floor(
    duration_s: np.ndarray, n_items: np.ndarray, floor_s: float, floor_items: int
) -> np.ndarray:
    """Duration under an absolute floor, scaled down for forms under
    ``floor_items`` items (a 5-item form gets half the floor of a 10-item one)."""
    duration = np.asarray(duration_s, dtype=float)
    items = np.asarray(n_items, dtype=float)
    floor = floor_s * np.clip(items / floor_items, 0.0, 1.0)
    return np.nan_to_num(duration, nan=np.inf) < floor


def below_floor_one(
    duration_s: float, n_items: int, floor_s: float, floor_items: int
) -> bool:
    """``below_floor`` for one response (NaN duration: never below)."""
    if floor_items:
        share = min(max(n_items / floor_items, 0.0), 1.0)
    else:  # numpy's x / 0: inf, or NaN for 0 / 0 (never below)
        share = 1.0 if n_items > 0 else (math.nan if n_items == 0 else 0.0)
    duration = math.inf if math.isnan(duration_s) else duration_s
    return duration < floor_s * share


def straightline(grid: np.ndarray, min_items: int) -> tuple[np.ndarray, np.ndarray]:
    """(straightlined, answered items): IRV == 0 over >= ``min_items`` answers.

    IRV is 0 exactly when every answer is the same, which is tested as
    max == min: the row SD can be a rounding error away from 0, and the
    one-response check (``straightline_one``) must agree exactly. IRV of a
    single answer is undefined, so it takes at least two. Missing answers
    (NaN, e.g. "not applicable") are skipped.
    """
    values = np.asarray(grid, dtype=float)
    missing = np.isnan(values)
    answered = (~missing).sum(axis=1)
    high = np.where(missing, -np.inf, values).max(axis=1, initial=-np.inf)
    low = np.where(missing, np.inf, values).min(axis=1, initial=np.inf)
    return (answered >= max(min_items, 2)) & (high == low), answered


def straightline_one(row: Iterable[object], min_items: int) -> tuple[bool, int, float]:
    """``straightline`` for one response: (straightlined, answered items, the
    highest answer or -inf), in plain Python for the per-request check."""
    answers = [v for v in (_float(x) for x in row) if v == v]
    if not answers:
        return False, 0, -math.inf
    high = max(answers)
    same = len(answers) >= max(min_items, 2) and min(answers) == high
    return same, len(answers), high


def _float(value: Any) -> float:
    # as np.asarray(row, dtype=float): None is NaN
    return math.nan if value is None else float(value)


def longest_run(grid: np.ndarray) -> np.ndarray:
    """R careless ``longstring`` over the grid (diagnostic column)."""
    return _longstring(np.asarray(grid, dtype=float))


def repeat_ordinal(
    keys: pd.Series, submitted_at: pd.Series, window_s: float
) -> np.ndarray:
    """1-based position of each response among same-key responses submitted
    in the preceding ``window_s`` seconds (1 = first; 0 where the key is null)."""
    keys = pd.Series(keys).reset_index(drop=True)
    codes, _ = pd.factorize(keys)
    seconds = epoch_seconds(pd.Series(submitted_at).reset_index(drop=True))
    out = np.zeros(len(keys), dtype=int)
    valid = codes >= 0
    if not valid.any():
        return out
    idx = np.flatnonzero(valid)
    c, t = codes[idx].astype(np.int64), seconds[idx] - seconds[idx].min()
    order = np.lexsort((idx, t, c))
    span = int(t.max()) + int(window_s) + 1
    composite = c[order] * span + t[order]
    left = np.searchsorted(composite, composite - int(window_s), side="left")
    out[idx[order]] = np.arange(len(order)) - left + 1
    return out


def chain_peak(keys: pd.Series, submitted_at: pd.Series, window_s: float) -> np.ndarray:
    """Largest ``repeat_ordinal`` reached in each response's chain: the
    same-key responses linked by gaps of at most ``window_s`` seconds (0
    where the key is null). The first response of a long chain gets the
    chain's size, not 1."""
    keys = pd.Series(keys).reset_index(drop=True)
    ordinal = repeat_ordinal(keys, submitted_at, window_s)
    codes, _ = pd.factorize(keys)
    seconds = epoch_seconds(pd.Series(submitted_at).reset_index(drop=True))
    out = np.zeros(len(keys), dtype=int)
    idx = np.flatnonzero(codes >= 0)
    if not idx.size:
        return out
    order = idx[np.lexsort((idx, seconds[idx], codes[idx]))]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (codes[order][1:] != codes[order][:-1]) | (
        seconds[order][1:] - seconds[order][:-1] > window_s
    )
    chain = np.cumsum(new)
    peak = pd.Series(ordinal[order]).groupby(chain).transform("max").to_numpy()
    out[order] = peak
    return out


def gap_to_previous(keys: pd.Series, submitted_at: pd.Series) -> np.ndarray:
    """Seconds since the previous response with the same key (inf if none)."""
    keys = pd.Series(keys).reset_index(drop=True)
    codes, _ = pd.factorize(keys)
    seconds = epoch_seconds(pd.Series(submitted_at).reset_index(drop=True))
    out = np.full(len(keys), np.inf)
    idx = np.flatnonzero(codes >= 0)
    if idx.size < 2:
        return out
    order = idx[np.lexsort((idx, seconds[idx], codes[idx]))]
    same = codes[order][1:] == codes[order][:-1]
    gaps = (seconds[order][1:] - seconds[order][:-1]).astype(float)
    out[order[1:][same]] = gaps[same]
    return out


def window_rate_per_hour(
    window_id: pd.Series,
    submitted_at: pd.Series,
    open_hours_per_day: float,
    baseline: Mapping[object, float] | None = None,
    floor_rate: float = 1.0,
) -> np.ndarray:
    """Usual responses per open hour for each response's window.

    Median daily count over the days the window had responses, divided by the
    open hours of a day; robust to the one-off burst being tested. A rate
    passed in ``baseline`` (history) wins. Never below ``floor_rate``.
    """
    frame = pd.DataFrame(
        {
            "w": pd.Series(window_id).to_numpy(),
            "d": pd.to_datetime(submitted_at).dt.date,
        }
    )
    daily = frame.groupby(["w", "d"]).size().groupby(level=0).median()
    rate = frame["w"].map(daily / open_hours_per_day).to_numpy(dtype=float)
    if baseline:
        given = frame["w"].map(baseline).to_numpy(dtype=float)
        rate = np.where(np.isnan(given), rate, given)
    return np.maximum(np.nan_to_num(rate, nan=floor_rate), floor_rate)


def burst_members(
    window_id: pd.Series,
    submitted_at: pd.Series,
    rate_per_hour: np.ndarray,
    span_s: float,
    min_count: int,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(in_burst, trailing count): responses inside a ``span_s`` interval of
    their window holding >= ``min_count`` responses whose Poisson tail
    probability under the usual rate is below ``alpha``. Every response of a
    triggering interval is marked, not only the one that crossed the line."""
    count = repeat_ordinal(window_id, submitted_at, span_s)
    expected = np.asarray(rate_per_hour, dtype=float) * span_s / 3600.0
    tail = stats.poisson.sf(count - 1, expected)
    trigger = (count >= min_count) & (tail < alpha)
    member = np.zeros(len(count), dtype=bool)
    if not trigger.any():
        return member, count
    keys = pd.Series(window_id).reset_index(drop=True)
    codes, _ = pd.factorize(keys)
    seconds = epoch_seconds(pd.Series(submitted_at).reset_index(drop=True))
    order = np.lexsort((np.arange(len(codes)), seconds, codes))
    trig_sorted = trigger[order]
    pos = np.arange(len(order))
    start = pos - count[order] + 1
    marks = np.zeros(len(order) + 1, dtype=int)
    np.add.at(marks, start[trig_sorted], 1)
    np.add.at(marks, pos[trig_sorted] + 1, -1)
    member[order] = np.cumsum(marks[:-1]) > 0
    return member, count


def outside_hours(
    hall_id: pd.Series,
    submitted_at: pd.Series,
    hours: Mapping[object, OpeningHours] | OpeningHours | None,
    grace_before_s: float,
    grace_after_s: float,
) -> np.ndarray:
    """Submitted outside every opening session of the hall, allowing citizens
    ``grace_before_s`` before opening and ``grace_after_s`` after closing."""
    stamps = pd.to_datetime(pd.Series(submitted_at).reset_index(drop=True))
    halls = pd.Series(hall_id).reset_index(drop=True)
    second = (
        stamps.dt.hour * 3600 + stamps.dt.minute * 60 + stamps.dt.second
    ).to_numpy()
    weekday = stamps.dt.day_of_week.to_numpy()
    day = stamps.dt.date.to_numpy()
    out = np.zeros(len(stamps), dtype=bool)
    for hall in halls.unique():
        mask = (halls == hall).to_numpy()
        spec = hours.get(hall) if isinstance(hours, Mapping) else hours
        spec = spec or OpeningHours()
        inside = np.zeros(mask.sum(), dtype=bool)
        for start, end in spec.sessions:
            inside |= (second[mask] >= _sec(start) - grace_before_s) & (
                second[mask] <= _sec(end) + grace_after_s
            )
        working = np.isin(weekday[mask], list(spec.weekdays))
        if spec.closed_dates:
            working &= ~np.isin(day[mask], list(spec.closed_dates))
        if spec.extra_open_dates:
            working |= np.isin(day[mask], list(spec.extra_open_dates))
        out[mask] = ~(inside & working)
    return out


def automated_agent(user_agent_family: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(automated, unknown): UA family names automation; or it is empty."""
    # Plain Python over the values: pandas' string methods cost more than
    # the whole one-response check.
    kinds = [agent_kind(v) for v in user_agent_family]
    automated = np.array([a for a, _ in kinds], dtype=bool)
    unknown = np.array([u for _, u in kinds], dtype=bool)
    return automated, unknown


def agent_kind(family: object) -> tuple[bool, bool]:
    """(automated, unknown) for one user-agent family name."""
    name = "" if is_missing(family) else str(family)
    automated = bool(AUTOMATED_UA.search(name))
    return automated, not automated and name.strip().lower() in ("", "other")


def is_missing(value: object) -> bool:
    """What pandas counts as missing (None, NaN, NaT, pd.NA), for one value."""
    if value is None:
        return True
    if isinstance(value, str | bytes | bool | int):
        return False
    if isinstance(value, float):
        return value != value
    missing = pd.isna(value)  # NaT, pd.NA, numpy scalars; arrays are values
    return bool(missing) if isinstance(missing, bool | np.bool_) else False
