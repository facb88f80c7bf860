"""The duplicate signals of one response in its own request (stuffing, live).

The batch rescore's rule (``assess``) applied to the last row only, in plain
Python: a submission brings one answer and the few earlier rows sharing one
of its keys (device, address+browser, phone) on its window, and building
frames for them would be the batch's cost without the batch's gain. Live and
rescore agree on what a duplicate is (a test holds them equal on random
chains): flagged from the second answer of a key (address+browser from
``ip_ua_flag_at``, because hall Wi-Fi puts strangers behind one address, and
a lone device or phone return after ``return_visit_gap_s`` is a second
errand), rejected from the ``*_reject_at``-th, and flagged from its start when
the chain it belongs to reaches the reject count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from surveyapp.analysis.quality import OneCheck, QualitySettings
from surveyapp.analysis.quality_reasons import FLAG, PENALTY, REJECT, VERDICTS

# code, key, window setting, flag count (or its setting), reject setting
DUPLICATES = (
    ("duplicate_device", "device_hash", "device_window_s", 2, "device_reject_at"),
    (
        "duplicate_ip_ua",
        "ip_ua_hash",
        "ip_ua_window_s",
        "ip_ua_flag_at",
        "ip_ua_reject_at",
    ),
    ("duplicate_phone", "phone_hash", "phone_window_s", 2, "phone_reject_at"),
)
_EPOCH = datetime(1970, 1, 1)
_ONE_SECOND = timedelta(seconds=1)


def lookback_s(s: QualitySettings) -> float:
    """How far back the earlier rows must reach."""
    return max(s.device_window_s, s.ip_ua_window_s, s.phone_window_s)


def _seconds(at: datetime) -> int:
    """Whole seconds of a naive time, as the rescore counts them."""
    return (at.replace(tzinfo=None) - _EPOCH) // _ONE_SECOND


def chain_of_last(times: list[int], window_s: float) -> tuple[int, int, float]:
    """(repeat ordinal, chain peak, gap to previous) of the last of ``times``
    (one key's seconds in time order, the last being the answer judged).

    The ordinal counts the key's answers in the ``window_s`` before the last
    one, itself included; the chain is the run of answers linked by gaps of at
    most ``window_s`` that ends with it, and its peak the largest ordinal any
    of its answers reached."""
    span = int(window_s)
    start = len(times) - 1
    while start > 0 and times[start] - times[start - 1] <= window_s:
        start -= 1
    peak = ordinal = 0
    first = start  # the earliest answer within the span of answer i
    for i in range(start, len(times)):
        while times[first] < times[i] - span:
            first += 1
        ordinal = i - first + 1
        peak = max(peak, ordinal)
    gap = times[-1] - times[-2] if len(times) > 1 else math.inf
    return ordinal, peak, gap


def duplicates_of(
    current: Mapping[str, object],
    earlier: Iterable[Mapping[str, object]],
    settings: QualitySettings | None = None,
) -> OneCheck:
    """Verdict, reasons and score of ``current`` from the duplicate signals
    alone. Every row: submitted_at (naive datetime) and the keys of
    DUPLICATES (None where unknown); ``earlier`` are the rows of the same
    window submitted at or before ``current``, in any order."""
    s = settings or QualitySettings()
    earlier = sorted(earlier, key=lambda row: row["submitted_at"])
    level, score, reasons = 0, 1.0, []
    for code, key, window_name, flag_at, reject_name in DUPLICATES:
        value = current.get(key)
        if value is None:
            continue
        window_s = getattr(s, window_name)
        flag_at = getattr(s, flag_at) if isinstance(flag_at, str) else flag_at
        reject_at = getattr(s, reject_name)
        times = [_seconds(r["submitted_at"]) for r in earlier if r.get(key) == value]
        times.append(_seconds(current["submitted_at"]))
        ordinal, peak, gap = chain_of_last(times, window_s)
        hit = ordinal >= flag_at
        if key != "ip_ua_hash":
            hit = hit and (ordinal >= 3 or gap < s.return_visit_gap_s)
        if not (hit or peak >= reject_at):
            continue
        severity = REJECT if ordinal >= reject_at else FLAG
        level = max(level, severity)
        score *= 1 - PENALTY[severity]
        reasons.append(code)
    return OneCheck(VERDICTS[level], reasons, score)
