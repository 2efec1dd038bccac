"""Pages of the graph's smaller nodes (meetings, documents, items, points, actions, inspections and what they yield), built from the
triples around each IRI in the SPARQL store: the data directory's own or, without one, the shared store."""

from __future__ import annotations

from datetime import datetime

from councilkg.graph.practices import THEMES
from councilkg.graph.vocab import sparql_prologue
from councilkg.web.around import Around, expand, fetch, split_iri
from councilkg.web.entities import Entity, Entry, Quote, concept_label, limited, meeting_label
from councilkg.web.errors import MAX_LIST
from councilkg.web.loaders import loader
from councilkg.web.present import Link, grade_label, safe_url, shorten

ITEM_CONTEXT = ("ckg:meeting", "ckg:meeting/ckg:council", "ckg:document")
EVIDENCE = ("prov:wasDerivedFrom", "prov:wasDerivedFrom/ckg:agendaItem")
RECORD = "^prov:wasDerivedFrom/ckg:recordEvent"  # Ofsted's event a mention read from the point or item was resolved to
FACT_KINDS = ("inspection", "judgement", "intervention", "practice")
THEME_ORDER = {t: n for n, t in enumerate(THEMES)}  # the extractor lists a practice's themes in this order; the graph keeps none


def item_context(a: Around, item: str | None) -> list[tuple[str, object]]:
    """Where an item stands: its meeting, council and minutes, as facts."""
    if not item or not a.out.get(item):
        return []
    meeting, doc = a.one(item, "ckg:meeting"), a.one(item, "ckg:document")
    facts: list[tuple[str, object]] = [("Agenda item", a.link(item))]
    if meeting:
        facts.append(("Meeting", a.link(meeting)))
    facts.append(("Council", a.link(a.one(meeting, "ckg:council") if meeting else None) or "not stated"))
    if doc:
        facts.append(("Minutes", Link("document", split_iri(doc)[1], a.one(doc, "ckg:sourceFile") or a.label(doc))))
        url = safe_url(a.one(doc, "dcterms:source"))
        if url:
            facts.append(("Published at", url))
    return facts


def facts_read_from(a: Around, *nodes: str) -> list[Entry]:
    """Inspections, judgements, interventions and practices derived from these points or items, by kind and label."""
    found = sorted({n for node in nodes for n in a.back(node, "prov:wasDerivedFrom") if (split_iri(n) or ("",))[0] in FACT_KINDS})
    found = [a.one(n, "ckg:recordEvent") or n for n in found]  # a mention resolved to Ofsted's event leads to the event
    found.sort(key=lambda n: (FACT_KINDS.index(split_iri(n)[0]), a.label(n), n))
    detail = {"inspection": lambda n: "Ofsted's record" if a.one(n, "ckg:inOfficialRecord") == "true" else "inspection",
              "judgement": lambda n: "judgement",
              "intervention": lambda n: a.one(n, "ckg:interventionDate") or "", "practice": lambda n: a.one(n, "ckg:practiceKind") or ""}
    return [Entry(a.link(n), detail[split_iri(n)[0]](n)) for n in found]


def themes(a: Around, node: str) -> list[Link] | str:
    """A point's or item's themes, the best scored first."""
    scores = a.json(node, "ckg:themeScores")
    found = sorted(a.all(node, "ckg:theme"), key=lambda t: (-scores.get(a.ident(t), 0.0), t))
    return a.links(found) or "none assigned"


def quote(a: Around, node: str, note: str = "") -> list[Quote]:
    text = a.one(node, "ckg:quote")
    return [Quote(text, a.link(a.one(node, "prov:wasDerivedFrom")), note)] if text else []


def judgements(a: Around, inspection: str) -> list[str]:
    """An inspection's judgements, the overall one first, then by area."""
    area = lambda j: a.one(j, "ckg:judgementArea")  # noqa: E731
    return sorted(a.all(inspection, "ckg:judgement"), key=lambda j: (area(j) is not None, area(j) or ""))


