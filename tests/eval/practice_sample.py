"""Draw more train sentences for labelling, the way the earlier rounds drew theirs (docs/practices.md, "Fourth round"):
every sentence of the train councils' Ofsted reports not already in the set (by SHA-1 and by its words, since the splitter
cuts a PDF with and without its page furniture), 6-80 words, none overlapping another; per report about three quarters
with a verb of doing or "in place"/"now" and the rest at random (`sampled` = cue). Held-out councils' files are never opened.

Run: `.venv/bin/python tests/eval/practice_sample.py N OUT.tsv [--seed S]` (OUT holds ../shared text: keep it in /tmp)."""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict

import numpy as np

from councilkg.embed.train_practices import rows
from councilkg.graph import shared_text as st

CUE = re.compile(r"\b(in place|now|introduc\w*|establish\w*|set up|launch\w*|creat\w*|develop\w*|implement\w*|commission\w*|"
                 r"open(?:ed|s)?|appoint\w*|recruit\w*|invest\w*|expand\w*|deliver\w*|provid\w*|fund\w*|start\w*|pilot\w*|"
                 r"co-locat\w*|embedd?\w*|adopt\w*|buil[td]\w*|extend\w*|run(?:s|ning)?|ran|use[sd]?)\b", re.I)


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def candidates() -> dict[str, tuple[str, list[str]]]:
    """Per train report: its council and its unlabelled sentences (a labelled one's variants left out)."""
    data = rows()
    seen = {words(r["text"]) for r in data}
    council = {r["source"]: r["council"] for r in data if r["split"] == "train" and r["source"].startswith("ofsted/reports/")}
    out = {}
    for source, name in sorted(council.items()):
        keep, kept_words = [], []
        for s in st.sentences(st.path(source)):
            w = words(s)
            if not 6 <= len(w.split()) <= 80 or any(w in x or x in w for x in seen) or any(w in x or x in w for x in kept_words):
                continue
            keep.append(s)
            kept_words.append(w)
        out[source] = (name, keep)
    return out


def draw(n: int, seed: int = 5) -> list[dict]:
    """About `n` sentences spread evenly over the train reports, three quarters by cue word where a report has them."""
    rng = np.random.default_rng(seed)
    cands = candidates()
    per = max(1, round(n / len(cands)))
    out: list[dict] = []
    for source, (name, sents) in cands.items():
        by = defaultdict(list)
        for s in sents:
            by[bool(CUE.search(s))].append(s)
        k_cue = min(len(by[True]), round(per * 0.75))
        picked = [by[True][i] for i in rng.choice(len(by[True]), k_cue, replace=False)] if k_cue else []
        rest = [s for s in sents if s not in picked]
        picked += [rest[i] for i in rng.choice(len(rest), min(len(rest), per - len(picked)), replace=False)] if rest else []
        out += [{"source": source, "council": name, "text": s} for s in picked]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


if __name__ == "__main__":
    n, path = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 5
    got = draw(n, seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["id", "source", "council", "text"], delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writeheader()
        for i, r in enumerate(got):
            w.writerow({"id": i, **r, "text": r["text"].replace("\t", " ").replace("\n", " ")})
    print(f"{len(got)} sentences from {len({r['source'] for r in got})} reports -> {path}")
