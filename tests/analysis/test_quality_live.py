"""The live duplicate check (plain Python, one answer) against the rescore's
rule (``assess`` on a frame): the same verdict, reasons and score for the
last answer of any chain."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis.quality import QualitySettings, assess
from surveyapp.analysis.quality_live import (
    DUPLICATES,
    chain_of_last,
    duplicates_of,
)
from surveyapp.analysis.quality_reasons import FLAG, PENALTY, REJECT, VERDICTS
from surveyapp.analysis.quality_signals import OpeningHours

START = datetime(2026, 3, 2, 9, 0)
ALWAYS_OPEN = OpeningHours(((datetime.min.time(), datetime.max.time()),))
# Short windows, so that random times a few minutes apart make chains that
# break, return visits and reject counts of every kind.
TIGHT = QualitySettings(
    device_window_s=120,
    device_reject_at=3,
    return_visit_gap_s=60,
    ip_ua_window_s=90,
    ip_ua_flag_at=2,
    ip_ua_reject_at=4,
    phone_window_s=150,
    phone_reject_at=3,
)


def rescore_of_last(rows: list[dict], s: QualitySettings):
    """What the batch rescore says of the last row's duplicate signals."""
    out = assess(pd.DataFrame(rows), None, s, ALWAYS_OPEN).iloc[-1]
    level, score, reasons = 0, 1.0, []
    for code, key, _window, _flag, reject_name in DUPLICATES:
        if bool(out[code]):
            repeat = int(out[key.replace("_hash", "_repeat")])
            severity = REJECT if repeat >= getattr(s, reject_name) else FLAG
            level = max(level, severity)
            score *= 1 - PENALTY[severity]
            reasons.append(code)
    return VERDICTS[level], reasons, round(score, 10)


def live_of_last(rows: list[dict], s: QualitySettings):
    *earlier, current = rows
    check = duplicates_of(current, reversed(earlier), s)
    return check.verdict, check.reasons, round(check.quality_score, 10)


row_strategy = st.fixed_dictionaries(
    {
        # seconds after START, with sub-second parts the rescore drops
        "offset_ms": st.integers(0, 400_000),
        "device_hash": st.sampled_from([None, "d1", "d2"]),
        "ip_ua_hash": st.sampled_from([None, "a|Chrome", "b|Chrome"]),
        "phone_hash": st.sampled_from([None, "p1", "p2"]),
    }
)


@pytest.mark.parametrize(
    "quality", [TIGHT, QualitySettings()], ids=["tight", "default"]
)
@settings(max_examples=250, deadline=None)
@given(raw=st.lists(row_strategy, min_size=1, max_size=12))
def test_live_check_agrees_with_the_rescore(quality, raw):
    raw = sorted(raw, key=lambda r: r["offset_ms"])
    rows = [
        {
            "window_id": 7,
            "submitted_at": START + timedelta(milliseconds=r["offset_ms"]),
            "device_hash": r["device_hash"],
            "ip_ua_hash": r["ip_ua_hash"],
            "phone_hash": r["phone_hash"],
        }
        for r in raw
    ]
    assert live_of_last(rows, quality) == rescore_of_last(rows, quality)


def test_rows_sharing_no_key_change_nothing():
    s = TIGHT
    current = {"submitted_at": START, "device_hash": "d1", "ip_ua_hash": None}
    strangers = [
        {"submitted_at": START - timedelta(seconds=i), "device_hash": "d2"}
        for i in range(10)
    ]
    assert duplicates_of(current, strangers, s).verdict == "ok"


def test_a_chain_reaching_the_reject_count_flags_from_its_start():
    # three answers 100 s apart: each within 120 s of the last, so one chain
    # whose third answer rejects; the first alone would be a lone answer.
    assert chain_of_last([0], 120) == (1, 1, float("inf"))
    assert chain_of_last([0, 100, 200], 120) == (2, 2, 100)
    assert chain_of_last([0, 10, 20, 400], 120) == (1, 1, 380)
    assert chain_of_last([0, 10, 20, 100], 120) == (4, 4, 80)
    device = [
        {"submitted_at": START + timedelta(seconds=t), "device_hash": "d1"}
        for t in (0, 30, 50)
    ]
    check = duplicates_of(device[-1], device[:-1], s := TIGHT)
    assert (check.verdict, check.reasons) == ("rejected", ["duplicate_device"])
    # the second answer 30 s after the first: a second errand it is not
    check = duplicates_of(device[1], device[:1], s)
    assert (check.verdict, check.reasons) == ("flagged", ["duplicate_device"])