def council_fact(a: Around, node: str, pred: str, e: Entity, label: str = "Council") -> None:
    e.facts.insert(0, (label, a.link(a.one(node, pred)) or "not stated"))


def page(store, kind: str, ident: str, paths: tuple[str, ...], width: int = 80) -> tuple[Around, str, Entity]:
    """The triples around the resource (fetch), its IRI, and its Entity named as its neighbours' pages name it."""
    a = fetch(store, kind, ident, paths)
    return a, a.subject, Entity(kind, ident, a.label(a.subject, width))


@loader("point")
def point(store, ident):
    paths = ("ckg:agendaItem", *(f"ckg:agendaItem/{p}" for p in ITEM_CONTEXT), "ckg:mentions", "^prov:wasDerivedFrom", RECORD,
             "^ckg:addressedIn", "^ckg:addressedIn/^ckg:recommendation")
    a, s, e = page(store, "point", ident, paths, 90)
    item = a.one(s, "ckg:agendaItem")
    e.text = a.one(s, "ckg:text")
    finding = expand("ckg:InspectionFinding") in a.all(s, "rdf:type")  # a report's paragraph: the inspectorate's, not debate
    e.facts = item_context(a, item) + [("Kind", "inspection finding" if finding else a.one(s, "ckg:pointKind")), ("Themes", themes(a, s))]
    if a.all(s, "ckg:mentions"):
        e.facts.append(("Mentions", a.links(a.all(s, "ckg:mentions"))))
    e.group("Facts read from this point", facts_read_from(a, s))
    e.group("Inspection recommendations this point takes up", [
        Entry(Link("inspection", a.ident(event), shorten(a.one(rec, "ckg:text") or "", 200)), "")
        for rec in sorted(a.back(s, "ckg:addressedIn")) for event in a.back(rec, "ckg:recommendation")])
    here = a.pos(s)
    if item:  # the points two places either side: an item may hold hundreds
        a.add(store.construct(sparql_prologue() + f"CONSTRUCT {{ ?n ?p ?o }} WHERE {{ ?n ckg:agendaItem <{item}> ; a ckg:DebatePoint ; "
                              f"ckg:position ?at FILTER(?at >= {here - 2} && ?at <= {here + 2}) ?n ?p ?o }}"))
    near = sorted((n for n in a.back(item, "ckg:agendaItem", "point") if n != s and abs(a.pos(n) - here) <= 2), key=a.pos)
    e.group("Nearby points in the same item", [Entry(a.link(n, 200), "before" if a.pos(n) < here else "after") for n in near])
    return e


@loader("item")
def item(store, ident):
    a, s, e = page(store, "item", ident, (*ITEM_CONTEXT, "^ckg:agendaItem", "^prov:wasDerivedFrom", "^ckg:agendaItem/^prov:wasDerivedFrom",
                                               RECORD, f"^ckg:agendaItem/{RECORD}"))
    e.text = a.one(s, "ckg:text")
    e.facts = [f for f in item_context(a, s) if f[0] != "Agenda item"] + [("Themes", themes(a, s))]
    if a.one(s, "ckg:procedural") == "true":
        e.facts.append(("Procedural", "yes (apologies, declarations, minutes of the last meeting…)"))
    if a.one(s, "dcterms:description"):
        e.facts.append(("Agenda text (not minutes, not searched)", a.one(s, "dcterms:description")))
    pts, title = limited(sorted(a.back(s, "ckg:agendaItem", "point"), key=a.pos), "Debate points")
    e.group(title, [Entry(a.link(p, 200), a.one(p, "ckg:pointKind") or "") for p in pts])
    acts = sorted(a.back(s, "ckg:agendaItem", "action"), key=a.pos)
    e.group("Actions and resolutions", [Entry(a.link(x, 200), a.one(x, "ckg:actionKind") or "") for x in acts])
    e.group("Facts read from this item", facts_read_from(a, s, *a.back(s, "ckg:agendaItem", "point")))  # its points' too
    return e


