"""Wilson intervals of simple shares, and the minimum below which a share is not stated."""

from __future__ import annotations

import pytest

from surveyapp.analysis.intervals import share, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Reference values: R's prop.test(x, n, correct = FALSE)$conf.int
        (8, 10, 0.4901625, 0.9433178),
        (0, 10, 0.0, 0.2775328),
        (10, 10, 0.7224672, 1.0),
    ],
)
def test_wilson_matches_reference(successes, n, low, high):
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=1e-6)


def test_no_answers_no_interval_and_bad_counts_refused():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


def test_share_knows_when_it_is_enough():
    few = share(2, 3, minimum=30)
    assert not few.enough and few.rate == pytest.approx(2 / 3)
    assert 0 < few.low < few.rate < few.high < 1
    many = share(24, 30, minimum=30)
    assert many.enough
    empty = share(0, 0, minimum=30)
    assert empty.rate is None and empty.low is None and not empty.enough
