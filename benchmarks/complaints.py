"""Complaint classifier benchmark on ../shared/data/complaints: quality and speed.

Run `.venv/bin/python benchmarks/complaints.py [--variants]`; writes
benchmarks/results/complaints.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveyapp.analysis.text import (  # noqa: E402
    choose_threshold,
    coverage_accuracy_curve,
    evaluate,
    predict,
    texts_from_frame,
    train,
    warm_up,
)
from surveyapp.analysis.text.model_card import library_versions  # noqa: E402
from surveyapp.analysis.text.tokenize import tokenize  # noqa: E402

DATA = Path("/work/shared/data/complaints")
OUT = ROOT / "benchmarks/results/complaints.json"


def backend_agreement(texts: list[str]) -> dict:
    """Share of texts rjieba cuts exactly as jieba does, and their cutting speed."""
    out: dict = {}
    cuts = {}
    chars = sum(map(len, texts))
    for backend in ("jieba", "rjieba"):
        t0 = time.perf_counter()
        warm_up(backend)
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        cuts[backend] = [tokenize(t, backend) for t in texts]
        took = time.perf_counter() - t0
        out[backend] = {"load_s": round(load, 3), "chars_per_s": int(chars / took)}
    same = sum(a == b for a, b in zip(cuts["jieba"], cuts["rjieba"], strict=True))
    out["identical_texts"] = same
    out["texts"] = len(texts)
    return out


def dev_split_threshold(conf: np.ndarray, correct: np.ndarray, params: dict) -> dict:
    """Threshold chosen on one half of dev (raw text), judged on the other half."""
    target = params["target_accuracy"]
    halves = np.arange(len(conf)) % 2 == 0
    out = {}
    for name, fit in (("fit_even_judge_odd", halves), ("fit_odd_judge_even", ~halves)):
        bar = choose_threshold(conf[fit], correct[fit], target)
        judged = ~fit & (conf >= bar)
        out[name] = {
            "threshold": bar,
            "coverage": float(judged.sum() / (~fit).sum()),
            "accuracy": float(correct[judged].mean()) if judged.any() else None,
        }
    return out


def taxonomy_descriptions(labels: set[str]) -> dict[str, list[str]]:
    """Sub-category names of taxonomy.csv per first-level label present in labels."""
    tax = pd.read_csv(DATA / "taxonomy.csv").fillna("")
    out: dict[str, list[str]] = {}
    for row in tax.itertuples(index=False):
        if row.level1 in labels:
            out.setdefault(row.level1, []).append(f"{row.level2} {row.level3}")
    return out


def main() -> int:
    if not (DATA / "train_tokenized.csv").exists():
        print(f"{DATA} is absent: nothing to benchmark")
        return 1
    train_frame = pd.read_csv(DATA / "train_tokenized.csv")
    dev = pd.read_csv(DATA / "dev_raw.csv")
    dev_texts, dev_labels = texts_from_frame(dev), dev["label"].tolist()
    agreement = backend_agreement(dev_texts)

    variants = [("words", False)]
    if "--variants" in sys.argv:  # also the slower words + char n-grams model
        variants.append(("words+chars", True))
    runs = {}
    descriptions = taxonomy_descriptions(set(train_frame["label"]))
    for name, chars in variants:
        t0 = time.perf_counter()
        model = train(
            train_frame["text"].tolist(),
            train_frame["label"].tolist(),
            pretokenized=True,
            char_ngrams=chars,
            descriptions=descriptions,
        )
        seconds = time.perf_counter() - t0
        report = evaluate(model, dev_texts, dev_labels)
        runs[name] = (model, seconds, report)
        print(f"{name}: dev macro-F1 {report['macro_f1']:.3f}, train {seconds:.1f} s")
    chosen = "words"
    model, seconds, report = runs[chosen]

    predict(model, dev_texts[:1])  # first call pays lazy loading
    single = []
    for text in dev_texts[:200]:
        t0 = time.perf_counter()
        predict(model, [text])
        single.append(time.perf_counter() - t0)
    batch = dev_texts * 4
    t0, cpu0 = time.perf_counter(), time.process_time()
    predict(model, batch)
    throughput = len(batch) / (time.perf_counter() - t0)
    throughput_cpu = len(batch) / (time.process_time() - cpu0)

    pred, conf = predict(model, dev_texts)
    correct = np.asarray(pred, dtype=object) == np.asarray(dev_labels, dtype=object)
    cv = model.card["cv"]
    result_split = dev_split_threshold(conf, correct, model.card["params"])
    result = {
        "data": str(DATA),
        "model": chosen,
        "train_rows": len(train_frame),
        "dev_rows": len(dev),
        "dev": {k: report[k] for k in ("accuracy", "macro_f1", "per_class")},
        "dev_confusion": report["confusion"],
        "cv_train": {k: cv[k] for k in ("folds", "accuracy", "macro_f1")},
        "variants_dev_macro_f1": {
            k: round(r[2]["macro_f1"], 4) for k, r in runs.items()
        },
        "variants_train_seconds": {k: round(r[1], 2) for k, r in runs.items()},
        "train_seconds_including_cv": round(seconds, 2),
        "single_prediction_ms": {
            "median": round(1000 * float(np.median(single)), 2),
            "p95": round(1000 * float(np.percentile(single, 95)), 2),
        },
        "batch_per_second": int(throughput),
        # Per CPU-second: the wall figure drops when other jobs share the 2 cores.
        "batch_per_cpu_second": int(throughput_cpu),
        "threshold": {
            "target_accuracy": model.card["params"]["target_accuracy"],
            "chosen_on": "5-fold CV confidences on train",
            "value": model.threshold,
            "cv_coverage": cv["coverage_at_threshold"],
            "cv_accuracy": cv["accuracy_at_threshold"],
            "dev_coverage": report["coverage_at_threshold"],
            "dev_accuracy": report["accuracy_at_threshold"],
        },
        "threshold_chosen_on_raw_half": result_split,
        "dev_coverage_accuracy_curve": coverage_accuracy_curve(conf, correct),
        "tokenizer_backends": agreement,
        "versions": library_versions(),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    summary = ("dev", "cv_train", "train_seconds_including_cv", "threshold")
    print(json.dumps({k: result[k] for k in summary}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