@loader("meeting")
def meeting(store, ident):
    a, s, e = page(store, "meeting", ident, ("ckg:council", "^ckg:meeting", "^ckg:meeting/ckg:document"))
    e.facts = [("Council", a.link(a.one(s, "ckg:council")) or "not stated"), ("Date", a.date(s) or "unknown"),
               ("Committee", a.one(s, "ckg:committee") or "unknown"), ("Council decided by", a.one(s, "ckg:councilMethod"))]
    e.facts += [(f"{label} decided by", a.one(s, p)) for label, p in (("Date", "ckg:dateMethod"), ("Committee", "ckg:committeeMethod"))
                if a.one(s, p)]
    if a.one(s, "ckg:councilEvidence"):
        e.evidence.append(Quote(a.one(s, "ckg:councilEvidence"), note="why this council"))
    items = sorted(a.back(s, "ckg:meeting", "item"), key=lambda i: (a.one(i, "ckg:document") or "", a.pos(i)))
    docs = sorted({d for i in items for d in a.all(i, "ckg:document")}, key=lambda d: a.one(d, "ckg:sourceFile") or d)
    e.group("Minutes", [Entry(Link("document", split_iri(d)[1], a.one(d, "ckg:sourceFile") or a.label(d))) for d in docs])
    e.group("Agenda items", [Entry(a.link(i), "procedural" if a.one(i, "ckg:procedural") == "true" else "") for i in items])
    return e


@loader("document")
def document(store, ident):
    a, s, e = page(store, "document", ident, ("^ckg:document", "^ckg:document/ckg:meeting"))
    ingested = a.one(s, "ckg:ingestedAt")
    e.facts = [("File", a.one(s, "ckg:sourceFile")), ("Read as", a.one(s, "ckg:readAs")), ("SHA-256", a.one(s, "ckg:sha256")),
               ("Ingested", datetime.fromisoformat(ingested).isoformat() if ingested else None)]  # as written: +00:00, not Z
    items = sorted(a.back(s, "ckg:document", "item"), key=a.pos)
    meeting = next((m for i in items for m in a.all(i, "ckg:meeting")), None)
    if meeting:
        e.facts.insert(0, ("Meeting", a.link(meeting)))
    meta = a.json(s, "ckg:metadata")
    url = safe_url(a.one(s, "dcterms:source"))
    if url:
        e.facts.append(("Published at", url))
    e.facts += [(f"Metadata: {k}", str(v)) for k, v in sorted(meta.items()) if k not in ("source_url", "source")]
    e.group("Agenda items", [Entry(a.link(i)) for i in items])
    return e


@loader("action")
def action(store, ident):
    a, s, e = page(store, "action", ident, ("ckg:agendaItem", *(f"ckg:agendaItem/{p}" for p in ITEM_CONTEXT)), 90)
    e.text = a.one(s, "ckg:text")
    e.facts = item_context(a, a.one(s, "ckg:agendaItem")) + [("Kind", a.one(s, "ckg:actionKind")),
                                                              ("Owner", a.one(s, "ckg:actionOwner") or "not stated")]
    e.facts += [(label, a.one(s, p)) for label, p in (("Proposed by", "ckg:proposer"), ("Seconded by", "ckg:seconder")) if a.one(s, p)]
    return e


