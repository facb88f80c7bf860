"""Thresholds of the quality checks, with the research behind each default."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QualitySettings"]


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds of every signal; defaults tuned on benchmarks/fraud.py.

    Speed. ``speeder_ratio`` 1/3: a response taking under a third of the
    questionnaire's median duration is a speeder (the issue's rule; within
    the fraction-of-median cut-offs compared by Greszki, Meyer & Schoen
    2015, Public Opinion Quarterly 79:471). In the benchmark 1/3 flags ~0.4
    points more honest fast readers than 0.3 (fraud.json lists both).
    Leiner's (2019, Survey Research Methods 13:229) relative speed index
    RSI = median/duration (RSI > 2 suspect) gives ``fast_ratio`` 0.55
    (RSI > 1.8, a little looser than Leiner's cut-off), a NOTE-level signal
    that only escalates a straightline: at 0.5 the benchmark catches 93% of
    fast careless straightliners (worst seed 89%), at 0.55 96% (worst 93%)
    for 0.14 points more honest flags; no value meets both aims (fraud.json
    lists the trade-off). ``speeder_floor_s`` 8 s is an absolute floor for
    forms of ``speeder_floor_items`` (10) items or more (scaled down for
    shorter forms): reading ten items takes longer than that, so it is
    rejected.
    The batch median is trusted from ``speeder_min_group`` (30) responses.

    Straightlining. IRV == 0 (Dunn et al. 2018; longstring, Johnson 2005)
    over >= ``straightline_min_items`` (5) answered grid items. A very
    satisfied citizen answering all 5s is a genuine straightline, and on
    satisfaction grids that is common, so an all-top or all-bottom grid alone
    is a NOTE; it becomes a FLAG when the grid has >=
    ``straightline_alone_items`` (15) items (Herzog & Bachman 1981: identical
    answers grow implausible with length) or the response is also
    ``fast``/``speeder``/``too_fast``. A straightline on the scale's
    midpoint (all "一般", 3 of 1-5) is FLAG on its own when
    ``straightline_flag_midpoint`` (default True): non-differentiation
    (Krosnick 1991, Applied Cognitive Psychology 5:213) on the option that
    often stands for "don't know" (Sturgis, Roberts & Smith 2014,
    Sociological Methods & Research 43:15), the one place where a
    straightline is least likely to be a real opinion. Any other option
    (all "满意" = 4, like all 5) needs the same corroboration as the ends:
    identical answers on a same-direction satisfaction grid are often valid
    (Reuning & Plutzer 2020, Survey Research Methods 14:439), legitimate
    straightlining is commoner away from the middle option, and removing it
    without corroborating evidence is the main risk (J. Official Statistics
    2024, doi:10.1177/0282423X241273455). ``straightline_flag_inner`` (default
    False) restores the older rule that flags every inner option; in the
    benchmark it flagged 21 honest all-4/all-2 grids over five months (the
    simulated careless straightliners answer 1, 3 or 5, so the benchmark
    cannot show what it would catch). The midpoint is the mean of the
    grid's ``scale_min``/``scale_max`` (1 and 5); an even scale has none.

    Duplicates. Same device cookie on the same window within
    ``device_window_s`` (24 h); same client address+UA within
    ``ip_ua_window_s`` (30 min; hall Wi-Fi NAT makes address+UA shared by
    strangers, so it is FLAG only from the ``ip_ua_flag_at``-th (3rd)
    response); same phone within ``phone_window_s`` (24 h). The first of a
    chain is ok; later ones are FLAG, REJECT from the ``*_reject_at``-th.
    A single return visit (2nd device/phone response) at least
    ``return_visit_gap_s`` (2 h) after the first is left ok: citizens sent
    home for a missing document come back hours later (the "跑两趟" errand
    the one-visit reform targets) and may rate the window again.
    Once a chain (same key, gaps no longer than its window) reaches the
    reject count, its earlier members are FLAG too: the first responses of
    a stuffing run are part of it, and in the benchmark a phone that clears
    its cookie between ratings was otherwise missed at the start of each run.

    Bursts. ``burst_span_s`` (5 min) intervals holding >=
    ``burst_min_count`` (6) responses for one window whose Poisson tail
    probability under the window's usual hourly rate is < ``burst_alpha``
    (1e-4). One counter cannot serve six citizens in five minutes.

    Free text. Character 3-5-gram Jaccard >= ``text_similarity`` (0.6)
    between comments of >= ``text_min_chars`` (8) letters. Stock praise
    (``服务态度很好，办事效率高``) is short and repeated honestly, and honest
    comments reuse the same stock sentences in other orders, so a duplicate
    is FLAG only when the comment has >= ``text_flag_chars`` (20) letters and
    a near-duplicate at the same hall within ``text_campaign_window_s``
    (7 days) or is one of >= ``text_large_cluster`` (5) mutual near-duplicates
    anywhere; or, for any length, when it has >= ``text_short_cluster`` - 1
    (4) near-duplicates at the same window within ``text_cluster_window_s``
    (24 h). Partners are counted directly, never through chains.

    Hours. Outside the hall's sessions by more than ``hours_grace_before_s``
    (10 min) before opening or ``hours_grace_after_s`` (30 min, citizens
    served at closing time answer on their way out) after closing.

    Corroboration. The codes in ``weak_signals`` (default: the missing form
    cookie and a time outside opening hours) are a NOTE on their own: each
    has an everyday honest cause (a browser that refuses cookies, a citizen
    who rates the visit from home that evening) and alone they were right
    about a third (outside hours) to two thirds (no cookie) of the time in
    the benchmark. ``corroborate_notes`` (2) distinct NOTE signals on one
    response make a FLAG (0 turns corroboration off): weak indicators are
    acted on only when independent ones agree (Teitcher et al. 2015, J. Law,
    Medicine & Ethics 43:116, on judging "fraudsters" by several checks
    together; Curran 2016, J. Experimental Social Psychology 66:4, on
    combining screens sequentially rather than trusting any one). Listing
    no weak signals restores the old rule (each a FLAG alone).

    Presence. Rotating QR token older than its validity plus
    ``token_grace_s`` (60 s) -> FLAG only (slow networks, long queues);
    transaction code already used -> REJECT.
    """

    speeder_ratio: float = 1 / 3
    fast_ratio: float = 0.55
    speeder_floor_s: float = 8.0
    speeder_floor_items: int = 10
    speeder_min_group: int = 30
    straightline_min_items: int = 5
    straightline_alone_items: int = 15
    straightline_flag_midpoint: bool = True
    straightline_flag_inner: bool = False
    scale_min: float = 1.0
    scale_max: float = 5.0
    device_window_s: float = 24 * 3600
    device_reject_at: int = 3
    return_visit_gap_s: float = 2 * 3600
    ip_ua_window_s: float = 30 * 60
    ip_ua_flag_at: int = 3
    ip_ua_reject_at: int = 5
    phone_window_s: float = 24 * 3600
    phone_reject_at: int = 3
    burst_span_s: float = 5 * 60
    burst_min_count: int = 6
    burst_alpha: float = 1e-4
    burst_floor_rate: float = 1.0
    text_ngram: tuple[int, int] = (3, 5)
    text_similarity: float = 0.6
    text_min_chars: int = 8
    text_flag_chars: int = 20
    text_short_cluster: int = 5
    text_cluster_window_s: float = 24 * 3600
    text_campaign_window_s: float = 7 * 24 * 3600
    text_large_cluster: int = 5
    hours_grace_before_s: float = 10 * 60
    hours_grace_after_s: float = 30 * 60
    token_grace_s: float = 60.0
    weak_signals: tuple[str, ...] = ("no_form_cookie", "outside_hours")
    corroborate_notes: int = 2
