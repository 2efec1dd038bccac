"""The database as RDF in the contract's terms (§4), written as N-Triples text straight from SQL so 1M triples stay cheap."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SKOS, XSD

from councilkg.graph.ofsted import AREAS, official_grades, record_grade
from councilkg.graph.vocab import (
    FALSE, GSS, IRI_OK, ISSUED, TRUE, A, BASE, DATE, DERIVED, DESCRIPTION, IN_SCHEME, LABEL, NOTATION, PREF, SAME, SOURCE, TITLE, P, bind_prefixes, date_literal, iri, lit, node,
    ref, typed,
)

DATA = Path(__file__).resolve().parent / "data"
ONTOLOGY = DATA / "ontology.ttl"
THEMES = DATA / "themes.ttl"  # the theme scheme, shipped by the themes work; included when present


class ExportError(Exception):
    """An export format or target that councilkg does not support."""


# ---- emitters: one per kind of resource, each yields N-Triples lines from SQL --------------------------------

Emitter = Callable[[sqlite3.Connection], Iterable[str]]
EMITTERS: dict[str, Emitter] = {}
CONCEPT_KINDS = {"grade": "Grades", "inspection-type": "InspectionTypes", "intervention-type": "InterventionTypes", "theme": "Themes"}


def emitter(name: str) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        EMITTERS[name] = fn
        return fn

    return register


@emitter("councils")
def _councils(con):
    for cid, name, gss, ctype, region, within in con.execute("SELECT id, name, gss, type, region, within_id FROM councils"):
        s = node("council", cid)
        yield f"{s} {A} {P['Council']} .\n{s} {LABEL} {lit(name)} .\n"
        if gss:
            yield f"{s} {P['gssCode']} {lit(gss)} .\n{s} {SAME} {ref(GSS[gss])} .\n"
        if ctype:
            yield f"{s} {P['councilType']} {lit(ctype)} .\n"
        if region:
            yield f"{s} {P['region']} {lit(region)} .\n"
        if within:
            yield f"{s} {P['withinCouncil']} {node('council', within)} .\n"


@emitter("meetings")
def _meetings(con):
    rows = con.execute("SELECT id, council_id, council_method, council_evidence, date, committee, date_method, committee_method"
                       " FROM meetings")
    for mid, cid, method, evidence, day, committee, date_method, committee_method in rows:
        s = node("meeting", mid)
        yield f"{s} {A} {P['Meeting']} .\n{s} {P['councilMethod']} {lit(method)} .\n"
        if cid:
            yield f"{s} {P['council']} {node('council', cid)} .\n"
        if evidence:
            yield f"{s} {P['councilEvidence']} {lit(evidence)} .\n"
        if day and len(day) == 10 and (d := date_literal(day)):
            yield f"{s} {DATE} {d} .\n"
            if date_method:
                yield f"{s} {P['dateMethod']} {lit(date_method)} .\n"
        if committee:
            yield f"{s} {P['committee']} {lit(committee)} .\n"
            if committee_method:
                yield f"{s} {P['committeeMethod']} {lit(committee_method)} .\n"


@emitter("documents")
def _documents(con):
    for did, given, title, meta in con.execute("SELECT id, source, title, meta_json FROM documents"):
        s = node("document", did)
        yield f"{s} {A} {P['Document']} .\n{s} {P['sourceFile']} {lit(given)} .\n"
        if title:
            yield f"{s} {TITLE} {lit(title)} .\n"
        meta = json.loads(meta or "{}")
        url = str(meta.get("source_url") or meta.get("source") or "").strip()
        if IRI_OK.match(url):
            yield f"{s} {SOURCE} {ref(url)} .\n"


@emitter("items")
def _items(con):
    rows = con.execute("SELECT id, doc_id, meeting_id, seq, number, title, procedural, description FROM items")
    for iid, did, mid, seq, number, title, procedural, description in rows:
        s = node("item", iid)
        yield (f"{s} {A} {P['AgendaItem']} .\n{s} {P['document']} {node('document', did)} .\n"
               f"{s} {P['position']} {typed(seq, XSD.integer)} .\n"
               f"{s} {P['procedural']} {typed('true' if procedural else 'false', XSD.boolean)} .\n")
        if mid:
            yield f"{s} {P['meeting']} {node('meeting', mid)} .\n"
        if title:
            yield f"{s} {TITLE} {lit(title)} .\n"
        if number:
            yield f"{s} {P['itemNumber']} {lit(number)} .\n"
        if description:
            yield f"{s} {DESCRIPTION} {lit(description)} .\n"


@emitter("points")
def _points(con):
    integer, cls, item, text, kind_p, pos = ref(XSD.integer), P["DebatePoint"], P["agendaItem"], P["text"], P["pointKind"], P["position"]
    point, agenda = BASE + "point/", BASE + "item/"
    for pid, iid, seq, kind, body, lead in con.execute("SELECT id, item_id, seq, kind, text, context FROM points"):
        s = f"<{point}{pid}>"
        yield (f"{s} {A} {cls} .\n{s} {item} <{agenda}{iid}> .\n{s} {text} {lit(body)} .\n"
               f"{s} {kind_p} {lit(kind)} .\n{s} {pos} \"{seq}\"^^{integer} .\n")
        if lead:
            yield f"{s} {P['leadIn']} {lit(lead)} .\n"


@emitter("actions")
def _actions(con):
    rows = con.execute("SELECT id, item_id, seq, kind, text, owner, context, proposer, seconder FROM actions")
    for aid, iid, seq, kind, body, owner, lead, proposer, seconder in rows:
        s, item = node("action", aid), node("item", iid)
        yield (f"{s} {A} {P['Action']} .\n{s} {P['agendaItem']} {item} .\n{s} {DERIVED} {item} .\n"
               f"{s} {P['text']} {lit(body)} .\n{s} {P['actionKind']} {lit(kind)} .\n"
               f"{s} {P['position']} {typed(seq, XSD.integer)} .\n")
        if owner:
            yield f"{s} {P['actionOwner']} {lit(owner)} .\n"
        if lead:
            yield f"{s} {P['leadIn']} {lit(lead)} .\n"
        if proposer:
            yield f"{s} {P['proposer']} {lit(proposer)} .\n"
        if seconder:
            yield f"{s} {P['seconder']} {lit(seconder)} .\n"


def _evidence(table: str, extra: str = "") -> str:
    """SELECT the table's columns plus the evidence IRI it was derived from, only if that point or item exists."""
    return (f"SELECT t.*, {extra} CASE WHEN p.id IS NOT NULL THEN 'point/' || p.id WHEN i.id IS NOT NULL THEN 'item/' || i.id END AS ev "
            f"FROM {table} t LEFT JOIN points p ON p.id = t.ev_point LEFT JOIN items i ON i.id = t.ev_item")


