"""Councils (a timeline of inspections, interventions and meetings), themes across all councils, grades and inspection or
intervention types, read from the SPARQL store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilkg.graph.vocab import iri, sparql_prologue
from councilkg.web.around import Around, fetch, split_iri
from councilkg.web.entities import Entity, Entry, limited, scheme, theme_link
from councilkg.web.errors import MAX_LIST, NotFound
from councilkg.web.inspections import official_timeline
from councilkg.web.kinds import judgements, page
from councilkg.web.loaders import loader
from councilkg.web.present import Link, shorten

IMPROVEMENT = re.compile(r"improv|ofsted|inspect|monitoring visit|recommendation|action plan", re.IGNORECASE)


@dataclass
class Event:
    """One dated thing on a council's timeline."""

    date: str | None
    kind: str  # inspection, intervention, meeting
    link: Link
    detail: str = ""
    subs: list[Entry] = field(default_factory=list)


def in_order(events: list[Event]) -> list[Event]:
    """Oldest first, undated last; on one day an inspection before an intervention before a meeting, then by name."""
    order = {"inspection": 0, "intervention": 1, "meeting": 2}
    return sorted(events, key=lambda ev: (ev.date is None, ev.date or "", order[ev.kind], ev.link.label))


_EV = "^ckg:mentionedCouncil/prov:wasDerivedFrom"  # a mention's point or item, then whose minutes hold it
MENTION = ("^ckg:mentionedCouncil", _EV, f"{_EV}/ckg:agendaItem", f"{_EV}/ckg:agendaItem/ckg:meeting", f"{_EV}/ckg:agendaItem/ckg:meeting/ckg:council",
           f"{_EV}/ckg:meeting", f"{_EV}/ckg:meeting/ckg:council")


def _counts(store, q: str) -> dict[str, int]:
    return {r["k"]: int(r["n"]) for r in store.select(sparql_prologue() + q)}


def _timeline(store, a: Around) -> list[Event]:
    s = a.subject
    events = []
    for n in a.back(s, "ckg:inspectedCouncil", "inspection"):
        if a.one(n, "ckg:inOfficialRecord") == "true":  # Ofsted's events have their own timeline (official.html)
            continue
        js = judgements(a, n)
        detail = "expected" if a.one(n, "ckg:inspectionStatus") == "expected" else ""
        events.append(Event(a.one(n, "ckg:inspectionDate"), "inspection", a.link(n), detail,
                            [Entry(a.link(j), a.ident(a.one(j, "ckg:grade")) or "") for j in js]))
    for n in a.back(s, "ckg:concernsCouncil", "intervention"):
        by = a.one(n, "ckg:interventionBy")
        events.append(Event(a.one(n, "ckg:interventionDate"), "intervention", a.link(n), f"by {by}" if by else ""))
    sizes = _counts(store, f"SELECT (STR(?m) AS ?k) (COUNT(DISTINCT ?i) AS ?n) WHERE {{ ?m ckg:council <{s}> . "
                           "?i ckg:meeting ?m ; ckg:procedural false } GROUP BY ?m")
    for m in a.back(s, "ckg:council", "meeting"):
        items = sorted((i for i in a.back(m, "ckg:meeting", "item") if a.one(i, "ckg:procedural") != "true"),
                       key=lambda i: (a.one(i, "ckg:document") or "", a.pos(i)))
        n = sizes.get(m, len(items))
        marked = [Entry(a.link(i), "improvement" if IMPROVEMENT.search(a.one(i, "dcterms:title") or "") else "") for i in items]
        events.append(Event(a.date(m), "meeting", a.link(m), f"{n} agenda item{'s' if n != 1 else ''}", marked[:8]))
    return in_order(events)


def _minutes_of(a: Around, node: str) -> str | None:
    """The council whose minutes hold a point or item."""
    item = a.one(node, "ckg:agendaItem") or node
    meeting = a.one(item, "ckg:meeting")
    council = a.one(meeting, "ckg:council") if meeting else None
    return a.label(council) if council else None


