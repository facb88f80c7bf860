"""Measures fraud/careless detection on a simulated month of hall surveys."""

# Run: .venv/bin/python benchmarks/fraud.py  -> benchmarks/results/fraud.json
# The genuine population deliberately contains honest anomalies (fast readers,
# all-5 enthusiasts, return visits, shared hall Wi-Fi, stock praise, stale QR
# photos, late leavers) so the false-flag rate is not trivially zero; their
# rates are written to the results next to the figures.

from __future__ import annotations

import json
import sys
import time as clock
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveyapp.analysis.quality import QualitySettings, assess  # noqa: E402
from surveyapp.analysis.quality_text import match_texts  # noqa: E402

N_ITEMS = 12
START = datetime(2026, 3, 2)  # a Monday
SESSIONS = ((8.5, 12.0), (14.5, 17.5))

GENUINE_RATES = {
    "fast_reader": 0.05,  # honest but quick: median 35 s against 75 s
    "second_visit_same_window": 0.004,
    "no_form_cookie": 0.003,
    "stale_qr_token": 0.002,
    "late_submission_within_grace": 0.02,
    "late_submission_beyond_grace": 0.002,
    "comment": 0.30,
}

STOCK = [
    "很好",
    "满意",
    "非常满意",
    "服务很好",
    "态度很好",
    "效率高",
    "服务态度很好",
    "办事效率很高",
    "工作人员很耐心",
    "服务热情周到",
    "非常满意，点赞",
    "很专业，很耐心",
    "服务态度很好，办事效率高",
    "等待时间有点长",
    "希望增加窗口",
    "排队时间太长了",
    "工作人员态度好，效率高",
    "一次就办好了，很方便",
    "指引清楚，很快办完",
    "谢谢工作人员",
]
FRAGMENTS = [
    "工作人员很耐心",
    "讲解很清楚",
    "办事效率高",
    "等待时间长",
    "材料一次性告知",
    "不用跑第二趟",
    "取号很方便",
    "大厅环境干净",
    "停车不方便",
    "希望延长午休办公",
    "自助机不好用",
    "引导员很热情",
    "窗口人员专业",
    "系统有点卡",
    "排队人太多",
    "手续简化了很多",
    "网上预约很方便",
    "希望周末也开放",
    "空调太冷",
    "座位不够",
    "材料要求说明不清",
    "提前准备好就很快",
    "打印收费太贵",
    "咨询电话打不通",
    "整体满意",
    "下次还来这里办",
    "比以前快多了",
    "说明文字看不懂",
    "老人办理不方便",
    "服务值得表扬",
]
CAMPAIGN = [
    "三号窗口工作人员态度恶劣，故意刁难群众，材料齐全还让我们来回跑了三趟，强烈要求处理",
    "该窗口办事拖拉推诿，上班时间玩手机聊天，群众排队一个多小时无人理睬，必须严肃问责",
]
CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可"
    "主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家"
    "电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合"
    "还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
    "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边"
    "流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战"
    "先回则任取据处理府研质"
)


def _open_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    first = rng.random(size) < 3.5 / 6.5
    a = rng.uniform(SESSIONS[0][0], SESSIONS[0][1], size)
    b = rng.uniform(SESSIONS[1][0], SESSIONS[1][1], size)
    return np.where(first, a, b) * 3600


def _weekdays(days: int = 28) -> list[datetime]:
    return [
        START + timedelta(days=d)
        for d in range(days)
        if (START + timedelta(days=d)).weekday() < 5
    ]


