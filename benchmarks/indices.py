"""Benchmark SurveyDesign (build, rake, mean, domain means) on synthetic responses."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

# Runnable as `python benchmarks/indices.py` from a checkout without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveyapp.analysis import SurveyDesign  # noqa: E402

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results" / "indices.json"
RUN_RESULTS = RESULTS.with_name("indices_run.json")


def synthetic_responses(rows: int, strata: int = 300, seed: int = 2026) -> pd.DataFrame:
    """Rows in `strata` strata, 10 PSUs each, three raking margins, a 0-100 score."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, strata, rows)
    psu = stratum * 10 + rng.integers(0, 10, rows)
    age = rng.choice(["18-29", "30-44", "45-59", "60-74", "75+"], rows)
    sex = rng.choice(["F", "M"], rows, p=[0.55, 0.45])
    region = rng.choice(list("ABCDEF"), rows)
    psu_effect = rng.normal(0, 5, strata * 10)[psu]
    score = np.clip(60 + psu_effect + rng.normal(0, 15, rows), 0, 100).round()
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "age": age,
            "sex": sex,
            "region": region,
            "weight": rng.uniform(0.5, 3.0, rows),
            "score": score,
        }
    )


def margins_for(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Population margins that differ from the sample's own distribution."""
    total = 2.5 * len(frame)
    shares = {
        "age": {"18-29": 0.2, "30-44": 0.25, "45-59": 0.25, "60-74": 0.2, "75+": 0.1},
        "sex": {"F": 0.51, "M": 0.49},
        "region": dict(zip("ABCDEF", [0.3, 0.2, 0.15, 0.15, 0.1, 0.1], strict=True)),
    }
    return {m: {k: v * total for k, v in s.items()} for m, s in shares.items()}


def timed(fn: Callable[..., T], *args: object, **kwargs: object) -> tuple[T, float]:
    """Call fn and return its result with the wall time in seconds."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def run_ours(frame: pd.DataFrame) -> dict[str, object]:
    design, t_build = timed(
        SurveyDesign, frame, weights="weight", strata="stratum", psu="psu"
    )
    raked, t_rake = timed(design.rake, margins_for(frame))
    mean, t_mean = timed(raked.mean, "score")
    domains, t_by = timed(raked.by("region").mean, "score")
    # Same weights without calibration terms: what samplics can be compared with.
    plain = SurveyDesign(
        frame.assign(weight=raked.weights),
        weights="weight",
        strata="stratum",
        psu="psu",
    )
    plain_mean, t_plain = timed(plain.mean, "score")
    plain_by, t_plain_by = timed(plain.by("region").mean, "score")
    return {
        "raked_weights": raked.weights,
        "seconds": {
            "build": t_build,
            "rake": t_rake,
            "mean_calibrated": t_mean,
            "by_region_mean_calibrated": t_by,
            "total_pipeline": t_build + t_rake + t_mean + t_by,
            "mean_uncalibrated": t_plain,
            "by_region_mean_uncalibrated": t_plain_by,
        },
        "calibrated": {"mean": mean.value, "se": mean.se, "deff_kish": mean.deff},
        "calibrated_by_region": {k: [v.value, v.se] for k, v in domains.items()},
        "plain": (plain_mean.value, plain_mean.se),
        "plain_by": {k: (v.value, v.se) for k, v in plain_by.items()},
    }


def run_samplics(frame: pd.DataFrame, weights: np.ndarray) -> dict[str, object] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from samplics import TaylorEstimator
            from samplics.utils.types import PopParam
    except ImportError:
        return None

    def estimate(domain: pd.Series | None) -> object:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(
            y=frame["score"],
            samp_weight=weights,
            stratum=frame["stratum"],
            psu=frame["psu"],
            domain=domain,
            remove_nan=True,
        )
        return est

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        overall, t_mean = timed(estimate, None)
        by, t_by = timed(estimate, frame["region"])
    return {
        "mean": (float(overall.point_est), float(overall.stderror)),
        "by": {
            k: (float(by.point_est[k]), float(by.stderror[k])) for k in by.point_est
        },
        "seconds": {"mean": t_mean, "by_region_mean": t_by},
    }


def index_run(rows: int, halls: int = 300, seed: int = 2026) -> dict[str, object]:
    """Time a whole index run (analysis.index.unit_indices): 300 halls x 10 service
    items x 3 months post-stratified to volumes, trimmed, with the monthly trend."""
    from surveyapp.analysis.index import unit_indices

    drivers = [
        "timeliness",
        "attitude",
        "competence",
        "process",
        "information",
        "environment",
    ]
    rng = np.random.default_rng(seed)
    hall = rng.integers(0, halls, rows)
    frame = pd.DataFrame(
        {
            "hall": hall.astype(str),
            "unit": hall,
            "item": rng.integers(0, 10, rows).astype(str),
            "month": rng.choice(["2026-07", "2026-08", "2026-09"], rows),
            "overall": rng.integers(1, 6, rows).astype(float),
        }
    )
    for name in drivers:
        frame[name] = rng.integers(1, 6, rows).astype(float)
    volumes = frame.groupby(["hall", "item", "month"]).size().reset_index(name="count")
    volumes["count"] *= rng.integers(1, 20, len(volumes))
    table, seconds = timed(
        unit_indices,
        frame,
        drivers=drivers,
        weights=dict.fromkeys(drivers, 1 / 6),
        volumes=volumes,
    )
    return {
        "rows": rows,
        "halls": halls,
        "post_strata": len(volumes),
        "seconds": seconds,
        "units": len(table.units),
        "notes": table.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--only-index-run",
        action="store_true",
        help="Only time a whole index run (results/indices_run.json).",
    )
    args = parser.parse_args()
    run_report = index_run(args.rows)
    RUN_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RUN_RESULTS.write_text(json.dumps(run_report, indent=2, default=float) + "\n")
    print(json.dumps(run_report, indent=2, default=float))
    if args.only_index_run:
        return
    frame, t_gen = timed(synthetic_responses, args.rows)
    ours = run_ours(frame)
    ref = run_samplics(frame, ours.pop("raked_weights"))
    report: dict[str, object] = {
        "rows": args.rows,
        "strata": 300,
        "psus": int(frame["psu"].nunique()),
        "margins": ["age", "sex", "region"],
        "generate_seconds": t_gen,
        "python": platform.python_version(),
        "ours": {k: v for k, v in ours.items() if k not in ("plain", "plain_by")},
    }
    if ref is not None:
        pairs = [(ours["plain"], ref["mean"])] + [
            (ours["plain_by"][k], ref["by"][k]) for k in ours["plain_by"]
        ]
        rel = [
            max(abs(a[0] - b[0]) / abs(b[0]), abs(a[1] - b[1]) / abs(b[1]))
            for a, b in pairs
        ]
        report["samplics"] = {
            "version": metadata.version("samplics"),
            "seconds": ref["seconds"],
            "mean": ref["mean"],
            "ours_same_weights": ours["plain"],
            "max_relative_difference_mean_and_se": max(rel),
            "agree_1e-8": max(rel) < 1e-8,
            "note": "samplics has no calibration terms; compared on raked weights"
            " used as fixed design weights (with-replacement Taylor variance)",
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