def _derived(s: str, row: sqlite3.Row) -> str:
    out = f"{s} {P['quote']} {lit(row['quote'])} .\n" if row["quote"] else ""
    return out + (f"{s} {DERIVED} <{BASE}{row['ev']}> .\n" if row["ev"] else "")


@emitter("inspections")
def _inspections(con):
    """Inspections the minutes name: one linked to Ofsted's event is that event ckg:discussedIn its point, not another inspection."""
    linked = {}
    for r in con.execute(_evidence("inspections")):
        s = node("inspection", r["id"])
        if r["event_id"]:
            linked[r["id"]] = r["event_id"]
            if r["ev"]:
                yield f"{node('inspection', r['event_id'])} {P['discussedIn']} <{BASE}{r['ev']}> .\n"
            continue
        yield (f"{s} {A} {P['Inspection']} .\n{s} {P['inspectionType']} {node('inspection-type', r['type'])} .\n"
               f"{s} {P['inspectorate']} {lit(r['inspectorate'])} .\n{s} {P['inspectionStatus']} {lit(r['status'])} .\n"
               f"{s} {P['inOfficialRecord']} {FALSE} .\n")
        if r["council_id"]:
            yield f"{s} {P['inspectedCouncil']} {node('council', r['council_id'])} .\n"
        d = date_literal(r["date"], r["date_precision"])
        if d:
            yield f"{s} {P['inspectionDate']} {d} .\n"
        yield _derived(s, r)
    official = {}
    for r in con.execute(_evidence("judgements")):
        s, event = node("judgement", r["id"]), linked.get(r["inspection_id"])
        if event:  # the minutes' claim about the official event: kept beside the record's grades, never replacing them
            if event not in official:
                official[event] = con.execute("SELECT type, judgements FROM official_inspections WHERE id=?", (event,)).fetchone()
            yield f"{node('inspection', event)} {P['statedJudgement']} {s} .\n"
            grade = record_grade(official[event], r["area"]) if official[event] else None
            if grade:
                yield f"{s} {P['agreesWithRecord']} {TRUE if grade == r['grade'] else FALSE} .\n"
        else:
            yield f"{node('inspection', r['inspection_id'])} {P['judgement']} {s} .\n"
        yield f"{s} {A} {P['Judgement']} .\n{s} {P['grade']} {node('grade', r['grade'])} .\n"
        if r["area"]:
            yield f"{s} {P['judgementArea']} {lit(r['area'])} .\n"
        yield _derived(s, r)


