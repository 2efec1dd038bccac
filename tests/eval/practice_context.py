"""Does the text around a sentence (its neighbours, its passage, its report section) tell a practice from a proposal, a
question or someone else's act better than the sentence alone? (docs/practices.md, "Seventh round: the sentence's
context"). Train split only, on practice_cv's bench (the trainer's grouped folds, the cue-sampled train rows judged,
headings and resolutions vetoed, the whole pass's naming); the held-out split is never scored, nor its sources read.

Where a labelled sentence stands: its index in its source's sentence order as graph/shared_text.py cuts it, in the first
splitting that holds it (a PDF: pypdf's page text as given, else with the page furniture dropped; a text file: without
Markdown's emphasis marks, else with them; markup: its one splitting), matched by the row's SHA-1 or text, else by the
first sentence that contains the row's text. A row not found gets no context (zero vectors, the window its own vector);
the script prints how many. Held-out rows get the same (their sources are not read): they are never fitted or scored here.

The context blocks, defined before any score was seen (each beside the shipped form's vector and 28 structure features):
  (a) prev: the vector of the sentence before (zeros at the source's start);
  (b) next: the vector of the sentence after (zeros at its end);
  (c) window: the unit-length mean of the vectors of the sentences i-2 .. i+2 of the splitting (the sentence included):
      a stand-in for the debate point's passage vector, which ingest computes anyway;
  (d) diff: the sentence's vector minus the window's, what the sentence says that its passage does not;
  (e) heading (Ofsted reports only, zeros elsewhere): the vector of the nearest preceding section heading of the report's
      template (`HEADING`: what needs to improve, the experiences and progress of ...: grade, the impact of leaders ...:
      grade, headline findings, what the authority is doing well, areas for improvement), found in the first splitting's
      sentences where pypdf glues it to the sentence before;
  (f) neighbour structure: the 28 structure features of the sentence before and of the one after (zeros where none):
      whether a member's question or a report's request precedes, whether the next sentence is the council acting.
Variants: shipped (vector + features), + each of (a) .. (f), + (a)(b), + (c)(d), + all six; every one over the bench's
grid of C. Refolds (six other assignments of councils to folds, each at its best C) for every variant whose best average
precision or recall at precision >= 0.9 exceeds the shipped form's; when none does, for the best by average precision.

Added after the first results (every 384-wide block lowered average precision, the heading's most, so the question
became whether the context helps when it costs few dimensions), each beside the shipped form's inputs:
  (g) section: the heading of (e) as one of four kinds (what needs to improve or areas for improvement; headline findings
      or what the authority does well; the experiences and progress of ...; the impact of leaders ...), 0/1 each;
  (h) similarity: the cosine of the sentence's vector with the sentence before, the one after and the window (0 where none).
The script also prints the share of practices among the cue-sampled train rows under each kind of heading.
Added after those (the window is only a stand-in, so the point itself, where the pipeline gives one):
  (i) point: the vector of the passage ingest would embed for the debate point that holds the sentence (the source read
      and segmented as ingest does, corpus.readers.read and corpus.segment.segment; the point's passage as
      embed.passages.split cuts it, the one holding the sentence); where the source is not read as minutes or no point
      holds the sentence, the window (c). The script prints how many rows got a point (ingest reads Ofsted reports too).

Run: `.venv/bin/python tests/eval/practice_context.py [--cache /tmp/practice_context.npz] [--names /tmp/practice_context_names.pkl]`
(reads ../shared for the text; the caches hold text-derived vectors: keep them out of the repo, delete them after)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from councilkg.embed import train_practices as tp
from councilkg.graph import shared_text
from councilkg.graph.practice_features import NAMES, matrix
from councilkg.graph.shared_text import sha1

sys.path.insert(0, str(Path(__file__).parent))
from practice_cv import CS, best_by_ap, cached, compare, labelled, refolds, unit  # noqa: E402

HEADING = re.compile(r"What needs to improve[^?]{0,60}\?|(?:The experiences and progress of|The impact of leaders on) [^:]{3,90}: "
                     r"\w+|Headline findings|What is the local authority doing well\??|Areas for improvement")
SHIPPED = "shipped: vector + features"
KINDS = {"improve": ("What needs", "Areas for"), "well": ("Headline", "What is"), "experiences": ("The experiences",),
         "leaders": ("The impact",)}


def locate(row: dict, cuts: list[list[str]]) -> tuple[int, int] | None:
    """(splitting, index) of a labelled row's sentence: by SHA-1 or text, else the first sentence containing the text."""
    for k, sents in enumerate(cuts):
        for i, s in enumerate(sents):
            if s == row["text"] or (row.get("sha1") and sha1(s) == row["sha1"]):
                return k, i
    for k, sents in enumerate(cuts):
        for i, s in enumerate(sents):
            if row["text"] in s:
                return k, i
    return None