def _comment(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.6:
        return str(rng.choice(STOCK))
    if kind < 0.9:
        parts = rng.choice(FRAGMENTS, size=rng.integers(2, 4), replace=False)
        return str(rng.choice(["，", "。", " ", "；"])).join(parts)
    body = "".join(rng.choice(list(CHARS), size=rng.integers(15, 40)))
    return f"{rng.integers(1, 12)}号窗口{body}"


def _genuine_grid(
    rng: np.random.Generator, n: int, satisfaction: float = 4.0
) -> np.ndarray:
    person = rng.normal(satisfaction, 0.75, n)[:, None]
    item = rng.normal(0.0, 0.25, N_ITEMS)[None, :]
    driver = rng.normal(0.0, 0.4, n)[:, None] * rng.uniform(0.5, 1.0, N_ITEMS)[None, :]
    noise = rng.normal(0.0, 0.55, (n, N_ITEMS))
    return np.clip(np.rint(person + item + driver + noise), 1, 5)


def _edit(rng: np.random.Generator, text: str) -> str:
    chars = list(text)
    for _ in range(rng.integers(0, 3)):
        pos = rng.integers(0, len(chars))
        if rng.random() < 0.5:
            chars.insert(pos, str(rng.choice(list("！。，啊的了"))))
        else:
            chars.pop(pos)
    return "".join(chars)


UAS = [f"UA-{i}" for i in range(300)]
UA_P = 1 / np.arange(1, 301) ** 1.1
UA_P /= UA_P.sum()


def simulate(
    seed: int = 7,
    halls: int = 6,
    windows: int = 6,
    per_day: float = 12.0,
    satisfaction: float = 4.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Genuine month plus attacks; the ``kind`` column holds the truth."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    days = _weekdays()
    for h in range(halls):
        for w in range(windows):
            lam = per_day * rng.uniform(0.5, 1.6)
            for day in days:
                k = rng.poisson(lam)
                secs = _open_seconds(rng, k)
                for s in secs:
                    rows.append(
                        {
                            "hall_id": f"H{h}",
                            "window_id": f"H{h}-W{w}",
                            "t": day + timedelta(seconds=float(s)),
                            "kind": "genuine",
                        }
                    )
    frame = pd.DataFrame(rows)
    n = len(frame)
    g = GENUINE_RATES
    fast = rng.random(n) < g["fast_reader"]
    frame["duration_s"] = np.where(
        fast, rng.lognormal(np.log(35), 0.3, n), rng.lognormal(np.log(75), 0.45, n)
    )
    late = rng.random(n)
    close = np.where(frame["t"].dt.hour < 13, 12.0, 17.5) * 3600
    shift = np.where(
        late < g["late_submission_within_grace"],
        rng.uniform(60, 25 * 60, n),
        np.where(
            late
            < g["late_submission_within_grace"] + g["late_submission_beyond_grace"],
            rng.uniform(35 * 60, 90 * 60, n),
            np.nan,
        ),
    )
    midnight = frame["t"].dt.normalize()
    moved = midnight + pd.to_timedelta(close + np.nan_to_num(shift), unit="s")
    frame["t"] = frame["t"].where(np.isnan(shift), moved)
    frame["device_hash"] = [f"dev{i}" for i in range(n)]
    wifi = rng.random(n) < 0.6
    frame["ip"] = np.where(
        wifi, "nat-" + frame["hall_id"], "cg" + rng.integers(0, 40, n).astype(str)
    )
    frame["ua"] = rng.choice(UAS, n, p=UA_P)
    frame["user_agent_family"] = rng.choice(
        ["WeChat", "Mobile Safari", "Chrome Mobile", "UC Browser", "Huawei Browser"], n
    )
    frame["phone_hash"] = np.where(
        rng.random(n) < 0.4, "ph" + pd.Series(range(n)).astype(str), None
    )
    frame["has_form_cookie"] = rng.random(n) >= g["no_form_cookie"]
    frame["rotating_token_age_s"] = np.where(
        rng.random(n) < g["stale_qr_token"],
        rng.uniform(700, 3000, n),
        rng.uniform(0, 60, n),
    )
    frame["comment"] = [
        _comment(rng) if rng.random() < g["comment"] else None for _ in range(n)
    ]
    grid = _genuine_grid(rng, n, satisfaction)
    # honest return visits: same person/device, same window, later that day
    revisit = np.flatnonzero(rng.random(n) < g["second_visit_same_window"])
    extra = frame.iloc[revisit].copy()
    morning = extra["t"].dt.hour < 13
    later = np.where(
        morning, rng.uniform(14.5, 17.5, len(extra)), rng.uniform(8.5, 12, len(extra))
    )
    next_day = extra["t"].dt.normalize() + pd.to_timedelta(
        np.where(morning, 0, 1), unit="D"
    )
    # a third come straight back (30-100 min) and are flagged by design
    quick = rng.random(len(extra)) < 1 / 3
    extra["t"] = np.where(
        quick,
        extra["t"] + pd.to_timedelta(rng.uniform(1800, 6000, len(extra)), unit="s"),
        next_day + pd.to_timedelta(later * 3600, unit="s"),
    )
    extra["comment"] = None
    frame = pd.concat([frame, extra], ignore_index=True)
    grid = np.vstack([grid, _genuine_grid(rng, len(extra), satisfaction)])

    attacks = [
        _stuffer(rng),
        _bot_burst(rng),
        _speeders(rng),
        _straightliners(rng),
        _straightliners(rng, slow=True),
        _campaign(rng),
    ]
    for att_frame, att_grid in attacks:
        frame = pd.concat([frame, att_frame], ignore_index=True)
        grid = np.vstack([grid, att_grid])
    frame["honeypot_filled"] = frame.get("honeypot_filled", False)
    frame["honeypot_filled"] = frame["honeypot_filled"].fillna(False).astype(bool)
    frame["transaction_code_reused"] = frame.get("transaction_code_reused", False)
    frame["transaction_code_reused"] = (
        frame["transaction_code_reused"].fillna(False).astype(bool)
    )
    frame["has_form_cookie"] = frame["has_form_cookie"].fillna(True).astype(bool)
    frame["ip_ua_hash"] = frame["ip"] + "|" + frame["ua"]
    frame["submitted_at"] = frame["t"]
    frame["started_at"] = frame["t"] - pd.to_timedelta(frame["duration_s"], unit="s")
    frame["questionnaire_id"] = "Q1"
    frame["rotating_validity_s"] = 600.0
    frame["response_id"] = np.arange(len(frame))
    return frame.drop(columns=["t", "ip", "ua"]), grid


def _base(
    rng: np.random.Generator, n: int, kind: str, hall: str = "H2", window: str = "H2-W3"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hall_id": hall,
            "window_id": window,
            "kind": kind,
            "duration_s": rng.lognormal(np.log(75), 0.45, n),
            "device_hash": [f"{kind}-dev{i}" for i in range(n)],
            "ip": "nat-" + hall,
            "ua": rng.choice(UAS, n, p=UA_P),
            "user_agent_family": "WeChat",
            "phone_hash": None,
            "has_form_cookie": True,
            "rotating_token_age_s": rng.uniform(0, 60, n),
            "comment": None,
        }
    )


def _stuffer(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """One phone stuffing a window from the car park over two afternoons:
    keeps the cookie 70% of the time, clears it otherwise."""
    n = 40
    f = _base(rng, n, "device_stuffing", "H1", "H1-W2")
    day = _weekdays()[rng.integers(3, 15)]
    t0 = [day + timedelta(hours=14.6), day + timedelta(days=1, hours=15)]
    f["t"] = [
        t0[i % 2] + timedelta(seconds=float(rng.uniform(0, 2.5 * 3600)))
        for i in range(n)
    ]
    keep = rng.random(n) < 0.7
    f["device_hash"] = np.where(keep, "stuffer-phone", f["device_hash"])
    f["has_form_cookie"] = keep
    f["ua"] = "UA-3"
    f["ip"] = "cg7"
    f["duration_s"] = rng.lognormal(np.log(40), 0.3, n)
    f["rotating_token_age_s"] = rng.uniform(0, 60, n)
    grid = np.clip(np.rint(rng.normal(1.3, 0.5, (n, N_ITEMS))), 1, 5)
    return f, grid


def _bot_burst(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Scripted submissions to one window within four minutes; half spoof a
    phone browser, most lack the form cookie, token copied once."""
    n = 60
    f = _base(rng, n, "bot_burst", "H4", "H4-W1")
    t0 = _weekdays()[rng.integers(3, 15)] + timedelta(hours=10, minutes=5)
    f["t"] = [t0 + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 240, n))]
    f["user_agent_family"] = np.where(
        rng.random(n) < 0.5, "Python Requests", "Chrome Mobile"
    )
    f["has_form_cookie"] = rng.random(n) < 0.3
    f["honeypot_filled"] = rng.random(n) < 0.2
    f["duration_s"] = rng.uniform(9, 30, n)
    f["ip"] = "vps-" + rng.integers(0, 5, n).astype(str)
    f["rotating_token_age_s"] = rng.uniform(100, 400, n)
    grid = rng.integers(1, 6, (n, N_ITEMS)).astype(float)
    return f, grid


def _spread(rng: np.random.Generator, f: pd.DataFrame) -> pd.DataFrame:
    n = len(f)
    hall = rng.integers(0, 6, n)
    f["hall_id"] = [f"H{h}" for h in hall]
    f["window_id"] = [f"H{h}-W{rng.integers(0, 6)}" for h in hall]
    f["ip"] = np.where(
        rng.random(n) < 0.6,
        "nat-" + f["hall_id"],
        "cg" + rng.integers(0, 40, n).astype(str),
    )
    days = _weekdays()
    secs = _open_seconds(rng, n)
    f["t"] = [
        days[rng.integers(0, len(days))] + timedelta(seconds=float(s)) for s in secs
    ]
    return f


def _speeders(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Citizens clicking through: 5-20 s, i.e. under ~27% of the median."""
    n = 150
    f = _spread(rng, _base(rng, n, "speeder"))
    f["duration_s"] = rng.uniform(5, 20, n)
    grid = np.clip(np.rint(rng.normal(4, 1.0, (n, N_ITEMS))), 1, 5)
    return f, grid


def _straightliners(
    rng: np.random.Generator, slow: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """Careless same-answer grids; careless answering is fast (Leiner 2019),
    the ``slow`` variant is not and is reported as undetectable by design."""
    n = 150
    kind = "straightline_slow" if slow else "straightline"
    f = _spread(rng, _base(rng, n, kind))
    median = 75 if slow else 24
    f["duration_s"] = rng.lognormal(np.log(median), 0.3, n)
    value = rng.choice([1, 3, 5], n, p=[0.2, 0.4, 0.4])
    grid = np.repeat(value[:, None], N_ITEMS, axis=1).astype(float)
    return f, grid


def _campaign(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Pasted complaint against one hall over a week, from many phones."""
    n = 50
    f = _base(rng, n, "complaint_campaign", "H3", "H3-W0")
    f["window_id"] = [f"H3-W{rng.integers(0, 6)}" for _ in range(n)]
    days = _weekdays()[5:10]
    secs = _open_seconds(rng, n)
    f["t"] = [days[rng.integers(0, 5)] + timedelta(seconds=float(s)) for s in secs]
    f["comment"] = [_edit(rng, CAMPAIGN[rng.integers(0, 2)]) for _ in range(n)]
    grid = np.clip(np.rint(rng.normal(1.4, 0.6, (n, N_ITEMS))), 1, 5)
    return f, grid


def evaluate(frame: pd.DataFrame, result: pd.DataFrame) -> dict:
    """Recall per attack, false flags on genuine, and per reason code: how
    often it fires on each attack, and its decisive hits on genuine/attack."""
    detected = result["verdict"] != "ok"
    kind = frame["kind"].to_numpy()
    genuine = kind == "genuine"
    figures: dict = {"recall": {}, "rejected_share": {}}
    for k in sorted(set(kind) - {"genuine"}):
        mask = kind == k
        figures["recall"][k] = round(float(detected[mask].mean()), 4)
        figures["rejected_share"][k] = round(
            float((result["verdict"][mask] == "rejected").mean()), 4
        )
    figures["genuine_flagged_rate"] = round(float(detected[genuine].mean()), 4)
    figures["genuine_rejected_rate"] = round(
        float((result["verdict"][genuine] == "rejected").mean()), 4
    )
    figures["precision_overall"] = round(
        float((~genuine[detected.to_numpy()]).mean()), 4
    )
    codes = [c for c in result.columns if result[c].dtype == bool]
    decisive = detected.to_numpy()
    # code -> [genuine, attack] responses not ok that carry the code
    figures["decisive_by_reason"] = {}
    figures["signal_rate"] = {k: {} for k in figures["recall"]}
    for c in codes:
        fired = result[c].to_numpy()
        hit = fired & decisive
        if hit.any():
            figures["decisive_by_reason"][c] = [
                int((hit & genuine).sum()),
                int((hit & ~genuine).sum()),
            ]
        for k in figures["signal_rate"]:
            rate = float(fired[kind == k].mean())
            if rate:
                figures["signal_rate"][k][c] = rate
    sets = result["reasons"][detected & genuine].map("+".join).value_counts()
    figures["genuine_reason_sets"] = {str(k): int(v) for k, v in sets.items()}
    figures["counts"] = {k: int((kind == k).sum()) for k in sorted(set(kind))}
    return figures


def _by_reason(runs: list[dict]) -> dict:
    """Decisive hits per reason over all seeds, most genuine flags first."""
    total: dict[str, list[int]] = {}
    for r in runs:
        for c, (g, a) in r["decisive_by_reason"].items():
            total.setdefault(c, [0, 0])
            total[c][0] += g
            total[c][1] += a
    return {
        c: {"genuine": g, "attack": a, "precision": round(a / (g + a), 4)}
        for c, (g, a) in sorted(total.items(), key=lambda kv: -kv[1][0])
    }


def _summed(runs: list[dict], key: str, top: int = 15) -> dict:
    total: dict[str, int] = {}
    for r in runs:
        for k, v in r[key].items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items(), key=lambda kv: -kv[1])[:top])


def _signal_rates(runs: list[dict]) -> dict:
    """Per attack, the mean share of its responses on which each code fired
    (whatever the verdict): which signals do the catching."""
    out = {}
    for k in runs[0]["signal_rate"]:
        seen = sorted({c for r in runs for c in r["signal_rate"][k]})
        rates = {
            c: np.mean([r["signal_rate"][k].get(c, 0) for r in runs]) for c in seen
        }
        out[k] = {c: round(float(v), 4) for c, v in rates.items()}
    return out


def _mean_min(runs: list[dict], key: str) -> dict:
    kinds = runs[0][key]
    return {
        k: {
            "mean": round(float(np.mean([r[key][k] for r in runs])), 4),
            "min": round(float(np.min([r[key][k] for r in runs])), 4),
        }
        for k in kinds
    }


def _sweep(
    months: list[tuple[pd.DataFrame, np.ndarray]], settings: QualitySettings
) -> dict:
    runs = [
        evaluate(frame, assess(frame.drop(columns=["kind"]), grid, settings))
        for frame, grid in months
    ]
    genuine = [r["genuine_flagged_rate"] for r in runs]
    out = {
        "genuine_flagged_rate": round(float(np.mean(genuine)), 4),
        "genuine_flagged_rate_max": round(float(np.max(genuine)), 4),
    }
    for k in ("straightline", "speeder", "device_stuffing"):
        recall = [r["recall"][k] for r in runs]
        out[f"recall_{k}"] = round(float(np.mean(recall)), 4)
        out[f"recall_{k}_min"] = round(float(np.min(recall)), 4)
    return out


RECALL_MIN, GENUINE_FLAGGED_MAX, EXCLUDED = 0.95, 0.02, ("straightline_slow",)


def _targets(runs: list[dict]) -> dict:
    """The issue's aim, judged on the mean over seeds (the expected month)
    and, stricter, on every single seed; both are reported."""
    kinds = [k for k in runs[0]["recall"] if k not in EXCLUDED]
    genuine = [r["genuine_flagged_rate"] for r in runs]

    def met(recalls: list[float], flagged: float) -> bool:
        return min(recalls) >= RECALL_MIN and flagged < GENUINE_FLAGGED_MAX

    mean_recall = [float(np.mean([r["recall"][k] for r in runs])) for k in kinds]
    return {
        "recall_min": RECALL_MIN,
        "genuine_flagged_max": GENUINE_FLAGGED_MAX,
        "excluded_from_target": list(EXCLUDED),
        "met_on_mean_over_seeds": met(mean_recall, float(np.mean(genuine))),
        "met_on_every_seed": all(
            met([r["recall"][k] for k in kinds], r["genuine_flagged_rate"])
            for r in runs
        ),
    }


def main(seeds: tuple[int, ...] = (1, 2, 3, 4, 5)) -> dict:
    """Simulate several months, assess, write benchmarks/results/fraud.json."""
    settings = QualitySettings()
    runs, timings = [], []
    months = [simulate(seed) for seed in seeds]
    for frame, grid in months:
        t = clock.perf_counter()
        result = assess(frame.drop(columns=["kind"]), grid, settings)
        timings.append(clock.perf_counter() - t)
        runs.append(evaluate(frame, result))
    genuine = [r["genuine_flagged_rate"] for r in runs]
    trade_offs = {
        name: [
            _sweep(months, replace(settings, **{name: v})) | {name: v} for v in values
        ]
        for name, values in (
            ("fast_ratio", (0.45, 0.5, 0.55, 0.6)),
            ("speeder_ratio", (0.25, 0.3, 1 / 3)),
            ("straightline_flag_inner", (False, True)),
            ("weak_signals", ((), settings.weak_signals)),
        )
    }
    # honest sensitivity: a more satisfied population has more all-5 grids
    happy_frame, happy_grid = simulate(seeds[0], satisfaction=4.4)
    happy = evaluate(
        happy_frame, assess(happy_frame.drop(columns=["kind"]), happy_grid)
    )
    comments = frame["comment"].dropna()
    replicated = pd.concat([comments] * (10_000 // max(len(comments), 1) + 1))
    rng = np.random.default_rng(0)
    distinct = [
        "".join(rng.choice(list(CHARS), rng.integers(8, 60))) for _ in range(10_000)
    ]
    text_s = {}
    for name, texts in (
        ("replicated", replicated.iloc[:10_000].tolist()),
        ("distinct", distinct),
    ):
        t = clock.perf_counter()
        match_texts(
            texts,
            settings.text_ngram,
            settings.text_similarity,
            settings.text_min_chars,
        )
        text_s[f"text_10k_{name}_comments"] = round(clock.perf_counter() - t, 3)
    figures = {
        "seeds": list(seeds),
        "recall": _mean_min(runs, "recall"),
        "rejected_share": _mean_min(runs, "rejected_share"),
        "genuine_flagged_rate": {
            "mean": round(float(np.mean(genuine)), 4),
            "max": round(float(np.max(genuine)), 4),
            "per_seed": genuine,
        },
        "genuine_rejected_rate_max": max(r["genuine_rejected_rate"] for r in runs),
        "precision_overall": _mean_min(
            [{"p": {"all": r["precision_overall"]}} for r in runs], "p"
        )["all"],
        "by_reason_all_seeds": _by_reason(runs),
        "genuine_reason_sets_all_seeds": _summed(runs, "genuine_reason_sets"),
        "signal_rate_by_attack_mean": _signal_rates(runs),
        "counts_seed1": runs[0]["counts"],
        "sensitivity_satisfaction_4.4": {
            "genuine_flagged_rate": happy["genuine_flagged_rate"],
            "genuine_all_top_grid_share": round(
                float(
                    (happy_grid[happy_frame["kind"] == "genuine"] == 5).all(1).mean()
                ),
                4,
            ),
            "recall": happy["recall"],
        },
        "trade_offs_mean_over_seeds": trade_offs,
        "seconds": {
            "assess_per_run": round(float(np.mean(timings)), 3),
            **text_s,
        },
        "genuine_anomaly_rates": GENUINE_RATES,
        "settings": asdict(settings),
        "targets": _targets(runs),
    }
    out = Path(__file__).resolve().parent / "results" / "fraud.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False, default=str))
