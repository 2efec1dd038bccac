"""The council a minutes heading names, listed in the gazetteer or not, so no heading is read as a lookalike."""

from __future__ import annotations

import re

from councilkg.graph.councils import find_names, resolve

# A council a heading names: "X Town Council", "BOROUGH COUNCIL OF X", "Council of the City of X".
_KIND = r"(?:Metropolitan Borough|County Borough|Metropolitan District|Borough|City|County|District|Town|Parish|Community|Village|Neighbourhood|Municipal)"
_KIND_OF = re.compile(rf"\b(?:the\s+)?(?P<kind>{_KIND})\s+Council\s+of\s+(?:the\s+)?(?P<place>.+)|\bCouncil\s+of\s+the\s+(?P<kind2>{_KIND})\s+of\s+(?P<place2>.+)"
                      r"|\b(?P<body>Municipal\s+District|Joint\s+Committee)\s+of\s+(?:the\s+)?(?P<place3>.+)", re.IGNORECASE)
# "X Town Council", "X Municipal District" (Ireland), "Kent and Medway Joint Health Scrutiny Committee"
_KIND_COUNCIL = re.compile(rf"\b{_KIND}\s+Council\b|\bMunicipal\s+District\b(?!\s+of)"
                           r"|\b(?-i:Joint|JOINT)\s+(?:(?-i:[A-Z]\w+)\s+){0,3}(?:Committee|Board)\b", re.IGNORECASE)
_CONNECT = {"of", "and", "&", "upon", "on", "under", "the", "le", "en", "in", "by", "cum", "with", "next", "super"}
# Words of a heading that are not part of a council's name, between "Minutes of ..." and the name.
_NOT_NAME = re.compile(r"^(?:minutes?|meetings?|proceedings|agenda|notes|report|summary|committees?|sub-committees?|"
                       r"cabinet|panel|board|forum|group|full|annual|extraordinary|special|ordinary|joint|held|at|for|"
                       r"youth|young|people|children|care|pupils?|schools?|students?|staff|works|executive|members?|each|every|all|"
                       r"chair(?:man|woman|person)?|mayor|clerk|"
                       r"to|from|a|an|this|council|[\d\W_].*)$", re.IGNORECASE)
_STOP_AFTER = re.compile(r"^(?:held|at|on|in|commencing|meeting|from|for|to|dated?|virtual|via|remote)$", re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’.&-]+|[^\w\s]")


def name_case(s: str) -> str:
    """A name as written, but 'MUCH WENLOCK TOWN COUNCIL' as 'Much Wenlock Town Council', 'ADARE-RATHKEALE' as 'Adare-Rathkeale'."""
    s = re.sub(r"\s+", " ", s).strip(" ,.;:-–")
    if s.upper() != s:
        return s
    return " ".join(w.lower() if i and w.lower() in _CONNECT else "-".join(p.capitalize() for p in w.split("-"))
                    for i, w in enumerate(s.split()))


def named_councils(line: str) -> list[tuple[str, int, int]]:
    """Every council a heading line names explicitly, listed or not, as (name as written, start, end)."""
    out = []
    m = _KIND_OF.search(line)
    if m:
        kind, place, at = next((m[k] + (" Council" if k != "body" else ""), m[p], m.start(p))
                               for k, p in (("kind", "place"), ("kind2", "place2"), ("body", "place3")) if m[k])
        words = []
        for t in _TOKEN.finditer(place):
            if _STOP_AFTER.match(t.group(0)) or not re.match(r"[\w'’&]", t.group(0)):
                break
            if not t.group(0)[:1].isupper() and t.group(0).lower() not in _CONNECT:
                break
            words.append(t)
        while words and words[-1].group(0).lower() in _CONNECT:
            words.pop()
        if words:
            out.append((f"{name_case(kind)} of {name_case(' '.join(w.group(0) for w in words))}",
                        m.start(), at + words[-1].end()))
    for m in _KIND_COUNCIL.finditer(line):
        base = max(0, m.start() - 200)  # no council's name is longer: do not tokenise a whole paragraph per match
        toks = list(_TOKEN.finditer(line, base, m.start()))[1 if base else 0:]
        words: list[re.Match] = []
        for t in reversed(toks):
            w = t.group(0)
            if w != "&" and (_NOT_NAME.match(w) or (not w[:1].isupper() and w.lower() not in _CONNECT)):
                break
            words.insert(0, t)
        while words and words[0].group(0).lower() in _CONNECT:
            words.pop(0)
        if words:
            out.append((name_case(line[words[0].start(): m.end()]), words[0].start(), m.end()))
    alone = re.fullmatch(r"(?:the\s+)?([A-Z][\w'’&,. -]{1,60})\s+Council", line.strip(), re.IGNORECASE)
    if not out and alone and not find_names(line) and not any(
            _NOT_NAME.match(w) or re.fullmatch(_KIND, w, re.IGNORECASE) for w in alone[1].split()):
        out.append((name_case(line.strip()), 0, len(line)))  # "X COUNCIL" alone on a line, naming no listed council
    return out


def heading_council(line: str, on: str | None = None) -> tuple[str | None, str] | None:
    """(GSS code or None, name) of the one council a heading line names; None if it names none or several.

    A council the gazetteer lists is named by one of its full forms; a council it does not (a town or parish
    council, one abroad) is kept under the name as written, never read as a listed lookalike ('Newport Town Council'
    is not Newport City Council). The region-level reading (graph/heading_body.py) does the work."""
    from councilkg.graph.heading_body import bodies_in, decide  # it imports this module's name reading

    body = decide(line, bodies_in(line, on, {}), "text:heading")
    return (body.gss, body.name) if body and not body.within_name else None


def kind_of_form(name: str, on: str | None) -> dict | None:
    """'Borough Council of Wellingborough' as 'Wellingborough Borough Council', or as 'Borough of ...'."""
    m = re.fullmatch(rf"({_KIND}) Council of (.+)", name, re.IGNORECASE)
    if not m:
        return None
    return resolve(f"{m[2]} {m[1]} Council", on) or resolve(f"{m[1]} of {m[2]}", on) or resolve(f"{m[1]} Council of {m[2]}", on)