def _mentions(a: Around) -> list[Entry]:
    """Each sentence of other minutes naming the council, linked to its point or item, with whose minutes they are."""
    found = sorted((ev, a.one(m, "ckg:quote") or "") for m in a.back(a.subject, "ckg:mentionedCouncil", "mention")
                   if (ev := a.one(m, "prov:wasDerivedFrom")) and split_iri(ev))
    return [Entry(Link(*split_iri(ev), shorten(quote, 160)), f"minutes of {who}" if (who := _minutes_of(a, ev)) else "")
            for ev, quote in found[:MAX_LIST]]


@loader("council")
def council(store, ident):
    paths = ("^ckg:inspectedCouncil", "^ckg:inspectedCouncil/ckg:judgement", "^ckg:concernsCouncil", "^ckg:council",
             "^ckg:council/^ckg:meeting", "^ckg:adoptedBy", *MENTION)
    a, s, e = page(store, "council", ident, paths)
    e.facts = [("Name", e.label)]
    if a.one(s, "ckg:gssCode"):
        e.facts += [("GSS code", a.one(s, "ckg:gssCode")), ("Same as", a.one(s, "owl:sameAs"))]
    e.facts += [(k, a.one(s, p)) for k, p in (("Type", "ckg:councilType"), ("Region", "ckg:region")) if a.one(s, p)]
    e.extra["timeline"] = _timeline(store, a)
    e.extra["official"] = official_timeline(store, ident)
    practices = sorted(a.back(s, "ckg:adoptedBy", "practice"), key=a.label)
    e.group("Practices", [Entry(a.link(p), a.one(p, "ckg:outcome") or a.one(p, "ckg:practiceKind") or "") for p in practices])
    themes = _counts(store, f"SELECT (STR(?t) AS ?k) (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?m ckg:council <{s}> . ?i ckg:meeting ?m . "
                            "?p ckg:agendaItem ?i ; a ckg:DebatePoint ; ckg:theme ?t } GROUP BY ?t")
    e.group("Themes in its minutes", [Entry(theme_link(split_iri(t)[1]), f"{n} points")
                                      for t, n in sorted(themes.items(), key=lambda x: (-x[1], x[0])) if split_iri(t)])
    e.group("Mentioned in other minutes", _mentions(a))
    return e


def theme_entity(ident: str) -> Entity:
    """A theme's page without its uses: label, other names, definition, broader and narrower, from the shipped scheme."""
    info = scheme().get(ident) or {}
    e = Entity("theme", ident, theme_link(ident).label)
    e.facts = [("Label", e.label)]
    if info.get("alt_labels"):
        e.facts.append(("Also called", ", ".join(info["alt_labels"])))
    if info.get("definition"):
        e.facts.append(("Definition", info["definition"]))
    if info.get("broader"):
        e.facts.append(("Broader", theme_link(info["broader"])))
    narrower = [theme_link(t) for t, x in scheme().items() if x.get("broader") == ident]
    if narrower:
        e.facts.append(("Narrower", narrower))
    return e


