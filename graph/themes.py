"""Themes: the SKOS scheme shipped in data/themes.ttl, and assigning themes to text from keyword and embedding evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

THEMES_TTL = Path(__file__).resolve().parent / "data" / "themes.ttl"
THEME_BASE = "https://w3id.org/councilkg/id/theme/"

# Tuned on the seeds and the Kent items (see tests/test_themes.py for the figures they give).
KW_ALT, KW_HIDDEN = 0.6, 0.35  # evidence weight of one matched alt label / hidden label
SIM_LO, SIM_HI = 0.20, 0.60  # cosine mapped linearly onto 0..1 between these
SIM_FLOOR = 0.25  # keywords never assign a theme to a text that is not about it
SIM_ALONE = 0.56  # without keywords, the text must be this close to the theme, and closest to it of all
MIN_SCORE = 0.70  # combined score needed to assign
KW_ONLY = 0.80  # without vectors: two alternative labels, or one and two hidden ones
AGG_POINTS, AGG_SCORE = 2, 0.80  # an item takes a theme from two of its points, or one strong one
MAX_THEMES = 4  # per text: the strongest few, so a point says what it is mainly about


_LOG_MISS = {w: float(np.log1p(-w)) for w in (KW_ALT, KW_HIDDEN)}


class ThemeError(Exception):
    """The theme scheme is missing or malformed."""


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    alt_labels: tuple[str, ...]
    definition: str
    keywords: tuple[str, ...]  # skos:hiddenLabel: keyword evidence that is not a name for the theme
    broader: str | None = None  # None: a top concept, never assigned itself

    @property
    def uri(self) -> str:
        return THEME_BASE + self.id


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Theme, ...]:
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF, SKOS

    try:
        g = Graph().parse(path, format="turtle")
    except Exception as e:  # noqa: BLE001 - a parse error of any kind is one message
        raise ThemeError(f"{path}: cannot read the theme scheme: {e}") from e
    ckg_theme = URIRef("https://w3id.org/councilkg/ns#Theme")

    def short(uri) -> str:
        return str(uri)[len(THEME_BASE):]

    themes = []
    for s in sorted(g.subjects(RDF.type, ckg_theme)):
        label = g.value(s, SKOS.prefLabel)
        if label is None or not str(s).startswith(THEME_BASE):
            raise ThemeError(f"{path}: theme {s} has no skos:prefLabel or is outside {THEME_BASE}")
        broader = g.value(s, SKOS.broader)
        themes.append(Theme(
            id=short(s), label=str(label),
            alt_labels=tuple(sorted(str(o) for o in g.objects(s, SKOS.altLabel))),
            definition=str(g.value(s, SKOS.definition) or ""),
            keywords=tuple(sorted(str(o) for o in g.objects(s, SKOS.hiddenLabel))),
            broader=short(broader) if broader is not None else None,
        ))
    if not themes:
        raise ThemeError(f"{path}: no ckg:Theme in the scheme")
    return tuple(themes)


def load_scheme(path: str | Path = THEMES_TTL, include_top: bool = False) -> list[Theme]:
    """The themes of the scheme (parsed once, on first use, so importing this module stays cheap)."""
    themes = _load(str(path))
    return [t for t in themes if include_top or t.broader is not None]


def theme_texts(scheme: list[Theme] | None = None) -> list[str]:
    """What to embed for each theme: its label, definition and alternative labels, in scheme order."""
    scheme = scheme if scheme is not None else load_scheme()
    return [f"{t.label}. {t.definition} Also: {', '.join(t.alt_labels)}." for t in scheme]


SEP = "\x1e"  # joins texts into one string to scan; no label can contain it


def _norm(text: str, fold: bool) -> str:
    """One spelling for matching: curly quotes straight, hyphens and runs of space as one space."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(" {2,}", " ", re.sub(r"[\t\n\r\f\v\-\u2010-\u2014]", " ", text))
    return text.lower() if fold else text