def headings(sents: list[str]) -> list[str]:
    """Per sentence, the nearest section heading before it ('' before the first); a heading glued to the end of a sentence
    starts the next one's section, one at a sentence's start its own."""
    out, current = [], ""
    for s in sents:
        found = list(HEADING.finditer(s))
        if found and found[0].start() == 0:
            current = found[0].group(0)
        out.append(current)
        if found:
            current = found[-1].group(0)
    return out


def point_passages(p: Path) -> list[str]:
    """The passages ingest would embed for a source's debate points (none when it is not read as minutes)."""
    from councilkg.corpus.discover import discover
    from councilkg.corpus.model import InputError
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment
    from councilkg.embed.encoder import get_encoder
    from councilkg.embed.passages import split

    src = next(discover([str(p)]))
    try:
        doc = segment(read(src))
    except InputError:  # NotMinutes is one
        return []
    return [x for item in doc.items for pt in item.points for x in split(pt.text, item.title, get_encoder)]


def squash(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def context(data: list[dict], V: np.ndarray, cache: Path) -> dict[str, np.ndarray]:
    """The context blocks of every train row (zeros for held-out rows and rows not found); prints counts of what was found."""
    where: dict[int, tuple[list[str], int, str]] = {}
    found = {"first splitting": 0, "second splitting": 0, "not found": 0}
    by_source: dict[str, list[int]] = {}
    for n, r in enumerate(data):
        if r["split"] == "train":
            by_source.setdefault(r["source"], []).append(n)
    point: dict[int, str] = {}
    for source, ns in by_source.items():
        cuts = shared_text.splittings(shared_text.path(source))
        passages = [(squash(x), x) for x in point_passages(shared_text.path(source))]
        for n in ns:
            key = squash(data[n]["text"])
            hit = next((x for k, x in passages if key and key in k), None)
            if hit:
                point[n] = hit
        heads = headings(cuts[0]) if source.startswith("ofsted/") else None
        for n in ns:
            at = locate(data[n], cuts)
            if at is None:
                found["not found"] += 1
                continue
            k, i = at
            found["second splitting" if k else "first splitting"] += 1
            head = heads[i] if heads is not None and k == 0 else ""
            where[n] = (cuts[k], i, head)
    print("train rows located in their source's sentence order:", ", ".join(f"{k} {v}" for k, v in found.items()))
    print("train rows in a debate point as ingest cuts them:", ", ".join(
        f"{kind} {sum(1 for n in point if data[n]['source'].startswith(kind))} of "
        f"{sum(len(v) for k, v in by_source.items() if k.startswith(kind))}" for kind in sorted({k.split('/')[0] for k in by_source})))
    print("Ofsted train rows under a heading:", sum(1 for n, w in where.items() if w[2]), "of",
          sum(1 for n in where if data[n]["source"].startswith("ofsted/")))
    texts = sorted({t for sents, i, head in where.values() for t in sents[max(0, i - 2):i + 3] + ([head] if head else [])}
                   | set(point.values()))

    def compute():
        from councilkg.embed.encoder import get_encoder

        return {"vectors": get_encoder().encode(texts).astype(np.float32)}

    vec = dict(zip(texts, cached(cache, texts, compute)["vectors"]))
    zero, zf = np.zeros(V.shape[1], np.float32), np.zeros(len(NAMES), np.float32)
    out = {k: np.zeros((len(data), V.shape[1]), np.float32) for k in ("prev", "next", "window", "diff", "heading", "point")}
    out["structure"] = np.zeros((len(data), 2 * len(zf)), np.float32)
    out["section"], out["similarity"] = np.zeros((len(data), len(KINDS)), np.float32), np.zeros((len(data), 3), np.float32)
    for n in range(len(data)):
        if n not in where:
            out["window"][n] = out["point"][n] = V[n]
            continue
        sents, i, head = where[n]
        before, after = (sents[i - 1] if i else None), (sents[i + 1] if i + 1 < len(sents) else None)
        out["prev"][n] = vec[before] if before else zero
        out["next"][n] = vec[after] if after else zero
        out["window"][n] = unit(np.mean([vec[t] for t in sents[max(0, i - 2):i + 3]], axis=0)[None])[0]
        out["diff"][n] = V[n] - out["window"][n]
        out["heading"][n] = vec[head] if head else zero
        out["point"][n] = vec[point[n]] if n in point else out["window"][n]
        out["structure"][n] = np.concatenate([matrix([before])[0] if before else zf, matrix([after])[0] if after else zf])
        out["section"][n] = [head.startswith(starts) for starts in KINDS.values()]
        out["similarity"][n] = [V[n] @ out[k][n] for k in ("prev", "next", "window")]
    return out


def main(cache: Path, names: Path) -> None:
    data, bench, V, F = labelled(names)
    X = context(data, V, cache)
    y, judged = bench.y, bench.judged
    print("practices / cue-sampled train rows under each kind of heading:", ", ".join(
        f"{k} {int(y[judged][X['section'][judged, j] == 1].sum())} / {int((X['section'][judged, j] == 1).sum())}"
        for j, k in enumerate(KINDS)), f"(all: {int(y[judged].sum())} / {len(judged)})")
    base = np.hstack([V, F])
    blocks = {"(a) prev": ["prev"], "(b) next": ["next"], "(c) window": ["window"], "(d) diff": ["diff"],
              "(e) heading": ["heading"], "(f) neighbour structure": ["structure"], "(a)(b) prev + next": ["prev", "next"],
              "(c)(d) window + diff": ["window", "diff"], "all six": ["prev", "next", "window", "diff", "heading", "structure"],
              "(g) section (added)": ["section"], "(h) similarity (added)": ["similarity"],
              "(g)(h) section + similarity (added)": ["section", "similarity"], "(i) point (added)": ["point"]}
    mats = {SHIPPED: base, **{f"+ {k}": np.hstack([base] + [X[b] for b in v]) for k, v in blocks.items()}}
    runs = {label: (lambda c, M=M: bench.oof(M, c), CS) for label, M in mats.items()}
    cells = compare(bench, runs, CS, SHIPPED)
    best = best_by_ap(cells)
    top_recall = {lab: max(x[3] for x in cells if x[0] == lab) for lab in mats}
    ship = next(x for x in cells if x[0] == SHIPPED and x[1] == tp.C)
    better = [lab for lab in mats if lab != SHIPPED and (best[lab][2] > ship[2] or top_recall[lab] > ship[3])]
    chosen = better or [max((lab for lab in mats if lab != SHIPPED), key=lambda lab: best[lab][2])]
    refolds(bench, {k: mats[k] for k in (SHIPPED, *chosen)}, (SHIPPED, *chosen), cs={k: best[k][1] for k in chosen})


if __name__ == "__main__":
    arg = lambda flag, default: Path(sys.argv[sys.argv.index(flag) + 1]) if flag in sys.argv else default  # noqa: E731
    main(arg("--cache", Path("/tmp/practice_context.npz")), arg("--names", Path("/tmp/practice_context_names.pkl")))
