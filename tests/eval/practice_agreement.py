"""How far two careful readers agree on practices (docs/practices.md, "Two readers"): a second reader's labels of samples
of the labelled sentences (`tests/gold/practice_second_reader.tsv`, labelled blind to the first labels and to every
model) against the first reader's (`graph/data/practice_sentences.tsv`).

Three samples: `heldout` (every held-out practice and negatives in two strata, with and without a word of setting up)
and `train` (40 practices and negatives the same way), both drawn from the cue-sampled rows of the first three rounds,
`train-round4` (the fourth round's 33 practices and 67 of its 567 negatives, a check of the labels added then) and
`train-round5` (60 of the fifth round's 103 practices and 100 of its 1877 negatives, drawn at random within each).
Each row's `weight` is how many sentences of its stratum it stood for when drawn, so precision and recall are the
second reader's as if they had labelled every sentence of the set. Run: `.venv/bin/python tests/eval/practice_agreement.py`
(the labels only: no text from ../shared is needed)."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

FIRST = Path(__file__).parents[2] / "graph" / "data" / "practice_sentences.tsv"
SECOND = Path(__file__).parents[1] / "gold" / "practice_second_reader.tsv"


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def first_labels() -> dict[str, str]:
    """SHA-1 of the sentence -> the first reader's label (a sentence whose text is committed is keyed by its text's SHA-1)."""
    return {r["sha1"] or hashlib.sha1(r["text"].encode("utf-8")).hexdigest(): r["label"] for r in _read(FIRST)}


def agreement(sample: str, sure_only: bool = False) -> dict:
    """The second reader's precision, recall and Cohen's kappa against the first on one sample, weighted as drawn."""
    first, rows = first_labels(), [r for r in _read(SECOND) if r["sample"] == sample]
    cell: Counter = Counter()
    for r in rows:
        if not sure_only or r["confidence"] == "sure":
            cell[(first[r["sha1"]], r["label"])] += float(r["weight"])
    tp, fn, fp, tn = cell[("1", "1")], cell[("1", "0")], cell[("0", "1")], cell[("0", "0")]
    n = tp + fn + fp + tn
    po, pe = (tp + tn) / n, ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    return {"sample": len(rows), "precision": round(tp / (tp + fp), 3), "recall": round(tp / (tp + fn), 3),
            "kappa": round((po - pe) / (1 - pe), 3),
            "practices_both": sum(1 for r in rows if first[r["sha1"]] == r["label"] == "1"),
            "practices_first": sum(1 for r in rows if first[r["sha1"]] == "1")}


if __name__ == "__main__":
    for name in ("train", "heldout", "train-round4", "train-round5"):
        print(name, agreement(name))
        print(f"{name}, where the second reader was sure", agreement(name, sure_only=True))
