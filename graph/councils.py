"""The gazetteer of UK principal councils, so a name, an address or a user's filter resolves to one GSS code."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
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
    "district": ("{} Council", "{} District Council", "{} Borough Council", "{} DC", "{} BC"),
}
# Forms that name a council but are too short or common to trust alone in running text.
_WEAK_FORMS = re.compile(r"^(?:LB|.* CC|.* MBC|.* DC|.* BC)$")


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
    """GSS code -> {name, gss, type, region, variants, domains, start, end, replaced_by, ...}, read once from the CSV."""
    if not DATA.exists():
        raise GazetteerError(f"{DATA}: gazetteer file missing")
    out: dict[str, dict] = {}
    with open(DATA, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            gss, name, kind = row["gss"].strip(), row["name"].strip(), row["type"].strip()
            if not re.fullmatch(r"[ENSW]\d{8}", gss) or not name:
                raise GazetteerError(f"{DATA}: bad row for {gss or name!r}")
            stem, end = _stem(name), (row.get("end") or "").strip()
            given = [v.strip() for v in row["variants"].split("|") if v.strip()]
            forms = [f.format(stem) for f in _FORMS.get(kind, ("{} Council",))
                     if " City " not in f or any("City" in v for v in [name, *given])]
            out[gss] = {
                "name": name, "gss": gss, "type": f"{kind} (abolished {end[:4]})" if end else kind,
                "region": row["region"].strip(), "variants": list(dict.fromkeys([name, *given, *forms])),
                "given": [name, *given], "stem": stem, "base_type": kind,
                "domains": [d.strip() for d in row["domains"].split("|") if d.strip()],
                "code": (row.get("code") or "").strip(), "start": (row.get("start") or "").strip(), "end": end,
                "current": not end, "replaced_by": _list(row.get("replaced_by")),
                "former_gss": _list(row.get("former_gss")), "county": (row.get("county") or "").strip() or None,
            }
    return out


def _list(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split("|") if v.strip()]


def _day(on: str | None) -> date | None:
    """The ISO date a document is of, or None when it has none we can read."""
    try:
        return date.fromisoformat(str(on)[:10]) if on else None
    except ValueError:
        return None


def _distance(c: dict, day: date) -> int:
    """Days from `day` to the council's time in force (0 while in force; both ends inclusive)."""
    start, end = _day(c["start"]), _day(c["end"])
    if start and day < start:
        return (start - day).days
    if end and day > end:
        return (day - end).days
    return 0


def _pick(cands: dict[str, bool], on: str | None = None, bare: bool = False) -> str | None:
    """The council a shared form means on a date: the one in force (else the nearest in time), with no date the current
    one; then a form given for it over one we made up, then the newer council. A bare place name needs one in force."""
    g, day = gazetteer(), _day(on)

    def key(gss: str):
        c = g[gss]
        live = -_distance(c, day) if day else int(c["current"])
        return (live, cands[gss], c["start"])

    best = max(cands, key=key)
    if bare and key(best)[0] < (0 if day else 1):
        return None
    return best


@lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, bool]]:
    """Normalised name form or former GSS code -> {GSS code: whether the form is one given for that council}."""
    idx: dict[str, dict[str, bool]] = {}
    for gss, c in gazetteer().items():
        given = {_norm(v) for v in c["given"]}
        for v in [*c["variants"], c["stem"]]:
            k = _norm(v)
            cands = idx.setdefault(k, {})
            cands[gss] = cands.get(gss, False) or k in given
        for old in c["former_gss"]:
            idx.setdefault(old.lower(), {})[gss] = True
    return idx


def resolve(name_or_code: str, on: str | None = None) -> dict | None:
    """A council from user input: a GSS code (current or former) or any known form of its name, as it stood on the
    date `on` (ISO) when several councils share the form; None when nothing matches."""
    q = (name_or_code or "").strip()
    if not q:
        return None
    g = gazetteer()
    if q.upper() in g:
        return g[q.upper()]
    cands = _index().get(_norm(q)) or _index().get(q.lower())
    return g[_pick(cands, on)] if cands else None


