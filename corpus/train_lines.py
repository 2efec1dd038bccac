"""Rebuild the item-heading model from the labelled lines (`python -m councilkg.corpus.train_lines`), and measure it:
line-level precision and recall of "item heading" and the file-level item count, per set, tuned and held out."""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import item_headings
from .blocks import wrap_width
from .line_features import NAMES, features, read_lines
from .model import SourceFile
from .readers import read
from .segment import ITEM_MARKER, LONE_NUMBER, clean_lines, split_items

DATA = Path(__file__).parent / "data"
LABELS = DATA / "item_labels.tsv"
# Labelled files live in the checkout (tests/minutes) or in ../shared beside it (never committed).
ROOTS = {"tests": Path(__file__).resolve().parent.parent / "tests", "shared": Path(__file__).resolve().parent.parent.parent / "shared"}


@dataclass
class Labelled:
    """One labelled file: its set (train or test), council, lines, and the heading lines a careful reader marks."""

    split: str
    council: str
    path: Path
    lines: list[str]
    width: int
    heads: set[int]


def labelled_files(split: str | None = None) -> list[Labelled]:
    """The labelled files present here (../shared may be absent), in label-file order."""
    out = []
    with open(LABELS, encoding="utf-8") as f:
        for row in csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter="\t"):
            if split and row["split"] != split:
                continue
            root, _, rel = row["path"].partition("/")
            path = ROOTS[root] / rel
            if not path.exists():
                continue
            lines, width, marked = document_lines(path)
            heads = marked if row["heads"] == "markers" else {int(x) for x in row["heads"].split(",") if x.strip()}
            if any(k >= len(lines) or not lines[k].strip() for k in heads):
                raise ValueError(f"{LABELS}: {row['path']}: a labelled line is blank or missing (did its reader change?)")
            out.append(Labelled(row["split"], row["council"], path, lines, width, heads))
    return out


def document_lines(path: Path) -> tuple[list[str], int, set[int]]:
    """A file's lines as segmentation sees them, without "(Item N)" markers (whose headings are returned as labels),
    and with a structured source's item lines ('51 Declarations of Interest') labelled from its sections."""
    raw = read(SourceFile(path.resolve(), str(path), {}))
    lines = clean_lines(raw.text, keep_numbers=True)
    width = wrap_width([ln for ln in lines if not LONE_NUMBER.match(ln.strip())])
    starts = {i for i, *_ in _marked(lines)}
    kept = [k for k, ln in enumerate(lines) if not ITEM_MARKER.match(ln.strip())]
    new = {old: n for n, old in enumerate(kept)}
    heads = {new[i] for i in starts if i in new}
    lines = [lines[k] for k in kept]
    for sec in raw.sections or []:
        want = f"{sec.number} {sec.title}".strip()
        heads |= {k for k, ln in enumerate(lines) if ln.strip() == want}
    return lines, width, heads


def _marked(lines: list[str]) -> list[tuple[int, str | None, str]]:
    """Where each "Title / (Item N)" heading starts."""
    parts = split_items(lines)
    out, k = [], 0
    for number, title, _body in parts:
        while k < len(lines) and not (lines[k].strip() and title.split()[:1] == re.sub(r"^\d{1,4}\.\s*", "", lines[k].strip()).split()[:1]):
            k += 1
        out.append((k, number, title))
        k += 1
    return out


def dataset(files: list[Labelled]) -> tuple[list[list[float]], list[int], list[str]]:
    """Every text line of the files: features, label (1: it starts an item heading), council."""
    X, y, groups = [], [], []
    for f in files:
        lines = read_lines(f.lines)
        for ln, row in zip(lines, features(lines, f.width)):
            if row is not None:
                X.append(row)
                y.append(int(ln.index in f.heads))
                groups.append(f.council)
    return X, y, groups


GRID = [{"line": a / 20, "shape": b, "unnumbered": c} for a in range(6, 17) for b in (0.1, 0.2, 0.3) for c in (0.6, 0.7, 0.8, 0.9)]


