"""Do the intermediate layers of MiniLM's forward pass read what a sentence asserts better than the pooled last layer?
(docs/practices.md, "Fifth round: layers of the same forward pass"). Train split only: the trainer's grouped folds and
scoring (average precision of out-of-fold scores on the cue-sampled train rows; recall at the best threshold with
precision >= 0.9 and >= 10 hits, through the whole pass); the held-out split is never scored here.

Run: `.venv/bin/python tests/eval/practice_layers.py [--cache /tmp/practice_layers.npz] [--names /tmp/practice_names.pkl]`
(reads ../shared for the text; the caches hold text-derived vectors: keep them out of the repo)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp
from councilkg.graph import practices_learned as pl
from councilkg.graph.practice_features import heading_or_resolution, matrix
from councilkg.graph.shared_text import sha1

CS = (0.0002, 0.0005, 0.001, 0.002, 0.005)
LAYERS = 7  # the embedding output and the six transformer layers' outputs of MiniLM-L6


def hidden(texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    """Per sentence, from one forward pass: each layer's mean over its tokens, the last layer's max, and the pooled vector."""
    keys = np.array([sha1(t) for t in texts])
    if cache.exists():
        z = np.load(cache)
        if np.array_equal(z["keys"], keys):
            return {k: z[k] for k in z.files}
    import torch

    from councilkg.embed.encoder import BATCH_SIZE, get_encoder

    enc = get_encoder()
    st, tok = enc.model, enc.model.tokenizer
    means, maxes = [], []
    with torch.inference_mode():
        for a in range(0, len(texts), BATCH_SIZE):
            batch = tok(texts[a:a + BATCH_SIZE], padding=True, truncation=True, max_length=enc.max_tokens, return_tensors="pt")
            out = st[0].auto_model(**batch, output_hidden_states=True)
            mask = batch["attention_mask"].unsqueeze(-1).float()
            hs = torch.stack(out.hidden_states, 1)  # batch, layer, token, dim
            means.append(((hs * mask.unsqueeze(1)).sum(2) / mask.sum(1).unsqueeze(1)).numpy())
            maxes.append(out.hidden_states[-1].masked_fill(mask == 0, -1e4).max(1).values.numpy())
    mean, mx = np.concatenate(means), np.concatenate(maxes)
    pooled = mean[:, -1] / np.linalg.norm(mean[:, -1], axis=1, keepdims=True)
    check = enc.encode(texts[:64])
    assert np.allclose(pooled[:64], check, atol=1e-4), "the last layer's mean is not the encoder's sentence vector"
    z = {"keys": keys, "mean": mean.astype(np.float32), "max": mx.astype(np.float32), "pooled": pooled.astype(np.float32)}
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
        self.folds = list(GroupKFold(n_splits=tp.FOLDS).split(self.idx_tr, self.y[self.idx_tr], groups[self.idx_tr]))
        self.judged = self.idx_tr[[data[i]["sampled"] == "cue" for i in self.idx_tr]]
        self.councils = groups[self.judged]
        # headings and resolutions are vetoed before the classifier (fourth round): they score nothing
        self.closed = np.array([heading_or_resolution(self.texts[i]) is not None for i in self.judged])
        encode = tp.Cached(get_encoder(), names_cache)
        proto = encode(tp.PROTOTYPES).mean(axis=0)
        blank = pl.Model(np.zeros(1), 0.0, np.zeros(1), 0.0, 0.0, 0.0, proto / np.linalg.norm(proto), tp.NAME_FLOOR, "",
                         0.0, 0.0, 0.0, 0.0)
        self.open_named = tp.decide([self.texts[i] for i in self.judged], np.ones(len(self.judged)), encode, blank)
        encode.keep()

    def oof(self, M: np.ndarray, C: float) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        out = np.zeros(len(self.y))
        for a, b in self.folds:
            ia, ib = self.idx_tr[a], self.idx_tr[b]
            w, b0 = tp.standardised_fit(M[ia], self.y[ia], LogisticRegression(C=C, class_weight="balanced", max_iter=5000))
            out[ib] = 1.0 / (1.0 + np.exp(-(M[ib] @ w + b0)))
        return np.where(self.closed, 0.0, out[self.judged])

    def score(self, s: np.ndarray) -> tuple[float, float, int, int]:
        """Average precision of the judged rows; recall, hits and false hits at the best threshold with P >= 0.9, 10 hits."""
        from sklearn.metrics import average_precision_score

        y = self.y[self.judged]
        best = (0.0, 0, 0)
        for t in np.arange(0.30, 0.995, 0.01):
            f = tp.figures(y, self.open_named & (s >= t))
            if f["tp"] >= tp.MIN_TP and f["precision"] >= 0.9 and f["recall"] > best[0]:
                best = (f["recall"], f["tp"], f["fp"])
        return float(average_precision_score(y, s)), *best


def gain(bench: Bench, a: np.ndarray, b: np.ndarray, draws: int = 500, seed: int = 0) -> tuple[float, float, float]:
    """Average precision of `a` minus that of `b`, and its 95 % interval resampling the train councils (with replacement)."""
    from sklearn.metrics import average_precision_score

    y, cs = bench.y[bench.judged], bench.councils
    rows = {c: np.flatnonzero(cs == c) for c in np.unique(cs)}
    names = list(rows)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        pick = np.concatenate([rows[names[i]] for i in rng.integers(0, len(names), len(names))])
        if y[pick].any():
            diffs.append(average_precision_score(y[pick], a[pick]) - average_precision_score(y[pick], b[pick]))
    point = average_precision_score(y, a) - average_precision_score(y, b)
    return float(point), float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def variants(z: dict[str, np.ndarray], F: np.ndarray) -> dict[str, np.ndarray]:
    """Feature matrices to compare, each with the 28 structure features as shipped."""
    mean = z["mean"]
    out = {"shipped: pooled last layer (6) + features": np.hstack([z["pooled"], F])}
    for k in range(LAYERS):
        out[f"layer {k} mean + features"] = np.hstack([unit(mean[:, k]), F])
    for k in range(1, LAYERS - 1):
        out[f"layer {k} mean + pooled + features"] = np.hstack([unit(mean[:, k]), z["pooled"], F])
    out["last layer mean + max + features"] = np.hstack([z["pooled"], z["max"], F])
    out["every layer's mean + features"] = np.hstack([unit(mean[:, k]) for k in range(LAYERS)] + [F])
    return out


def main(cache: Path, names: Path | None) -> None:
    data = tp.rows()
    texts = [r["text"] for r in data]
    z = hidden(texts, cache)
    bench = Bench(data, names)
    F = matrix(texts)
    best: dict[str, tuple] = {}
    print("| variant (train CV only) | " + " | ".join(f"C {c}" for c in CS) + " |")
    for label, M in variants(z, F).items():
        cells = []
        for c in CS:
            s = bench.oof(M, c)
            ap, r, hits, false = bench.score(s)
            cells.append(f"{ap:.3f}, " + (f"R {r:.2f} ({hits} / {false})" if hits else "none"))
            if label not in best or ap > best[label][0]:
                best[label] = (ap, c, s)
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    ship = best["shipped: pooled last layer (6) + features"]
    print(f"\nshipped form at its best C {ship[1]}: AP {ship[0]:.3f}; each variant above it, at its best C:")
    for label, (ap, c, s) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        if ap > ship[0] and not label.startswith("shipped"):
            d, lo, hi = gain(bench, s, ship[2])
            print(f"- {label}, C {c}: AP {ap:.3f}, gain {d:+.3f}, 95 % interval resampling train councils {lo:+.3f} to {hi:+.3f}")

if __name__ == "__main__":
    arg = lambda flag, default: Path(sys.argv[sys.argv.index(flag) + 1]) if flag in sys.argv else default  # noqa: E731
    main(arg("--cache", Path("/tmp/practice_layers.npz")), arg("--names", Path("/tmp/practice_names.pkl")))