@loader("theme")
def theme(store, ident):
    paths = ("^ckg:theme", "^ckg:theme/ckg:adoptedBy", "^ckg:theme/ckg:agendaItem", "^ckg:theme/ckg:agendaItem/ckg:meeting",
             "^ckg:theme/ckg:agendaItem/ckg:meeting/ckg:council")
    a = fetch(store, "theme", ident, paths)
    s = a.subject
    e = theme_entity(ident)
    practices = sorted(a.back(s, "ckg:theme", "practice"), key=lambda p: (a.label(a.one(p, "ckg:adoptedBy") or ""), a.label(p)))
    e.group("Practices on this theme", [Entry(a.link(p), " — ".join(x for x in (a.label(a.one(p, "ckg:adoptedBy")) if a.one(p, "ckg:adoptedBy")
                                                                                 else None, a.one(p, "ckg:outcome")) if x))
                                        for p in practices])
    total = int(store.select(sparql_prologue() + f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p ckg:theme <{s}> ; a ckg:DebatePoint }}")[0]["n"])

    def where(p):
        meeting = a.one(a.one(p, "ckg:agendaItem") or "", "ckg:meeting")
        return meeting, a.one(meeting or "", "ckg:council")

    def order(p):  # by council, date, then the best scored first
        meeting, council = where(p)
        return council is None, a.label(council or ""), a.date(meeting) or "", -a.json(p, "ckg:themeScores").get(ident, 0.0), p

    rows = sorted(a.back(s, "ckg:theme", "point"), key=order)
    rows, _ = limited(rows, "points")
    by_council: dict[tuple, list[Entry]] = {}
    for p in rows:
        meeting, c = where(p)
        key = (split_iri(c)[1] if c else None, a.label(c) if c else "Council not stated")
        by_council.setdefault(key, []).append(Entry(a.link(p, 220), a.date(meeting) or ""))
    e.extra["by_council"] = [(Link("council", cid, name) if cid else None, name, entries) for (cid, name), entries in by_council.items()]
    shown = f"the first {len(rows)} of " if len(rows) < total else ""
    e.extra["points_note"] = f"{shown}{total} point{'s' if total != 1 else ''} from {len(by_council)} group{'s' if len(by_council) != 1 else ''}"
    return e


@loader("grade")
def grade(store, ident):
    a = fetch(store, "grade", ident, ("^ckg:grade", *(f"^ckg:grade/^ckg:{p}{c}" for p in ("judgement", "statedJudgement")
                                                     for c in ("", "/ckg:inspectedCouncil"))))
    e = Entity("grade", ident, a.label(a.subject))

    def council_of(j):  # the inspection that gave it, or Ofsted's event that minutes say gave it
        ins = next(iter(a.back(j, "ckg:judgement") or a.back(j, "ckg:statedJudgement")), None)
        return ins, a.one(ins, "ckg:inspectedCouncil") if ins else None

    rows = sorted(a.back(a.subject, "ckg:grade", "judgement"), key=lambda j: (a.label(council_of(j)[1] or ""), a.one(council_of(j)[0] or "", "ckg:inspectionDate") or ""))
    rows, title = limited(rows, "Judgements with this grade")
    e.group(title, [Entry(Link("judgement", split_iri(j)[1], f"{a.label(c) if (c := council_of(j)[1]) else 'Unknown council'}: {a.label(j)}"),
                          a.label(council_of(j)[0]) if council_of(j)[0] else "") for j in rows])
    return e


def _concept_page(store, kind: str, pred: str, council: str, target: str, noun: str, detail: str, ident: str) -> Entity:
    """Every inspection or intervention of one type, by council."""
    a = fetch(store, kind, ident, (f"^{pred}", f"^{pred}/{council}"))
    found = a.back(str(iri(kind, ident)), pred, target)
    if not found:
        raise NotFound(f"No {noun} of type {ident}")
    e = Entity(kind, ident, a.label(a.subject))
    rows = sorted(found, key=lambda n: (a.label(a.one(n, council) or ""), a.label(n)))
    rows, title = limited(rows, f"{noun.capitalize()} of this type")
    e.group(title, [Entry(Link(target, split_iri(n)[1], f"{a.label(c) if (c := a.one(n, council)) else 'Unknown council'}: {a.label(n)}"),
                          a.one(n, detail) or "") for n in rows])
    return e


@loader("inspection-type")
def inspection_type(store, ident):
    return _concept_page(store, "inspection-type", "ckg:inspectionType", "ckg:inspectedCouncil", "inspection", "inspections",
                         "ckg:inspectionStatus", ident)


@loader("intervention-type")
def intervention_type(store, ident):
    return _concept_page(store, "intervention-type", "ckg:interventionType", "ckg:concernsCouncil", "intervention", "interventions",
                         "ckg:interventionBy", ident)
