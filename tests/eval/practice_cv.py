"""The trainer's cross-validation as a bench for comparing feature sets of the labelled practice sentences (the fifth and
sixth rounds of docs/practices.md): its grouped folds and judged rows, the whole pass's vetoes and naming, average
precision and recall at precision >= 0.9, a resampling-by-council interval for a gain, and other fold assignments.
Train split only; the held-out split is never scored here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp
from councilkg.embed.fitting import standardised_fit, sweep
from councilkg.graph import practices_learned as pl
from councilkg.graph.practice_features import heading_or_resolution, matrix
from councilkg.graph.shared_text import sha1

CS = (0.0002, 0.0005, 0.001, 0.002, 0.005)


def cached(cache: Path, texts: list[str], compute) -> dict[str, np.ndarray]:
    """The arrays `compute()` gives for these texts, kept in `cache` (keyed by the texts' SHA-1s) so a rerun skips the model."""
    keys = np.array([sha1(t) for t in texts])
    if cache.exists():
        z = np.load(cache)
        if np.array_equal(z["keys"], keys):
            return {k: z[k] for k in z.files}
    z = {"keys": keys, **compute()}
    np.savez(cache, **z)
    return z


def unit(M: np.ndarray) -> np.ndarray:
    return M / np.linalg.norm(M, axis=1, keepdims=True)


class Bench:
    """The trainer's folds, rows judged and whole-pass veto, for scoring any feature matrix of the labelled rows."""

    def __init__(self, data: list[dict], names_cache: Path | None):
        from sklearn.model_selection import GroupKFold

        from councilkg.embed.encoder import get_encoder

        self.texts = [r["text"] for r in data]
        self.y = np.array([r["label"] == "1" for r in data])
        tr = np.array([r["split"] == "train" for r in data])
        groups = np.array([r["council"] for r in data])
        self.idx_tr = np.flatnonzero(tr)
        self.councils_of_train = groups[self.idx_tr]
        self.folds = list(GroupKFold(n_splits=tp.FOLDS).split(self.idx_tr, self.y[self.idx_tr], self.councils_of_train))
        self.judged = self.idx_tr[[data[i]["sampled"] == "cue" for i in self.idx_tr]]
        self.councils = groups[self.judged]
        # headings and resolutions are vetoed before the classifier (fourth round): they score nothing
        self.closed = np.array([heading_or_resolution(self.texts[i]) is not None for i in self.judged])
        self.encode = encode = tp.Cached(get_encoder(), names_cache)  # sentence vectors too, for a script that needs them
        proto = encode(tp.PROTOTYPES).mean(axis=0)
        blank = pl.Model(np.zeros(1), 0.0, np.zeros(1), 0.0, 0.0, 0.0, proto / np.linalg.norm(proto), tp.NAME_FLOOR, "",
                         0.0, 0.0, 0.0, 0.0)
        self.open_named = tp.decide([self.texts[i] for i in self.judged], np.ones(len(self.judged)), encode, blank)
        encode.keep()

    def refold(self, seed: int) -> None:
        """Another random assignment of the train councils to the folds (which councils share a fold moves AP by 0.03-0.05)."""
        names = np.unique(self.councils_of_train)
        fold_of = dict(zip(names, np.random.default_rng(seed).permutation(len(names)) % tp.FOLDS))
        f = np.array([fold_of[g] for g in self.councils_of_train])
        self.folds = [(np.flatnonzero(f != k), np.flatnonzero(f == k)) for k in range(tp.FOLDS)]

    def oof(self, M: np.ndarray, C: float, fit_on: np.ndarray | None = None, extra=None) -> np.ndarray:
        """Out-of-fold scores of the judged rows (0 where vetoed), each fold fitted on its train rows `fit_on` admits (all)
        and on `extra` (X, y, sample weights: rows of no council, added to every fold's training rows and never judged)."""
        from sklearn.linear_model import LogisticRegression

        out = np.zeros(len(self.y))
        for a, b in self.folds:
            ia, ib = self.idx_tr[a], self.idx_tr[b]
            ia = ia if fit_on is None else ia[fit_on[ia]]
            X, y, sw = M[ia], self.y[ia], None
            if extra is not None:
                X, y, sw = np.vstack([X, extra[0]]), np.r_[y, extra[1]], np.r_[np.ones(len(ia)), extra[2]]
            w, b0 = standardised_fit(X, y, LogisticRegression(C=C, class_weight="balanced", max_iter=5000), sw)
            out[ib] = 1.0 / (1.0 + np.exp(-(M[ib] @ w + b0)))
        return np.where(self.closed, 0.0, out[self.judged])

    def score(self, s: np.ndarray) -> tuple[float, float, int, int]:
        """Average precision of the judged rows; recall, hits and false hits at the best threshold with P >= 0.9, 10 hits."""
        from sklearn.metrics import average_precision_score

        y = self.y[self.judged]
        return float(average_precision_score(y, s)), *recall_at(y, self.open_named, s)


def labelled(names_cache: Path | None) -> tuple[list[dict], Bench, np.ndarray, np.ndarray]:
    """The labelled rows, the bench on them, and their sentence vectors and 28 structure features (the shipped form's inputs)."""
    data = tp.rows()
    texts = [r["text"] for r in data]
    bench = Bench(data, names_cache)
    V = bench.encode(texts)
    bench.encode.keep()
    return data, bench, V, matrix(texts)


def best_by_ap(cells: list[tuple]) -> dict[str, tuple]:
    """Each variant's cell (label, C, AP, recall, scores) at its best C by average precision."""
    best: dict[str, tuple] = {}
    for x in sorted(cells, key=lambda x: -x[2]):
        best.setdefault(x[0], x)
    return best


def recall_at(y: np.ndarray, ok: np.ndarray, s: np.ndarray) -> tuple[float, int, int]:
    """Recall, hits and false hits of the whole pass (`ok`: open and named) at the best threshold with P >= 0.9, 10 hits."""
    best = (0.0, 0, 0)
    for _, f in sweep(y, s, np.arange(0.30, 0.995, 0.01), tp.MIN_TP, ok):
        if f["precision"] >= 0.9 and f["recall"] > best[0]:
            best = (f["recall"], f["tp"], f["fp"])
    return best


def gain(bench: Bench, a: np.ndarray, b: np.ndarray, draws: int = 500, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Average precision and recall at P >= 0.9 of `a` minus those of `b`, each with its 95 % interval resampling the
    train councils (with replacement; a draw's recall is taken at its own best threshold, 0 when none reaches 0.9)."""
    from sklearn.metrics import average_precision_score

    y, ok, cs = bench.y[bench.judged], bench.open_named, bench.councils
    rows = {c: np.flatnonzero(cs == c) for c in np.unique(cs)}
    names = list(rows)
    rng = np.random.default_rng(seed)
    ap, rec = [], []
    for _ in range(draws):
        pick = np.concatenate([rows[names[i]] for i in rng.integers(0, len(names), len(names))])
        if y[pick].any():
            ap.append(average_precision_score(y[pick], a[pick]) - average_precision_score(y[pick], b[pick]))
            rec.append(recall_at(y[pick], ok[pick], a[pick])[0] - recall_at(y[pick], ok[pick], b[pick])[0])
    point = (average_precision_score(y, a) - average_precision_score(y, b), recall_at(y, ok, a)[0] - recall_at(y, ok, b)[0])
    return {k: (float(p), float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))) for k, p, d in
            (("AP", point[0], ap), ("recall at P >= 0.9", point[1], rec))}


def compare(bench: Bench, runs: dict, cs: tuple[float, ...], shipped_label: str) -> list[tuple]:
    """Print each variant's AP and recall at P >= 0.9 by C (`runs`: label -> (C -> out-of-fold scores, its grid of C)), then the
    gain over the shipped form at the trainer's C of each variant above it at its best C and of the highest recall, with the
    interval of resampling train councils; returns the cells (label, C, AP, recall, out-of-fold scores)."""
    cells: list[tuple] = []
    print("| variant (train CV only) | " + " | ".join(f"C {c}" for c in cs) + " |")
    for label, (oof, grid) in runs.items():
        row = []
        for c in cs:
            if c not in grid:
                row.append("")
                continue
            s = oof(c)
            ap, r, hits, false = bench.score(s)
            row.append(f"{ap:.3f}, " + (f"R {r:.2f} ({hits} / {false})" if hits else "none"))
            cells.append((label, c, ap, r, s))
        print(f"| {label} | " + " | ".join(row) + " |", flush=True)
    shipped = next(x for x in cells if x[0] == shipped_label and x[1] == tp.C)
    by_ap = best_by_ap(cells)  # each variant at its best C by average precision
    chosen = [x for x in by_ap.values() if x[2] > shipped[2] and x[0] != shipped_label]
    top_recall = max(cells, key=lambda x: x[3])
    print(f"\nagainst the shipped form (C {tp.C}: AP {shipped[2]:.3f}, recall {shipped[3]:.2f}), each variant above it at its best"
          f" C, and the highest recall: gain, 95 % interval resampling train councils 500 times")
    for cell in chosen + ([top_recall] if top_recall not in chosen and top_recall[0] != shipped_label else []):
        print_gain(bench, cell, shipped[4])
    return cells


def print_gain(bench: Bench, cell: tuple, shipped: np.ndarray) -> None:
    """One line: a cell's (label, C, AP, recall, scores) gain over the shipped scores, with its resampling intervals."""
    label, c, ap, r, s = cell
    g = "; ".join(f"{k} {d:+.3f} ({lo:+.3f} to {hi:+.3f})" for k, (d, lo, hi) in gain(bench, s, shipped).items())
    print(f"- {label}, C {c} (AP {ap:.3f}, recall {r:.2f}): {g}", flush=True)


def refolds(bench: Bench, mats: dict[str, np.ndarray], labels: tuple[str, ...], seeds: int = 6, cs: dict | None = None) -> None:
    """The same comparison under other assignments of the train councils to the 5 folds (at the shipped C, or each label's
    C in `cs`): whether a gain holds whichever councils share a fold."""
    cs = cs or {}
    print(f"\nother random assignments of the train councils to the folds, C {tp.C} unless given: AP, recall at P >= 0.9 (hits / false)")
    print("| seed | " + " | ".join(f"{lab}, C {cs.get(lab, tp.C)}" for lab in labels) + " |")
    for seed in range(seeds):
        bench.refold(seed)
        cells = [bench.score(bench.oof(mats[label], cs.get(label, tp.C))) for label in labels]
        print(f"| {seed} | " + " | ".join(f"{ap:.3f}, R {r:.2f} ({h} / {fp})" if h else f"{ap:.3f}, none" for ap, r, h, fp in cells) + " |",
              flush=True)