# Job titles and directorate names ("Cabinet Member for Adult Social Care and Public Health", "Children, Young
# People and Education Directorate") name a theme without being about it, so keywords skip them.
_TITLE_CASE = r"(?:[A-Z][\w'’]*|and|&)(?:,? (?:[A-Z][\w'’]*|and|&)){0,8}"  # bounded: name lists run long
_TITLES = re.compile(
    r"\b(?:Member|Director|Head|Manager|Officer|Lead|Chair|Leader|Minister|Secretary|Team|Department) (?:for|of|in) "
    + _TITLE_CASE
)
_UNITS = re.compile(_TITLE_CASE + r" (?:Directorate|Division)\b")


def _strip_titles(text: str) -> str:
    text = _TITLES.sub(" ", text)
    if "Directorate" in text or "Division" in text:  # the scan from every capital is costly: only where it can match
        text = _UNITS.sub(" ", text)
    return text


def _case_sensitive(label: str) -> bool:
    """Acronyms ("SEND", "MASH", "CiC") must match as written, so the verb "send" is not SEND."""
    return " " not in label and sum(c.isupper() for c in label) >= 2


def _trie_regex(words: list[str]) -> str:
    """One alternation factored by common prefixes: a regex engine tries hundreds of labels in one pass."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict) -> str:
        alts = [re.escape(ch) + walk(sub) for ch, sub in sorted(node.items()) if ch]
        optional = "" in node
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if optional:
            return "(?:" + body + ")?"
        return body

    return walk(trie)


class _Matcher:
    """Finds every label of every theme in a text with two compiled regexes (folded and case-sensitive)."""

    def __init__(self, scheme: list[Theme]):
        self.index = {t.id: i for i, t in enumerate(scheme)}
        self.lookup: dict[tuple[bool, str], list[tuple[int, float, str]]] = {}
        for i, t in enumerate(scheme):
            named = [(lab, KW_ALT) for lab in (t.label, *t.alt_labels)] + [(k, KW_HIDDEN) for k in t.keywords]
            for lab, w in named:
                cs = _case_sensitive(lab)
                key = (cs, _norm(lab, fold=not cs))
                self.lookup.setdefault(key, []).append((i, w, lab))
        self.regexes = {}
        for cs in (False, True):
            words = sorted({k for (c, k) in self.lookup if c == cs})
            if words:
                self.regexes[cs] = re.compile(r"\b" + _trie_regex(words) + r"(?:e?s)?(?!\w)")

    def find_all(self, texts: list[str]) -> list[dict[int, dict[str, float]]]:
        """Per text, theme index -> {matched label: weight}; all texts are scanned as one string, which is fast."""
        found: list[dict[int, dict[str, float]]] = [{} for _ in texts]
        if not texts:
            return found
        plain = _norm(SEP.join(_strip_titles(t) for t in texts), fold=False)
        ends = np.cumsum([len(p) + 1 for p in plain.split(SEP)])
        for cs, rx in self.regexes.items():
            s = plain if cs else plain.lower()
            if len(s) != len(plain):  # a few characters change length when lower-cased: go text by text
                s = SEP.join(p.lower() for p in plain.split(SEP))
                ends = np.cumsum([len(p) + 1 for p in s.split(SEP)])
            matches = [(m.start(), m.group(0)) for m in rx.finditer(s)]
            rows = np.searchsorted(ends, [p for p, _ in matches], side="right")
            for row, (_, hit) in zip(rows.tolist(), matches):
                hits = self.lookup.get((cs, hit)) or self.lookup.get((cs, hit[:-1])) or self.lookup.get((cs, hit[:-2])) or []
                for i, w, lab in hits:
                    found[row].setdefault(i, {})[lab] = w
        return found


@lru_cache(maxsize=4)
def _matcher(scheme: tuple[Theme, ...]) -> _Matcher:
    return _Matcher(list(scheme))


def keyword_evidence(texts: list[str], scheme: list[Theme] | None = None) -> tuple[np.ndarray, list[dict[int, dict[str, float]]]]:
    """Keyword score per text and theme (n, T), in 0..1, and the labels matched."""
    scheme = scheme if scheme is not None else load_scheme()
    found = _matcher(tuple(scheme)).find_all(texts)
    # 1 - prod(1 - w) over matched labels, summed in log space so it is one pass over the matches
    log_miss = np.zeros((len(texts), len(scheme)), dtype=np.float64)
    for r, f in enumerate(found):
        for i, labs in f.items():
            log_miss[r, i] = sum(_LOG_MISS[w] for w in labs.values())
    kw = (1.0 - np.exp(log_miss)).astype(np.float32)
    return kw, found


def assign(texts: list[str], vectors: np.ndarray | None, theme_vectors: np.ndarray | None,
           scheme: list[Theme] | None = None, max_themes: int = MAX_THEMES) -> list[list[tuple[str, float, str]]]:
    """For each text, the themes it is really about: (theme id, score 0..1, evidence), strongest first."""
    scheme = scheme if scheme is not None else load_scheme()
    kw, found = keyword_evidence(texts, scheme)
    if vectors is not None and theme_vectors is not None and len(texts):
        sim = np.asarray(vectors, dtype=np.float32) @ np.asarray(theme_vectors, dtype=np.float32).T
        sim_part = np.clip((sim - SIM_LO) / (SIM_HI - SIM_LO), 0.0, 1.0)
        score = 1.0 - (1.0 - kw) * (1.0 - sim_part)
        top = sim >= sim.max(axis=1, keepdims=True)
        ok = np.where(kw > 0, (score >= MIN_SCORE) & (sim >= SIM_FLOOR), (sim >= SIM_ALONE) & top)
    else:  # no vectors: keywords must carry it alone, so ask for more of them
        sim = None
        score = kw
        ok = kw >= KW_ONLY
    out: list[list[tuple[str, float, str]]] = []
    for r in range(len(texts)):
        cols = np.flatnonzero(ok[r])
        cols = cols[np.argsort(-score[r, cols], kind="stable")][:max_themes]
        row = []
        for c in cols:
            ev = sorted(found[r].get(int(c), {}))
            if sim is not None:
                ev.append(f"similarity {sim[r, c]:.2f}")
            row.append((scheme[c].id, round(float(score[r, c]), 3), "; ".join(ev)))
        out.append(row)
    return out


def aggregate(point_themes: list[list[tuple[str, float, str]]], min_points: int = AGG_POINTS,
              min_score: float = AGG_SCORE) -> list[tuple[str, float, str]]:
    """An item's themes from its points': those several points share, or one point carries strongly."""
    best: dict[str, float] = {}
    count: dict[str, int] = {}
    for row in point_themes:
        for tid, score, _ in row:
            best[tid] = max(best.get(tid, 0.0), score)
            count[tid] = count.get(tid, 0) + 1
    n = len(point_themes)
    keep = [t for t in best if count[t] >= min_points or best[t] >= min_score]
    keep.sort(key=lambda t: (-best[t], -count[t], t))
    return [(t, best[t], f"{count[t]} of {n} points") for t in keep]


def resolve_theme(value: str, scheme: list[Theme] | None = None) -> str | None:
    """A theme id from what a user typed: an id, a label, an alternative or hidden label (any case), if unambiguous."""
    scheme = scheme if scheme is not None else load_scheme()
    key = _norm(value.strip(), fold=True)
    for names in (lambda t: (t.id,), lambda t: (t.label,), lambda t: t.alt_labels, lambda t: t.keywords):
        hits = [t.id for t in scheme if any(_norm(n, fold=True) == key for n in names(t))]
        if len(hits) == 1:
            return hits[0]
    return None
