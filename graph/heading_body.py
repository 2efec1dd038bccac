"""Whose minutes a heading says these are: the body it names (a principal council, or a parish, town, community or
municipal district council, a joint committee, a council abroad) and the principal council that body sits in.

Read from the heading region as text (corpus/heading_text.py), paragraph by paragraph: the first paragraph that
names one body decides. A body no gazetteer lists keeps the name the heading gives it. The council it sits in is
one the heading also names, or the council the gazetteer gives for the county its address names ("…, CO. LIMERICK").
An abbreviation counts only where the same document defines it ("Ystrad Community Council (YCC)"); nothing is
guessed from a lookalike.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from councilkg.corpus.heading_text import region
from councilkg.graph.council_heading import kind_of_form, name_case, named_councils
from councilkg.graph.councils import find_names, gazetteer, resolve

IRISH = Path(__file__).parent / "data" / "councils_ie.csv"
_CONNECT = {"of", "and", "&", "the", "upon", "on", "in", "le", "cum", "with", "y", "yr"}
# "Ystrad Community Council (YCC)", "the Joint Burial Committee ('JBC')"
_DEFINED = re.compile(r"\((?:the\s+)?[\"'‘“]?([A-Z]{2,8})[\"'’”]?\)")
_COUNTY = re.compile(r"\b(?i:co\.?|county)\s+([A-Z][a-z]+|[A-Z]{3,})\b")
_JOINED = re.compile(r"^\W*(?:and|&|with)\b", re.I)


@dataclass
class Body:
    """The body whose minutes these are, its kind, and the principal council it sits in (GSS code None if unlisted)."""

    gss: str | None
    name: str
    kind: str | None
    evidence: str
    method: str = "text:heading"
    within_gss: str | None = None
    within_name: str | None = None


@lru_cache(maxsize=1)
def irish_councils() -> dict[str, dict]:
    """Normalised name -> {name, type, county} of the 31 local authorities of Ireland (Local Government Reform Act 2014)."""
    with open(IRISH, newline="", encoding="utf-8") as f:
        return {_norm(r["name"]): r for r in csv.DictReader(f)}


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[.,'’]", "", s.lower().replace("&", " and "))).strip()


def kind_of(name: str, gss: str | None) -> str | None:
    """'parish council', 'municipal district', 'joint committee' … from the name; a listed council's gazetteer type."""
    if gss:
        return gazetteer()[gss]["type"]
    ie = irish_councils().get(_norm(name))
    if ie:
        return f"{ie['type']} council (Ireland)"
    m = re.search(r"\b(municipal district|joint \w*\s*committee|joint board|(?:metropolitan |county )?(?:borough|district|"
                  r"city and county|city|county|town|parish|community|village|neighbourhood) council)\b", name, re.I)
    return re.sub(r"^joint .*", "joint committee", m.group(1).lower()) if m else None


def _principal(gss: str | None, name: str) -> bool:
    return bool(gss) or _norm(name) in irish_councils()


def bodies_in(para: str, on: str | None, defined: dict[str, str]) -> list[tuple[str | None, str, int, int]]:
    """(GSS code or None, name, start, end) of each body a paragraph names, in order; an abbreviation as its definition."""
    listed = [(h.gss, gazetteer()[h.gss]["name"], h.start, h.end) for h in find_names(para, on) if h.full]
    out = list(listed)
    for name, start, end in named_councils(para):
        hit = resolve(name, on) or kind_of_form(name, on)
        if hit:
            out.append((hit["gss"], hit["name"], start, end))
        elif not any(s <= start < e or s < end <= e for _, _, s, e in listed):
            out.append((None, _irish_suffix(name) or name, start, end))
    for m in re.finditer(r"\b[A-Z]{2,8}\b", para):
        if m.group(0) in defined and not any(s <= m.start() < e for _, _, s, e in out):
            out.append((None, defined[m.group(0)], m.start(), m.end()))
    seen: dict[str, tuple] = {}
    for b in sorted(out, key=lambda b: b[2]):
        seen.setdefault(b[0] or _norm(b[1]), b)
    return list(seen.values())


def _irish_suffix(name: str) -> str | None:
    """The Irish council a name ends with ('Each Member of the Limerick City and County Council'), by its listed name."""
    words = name.split()
    return next((ie["name"] for k in range(len(words)) if (ie := irish_councils().get(_norm(" ".join(words[k:]))))), None)


def definitions(text: str) -> dict[str, str]:
    """Abbreviations the document defines for a council or committee, checked against the name's initials."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        abbr = m.group(1)
        names = named_councils(text[max(0, m.start() - 120): m.start()].rstrip(" ,"))
        if names and _initials(names[-1][0]) == abbr:
            out.setdefault(abbr, names[-1][0])
    return out


def _initials(name: str) -> str:
    return "".join(w[0].upper() for w in re.split(r"[\s-]+", name) if w and w.lower() not in _CONNECT)


def read_body(text: str, on: str | None = None, title: str = "") -> Body | None:
    """The body the heading region (else the page title) names, with the council it sits in; None if none or several."""
    paras = region(text).paragraphs
    defined = definitions(text[:50_000])
    for source, method in ((paras, "text:heading"), ([title] if title else [], "page:title")):
        for k, para in enumerate(source):
            found = decide(para, bodies_in(para, on, defined), method)
            if found:
                _within(found, source[k:], on, defined)
                if any(found.name == d for d in defined.values()) and not re.search(re.escape(found.name), para, re.I):
                    found.method = "text:abbreviation"
                return found
    return None


def decide(para: str, found: list, method: str) -> Body | None:
    """One body named: it. A body and the principal council named after it (not 'X and Y'): the body, within it."""
    if len(found) == 1:
        gss, name, _, _ = found[0]
        return Body(gss, name_case(name), kind_of(name, gss), para, method)
    if len(found) == 2 and not re.search(r"\bjoint\b", para, re.I):
        (g1, n1, _, e1), (g2, n2, s2, _) = found
        if not _principal(g1, n1) and _principal(g2, n2) and not _JOINED.match(para[e1:s2]):
            return Body(g1, name_case(n1), kind_of(n1, g1), para, method, g2, n2)
    return None


def _within(body: Body, paras: list[str], on: str | None, defined: dict[str, str]) -> None:
    """The principal council a body sits in: one the heading names after it, else the one governing the county named."""
    if body.within_name or _principal(body.gss, body.name):
        return
    for para in paras:
        others = [b for b in bodies_in(para, on, defined) if _principal(b[0], b[1]) and b[1] != body.name]
        if len(others) == 1:
            body.within_gss, body.within_name = others[0][0], others[0][1]
            return
    counties = {m.group(1).lower() for para in paras for m in _COUNTY.finditer(para)}
    ie = [c for c in irish_councils().values() if c["county"] and c["county"].lower() in counties]
    if len(ie) == 1:
        body.within_name = ie[0]["name"]
