"""How far two careful readers agree on practices (docs/practices.md, "Two readers"): the second reader's labels of a
sample of the labelled sentences (`tests/gold/practice_second_reader.tsv`, labelled blind to the first labels and to
every model) against the first reader's (`graph/data/practice_sentences.tsv`), per split.

The sample holds every held-out practice, 40 train practices and negatives drawn in two strata (with and without a
word of setting up, `SETUP`), all from the rows sampled by cue (not the hard cases); figures are weighted back to each split's whole set, so precision and recall are the
second reader's as if they had labelled every sentence. Run: `.venv/bin/python tests/eval/practice_agreement.py`
(reads ../shared for the text the strata need)."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from pathlib import Path

from councilkg.embed.train_practices import rows

SECOND = Path(__file__).parents[1] / "gold" / "practice_second_reader.tsv"
# The strata the sample was drawn in: a first-reader practice; a negative with a word of setting up; any other negative.
SETUP = re.compile(r"introduc|establish|\bnew\b|scheme|in place|set up|launched|created|commission|programme|team|hub|service", re.I)


def stratum(r: dict) -> str:
    return "pos" if r["label"] == "1" else ("setup" if SETUP.search(r["text"]) else "other")


def agreement(first: list[dict], second: list[dict], split: str, sure_only: bool = False) -> dict:
    """The second reader's precision, recall and Cohen's kappa against the first, weighted to the split's strata."""
    pop = Counter(stratum(r) for r in first if r["split"] == split and r["sampled"] == "cue")  # as the sample was drawn
    by_hash = {r["sha1"] or hashlib.sha1(r["text"].encode()).hexdigest(): r for r in first}
    mine = [(by_hash[s["sha1"]], s) for s in second if by_hash[s["sha1"]]["split"] == split]
    drawn = Counter(stratum(a) for a, _ in mine)
    cell = Counter()
    for a, b in mine:
        if sure_only and b["confidence"] != "sure":
            continue
        cell[(a["label"], b["label"])] += pop[stratum(a)] / drawn[stratum(a)]
    tp, fn, fp, tn = cell[("1", "1")], cell[("1", "0")], cell[("0", "1")], cell[("0", "0")]
    n = tp + fn + fp + tn
    po, pe = (tp + tn) / n, ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    return {"sample": len(mine), "precision": round(tp / (tp + fp), 3), "recall": round(tp / (tp + fn), 3),
            "kappa": round((po - pe) / (1 - pe), 3), "agree_on_positives": sum(1 for a, b in mine if a["label"] == b["label"] == "1"),
            "first_positives_in_sample": sum(1 for a, _ in mine if a["label"] == "1")}


def second_rows() -> list[dict]:
    with open(SECOND, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


if __name__ == "__main__":
    first, second = rows(), second_rows()
    for split in ("train", "heldout"):
        print(split, agreement(first, second, split))
        print(f"{split}, second reader's sure labels only", agreement(first, second, split, sure_only=True))
