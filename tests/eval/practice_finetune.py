"""Would a fine-tuned encoder reach the practice goal? (docs/practices.md, "Ninth round"): a ceiling outside the issue's
constraints, for the record. MiniLM fine-tuned as a sentence classifier (its top layers, mean pooling and a linear head) on
each fold's training rows, scored on the held-out fold's judged rows, against the shipped form's out-of-fold scores on the same
folds and rows (practice_cv's bench). Train split only; the held-out split is never read. No weights are written anywhere.

Run: `.venv/bin/python tests/eval/practice_finetune.py [--names /tmp/practice_names.pkl] [--out /tmp/practice_finetune.npz]
[--folds N] [--setting a|b]` (reads ../shared for the text; --out, by default /tmp/practice_finetune_SETTING.npz, keeps each
finished fold's scores, so a rerun resumes)."""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp
from councilkg.graph.practice_features import matrix

sys.path.insert(0, str(Path(__file__).parent))
from practice_cv import Bench, gain  # noqa: E402

# a: chosen before any fold was scored, when full fine-tuning measured ~8 s a step of 16 on the loaded shared cores (~50 min
# a fold): only the top 2 layers fine-tuned, on the states the frozen lower layers give (computed once). b: chosen after a
# ran, because the load had fallen (a fold of a took 30 s, not 200): all 6 layers (the embedding layer frozen), the rest
# as a. No other setting was tried.
SETTINGS = {"a": dict(epochs=2, top=2), "b": dict(epochs=2, top=6)}
LR, HEAD_LR, DECAY, WARMUP, BATCH, MAX_LENGTH, DROPOUT, SEED, THREADS = 3e-5, 1e-3, 0.01, 0.1, 16, 96, 0.1, 0, 2


def lower_states(base, tok, texts: list[str], top: int) -> list:
    """Each text's token states after the frozen lower layers (the input of the top `top` layers), unpadded."""
    import torch

    start = base.config.num_hidden_layers - top
    out = [None] * len(texts)
    order = np.argsort([len(t) for t in texts])
    with torch.inference_mode():
        for a in range(0, len(order), 32):
            idx = order[a:a + 32]
            enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            h = base(**enc, output_hidden_states=True).hidden_states[start]
            for j, i in enumerate(idx):
                out[i] = h[j, :int(enc["attention_mask"][j].sum())].clone()
    return out


def classifier(base, top: int):
    """A fresh copy of the encoder's top `top` layers with mean pooling and a two-way linear head."""
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = copy.deepcopy(base.encoder.layer[base.config.num_hidden_layers - top:])
            self.drop = torch.nn.Dropout(DROPOUT)
            self.head = torch.nn.Linear(base.config.hidden_size, 2)

        def forward(self, states: list):
            h = torch.nn.utils.rnn.pad_sequence(states, batch_first=True)
            m = torch.zeros(h.shape[:2])
            for j, s in enumerate(states):
                m[j, :len(s)] = 1.0
            mask = (1.0 - m[:, None, None, :]) * torch.finfo(torch.float32).min  # the encoder's own additive mask
            for layer in self.layers:
                h = layer(h, attention_mask=mask)
            m = m.unsqueeze(-1)
            return self.head(self.drop((h * m).sum(1) / m.sum(1)))

    return Classifier()