def train(files: list[Labelled]) -> dict:
    """Logistic regression (scikit-learn, at training only); the thresholds chosen by council-grouped cross-validation
    of the whole decision (model, shapes, numbers rising), on the training files alone."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def fit(part: list[Labelled]) -> list[float]:
        X, y, _ = dataset(part)
        model = LogisticRegression(C=1.0, max_iter=3000, fit_intercept=False).fit(np.asarray(X), np.asarray(y))
        return [round(float(w), 5) for w in model.coef_[0]]

    councils = sorted({f.council for f in files})
    scored = []
    for k in range(5):
        fold = set(councils[k::5])
        weights = fit([f for f in files if f.council not in fold])
        scored += [(f, *item_headings.score(f.lines, f.width, weights)) for f in files if f.council in fold]
    best = None
    for t in GRID:
        r = measure([f for f, *_ in scored], decided=[item_headings.decide(f.lines, f.width, parsed, probs, t)
                                                      for f, parsed, probs in scored])
        key = (r["precision"] >= 0.9, r["within_40"], r["recall"])
        if best is None or key > best[0]:
            best = (key, t, r)
    _, thresholds, r = best
    X, y, groups = dataset(files)
    return {"features": list(NAMES), "weights": fit(files), "thresholds": thresholds,
            "cross_validated": {"precision": round(r["precision"], 3), "recall": round(r["recall"], 3),
                                "within_40": f"{r['within_40']}/{r['files']}"},
            "trained_on": {"files": len(files), "lines": len(y), "headings": sum(y), "councils": sorted(set(groups))}}


def measure(files: list[Labelled], decided: list | None = None) -> dict:
    """Line-level precision/recall of item headings as `find` decides them (or as `decided` gives them), and files
    within ±40 % of the reader's count."""
    tp = fp = fn = 0
    within = 0
    rows = []
    for k, f in enumerate(files):
        found = {h.start for h in (decided[k] if decided is not None else item_headings.find(f.lines, f.width))}
        tp, fp, fn = tp + len(found & f.heads), fp + len(found - f.heads), fn + len(f.heads - found)
        truth, got = max(1, len(f.heads)), max(1, len(found))
        ok = abs(got - truth) <= 0.4 * truth
        within += ok
        rows.append((f.council, f.path.name, truth, got, ok))
    return {"files": len(files), "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "headings": tp + fn, "tp": tp, "fp": fp, "within_40": within, "rows": rows}


def report(out=sys.stdout) -> dict[str, dict]:
    """The truth table: per set, line-level precision and recall, and the item-count measure per file."""
    results = {}
    for split in ("train", "test"):
        files = labelled_files(split)
        r = results[split] = measure(files)
        for council, name, truth, got, ok in r["rows"]:
            print(f"{split:5}  {council[:28]:28}  {name[:60]:60}  reader {truth:3}  found {got:3}  {'ok' if ok else 'OFF'}", file=out)
    for split in ("train", "test"):
        files = labelled_files(split)
        for source in sorted({_source(f.path) for f in files}):
            _summary(f"{split} {source}", measure([f for f in files if _source(f.path) == source]), out)
    for split, r in results.items():
        _summary(split, r, out)
    return results


def _summary(name: str, r: dict, out) -> None:
    share = r["within_40"] / max(1, r["files"])
    print(f"{name}: {r['files']} files, {r['headings']} headings; line precision {r['precision']:.3f}, recall "
          f"{r['recall']:.3f}; item count within ±40 %: {r['within_40']}/{r['files']} ({share:.0%})", file=out)


def _source(path: Path) -> str:
    """Which collection a labelled file comes from, for the per-source rows of the table."""
    return {"kent-pdf": "Kent PDFs", "limerick-2016": "Limerick 2016", "kingston": "ModernGov pages",
            "gloucester": "ModernGov pages", "sample": "seeds", "minutes": "written minutes"}.get(path.parent.name, path.parent.name)


def main() -> None:
    files = labelled_files("train")
    if not files:
        raise SystemExit("no labelled training files found (is ../shared beside the checkout?)")
    model = train(files)
    path = DATA / "item_lines.json"
    path.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    item_headings.load_model.cache_clear()
    print(f"wrote {path}: {model['trained_on']['lines']} lines ({model['trained_on']['headings']} headings) of "
          f"{model['trained_on']['files']} files, thresholds {model['thresholds']}; cross-validated by council on them: "
          f"{model['cross_validated']}")
    report()


if __name__ == "__main__":
    main()
