"""What more labels buy the practice classifier, on rows that stay fixed: the shipped form (standardised logistic regression,
vector + structure features, headings and resolutions vetoed) fitted out of fold with and without the train rows added
since a commit, scored only on the cue-sampled train rows that existed at that commit (so the yardstick does not move with
the labels), under several assignments of the train councils to the folds. Train split only; held out is never scored.

Run: `.venv/bin/python tests/eval/practice_more.py REV [--until REV2] [--grid] [--names /tmp/practice_names.pkl]` (REV: the
commit before the rows in question were added, REV2 the last one to count, e.g. `964752d^ --until 964752d` for the fourth
round, `d643a5f^ --until d643a5f` for the fifth; --grid: also each C of the bench's grid; reads ../shared for the text)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp

sys.path.insert(0, str(Path(__file__).parent))
from practice_cv import CS, labelled, recall_at  # noqa: E402

SEEDS = 6


def keys_at(rev: str) -> set[tuple[str, str]]:
    """(source, sha1 or text) of the labelled rows the set held at `rev`."""
    old = subprocess.run(["git", "show", f"{rev}:graph/data/practice_sentences.tsv"], capture_output=True, text=True,
                         check=True, cwd=Path(tp.DATA).parents[1]).stdout
    return {(r["source"], r["sha1"] or r["text"]) for r in csv.DictReader(io.StringIO(old), delimiter="\t", quoting=csv.QUOTE_NONE)}


def main(rev: str, names: Path | None, grid: bool = False, until: str | None = None) -> None:
    from sklearn.metrics import average_precision_score

    data, bench, V, F = labelled(names)
    M = np.hstack([V, F])
    key = [(r["source"], r.get("sha1") or r["text"]) for r in data]
    before = keys_at(rev)
    old = np.array([k in before for k in key])
    upto = keys_at(until) if until else None  # rows added after `until` take no part
    is_tr = np.zeros(len(data), bool)
    is_tr[bench.idx_tr] = True
    if upto is not None:
        is_tr &= np.array([k in upto for k in key])
    new_tr = ~old & is_tr
    rng = np.random.default_rng(0)
    half = new_tr & (rng.random(len(data)) < 0.5)
    yard = old[bench.judged]  # the yardstick: judged rows the set held at REV
    y, ok = bench.y[bench.judged][yard], bench.open_named[yard]
    print(f"rows added since {rev}: {int(new_tr.sum())} train ({int(bench.y[new_tr].sum())} practices); yardstick: "
          f"{int(yard.sum())} cue-sampled train rows held at {rev} ({int(y.sum())} practices); C {tp.C}")
    print("| fold seed | without the added rows | with half | with all |")
    table = []
    for seed in range(SEEDS):
        bench.refold(seed)
        cells = []
        for fit_on in (old, old | half, old | new_tr):
            s = bench.oof(M, tp.C, fit_on)[yard]
            cells.append((average_precision_score(y, s), *recall_at(y, ok, s)))
        table.append([c[0] for c in cells])
        print(f"| {seed} | " + " | ".join(f"{ap:.3f}, R {r:.2f} ({h} / {fp})" if h else f"{ap:.3f}, none" for ap, r, h, fp in cells)
              + " |", flush=True)
    t = np.array(table)
    print(f"| mean AP | {t[:, 0].mean():.3f} | {t[:, 1].mean():.3f} | {t[:, 2].mean():.3f} |")
    print(f"gain of all the added rows: {np.mean(t[:, 2] - t[:, 0]):+.3f} AP (per fold seed {np.round(t[:, 2] - t[:, 0], 3).tolist()})")
    if grid:  # more rows may want a weaker penalty: the same at each C of the bench's grid
        print("| C | mean AP without | with all | gain |")
        for c in CS:
            rows = []
            for seed in range(SEEDS):
                bench.refold(seed)
                rows.append([average_precision_score(y, bench.oof(M, c, fit_on)[yard]) for fit_on in (old, is_tr)])
            t = np.array(rows)
            print(f"| {c} | {t[:, 0].mean():.3f} | {t[:, 1].mean():.3f} | {np.mean(t[:, 1] - t[:, 0]):+.3f} |", flush=True)


if __name__ == "__main__":
    arg = lambda name: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None  # noqa: E731
    main(sys.argv[1], Path(arg("--names")) if arg("--names") else None, "--grid" in sys.argv, arg("--until"))