@lru_cache(maxsize=1)
def _domains() -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for gss, c in gazetteer().items():
        for d in c["domains"]:
            out.setdefault(d.lower(), {})[gss] = True
    return out


def by_domain(host: str, on: str | None = None) -> dict | None:
    """The council owning a *.gov.uk host (e.g. 'councillors.herefordshire.gov.uk') on a date; None for other hosts."""
    host = host.lower().rstrip(".")
    if not host.endswith(".gov.uk"):
        return None
    cands = _domains().get(host[: -len(".gov.uk")].rsplit(".", 1)[-1])
    return gazetteer()[_pick(cands, on)] if cands else None


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
def _pattern() -> tuple[re.Pattern, dict[str, tuple[dict[str, bool], bool]], dict[str, list[str]]]:
    """One alternation of every form, longest first, so 'North East Lincolnshire' wins over 'Lincolnshire'; each form's
    councils; and the forms' first words. A district's bare place name ('Ashford', 'Hart') is no form in running text,
    nor is a stem that is its region's name ('London')."""
    forms: dict[str, tuple[dict[str, bool], bool]] = {}
    for gss, c in gazetteer().items():
        given = {_norm(v) for v in c["given"]}
        # a stem that names the whole region ("London" of the City of London) is not the council
        bare = c["base_type"] != "district" and c["stem"] != c["region"]
        for v in [*c["variants"], c["stem"]] if bare else c["variants"]:
            full = bool(re.search(r"\b(Council|Borough|Corporation|Comhairle)\b", v, re.IGNORECASE))
            if _WEAK_FORMS.match(v) or (not full and c["base_type"] == "district"):
                continue
            k = _norm(v)
            cands = forms.setdefault(k, ({}, full))[0]
            cands[gss] = cands.get(gss, False) or k in given
    alts = sorted(forms, key=len, reverse=True)
    firsts: dict[str, list[str]] = {}
    for a in alts:  # normalised forms start with a word character
        firsts.setdefault(re.match(r"\w+", a).group(0), []).append(a)
    return _alternation(alts), forms, firsts


def _alternation(alts: list[str]) -> re.Pattern:
    body = "|".join(r"[\s,.']+".join("(?:and|&)" if t == "and" else re.escape(t) for t in a.split(" ")) for a in alts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=None)
def _starting(word: str) -> re.Pattern:
    """The alternation of just the forms whose first word this is: the same first match, tried against ~1 form, not 2,000."""
    return _alternation(_pattern()[2][word])


def find_names(text: str, on: str | None = None) -> list[NameHit]:
    """Every gazetteer form in the text, case-sensitively capitalised as a proper name, each read as the council it
    meant on the date `on` (ISO; None: today). A bare place name of an abolished council is no hit.

    The alternation of ~1,750 forms is tried only where a word that starts some form begins (as finditer would
    find them, left to right, never overlapping), and then only its forms that start with that word: trying all of
    them at every character was the largest cost of extraction."""
    _, forms, firsts = _pattern()
    hits: list[NameHit] = []
    end = 0
    for w in _WORD.finditer(text):
        word = w.group(0).lower()
        if w.start() < end or word not in firsts:
            continue
        m = _starting(word).match(text, w.start())
        if m is None:
            continue
        end = m.end()
        hit = _hit(m, forms, on)
        if hit:
            hits.append(hit)
    return hits


def _hit(m: re.Match, forms: dict, on: str | None) -> NameHit | None:
    """The council one matched form names, if it is capitalised as a name and means a council on that date."""
    s = m.group(0)
    cands, full = forms.get(_norm(s), (None, False))
    if not cands or not s[:1].isupper():
        return None
    gss = _pick(cands, on, bare=not full)
    return NameHit(gss, s, m.start(), m.end(), full) if gss else None

