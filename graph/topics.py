"""Emerging topics: clusters of similar debate points across councils, flagged where no theme covers them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from councilkg.corpus.model import stable_id

MIN_SIM = 0.50  # neighbours less similar than this are not linked: unrelated points stay apart
RESOLUTION = 2.0  # louvain resolution: above 1 favours the smaller, sharper clusters a reader can name
COVERED_SHARE = 0.5  # a cluster is covered when at least this share of its points has a theme
THEME_SIM = 0.45  # ... and its centroid is at least this close to some theme
EXACT_LIMIT = 20_000  # above this many points the neighbour search uses faiss
STOP = frozenset("""a about above after again all also an and any are as at be been before being below between both
but by can could did do does during each few for from further had has have having he her here hers him his how i if in
into is it its itself just may me might more most must my no nor not now of off on once only or other our out over own
per said same she should so some such than that the their them then there these they this those through to too under
until up upon very was we were what when where which while who whom why will with would you your noted note report
reports member members council councils committee cabinet meeting item it's that's whether within without across
further however also update updates question questions response asked explained said stated confirmed cllr
councillor councillors mrs miss chairman chair""".split())
WORD = re.compile(r"[a-z][a-z'’-]{2,}")
# The word after an honorific is a person's name ("Mr Gough responded"): who spoke is not what a topic is about.
NAMED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Cllr|Councillor|Sir|Dame|Lord|Lady)\.?\s+([A-Z][\w'’-]+)")


@dataclass
class Topic:
    id: str
    label: str
    terms: list[str]
    point_ids: list[str]  # nearest the cluster's centre first
    councils: list[str]
    size: int
    covered_share: float  # share of its points that have a theme
    theme_similarity: float | None  # cosine of its centroid to the nearest theme, if theme vectors were given
    nearest_theme: str | None
    uncovered: bool  # no theme covers it: an emerging topic
    themes: dict[str, int] = field(default_factory=dict)  # theme id -> points carrying it


def neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest other points of each point by cosine (vectors are L2-normalised): (indices, similarities)."""
    n = len(vectors)
    k = min(k, n - 1)
    if n > EXACT_LIMIT:
        import faiss  # only for large corpora: exact search in numpy is fine below

        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        sims, idx = index.search(np.ascontiguousarray(vectors, dtype=np.float32), k + 1)
        return idx[:, 1:], sims[:, 1:]
    idx = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, 2048):  # blocks keep the similarity matrix small
        block = vectors[start:start + 2048] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(block, part, axis=1), axis=1)
        idx[start:start + len(rows)] = np.take_along_axis(part, order, axis=1)
        sims[start:start + len(rows)] = np.take_along_axis(block, idx[start:start + len(rows)], axis=1)
    return idx, sims


def _terms(text: str) -> set[str]:
    names = {n.lower() for n in NAMED.findall(text)}
    words = [re.sub(r"['’]s$", "", w.strip("'’-")) for w in WORD.findall(text.lower())]  # "council's" is "council"
    words = [w for w in words if w not in STOP and w not in names and len(w) > 2]
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def label_terms(cluster_texts: list[str], df: Counter, n_docs: int, top: int = 5) -> list[str]:
    """The cluster's most distinctive words and word pairs: frequent in the cluster, rare elsewhere."""
    tf = Counter(t for text in cluster_texts for t in _terms(text))
    min_count = 2 if len(cluster_texts) >= 3 else 1
    scored = sorted(((c / len(cluster_texts)) * math.log(n_docs / df[t]), t.count(" "), t)  # ties: the word pair
                    for t, c in tf.items() if c >= min_count)
    out: list[str] = []
    for _, _, t in reversed(scored):
        if any(t in o or o in t for o in out):  # "golden hello" makes "golden" redundant
            continue
        out.append(t)
        if len(out) == top:
            break
    return out


def discover(vectors: np.ndarray, point_ids: list[str], councils: list[str | None],
             assigned_themes: list[list[str]], texts: list[str], k: int = 10, min_size: int = 3,
             documents: list[str] | None = None, theme_vectors: np.ndarray | None = None,
             theme_ids: list[str] | None = None, seed: int = 0, resolution: float = RESOLUTION) -> list[Topic]:
    """Community detection on a k-nearest-neighbour graph of points; clusters that span councils, largest first."""
    import networkx as nx

    n = len(point_ids)
    if n < max(2 * min_size, 3):
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    idx, sims = neighbours(vectors, k)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(n):
        for j, s in zip(idx[i].tolist(), sims[i].tolist()):
            if s >= MIN_SIM:
                g.add_edge(i, j, weight=float(s))
    communities = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    known = {c for c in councils if c}
    spans = documents if documents is not None and len(known) < 3 else councils
    df = Counter(t for text in texts for t in _terms(text))
    topics = []
    for members in communities:
        members = sorted(members)
        span = {spans[m] for m in members if spans[m]}
        if len(members) < min_size or len(span) < 2:
            continue
        theme_counts = Counter(t for m in members for t in assigned_themes[m])
        covered = sum(1 for m in members if assigned_themes[m]) / len(members)
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) + 1e-9
        nearest, tsim = None, None
        if theme_vectors is not None and len(theme_vectors):
            ts = np.asarray(theme_vectors, dtype=np.float32) @ centroid
            tsim = float(ts.max())
            nearest = theme_ids[int(ts.argmax())] if theme_ids else None
        terms = label_terms([texts[m] for m in members], df, n)
        typical = np.argsort(-(vectors[members] @ centroid), kind="stable").tolist()
        ids = [point_ids[members[i]] for i in typical]  # most typical first: the points a reader should see first
        topics.append(Topic(
            id=stable_id("topic", *sorted(ids)), label=", ".join(terms[:3]) or "(no distinctive terms)", terms=terms,
            point_ids=ids, councils=sorted({councils[m] for m in members if councils[m]}), size=len(members),
            covered_share=round(covered, 3), theme_similarity=None if tsim is None else round(tsim, 3),
            nearest_theme=nearest, uncovered=covered < COVERED_SHARE or (tsim is not None and tsim < THEME_SIM),
            themes=dict(theme_counts.most_common()),
        ))
    topics.sort(key=lambda t: (-t.size, t.id))
    return topics
