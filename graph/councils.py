"""The gazetteer of UK principal councils, so a name, an address or a user's filter resolves to one GSS code."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "councils.csv"

# Official-name wrappers stripped to reach the stem that other forms are built from.
_PREFIXES = ("London Borough of ", "Royal Borough of ", "City and County of ", "City of ", "County of ",
             "Council of the ", "The ")
_SUFFIXES = (" Metropolitan Borough Council", " Metropolitan District Council", " County Borough Council",
             " Borough Council", " District Council", " County Council", " City Council", " Council",
             " Corporation")
# The forms each type of council is commonly called by, built from the stem.
_FORMS = {
    "county": ("{} County Council", "{} CC"),
    "unitary": ("{} Council", "{} Borough Council", "{} City Council", "{} County Council"),
    "metropolitan": ("{} Council", "{} Metropolitan Borough Council", "{} MBC", "{} City Council"),
    "london": ("London Borough of {}", "LB {}", "{} Council", "{} London Borough Council", "Royal Borough of {}"),
    "welsh": ("{} Council", "{} County Council", "{} County Borough Council"),
    "scottish": ("{} Council",),
    "ni": ("{} Council", "{} Borough Council", "{} District Council", "{} City Council"),
}
# Forms that name a council but are too short or common to trust alone in running text.
_WEAK_FORMS = re.compile(r"^(?:LB|.* CC|.* MBC)$")


class GazetteerError(Exception):
    """The shipped councils.csv is missing or malformed."""


def _stem(name: str) -> str:
    for p in _PREFIXES:
        if name.startswith(p):
            name = name[len(p):]
    for s in _SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def _norm(s: str) -> str:
    """Fold case, '&', punctuation and spacing so user input and text match the gazetteer forms."""
    s = s.lower().replace("&", " and ").replace("’", "'")
    s = re.sub(r"[.,']", "", s)
    return re.sub(r"\s+", " ", s).strip()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, dict]:
    """GSS code -> {name, gss, type, region, variants, domains}, read once from the shipped CSV."""
    if not DATA.exists():
        raise GazetteerError(f"{DATA}: gazetteer file missing")
    out: dict[str, dict] = {}
    with open(DATA, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            gss, name, kind = row["gss"].strip(), row["name"].strip(), row["type"].strip()
            if not re.fullmatch(r"[ENSW]\d{8}", gss) or not name:
                raise GazetteerError(f"{DATA}: bad row for {gss or name!r}")
            stem = _stem(name)
            forms = [f.format(stem) for f in _FORMS.get(kind.split(" (")[0], ("{} Council",))]
            given = [v.strip() for v in row["variants"].split("|") if v.strip()]
            variants = list(dict.fromkeys([name, *given, *forms]))
            out[gss] = {
                "name": name, "gss": gss, "type": kind, "region": row["region"].strip(),
                "variants": variants, "stem": stem,
                "domains": [d.strip() for d in row["domains"].split("|") if d.strip()],
            }
    return out


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Normalised name form -> GSS code, for exact lookups."""
    idx: dict[str, str] = {}
    for gss, c in gazetteer().items():
        for v in [*c["variants"], c["stem"]]:
            idx.setdefault(_norm(v), gss)
    return idx


def resolve(name_or_code: str) -> dict | None:
    """A council from user input: a GSS code or any known form of its name; None when nothing matches."""
    q = (name_or_code or "").strip()
    if not q:
        return None
    g = gazetteer()
    if q.upper() in g:
        return g[q.upper()]
    gss = _index().get(_norm(q))
    return g[gss] if gss else None


def by_domain(host: str) -> dict | None:
    """The council owning a *.gov.uk host (e.g. 'councillors.herefordshire.gov.uk'); None for other hosts."""
    host = host.lower().rstrip(".")
    if not host.endswith(".gov.uk"):
        return None
    label = host[: -len(".gov.uk")].rsplit(".", 1)[-1]
    for c in gazetteer().values():
        if label in c["domains"]:
            return c
    return None


@dataclass
class NameHit:
    """A council name found in text: where, which form, and whether the form names the council body itself."""

    gss: str
    text: str
    start: int
    end: int
    full: bool  # "Medway Council", "London Borough of Haringey" (True) vs a bare place name "Medway" (False)


_WORD = re.compile(r"(?<![\w-])\w+")


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern, dict[str, tuple[str, bool]], frozenset[str]]:
    """One alternation of every form, longest first, so 'North East Lincolnshire' wins over 'Lincolnshire'; and the forms' first words."""
    forms: dict[str, tuple[str, bool]] = {}
    for gss, c in gazetteer().items():
        for v in c["variants"]:
            if _WEAK_FORMS.match(v):
                continue
            full = bool(re.search(r"\b(Council|Borough|Corporation|Comhairle)\b", v))
            forms.setdefault(_norm(v), (gss, full))
    alts = sorted(forms, key=len, reverse=True)
    body = "|".join(r"[\s,.']+".join("(?:and|&)" if t == "and" else re.escape(t) for t in a.split(" ")) for a in alts)
    firsts = frozenset(re.match(r"\w+", a).group(0) for a in alts)  # normalised forms start with a word character
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE), forms, firsts


def find_names(text: str) -> list[NameHit]:
    """Every gazetteer form in the text, case-sensitively capitalised as a proper name.

    The alternation of ~1,000 forms is tried only where a word that starts some form begins (as finditer would
    find them, left to right, never overlapping): trying it at every character was the largest cost of extraction."""
    pat, forms, firsts = _pattern()
    hits: list[NameHit] = []
    end = 0
    for w in _WORD.finditer(text):
        if w.start() < end or w.group(0).lower() not in firsts:
            continue
        m = pat.match(text, w.start())
        if m is None:
            continue
        end = m.end()
        s = m.group(0)
        if not s[:1].isupper():
            continue
        gss, full = forms.get(_norm(s), (None, False))
        if gss:
            hits.append(NameHit(gss, s, m.start(), m.end(), full))
    return hits
