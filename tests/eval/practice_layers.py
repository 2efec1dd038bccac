"""Do the intermediate layers of MiniLM's forward pass read what a sentence asserts better than the pooled last layer?
(docs/practices.md, "Fifth round: layers of the same forward pass"). Train split only, on practice_cv's bench: the trainer's grouped folds and
scoring (average precision of out-of-fold scores on the cue-sampled train rows; recall at the best threshold with
precision >= 0.9 and >= 10 hits, through the whole pass); the held-out split is never scored here.

Run: `.venv/bin/python tests/eval/practice_layers.py [--cache /tmp/practice_layers.npz] [--names /tmp/practice_names.pkl]`
(reads ../shared for the text; the caches hold text-derived vectors: keep them out of the repo)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp
from councilkg.graph.practice_features import matrix

sys.path.insert(0, str(Path(__file__).parent))
from practice_cv import CS, Bench, cached, compare, refolds, unit  # noqa: E402
LAYERS = 7  # the embedding output and the six transformer layers' outputs of MiniLM-L6
ATTENTION_LAYER = 5  # the learned pooling's layer: the best layer mean by the same cross-validation
SHIPPED = "shipped: pooled last layer (= layer 6 mean) + features"
ALPHAS, ATTENTION_CS = (10.0, 1.0), (0.0005, 0.001)  # the learned pooling's grid (each fit ~10 s a fold)


def forward(texts: list[str]):
    """The encoder's own forward pass, batch by batch: every layer's token states and the attention mask."""
    import torch

    from councilkg.embed.encoder import BATCH_SIZE, get_encoder

    enc = get_encoder()
    st, tok = enc.model, enc.model.tokenizer
    with torch.inference_mode():
        for a in range(0, len(texts), BATCH_SIZE):
            batch = tok(texts[a:a + BATCH_SIZE], padding=True, truncation=True, max_length=enc.max_tokens, return_tensors="pt")
            yield st[0].auto_model(**batch, output_hidden_states=True).hidden_states, batch["attention_mask"]


def hidden(texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    """Per sentence, from one forward pass: each layer's mean over its tokens, the last layer's max, and the pooled vector."""
    import torch

    from councilkg.embed.encoder import get_encoder

    def compute():
        means, maxes = [], []
        for states, mask in forward(texts):
            m = mask.unsqueeze(-1).float()
            hs = torch.stack(states, 1)  # batch, layer, token, dim
            means.append(((hs * m.unsqueeze(1)).sum(2) / m.sum(1).unsqueeze(1)).numpy())
            maxes.append(states[-1].masked_fill(m == 0, -1e4).max(1).values.numpy())
        mean = np.concatenate(means)
        pooled = mean[:, -1] / np.linalg.norm(mean[:, -1], axis=1, keepdims=True)
        check = get_encoder().encode(texts[:64])
        assert np.allclose(pooled[:64], check, atol=1e-4), "the last layer's mean is not the encoder's sentence vector"
        return {"mean": mean.astype(np.float32), "max": np.concatenate(maxes).astype(np.float32), "pooled": pooled.astype(np.float32)}

    return cached(cache, texts, compute)


def tokens(texts: list[str], layer: int, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """One layer's token states of every sentence (ragged: rows of all tokens, and each sentence's token offsets)."""

    def compute():
        states, lengths = [], []
        for hs, mask in forward(texts):
            for h, m in zip(hs[layer], mask.bool()):
                states.append(h[m].numpy().astype(np.float16))
                lengths.append(int(m.sum()))
        return {"states": np.concatenate(states), "offsets": np.concatenate([[0], np.cumsum(lengths)])}

    z = cached(cache, texts, compute)
    return z["states"], z["offsets"]


def attention_oof(bench: "Bench", states: np.ndarray, offsets: np.ndarray, F: np.ndarray, C: float, alpha: float) -> np.ndarray:
    """Out-of-fold scores of a learned pooling: softmax(u . h_t) over one layer's tokens, the pooled state (unit length) and the structure
    features standardised, one logistic output; u, w and the bias fitted jointly on each fold's training rows (L-BFGS),
    the objective the regression's (C times the balanced log loss, plus half the squared weights) plus alpha/2 |u|^2.
    u starts at zero: mean pooling, the layer's mean variant."""
    import torch

    out = np.zeros(len(bench.y))
    for a, b in bench.folds:
        ia, ib = bench.idx_tr[a], bench.idx_tr[b]
        fit = _attention_fit(states, offsets, F, ia, bench.y[ia], C, alpha)
        with torch.no_grad():
            out[ib] = torch.sigmoid(fit(ib)).numpy()
    return np.where(bench.closed, 0.0, out[bench.judged])


