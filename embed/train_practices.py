"""Rebuild graph/data/practice_model.npz from the labelled sentences: `python -m councilkg.embed.train_practices`.

Lives in embed/ because it needs the encoder; the model it writes is used by graph/practices_learned.py with numpy alone.
Only the `train` split is read for fitting and for choosing the threshold (by cross-validation grouped by council);
the `heldout` split is scored once, at the end, for the report."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from councilkg.graph import practices_learned as pl
from councilkg.graph.practice_np import chunks

DATA = Path(pl.__file__).parent / "data" / "practice_sentences.tsv"
# What a practice's name looks like: short names of things councils set up (the name prototype's mean vector).
PROTOTYPES = ["golden hello payment for new social workers", "social work academy", "family hub", "early help team",
              "apprenticeship scheme", "recruitment campaign", "peer mentoring initiative for care leavers",
              "multi-agency panel", "protocol for homeless young people", "drop-in hub for care leavers",
              "parent advocacy service", "pilot of virtual meetings", "grant for community groups", "recycling contract",
              "training programme for staff", "out of hours emergency team", "council tax exemption for care leavers"]
C = 4.0  # inverse regularisation: fixed before any held-out figure was seen
TARGET_PRECISION = 0.92  # cross-validated on train, a margin over the 0.9 asked held out
NAME_FLOOR = 0.25
FOLDS = 5


def rows(path: Path = DATA) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


class Cached:
    """An encode function that remembers vectors by text, so sentences and phrases are encoded once per run."""

    def __init__(self, encoder):
        self.enc, self.memo = encoder, {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if todo:
            self.memo.update(zip(todo, self.enc.encode(todo)))
        return np.stack([self.memo[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def decide(texts: list[str], probs: np.ndarray, encode, m: pl.Model) -> np.ndarray:
    """What the whole learned pass says of each sentence alone: practice (True) or not, guards and naming included."""
    out = np.zeros(len(texts), bool)
    for n, (t, p) in enumerate(zip(texts, probs)):
        unit = [pl.Sentence(0, 0, 0, t)]
        out[n] = bool(p >= m.threshold and pl._open(unit) and pl.name(t, encode, m))
    return out


def figures(y: np.ndarray, pred: np.ndarray) -> dict:
    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else 1.0, "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "tp": tp, "fp": fp, "fn": fn, "sentences": len(y)}


def train(log=print) -> dict:
    """Fit, choose the threshold on train by grouped cross-validation, write the model, and report both splits."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from councilkg.embed.encoder import configured_name, get_encoder

    data = rows()
    encode = Cached(get_encoder())
    X = encode([r["text"] for r in data])
    encode(sorted({c for r in data for c in chunks(r["text"])}))  # every candidate name in one batch
    y = np.array([r["label"] == "1" for r in data])
    tr = np.array([r["split"] == "train" for r in data])
    groups = np.array([r["council"] for r in data])
    proto = encode(PROTOTYPES).mean(axis=0)
    proto /= np.linalg.norm(proto)
    base = dict(proto=proto.astype(np.float32), name_floor=NAME_FLOOR, encoder=configured_name(), gate=0.0)
    fit = lambda idx: LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(X[idx], y[idx])  # noqa: E731
    oof = np.zeros(len(data))
    idx_tr = np.flatnonzero(tr)
    for a, b in GroupKFold(n_splits=FOLDS).split(idx_tr, y[idx_tr], groups[idx_tr]):
        oof[idx_tr[b]] = fit(idx_tr[a]).predict_proba(X[idx_tr[b]])[:, 1]
    texts = [r["text"] for r in data]
    open_named = decide([texts[i] for i in idx_tr], np.ones(len(idx_tr)), encode, pl.Model(np.zeros(384, np.float32), 0.0, 0.0, **base))
    best = (0.99, 0.0)
    for t in np.arange(0.30, 0.99, 0.01):
        pred = open_named & (oof[idx_tr] >= t)
        f = figures(y[idx_tr], pred)
        if f["tp"] >= 5 and f["precision"] >= TARGET_PRECISION and f["recall"] > best[1]:
            best = (round(float(t), 2), f["recall"])
    lr = fit(idx_tr)
    m = pl.Model(lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), best[0], **base)
    cv = figures(y[idx_tr], open_named & (oof[idx_tr] >= m.threshold))
    report = {"threshold": m.threshold, "train_cv": cv}
    for split, mask in (("train", tr), ("heldout", ~tr)):
        idx = np.flatnonzero(mask)
        report[split] = figures(y[idx], decide([texts[i] for i in idx], m.probability(X[idx]), encode, m))
    save(m)
    log(report)
    return report


def save(m: pl.Model, path: Path = pl.MODEL) -> None:
    """Write the model atomically: weights, bias, threshold, gate, name prototype, floor and the encoder it was fitted on."""
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, w=m.w, b=np.float32(m.b), threshold=np.float32(m.threshold), gate=np.float32(m.gate), proto=m.proto,
             name_floor=np.float32(m.name_floor), encoder=np.str_(m.encoder))
    tmp.replace(path)
    pl.model.cache_clear()


if __name__ == "__main__":
    train()
    sys.exit(0)
