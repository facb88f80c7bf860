"""The duplicate signals of one response in its own request (stuffing, live).

The same rule as the batch rescore (``assess``): the response being submitted
is the frame's last row, the earlier rows are its window's responses of the
lookback that share one of its keys (device, address+browser, phone). Live
and rescore therefore agree on what a duplicate is: flagged from the second
answer of a key (address+browser from ``ip_ua_flag_at``, because hall Wi-Fi
puts strangers behind one address), rejected from the ``*_reject_at``-th.
"""

from __future__ import annotations

from datetime import time

import pandas as pd

from surveyapp.analysis.quality import OneCheck, QualitySettings, assess
from surveyapp.analysis.quality_reasons import FLAG, PENALTY, REJECT, VERDICTS
from surveyapp.analysis.quality_signals import OpeningHours

KEYS = ("device_hash", "ip_ua_hash", "phone_hash")
# code, repeat column, reject count (from the settings)
DUPLICATES = (
    ("duplicate_device", "device_repeat", "device_reject_at"),
    ("duplicate_ip_ua", "ip_ua_repeat", "ip_ua_reject_at"),
    ("duplicate_phone", "phone_repeat", "phone_reject_at"),
)
# Opening hours play no part here: every hour is open.
ALWAYS_OPEN = OpeningHours(((time(0), time(23, 59, 59)),), frozenset(range(7)))


def lookback_s(s: QualitySettings) -> float:
    """How far back the earlier rows must reach."""
    return max(s.device_window_s, s.ip_ua_window_s, s.phone_window_s)


def sharing_rows(frame: pd.DataFrame, current: dict) -> pd.DataFrame:
    """The rows of ``frame`` that share a key with ``current`` (a row's values)."""
    mask = pd.Series(False, index=frame.index)
    for key in KEYS:
        value = current.get(key)
        if value and key in frame.columns:
            mask |= frame[key] == value
    return frame[mask]


def duplicates_of_last(
    frame: pd.DataFrame, settings: QualitySettings | None = None
) -> OneCheck:
    """Verdict, reasons and score of the frame's last row from the duplicate
    signals alone. ``frame``: window_id, submitted_at and the keys, in time
    order."""
    s = settings or QualitySettings()
    if len(frame) < 2:
        return OneCheck("ok")
    columns = ["window_id", "submitted_at", *(k for k in KEYS if k in frame.columns)]
    out = assess(frame[columns].reset_index(drop=True), None, s, ALWAYS_OPEN)
    last = out.iloc[-1]
    level, score, reasons = 0, 1.0, []
    for code, repeat, reject_name in DUPLICATES:
        if code in out.columns and bool(last[code]):
            severity = REJECT if int(last[repeat]) >= getattr(s, reject_name) else FLAG
            level = max(level, severity)
            score *= 1 - PENALTY[severity]
            reasons.append(code)
    return OneCheck(VERDICTS[level], reasons, score)