def _attention_fit(states, offsets, F, rows, y, C, alpha):
    import torch

    def ragged(idx):
        spans = [np.arange(offsets[i], offsets[i + 1]) for i in idx]
        seg = torch.from_numpy(np.concatenate([np.full(len(s), n) for n, s in enumerate(spans)]))
        return torch.from_numpy(states[np.concatenate(spans)].astype(np.float32)), seg, len(idx)

    def pool(H, seg, n, u):
        s = H @ u
        top = torch.full((n,), -1e9).scatter_reduce(0, seg, s, "amax")
        e = torch.exp(s - top[seg])
        att = e / torch.zeros(n).index_add(0, seg, e)[seg]
        p = torch.zeros(n, H.shape[1]).index_add(0, seg, att[:, None] * H)
        return p / p.norm(dim=1, keepdim=True)  # unit length, as the layer's mean variant

    H, seg, n = ragged(rows)
    mean = pool(H, seg, n, torch.zeros(H.shape[1]))
    mu, sd = mean.mean(0), mean.std(0).clamp_min(1e-6)
    Ft = torch.from_numpy(F.astype(np.float32))
    fmu, fsd = Ft[rows].mean(0), Ft[rows].std(0)
    fsd[fsd == 0] = 1.0
    yt = torch.from_numpy(y.astype(np.float32))
    sw = torch.where(yt > 0, len(y) / (2 * yt.sum()), len(y) / (2 * (len(y) - yt.sum())))
    u = torch.zeros(H.shape[1], requires_grad=True)
    w = torch.zeros(H.shape[1] + F.shape[1], requires_grad=True)
    b0 = torch.zeros(1, requires_grad=True)

    def logit(H, seg, n, idx):
        X = torch.cat([(pool(H, seg, n, u) - mu) / sd, (Ft[idx] - fmu) / fsd], 1)
        return X @ w + b0

    opt = torch.optim.LBFGS([u, w, b0], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        z = logit(H, seg, n, rows)
        loss = C * (sw * torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="none")).sum() \
            + 0.5 * (w @ w) + 0.5 * alpha * (u @ u)
        loss.backward()
        return loss

    opt.step(closure)

    def score(idx):
        return logit(*ragged(idx), idx)

    return score


def variants(z: dict[str, np.ndarray], F: np.ndarray) -> dict[str, np.ndarray]:
    """Feature matrices to compare, each with the 28 structure features as shipped."""
    mean = z["mean"]
    out = {SHIPPED: np.hstack([z["pooled"], F])}
    for k in range(LAYERS - 1):  # the last layer's mean is the shipped form's vector
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
    states, offsets = tokens(texts, ATTENTION_LAYER, cache.with_name(cache.stem + f"_tokens{ATTENTION_LAYER}.npz"))
    runs = {label: (lambda c, M=M: bench.oof(M, c), CS) for label, M in variants(z, F).items()}
    for alpha in ALPHAS:
        runs[f"learned attention over layer {ATTENTION_LAYER}'s tokens, alpha {alpha} + features"] = (
            lambda c, alpha=alpha: attention_oof(bench, states, offsets, F, c, alpha), ATTENTION_CS)
    compare(bench, runs, CS, SHIPPED)
    refolds(bench, variants(z, F), (SHIPPED, "layer 5 mean + features", "layer 3 mean + pooled + features"))


if __name__ == "__main__":
    arg = lambda flag, default: Path(sys.argv[sys.argv.index(flag) + 1]) if flag in sys.argv else default  # noqa: E731
    main(arg("--cache", Path("/tmp/practice_layers.npz")), arg("--names", Path("/tmp/practice_names.pkl")))