@loader("inspection")
def inspection(store, ident):
    from councilkg.web.inspections import discussions, followups, official_inspection

    if ident.startswith("ofsted-"):  # an event of Ofsted's record, not one read from minutes
        return official_inspection(store, ident)
    a = fetch(store, "inspection", ident, ("ckg:inspectedCouncil", "ckg:judgement", *EVIDENCE))
    if a.one(a.subject, "ckg:recordEvent"):  # a mention resolved to an event (Ofsted's, or the one its mentions share) is it
        return inspection(store, a.ident(a.one(a.subject, "ckg:recordEvent")))
    s, e = a.subject, Entity("inspection", ident, a.label(a.subject))
    kind = a.ident(a.one(s, "ckg:inspectionType")) or ""
    e.facts = [("Inspectorate", a.one(s, "ckg:inspectorate")), ("Type", Link("inspection-type", kind, concept_label("inspection-type", kind))),
               ("Date", a.one(s, "ckg:inspectionDate") or "not stated"), ("Status", a.one(s, "ckg:inspectionStatus")),
               ("In Ofsted's record", "no")]
    council_fact(a, s, "ckg:inspectedCouncil", e)
    e.facts.append(("Judgements", a.links(judgements(a, s)) or "none stated"))
    if a.one(s, "ckg:inspectionEndDate"):
        e.facts.insert(4, ("End date", a.one(s, "ckg:inspectionEndDate")))
    e.evidence = quote(a, s) or [  # one the record lacks, shared by its mentions: what each says, and where
        Quote(d["quote"], Link("point", d["point"], "the debate point") if d["point"] else Link("item", d["item"], "the agenda item"),
              meeting_label(d["meeting"]["date"], d["meeting"]["committee"]))
        for d in discussions(store, [ident]).get(ident, [])[:MAX_LIST] if d["point"] or d["item"]]
    return followups(store, e, ident)


@loader("judgement")
def judgement(store, ident):
    paths = ("^ckg:judgement", "^ckg:judgement/ckg:inspectedCouncil", "^ckg:statedJudgement", "^ckg:statedJudgement/ckg:inspectedCouncil")
    a, s, e = page(store, "judgement", ident, (*paths, *EVIDENCE))
    grade = a.ident(a.one(s, "ckg:grade")) or ""
    inspection = next(iter(a.back(s, "ckg:judgement") or a.back(s, "ckg:statedJudgement")), None)  # stated: the minutes' claim
    e.facts = [("Grade", Link("grade", grade, grade_label(grade))), ("Area", a.one(s, "ckg:judgementArea") or "overall effectiveness"),
               ("Inspection", a.link(inspection) or "not stated")]
    e.facts.insert(0, ("Council", a.link(a.one(inspection, "ckg:inspectedCouncil") if inspection else None) or "not stated"))
    e.evidence = quote(a, s)
    return e


@loader("intervention")
def intervention(store, ident):
    a, s, e = page(store, "intervention", ident, ("ckg:concernsCouncil", *EVIDENCE))
    e.facts = [("Type", Link("intervention-type", a.ident(a.one(s, "ckg:interventionType")) or "", e.label)),
               ("By", a.one(s, "ckg:interventionBy") or "not stated"), ("Date", a.one(s, "ckg:interventionDate") or "not stated")]
    council_fact(a, s, "ckg:concernsCouncil", e)
    e.evidence = quote(a, s)
    return e


@loader("practice")
def practice(store, ident):
    a, s, e = page(store, "practice", ident, ("ckg:adoptedBy", "ckg:outcomeEvidence", *EVIDENCE))
    listed = sorted(a.all(s, "ckg:theme"), key=lambda t: (THEME_ORDER.get(a.ident(t), len(THEME_ORDER)), t))  # as extracted
    e.facts = [("Kind", a.one(s, "ckg:practiceKind")), ("Themes", a.links(listed) or "none"),
               ("Outcome", a.one(s, "ckg:outcome") or "not reported in the minutes")]
    council_fact(a, s, "ckg:adoptedBy", e, "Adopted by")
    e.evidence = quote(a, s, "what was done")
    if a.one(s, "ckg:outcomeQuote"):
        e.evidence.append(Quote(a.one(s, "ckg:outcomeQuote"), a.link(a.one(s, "ckg:outcomeEvidence")), "how it went"))
    return e
