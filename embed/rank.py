"""Hybrid ranking: fuse the vector and BM25 candidate lists, plus the query terms used to explain and highlight a hit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from councilkg.embed.index import stemmer, tokenize

RRF_K = 60
# Weighted fusion, tuned on tests/eval/queries.json (see embed/evaluate.py and the README table).
ALPHA = 0.3  # share of the cosine; the rest is the BM25 score squashed to 0..1 (see `weighted`)
THEME_BOOST = 0.15  # added per unit of (query theme score x point theme score) for the best shared theme
CANDIDATES = 100  # per list, at least; more when k is large
_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class Candidates:
    """What each retriever found for one query, over point positions of one generation."""

    vec_pts: np.ndarray  # best first
    vec_scores: np.ndarray
    lex_pts: np.ndarray  # best first
    lex_scores: np.ndarray
    exact_vec: dict[int, float] = field(default_factory=dict)  # cosine of every candidate, when known
    themes: dict[int, dict[str, float]] = field(default_factory=dict)  # candidate -> {theme: score}
    query_themes: dict[str, float] = field(default_factory=dict)
    ids: np.ndarray | None = None  # each position's point id: ties fall by id, as in a from-scratch build of one segment

    def pool(self) -> np.ndarray:
        return np.unique(np.concatenate([self.vec_pts, self.lex_pts]))


Fusion = Callable[[Candidates], tuple[np.ndarray, np.ndarray]]
FUSIONS: dict[str, Fusion] = {}


def fusion(name: str):
    """Register a fusion method under `name` (the evaluation compares them all)."""

    def deco(fn: Fusion) -> Fusion:
        FUSIONS[name] = fn
        return fn

    return deco


def _ordered(scores: dict[int, float], ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    pts = np.array(list(scores), dtype=np.int64)
    sc = np.array([scores[p] for p in pts], dtype=np.float32)
    order = np.lexsort((pts if ids is None else ids[pts], -sc))  # ties broken by point id (else position): stable
    return pts[order], sc[order]


@fusion("vector")
def vector_only(c: Candidates) -> tuple[np.ndarray, np.ndarray]:
    return c.vec_pts, c.vec_scores


@fusion("lexical")
def lexical_only(c: Candidates) -> tuple[np.ndarray, np.ndarray]:
    return c.lex_pts, c.lex_scores


@fusion("rrf")
def reciprocal_rank(c: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal rank fusion (Cormack et al. 2009): robust, needs no score calibration."""
    scores: dict[int, float] = {}
    for pts in (c.vec_pts, c.lex_pts):
        for rank, p in enumerate(pts.tolist()):
            scores[p] = scores.get(p, 0.0) + 1.0 / (RRF_K + rank + 1)
    return _ordered(scores, c.ids)


def _theme_bonus(c: Candidates, p: int) -> float:
    mine = c.themes.get(p, {})
    return max((q * mine[t] for t, q in c.query_themes.items() if t in mine), default=0.0)


@fusion("weighted")
def weighted(c: Candidates, alpha: float | None = None, boost: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Convex mix of cosine and saturated BM25, plus a bonus for a theme the point shares with the query.

    BM25 is squashed as s / (s + median of the pool's positive scores): scale-free per query, yet a lone strong
    lexical match is not inflated to 1 the way min-max would. The cosine is used as is (it is already 0..1 here);
    min-max and z-score normalisations and RRF measured worse on the labelled set (README, `councilkg evaluate`).
    """
    alpha = ALPHA if alpha is None else alpha
    boost = THEME_BOOST if boost is None else boost
    pool = c.pool().tolist()
    if not pool:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    vec = dict(zip(c.vec_pts.tolist(), c.vec_scores.tolist()))
    vec.update(c.exact_vec)
    lex = dict(zip(c.lex_pts.tolist(), c.lex_scores.tolist()))
    v = np.array([vec.get(p, 0.0) for p in pool], dtype=np.float32)
    lx = np.array([lex.get(p, 0.0) for p in pool], dtype=np.float32)
    pos = lx[lx > 0]
    ln = lx / (lx + (float(np.median(pos)) if len(pos) else 1.0))
    fused = alpha * v + (1.0 - alpha) * ln
    if boost:
        fused = fused + boost * np.array([_theme_bonus(c, p) for p in pool], dtype=np.float32)
    return _ordered(dict(zip(pool, fused.tolist())), c.ids)


DEFAULT_FUSION = "weighted"


def signals(c: Candidates, pts) -> list[dict]:
    """Per ranked point, the two retrievers' own scores, so a reader can see why it ranked where it did."""
    vec = dict(zip(c.vec_pts.tolist(), c.vec_scores.tolist())) | c.exact_vec
    lex = dict(zip(c.lex_pts.tolist(), c.lex_scores.tolist()))
    return [{"signals": {"vector": round(vec[p], 4) if p in vec else None, "lexical": round(lex[p], 4) if p in lex else None}}
            for p in pts.tolist()]


# --- query terms --------------------------------------------------------------------------------------------


# Officers' words for a kind of thing and the names its instances go by in minutes, added to the BM25 query only
# (weighted like any query word). Keyed by stem; a small thesaurus, extended when a labelled query shows a gap.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "incent": ("golden hello", "retention payment", "market supplement", "relocation package"),
    "locum": ("agency", "interim"),
    "caseload": ("case load", "case loads"),
}


def expand(query: str) -> str:
    """The query plus the instance names of any kind it names ("incentives" -> "golden hello" ...), for BM25."""
    extra = [w for s in query_stems(query) for w in EXPANSIONS.get(s, ())]
    return " ".join([query, *extra])


def query_stems(text: str) -> list[str]:
    """The stems BM25 matches for a query (stop words dropped), in order, once each."""
    return list(dict.fromkeys(tokenize([text])[0]))


def distinctive_terms(text: str, idx, n: int = 24) -> list[tuple[str, str]]:
    """A long example text's most telling (surface word, stem) pairs: frequent in it, rare in the corpus (tf x idf).

    `idx` is a generation's indexes (index.Indexes or milvus_index.MilvusIndexes): only its `doc_freq` is used."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words or idx is None:
        return []
    uniq = list(dict.fromkeys(words))
    stems = tokenize(uniq)  # one list per word: empty for stop words
    surface: dict[str, str] = {}
    for w, s in zip(uniq, stems):
        if s:
            surface.setdefault(s[0], w)
    stem_of = {w: s[0] for w, s in zip(uniq, stems) if s}
    tf: dict[str, int] = {}
    for w in words:
        if w in stem_of:
            tf[stem_of[w]] = tf.get(stem_of[w], 0) + 1
    n_docs, dfs = idx.doc_freq(list(tf))
    weight = {}
    for s, f in tf.items():
        if df := dfs.get(s):
            weight[s] = (1.0 + np.log(f)) * np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)
    best = sorted(weight, key=lambda s: (-weight[s], s))[:n]
    return [(surface[s], s) for s in best]


def highlight(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose stem is one of the query's stems."""
    if not stems:
        return []
    matches = list(_WORD.finditer(text))
    stemmed = stemmer().stemWords([m.group(0).lower() for m in matches])
    return [(m.start(), m.end()) for m, s in zip(matches, stemmed) if s in stems]