@emitter("official_inspections")
def _official(con):
    """Ofsted's own record of each inspection of the councils held: dates, report, and every judgement it gave."""
    for r in con.execute("SELECT * FROM official_inspections"):
        s = node("inspection", r["id"])
        yield (f"{s} {A} {P['Inspection']} .\n{s} {P['inspectionType']} {node('inspection-type', r['type'])} .\n"
               f"{s} {P['inspectorate']} {lit(r['inspectorate'])} .\n{s} {P['inspectionStatus']} {lit('happened')} .\n"
               f"{s} {P['inOfficialRecord']} {TRUE} .\n{s} {P['inspectedCouncil']} {node('council', r['council_id'])} .\n")
        for col, term in (("start", P["inspectionDate"]), ("end", P["inspectionEndDate"]), ("published", ISSUED)):
            if r[col] and (d := date_literal(r[col])):
                yield f"{s} {term} {d} .\n"
        if r["framework"]:
            yield f"{s} {P['inspectionFramework']} {lit(r['framework'])} .\n"
        if r["theme"]:
            yield f"{s} {P['visitTheme']} {lit(r['theme'])} .\n"
        if r["url"] and IRI_OK.match(r["url"]):
            yield f"{s} {SOURCE} {ref(r['url'])} .\n"
        for area, grade in official_grades(r["judgements"]):
            j = node("judgement", f"{r['id']}-{area}")
            yield (f"{s} {P['judgement']} {j} .\n{j} {A} {P['Judgement']} .\n{j} {P['grade']} {node('grade', grade)} .\n"
                   f"{j} {P['inOfficialRecord']} {TRUE} .\n")
            if area != "overall":
                yield f"{j} {P['judgementArea']} {lit(AREAS.get(area, area))} .\n"


@emitter("interventions")
def _interventions(con):
    for r in con.execute(_evidence("interventions")):
        s = node("intervention", r["id"])
        yield f"{s} {A} {P['Intervention']} .\n{s} {P['interventionType']} {node('intervention-type', r['type'])} .\n"
        if r["council_id"]:
            yield f"{s} {P['concernsCouncil']} {node('council', r['council_id'])} .\n"
        if r["by"]:
            yield f"{s} {P['interventionBy']} {lit(r['by'])} .\n"
        d = date_literal(r["date"])
        if d:
            yield f"{s} {P['interventionDate']} {d} .\n"
        yield _derived(s, r)


@emitter("practices")
def _practices(con):
    extra = "(SELECT op.id FROM points op WHERE op.id = t.outcome_point) AS op_id,"
    for r in con.execute(_evidence("practices", extra)):
        s = node("practice", r["id"])
        yield f"{s} {A} {P['Practice']} .\n{s} {LABEL} {lit(r['label'])} .\n{s} {P['practiceKind']} {lit(r['kind'])} .\n"
        if r["council_id"]:
            yield f"{s} {P['adoptedBy']} {node('council', r['council_id'])} .\n"
        for theme in json.loads(r["themes"] or "[]"):
            yield f"{s} {P['theme']} {node('theme', theme)} .\n"
        if r["outcome"]:
            yield f"{s} {P['outcome']} {lit(r['outcome'])} .\n"
        if r["outcome_quote"]:
            yield f"{s} {P['outcomeQuote']} {lit(r['outcome_quote'])} .\n"
        if r["op_id"]:
            yield f"{s} {P['outcomeEvidence']} {node('point', r['op_id'])} .\n"
        yield _derived(s, r)


@emitter("mentions")
def _mentions(con):
    sql = ("SELECT DISTINCT CASE WHEN p.id IS NOT NULL THEN 'point/' || p.id ELSE 'item/' || i.id END, m.council_id "
           "FROM mentions m LEFT JOIN points p ON p.id = m.ev_point LEFT JOIN items i ON i.id = m.ev_item "
           "WHERE p.id IS NOT NULL OR i.id IS NOT NULL")
    for ev, cid in con.execute(sql):
        yield f"<{BASE}{ev}> {P['mentions']} {node('council', cid)} .\n"


@emitter("themes")
def _themes(con):
    theme, point, item = P["theme"], BASE + "point/", BASE + "item/"
    for pid, tid in con.execute("SELECT point_id, theme FROM point_themes"):
        yield f"<{point}{pid}> {theme} {node('theme', tid)} .\n"
    for iid, tid in con.execute("SELECT item_id, theme FROM item_themes"):
        yield f"<{item}{iid}> {theme} {node('theme', tid)} .\n"