def batches(rng, lengths: np.ndarray) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length (sorted within windows of 8 batches), so little is padding."""
    order = rng.permutation(len(lengths))
    out = []
    for a in range(0, len(order), 8 * BATCH):
        w = order[a:a + 8 * BATCH]
        w = w[np.argsort(lengths[w], kind="stable")]
        out += [w[b:b + BATCH] for b in range(0, len(w), BATCH)]
    return [out[i] for i in rng.permutation(len(out))]


def fine_tune(base, states: list, y: np.ndarray, epochs: int, top: int):
    """Cross-entropy with balanced class weights, AdamW, linear warm-up and decay: the fold's classifier."""
    import torch

    torch.manual_seed(SEED)
    model = classifier(base, top)
    model.train()
    weight = torch.tensor([len(y) / (2 * (~y).sum()), len(y) / (2 * y.sum())], dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    opt = torch.optim.AdamW([{"params": model.layers.parameters(), "lr": LR}, {"params": model.head.parameters(), "lr": HEAD_LR}],
                            weight_decay=DECAY)
    steps = epochs * -(-len(states) // BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(1, WARMUP * steps), max(0.0, (steps - s) / (steps * (1 - WARMUP)))))
    rng = np.random.default_rng(SEED)
    target = torch.tensor(y.astype(np.int64))
    lengths = np.array([len(s) for s in states])
    for _ in range(epochs):
        for idx in batches(rng, lengths):
            loss = loss_fn(model([states[i] for i in idx]), target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def probabilities(model, states: list, batch: int = 32) -> np.ndarray:
    """P(practice) of each row, in batches of similar length."""
    import torch

    out = np.zeros(len(states))
    order = np.argsort([len(s) for s in states])
    with torch.inference_mode():
        for a in range(0, len(order), batch):
            idx = order[a:a + batch]
            out[idx] = torch.softmax(model([states[i] for i in idx]), -1)[:, 1].numpy()
    return out


def encode_cost(model, base, tok, texts: list[str], top: int) -> tuple[float, float, float]:
    """Milliseconds per sentence: the frozen encoder as ingest calls it; lower_states (a whole frozen forward pass); the
    fine-tuned top layers and head on its states (what a second pass, or a branch of ingest's own pass, would add)."""
    from councilkg.embed.encoder import get_encoder

    enc = get_encoder()
    enc.encode(texts[:32]), probabilities(model, lower_states(base, tok, texts[:32], top))  # warm all
    t0 = time.perf_counter()
    enc.encode(texts)
    t1 = time.perf_counter()
    states = lower_states(base, tok, texts, top)
    t2 = time.perf_counter()
    probabilities(model, states)
    t3 = time.perf_counter()
    return tuple(1000 * d / len(texts) for d in (t1 - t0, t2 - t1, t3 - t2))


def main(names: Path, out: Path, folds: int, setting: str) -> None:
    import torch

    torch.set_num_threads(THREADS)
    data = [r for r in tp.rows() if r["split"] == "train"]
    bench = Bench(data, names)
    shipped = bench.oof(np.hstack([bench.encode(bench.texts), matrix(bench.texts)]), tp.C)
    enc = bench.encode.enc
    base, tok = enc.model[0].auto_model, enc.model.tokenizer
    done = dict(np.load(out)) if out.exists() else {}
    if any(f"fold{k}" not in done for k in range(folds)):
        t = time.perf_counter()
        states = lower_states(base, tok, bench.texts, SETTINGS[setting]["top"])
        print(f"frozen lower layers' states of {len(states)} train rows in {time.perf_counter() - t:.0f} s", flush=True)
    where = {int(i): n for n, i in enumerate(bench.judged)}  # a row's place among the judged rows
    for k, (a, b) in enumerate(bench.folds[:folds]):
        if f"fold{k}" in done:
            continue
        t0 = time.perf_counter()
        ia, ib = bench.idx_tr[a], bench.idx_tr[b]
        model = fine_tune(base, [states[i] for i in ia], bench.y[ia], **SETTINGS[setting])
        t1 = time.perf_counter()
        jb = np.array([i for i in ib if i in where])
        p = probabilities(model, [states[i] for i in jb])
        done[f"fold{k}"] = np.array([where[i] for i in jb])
        done[f"p{k}"], done[f"t{k}"] = p, np.array([t1 - t0, time.perf_counter() - t1, len(ia), len(jb)])
        if k == 0:
            done["cost"] = np.array(encode_cost(model, base, tok, [bench.texts[i] for i in jb[:512]], SETTINGS[setting]["top"]))
        np.savez(out, **done)
        print(f"fold {k}: fine-tuned on {len(ia)} rows in {t1 - t0:.0f} s, scored {len(jb)} judged rows in "
              f"{time.perf_counter() - t1:.0f} s", flush=True)
        del model
    report(bench, shipped, done, setting)


def report(bench: Bench, shipped: np.ndarray, done: dict, setting: str) -> None:
    """The fine-tuned and shipped out-of-fold scores on the judged rows of the folds done, and the gain's interval."""
    ks = sorted(int(k[4:]) for k in done if k.startswith("fold"))
    rows = np.concatenate([done[f"fold{k}"] for k in ks])
    tuned = np.zeros(len(bench.judged))
    for k in ks:
        tuned[done[f"fold{k}"]] = done[f"p{k}"]
    tuned = np.where(bench.closed, 0.0, tuned)
    view = copy.copy(bench)  # the bench restricted to the judged rows of the folds done
    view.judged, view.councils = bench.judged[rows], bench.councils[rows]
    view.closed, view.open_named = bench.closed[rows], bench.open_named[rows]
    y = bench.y[view.judged]
    print(f"\nsetting {setting} {SETTINGS[setting]}; folds done {ks} of {len(bench.folds)}: {len(rows)} judged train rows, "
          f"{int(y.sum())} practices")
    print("| model (train CV, same folds and rows) | average precision | recall at P >= 0.9 (hits / false) |")
    for label, s in ((f"shipped form (vector + features, C {tp.C})", shipped[rows]), ("fine-tuned MiniLM", tuned[rows])):
        ap, r, h, fp = view.score(s)
        print(f"| {label} | {ap:.3f} | " + (f"{r:.2f} ({h} / {fp})" if h else "none") + " |")
    g = gain(view, tuned[rows], shipped[rows])
    print("gain of the fine-tuned over the shipped, 95 % interval resampling train councils 500 times: "
          + "; ".join(f"{k} {d:+.3f} ({lo:+.3f} to {hi:+.3f})" for k, (d, lo, hi) in g.items()))
    for k in ks:
        fit, score, n, m = done[f"t{k}"]
        print(f"fold {k}: fine-tuning {fit:.0f} s on {int(n)} rows ({1000 * fit / n:.0f} ms a row), scoring {score:.1f} s on {int(m)}")
    if "cost" in done:
        frozen, lower, top = done["cost"]
        print(f"ms per sentence: the frozen encoder as ingest calls it {frozen:.2f}; the frozen forward pass that gives the tuned layers "
              f"their input (run whole here) {lower:.2f}; the tuned top {SETTINGS[setting]['top']} layers and head on it {top:.2f}")


if __name__ == "__main__":
    arg = lambda flag, default: sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else default  # noqa: E731
    setting = arg("--setting", "a")
    main(Path(arg("--names", "/tmp/practice_names.pkl")), Path(arg("--out", f"/tmp/practice_finetune_{setting}.npz")),
         int(arg("--folds", tp.FOLDS)), setting)