def _used_concepts(con: sqlite3.Connection) -> dict[str, set[str]]:
    """Concept ids the data refers to, by kind, so ones the shipped schemes lack can still be declared."""
    q = lambda sql: {r[0] for r in con.execute(sql) if r[0]}  # noqa: E731
    themes = q("SELECT theme FROM point_themes UNION SELECT theme FROM item_themes")
    for (js,) in con.execute("SELECT themes FROM practices"):
        themes.update(json.loads(js or "[]"))
    grades = q("SELECT DISTINCT grade FROM judgements")
    for (js,) in con.execute("SELECT DISTINCT judgements FROM official_inspections"):
        grades.update(g for _, g in official_grades(js))
    return {"grade": grades, "inspection-type": q("SELECT DISTINCT type FROM inspections UNION SELECT type FROM official_inspections"),
            "intervention-type": q("SELECT DISTINCT type FROM interventions"), "theme": themes}


def vocabulary() -> Graph:
    """The ontology (grades, inspection and intervention types) and the theme scheme, as shipped."""
    g = bind_prefixes(Graph())
    g.parse(ONTOLOGY, format="turtle")
    if THEMES.exists():
        g.parse(THEMES, format="turtle")
    return g


def missing_concepts(con: sqlite3.Connection, vocab: Graph) -> Iterator[str]:
    """Declare concepts the data uses but no shipped scheme defines, labelled by their id, so every link resolves."""
    for kind, ids in _used_concepts(con).items():
        scheme = P[CONCEPT_KINDS[kind]]
        for ident in sorted(ids):
            if (iri(kind, ident), RDF.type, None) in vocab:
                continue
            s = node(kind, ident)
            yield f"{s} {A} {ref(SKOS.Concept)} .\n{s} {IN_SCHEME} {scheme} .\n{s} {PREF} {lit(ident)} .\n{s} {NOTATION} {lit(ident)} .\n"
            if kind == "theme":
                yield f"{s} {A} {P['Theme']} .\n"


def data_ntriples(con: sqlite3.Connection, vocab: Graph | None = None) -> Iterator[str]:
    """The database's resources as N-Triples chunks (no ontology); with vocab, also concepts it lacks."""
    for fn in EMITTERS.values():
        yield from fn(con)
    if vocab is not None:
        yield from missing_concepts(con, vocab)


def ntriples(con: sqlite3.Connection) -> Iterator[str]:
    """The whole export as N-Triples chunks: vocabulary first, then the data. Streams in constant memory."""
    vocab = vocabulary()
    yield vocab.serialize(format="nt")
    yield from data_ntriples(con, vocab)


def build_graph(con: sqlite3.Connection, store: str = "default") -> Graph:
    """The whole export as an rdflib Graph (store="Oxigraph" for the Rust-backed store; parsing stays in Rust)."""
    g = bind_prefixes(Graph(store=store))
    text = "".join(ntriples(con))
    g.parse(data=text, format="ox-nt" if store.lower() == "oxigraph" else "nt")
    return g


# ---- formats ---------------------------------------------------------------------------------------------------

FORMATS = {  # name -> (rdflib format, pyoxigraph format name, media type)
    "turtle": ("turtle", "TURTLE", "text/turtle"),
    "nt": ("nt", "N_TRIPLES", "application/n-triples"),
    "jsonld": ("json-ld", "JSON_LD", "application/ld+json"),
}


def _format(fmt: str) -> tuple[str, str, str]:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ExportError(f"unknown RDF format {fmt!r} (choose from {', '.join(FORMATS)})") from None


def media_type(fmt: str) -> str:
    return _format(fmt)[2]


def serialize(graph: Graph, fmt: str) -> bytes:
    """One rdflib Graph as turtle, nt or jsonld (JSON-LD compacted with the bound prefixes as its context)."""
    name = _format(fmt)[0]
    options = {"auto_compact": True} if name == "json-ld" else {}
    return graph.serialize(format=name, encoding="utf-8", **options)


def to_oxigraph(con: sqlite3.Connection, path: str | Path | None = None):
    """Load the whole export into a pyoxigraph Store (in memory, or bulk-loaded on disk at path)."""
    import pyoxigraph as ox

    store = ox.Store(str(path)) if path else ox.Store()
    load = store.bulk_load if path else store.load
    batch: list[str] = []
    size = 0
    for chunk in ntriples(con):
        batch.append(chunk)
        size += len(chunk)
        if size > 8_000_000:
            load("".join(batch).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
            batch, size = [], 0
    load("".join(batch).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store
