"""The database as RDF in the contract's terms (§4), written as N-Triples text straight from SQL so 1M triples stay cheap."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SKOS, XSD

from councilkg.corpus.model import stable_id
from councilkg.graph.ofsted import AREAS, official_grades, record_grade
from councilkg.corpus.ofsted import FORMAT as REPORT_FORMAT
from councilkg.graph.vocab import (
    FALSE, GSS, IRI_OK, ISSUED, TRUE, A, BASE, DATE, DERIVED, DESCRIPTION, IN_SCHEME, LABEL, NOTATION, PREF, SAME, SOURCE, TITLE, P, bind_prefixes, date_literal, iri, lit, node,
    ref, typed,
)

DATA = Path(__file__).resolve().parent / "data"
ONTOLOGY = DATA / "ontology.ttl"
THEMES = DATA / "themes.ttl"  # the theme scheme, shipped by the themes work; included when present
VOCABULARY = "https://w3id.org/councilkg/ns"  # the ontology's IRI: the store's graph of the ontology and theme scheme


class ExportError(Exception):
    """An export format or target that councilkg does not support."""


# ---- emitters: one per kind of resource, each yields (owner id, N-Triples lines) from SQL ----------------------
# Every triple has one owner: the document it was read from, or the council or meeting it describes (a meeting is
# shared by the documents of one sitting). The same emitter writes the whole export (only=None) and one owner's
# triples (only=its id), so the store updated in place holds exactly what the export says.

Emitter = Callable[[sqlite3.Connection, "str | None"], Iterable[tuple[str, str]]]
EMITTERS: dict[str, tuple[str, Emitter]] = {}  # name -> (owner kind: "council", "meeting" or "document", emitter)
CONCEPT_KINDS = {"grade": "Grades", "inspection-type": "InspectionTypes", "intervention-type": "InterventionTypes", "theme": "Themes"}


def emitter(name: str, owner: str = "document") -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        EMITTERS[name] = (owner, fn)
        return fn

    return register


def _rows(con: sqlite3.Connection, sql: str, column: str, only: str | None, cond: str = "1"):
    """Every row of `sql`, or only those whose `column` is `only` (one owner's rows, through an index)."""
    if only is None:
        return con.execute(f"{sql} WHERE {cond}")
    return con.execute(f"{sql} WHERE {cond} AND {column} = ?", (only,))


@emitter("councils", "council")
def _councils(con, only):
    for cid, name, gss, ctype, region, within in _rows(con, "SELECT id, name, gss, type, region, within_id FROM councils", "id", only):
        s = node("council", cid)
        yield cid, f"{s} {A} {P['Council']} .\n{s} {LABEL} {lit(name)} .\n"
        if gss:
            yield cid, f"{s} {P['gssCode']} {lit(gss)} .\n{s} {SAME} {ref(GSS[gss])} .\n"
        if ctype:
            yield cid, f"{s} {P['councilType']} {lit(ctype)} .\n"
        if region:
            yield cid, f"{s} {P['region']} {lit(region)} .\n"
        if within:
            yield cid, f"{s} {P['withinCouncil']} {node('council', within)} .\n"


@emitter("meetings", "meeting")
def _meetings(con, only):
    rows = _rows(con, "SELECT id, council_id, council_method, council_evidence, date, committee, date_method, committee_method"
                 " FROM meetings", "id", only)
    for mid, cid, method, evidence, day, committee, date_method, committee_method in rows:
        s = node("meeting", mid)
        yield mid, f"{s} {A} {P['Meeting']} .\n{s} {P['councilMethod']} {lit(method)} .\n"
        if cid:
            yield mid, f"{s} {P['council']} {node('council', cid)} .\n"
        if evidence:
            yield mid, f"{s} {P['councilEvidence']} {lit(evidence)} .\n"
        d = date_literal(day)
        if d:  # dcterms:date is a day (contract §4); a month or a year the minutes give is ckg:partialDate
            yield mid, f"{s} {DATE if len(day) == 10 else P['partialDate']} {d} .\n"
            if date_method:
                yield mid, f"{s} {P['dateMethod']} {lit(date_method)} .\n"
        if committee:
            yield mid, f"{s} {P['committee']} {lit(committee)} .\n"
            if committee_method:
                yield mid, f"{s} {P['committeeMethod']} {lit(committee_method)} .\n"


@emitter("documents")
def _documents(con, only):
    rows = _rows(con, "SELECT id, source, title, meta_json, fmt, sha256, ingested_at FROM documents", "id", only)
    for did, given, title, meta, fmt, sha, ingested in rows:
        s = node("document", did)
        yield did, (f"{s} {A} {P['Document']} .\n{s} {P['sourceFile']} {lit(given)} .\n{s} {P['readAs']} {lit(fmt)} .\n"
                    f"{s} {P['sha256']} {lit(sha)} .\n{s} {P['ingestedAt']} {lit(ingested)}^^{ref(XSD.dateTime)} .\n"
                    f"{s} {P['metadata']} {json_literal(json.loads(meta or '{}'))} .\n")
        if title:
            yield did, f"{s} {TITLE} {lit(title)} .\n"
        meta = json.loads(meta or "{}")
        url = str(meta.get("source_url") or meta.get("source") or "").strip()
        if IRI_OK.match(url):
            yield did, f"{s} {SOURCE} {ref(url)} .\n"


@emitter("items")
def _items(con, only):
    rows = _rows(con, "SELECT id, doc_id, meeting_id, seq, number, title, procedural, description, text FROM items", "doc_id", only)
    for iid, did, mid, seq, number, title, procedural, description, body in rows:
        s = node("item", iid)
        yield did, (f"{s} {A} {P['AgendaItem']} .\n{s} {P['document']} {node('document', did)} .\n"
                    f"{s} {P['position']} {typed(seq, XSD.integer)} .\n"
                    f"{s} {P['procedural']} {typed('true' if procedural else 'false', XSD.boolean)} .\n")
        if mid:
            yield did, f"{s} {P['meeting']} {node('meeting', mid)} .\n"
        if title:
            yield did, f"{s} {TITLE} {lit(title)} .\n"
        if number:
            yield did, f"{s} {P['itemNumber']} {lit(number)} .\n"
        if description:
            yield did, f"{s} {DESCRIPTION} {lit(description)} .\n"
        if body:
            yield did, f"{s} {P['text']} {lit(body)} .\n"


@emitter("points")
def _points(con, only):
    integer, cls, item, text, kind_p, pos = ref(XSD.integer), P["DebatePoint"], P["agendaItem"], P["text"], P["pointKind"], P["position"]
    point, agenda = BASE + "point/", BASE + "item/"
    for pid, iid, did, seq, kind, body, lead in _rows(con, "SELECT id, item_id, doc_id, seq, kind, text, context FROM points",
                                                      "doc_id", only):
        s = f"<{point}{pid}>"
        yield did, (f"{s} {A} {cls} .\n{s} {item} <{agenda}{iid}> .\n{s} {text} {lit(body)} .\n"
                    f"{s} {kind_p} {lit(kind)} .\n{s} {pos} \"{seq}\"^^{integer} .\n")
        if lead:
            yield did, f"{s} {P['leadIn']} {lit(lead)} .\n"


@emitter("actions")
def _actions(con, only):
    rows = _rows(con, "SELECT id, item_id, doc_id, seq, kind, text, owner, context, proposer, seconder FROM actions", "doc_id", only)
    for aid, iid, did, seq, kind, body, owner, lead, proposer, seconder in rows:
        s, item = node("action", aid), node("item", iid)
        yield did, (f"{s} {A} {P['Action']} .\n{s} {P['agendaItem']} {item} .\n{s} {DERIVED} {item} .\n"
                    f"{s} {P['text']} {lit(body)} .\n{s} {P['actionKind']} {lit(kind)} .\n"
                    f"{s} {P['position']} {typed(seq, XSD.integer)} .\n")
        if owner:
            yield did, f"{s} {P['actionOwner']} {lit(owner)} .\n"
        if lead:
            yield did, f"{s} {P['leadIn']} {lit(lead)} .\n"
        if proposer:
            yield did, f"{s} {P['proposer']} {lit(proposer)} .\n"
        if seconder:
            yield did, f"{s} {P['seconder']} {lit(seconder)} .\n"


def _evidence(con, table: str, only: str | None, extra: str = ""):
    """The table's rows (one document's, or all) plus the evidence IRI each was derived from, only if that point or item exists."""
    sql = (f"SELECT t.*, {extra} CASE WHEN p.id IS NOT NULL THEN 'point/' || p.id WHEN i.id IS NOT NULL THEN 'item/' || i.id END AS ev "
           f"FROM {table} t LEFT JOIN points p ON p.id = t.ev_point LEFT JOIN items i ON i.id = t.ev_item")
    return _rows(con, sql, "t.doc_id", only)


def _derived(s: str, row: sqlite3.Row) -> str:
    out = f"{s} {P['quote']} {lit(row['quote'])} .\n" if row["quote"] else ""
    return out + (f"{s} {DERIVED} <{BASE}{row['ev']}> .\n" if row["ev"] else "")


@emitter("inspections")
def _inspections(con, only):
    """Inspections the minutes name: one linked to an event (Ofsted's, or the minutes-derived one its mentions share) is that
    event ckg:discussedIn its point, not another inspection (the mention keeps only its quote, evidence and ckg:recordEvent,
    for its old IRI and the meetings that discussed the event)."""
    for r in _evidence(con, "inspections", only):
        s, did = node("inspection", r["id"]), r["doc_id"]
        if r["event_id"] or r["minutes_event"]:
            event = node("inspection", r["event_id"] or r["minutes_event"])
            out = f"{event} {P['discussedIn']} <{BASE}{r['ev']}> .\n" if r["ev"] else ""
            yield did, out + f"{s} {P['recordEvent']} {event} .\n" + _derived(s, r)  # its page is the event's
            continue
        yield did, _from_minutes(s, r) + _derived(s, r)  # no council to share it by: an inspection of its own
    official = {}  # event -> Ofsted's record of it (a row that is another owner's: its change relogs this document)
    events = "".join(f"(SELECT {c} FROM inspections WHERE id = t.inspection_id) AS {c}," for c in ("event_id", "minutes_event"))
    for r in _evidence(con, "judgements", only, events):
        s, event, own = node("judgement", r["id"]), r["event_id"], r["minutes_event"] or r["inspection_id"]
        out = ""
        if event:  # the minutes' claim about the official event: kept beside the record's grades, never replacing them
            if event not in official:
                official[event] = con.execute("SELECT type, judgements FROM official_inspections WHERE id=?", (event,)).fetchone()
            out += f"{node('inspection', event)} {P['statedJudgement']} {s} .\n"
            grade = record_grade(official[event], r["area"]) if official[event] else None
            if grade:
                out += f"{s} {P['agreesWithRecord']} {TRUE if grade == r['grade'] else FALSE} .\n"
        else:  # the minutes are the only word on an inspection the record lacks: their grade is its judgement
            out += f"{node('inspection', own)} {P['judgement']} {s} .\n"
        out += f"{s} {A} {P['Judgement']} .\n{s} {P['grade']} {node('grade', r['grade'])} .\n"
        if r["area"]:
            out += f"{s} {P['judgementArea']} {lit(r['area'])} .\n"
        yield r["doc_id"], out + _derived(s, r)


def _from_minutes(s: str, r) -> str:
    """An inspection as the minutes state it: not in Ofsted's record, its date at the precision they give."""
    out = (f"{s} {A} {P['Inspection']} .\n{s} {P['inspectionType']} {node('inspection-type', r['type'])} .\n"
           f"{s} {P['inspectorate']} {lit(r['inspectorate'])} .\n{s} {P['inspectionStatus']} {lit(r['status'])} .\n"
           f"{s} {P['inOfficialRecord']} {FALSE} .\n")
    if r["council_id"]:
        out += f"{s} {P['inspectedCouncil']} {node('council', r['council_id'])} .\n"
    d = date_literal(r["date"], r["date_precision"])
    if d:
        out += f"{s} {P['inspectionDate']} {d} .\n"
    if r["end_date"] and (d := date_literal(r["end_date"])):
        out += f"{s} {P['inspectionEndDate']} {d} .\n"
    return out


@emitter("minutes_events", "inspection")
def _minutes_events(con, only):
    """Each inspection the record lacks, once, in its own graph: its mentions (in their documents' graphs) are its discussions."""
    for r in _rows(con, "SELECT * FROM minutes_events", "id", only):
        yield r["id"], _from_minutes(node("inspection", r["id"]), r)


@emitter("official_inspections", "council")
def _official(con, only):
    """Ofsted's own record of each inspection of the councils held: dates, report, and every judgement it gave (the council's)."""
    for r in _rows(con, "SELECT * FROM official_inspections", "council_id", only):
        s = node("inspection", r["id"])
        out = (f"{s} {A} {P['Inspection']} .\n{s} {P['inspectionType']} {node('inspection-type', r['type'])} .\n"
               f"{s} {P['inspectorate']} {lit(r['inspectorate'])} .\n{s} {P['inspectionStatus']} {lit('happened')} .\n"
               f"{s} {P['inOfficialRecord']} {TRUE} .\n{s} {P['inspectedCouncil']} {node('council', r['council_id'])} .\n")
        for col, term in (("start", P["inspectionDate"]), ("end", P["inspectionEndDate"]), ("published", ISSUED)):
            if r[col] and (d := date_literal(r[col])):
                out += f"{s} {term} {d} .\n"
        if r["framework"]:
            out += f"{s} {P['inspectionFramework']} {lit(r['framework'])} .\n"
        if r["theme"]:
            out += f"{s} {P['visitTheme']} {lit(r['theme'])} .\n"
        if r["url"] and IRI_OK.match(r["url"]):
            out += f"{s} {SOURCE} {ref(r['url'])} .\n"
        for area, grade in official_grades(r["judgements"]):
            j = node("judgement", f"{r['id']}-{area}")
            out += (f"{s} {P['judgement']} {j} .\n{j} {A} {P['Judgement']} .\n{j} {P['grade']} {node('grade', grade)} .\n"
                    f"{j} {P['inOfficialRecord']} {TRUE} .\n")
            if area != "overall":
                out += f"{j} {P['judgementArea']} {lit(AREAS.get(area, area))} .\n"
        yield r["council_id"], out


@emitter("recommendations")
def _recommendations(con, only):
    event = "(SELECT coalesce(event_id, minutes_event) FROM inspections WHERE id = t.inspection_id) AS event_id,"
    for r in _evidence(con, "recommendations", only, event):
        s = node("recommendation", r["id"])  # from Ofsted's event when the report's inspection is one
        yield r["doc_id"], (f"{node('inspection', r['event_id'] or r['inspection_id'])} {P['recommendation']} {s} .\n"
                            f"{s} {A} {P['Recommendation']} .\n{s} {P['text']} {lit(r['text'])} .\n"
                            f"{s} {P['position']} {typed(r['seq'], XSD.integer)} .\n" + _derived(s, r))
    finding = P["InspectionFinding"]
    sql = "SELECT p.id, p.doc_id FROM points p JOIN documents d ON d.id = p.doc_id"
    for pid, did in _rows(con, sql, "p.doc_id", only, cond=f"d.fmt = '{REPORT_FORMAT}'"):
        yield did, f"{node('point', pid)} {A} {finding} .\n"


@emitter("followups")
def _followups(con, only):
    """ckg:addressedIn, owned by the point's document: written after the ingest's commit, logged by a trigger on followups."""
    sql = "SELECT f.recommendation_id, f.point_id, p.doc_id FROM followups f JOIN points p ON p.id = f.point_id"
    for rid, pid, did in _rows(con, sql, "p.doc_id", only):
        yield did, f"{node('recommendation', rid)} {P['addressedIn']} {node('point', pid)} .\n"


@emitter("interventions")
def _interventions(con, only):
    for r in _evidence(con, "interventions", only):
        s = node("intervention", r["id"])
        out = f"{s} {A} {P['Intervention']} .\n{s} {P['interventionType']} {node('intervention-type', r['type'])} .\n"
        if r["council_id"]:
            out += f"{s} {P['concernsCouncil']} {node('council', r['council_id'])} .\n"
        if r["by"]:
            out += f"{s} {P['interventionBy']} {lit(r['by'])} .\n"
        d = date_literal(r["date"])
        if d:
            out += f"{s} {P['interventionDate']} {d} .\n"
        yield r["doc_id"], out + _derived(s, r)


@emitter("practices")
def _practices(con, only):
    extra = "(SELECT op.id FROM points op WHERE op.id = t.outcome_point) AS op_id,"
    for r in _evidence(con, "practices", only, extra):
        s = node("practice", r["id"])
        out = f"{s} {A} {P['Practice']} .\n{s} {LABEL} {lit(r['label'])} .\n{s} {P['practiceKind']} {lit(r['kind'])} .\n"
        if r["council_id"]:
            out += f"{s} {P['adoptedBy']} {node('council', r['council_id'])} .\n"
        for theme in json.loads(r["themes"] or "[]"):
            out += f"{s} {P['theme']} {node('theme', theme)} .\n"
        if r["outcome"]:
            out += f"{s} {P['outcome']} {lit(r['outcome'])} .\n"
        if r["outcome_quote"]:
            out += f"{s} {P['outcomeQuote']} {lit(r['outcome_quote'])} .\n"
        if r["op_id"]:
            out += f"{s} {P['outcomeEvidence']} {node('point', r['op_id'])} .\n"
        yield r["doc_id"], out + _derived(s, r)


@emitter("mentions")
def _mentions(con, only):
    """ckg:mentions from the point (or item) to the council, and each sentence naming it as a ckg:Mention quoting it."""
    sql = ("SELECT DISTINCT CASE WHEN p.id IS NOT NULL THEN 'point/' || p.id ELSE 'item/' || i.id END AS ev, m.council_id, m.quote, "
           "m.doc_id FROM mentions m LEFT JOIN points p ON p.id = m.ev_point LEFT JOIN items i ON i.id = m.ev_item")
    sql += " WHERE (p.id IS NOT NULL OR i.id IS NOT NULL)"
    rows = con.execute(f"{sql} ORDER BY ev, m.council_id") if only is None else con.execute(f"{sql} AND m.doc_id = ? ORDER BY ev, m.council_id", (only,))
    for (ev, cid), found in groupby(rows, key=itemgetter(0, 1)):
        council = node("council", cid)
        found = list(found)
        did = found[0][3]
        out = f"<{BASE}{ev}> {P['mentions']} {council} .\n"
        for _, _, quote, _ in found:
            s = node("mention", stable_id("mention", ev, cid, quote))
            out += (f"{s} {A} {P['Mention']} .\n{s} {P['mentionedCouncil']} {council} .\n{s} {DERIVED} <{BASE}{ev}> .\n"
                    f"{s} {P['quote']} {lit(quote)} .\n")
        yield did, out


@emitter("themes")
def _themes(con, only):
    theme, scores = P["theme"], P["themeScores"]
    for kind, table, key, parent in (("point", "point_themes", "point_id", "points"), ("item", "item_themes", "item_id", "items")):
        sql = f"SELECT t.{key}, t.theme, t.score, o.doc_id FROM {table} t JOIN {parent} o ON o.id = t.{key}"
        order = f" ORDER BY t.{key}"  # its primary key's order: no sort over the whole table
        rows = con.execute(sql + order) if only is None else con.execute(f"{sql} WHERE o.doc_id = ?{order}", (only,))
        for ident, found in groupby(rows, key=itemgetter(0)):
            found = list(found)
            s = f"<{BASE}{kind}/{ident}>"
            yield found[0][3], ("".join(f"{s} {theme} {node('theme', tid)} .\n" for _, tid, _, _ in found)
                                + f"{s} {scores} {json_literal({tid: score for _, tid, score, _ in found})} .\n")


def json_literal(value: dict) -> str:
    """An rdf:JSON literal (keys sorted, so one state exports one way)."""
    return f"{lit(json.dumps(value, sort_keys=True, ensure_ascii=False))}^^{ref(RDF.JSON)}"


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


def concept_ntriples(kind: str, ident: str) -> str:
    """The declaration of a concept no shipped scheme defines, labelled by its id, so every link to it resolves."""
    s = node(kind, ident)
    out = f"{s} {A} {ref(SKOS.Concept)} .\n{s} {IN_SCHEME} {P[CONCEPT_KINDS[kind]]} .\n{s} {PREF} {lit(ident)} .\n{s} {NOTATION} {lit(ident)} .\n"
    return out + (f"{s} {A} {P['Theme']} .\n" if kind == "theme" else "")


def missing_concepts(con: sqlite3.Connection, vocab: Graph) -> Iterator[tuple[str, str]]:
    """(kind, id) of every concept the data uses but no shipped scheme defines."""
    for kind, ids in _used_concepts(con).items():
        for ident in sorted(ids):
            if (iri(kind, ident), RDF.type, None) not in vocab:
                yield kind, ident


def data_ntriples(con: sqlite3.Connection, vocab: Graph | None = None) -> Iterator[str]:
    """The database's resources as N-Triples chunks (no ontology); with vocab, also concepts it lacks."""
    for _, fn in EMITTERS.values():
        for _, chunk in fn(con, None):
            yield chunk
    if vocab is not None:
        for kind, ident in missing_concepts(con, vocab):
            yield concept_ntriples(kind, ident)


def ntriples(con: sqlite3.Connection) -> Iterator[str]:
    """The whole export as N-Triples chunks: vocabulary first, then the data. Streams in constant memory."""
    vocab = vocabulary()
    yield vocab.serialize(format="nt")
    yield from data_ntriples(con, vocab)


def owned_ntriples(con: sqlite3.Connection, kind: str, ident: str) -> str:
    """One council's, meeting's or document's own triples (what its named graph in the store holds), through indexes."""
    return "".join(chunk for owner, fn in EMITTERS.values() if owner == kind for _, chunk in fn(con, ident))


def owned_nquads(con: sqlite3.Connection) -> Iterator[str]:
    """The whole export as N-Quads chunks, each triple in its owner's graph (named by the owner's IRI): for a full store build."""
    vocab = vocabulary()
    yield in_graph(vocab.serialize(format="nt"), VOCABULARY)
    for owner, fn in EMITTERS.values():
        for ident, chunk in fn(con, None):
            yield in_graph(chunk, str(iri(owner, ident)))
    for kind, ident in missing_concepts(con, vocab):
        yield in_graph(concept_ntriples(kind, ident), str(iri(kind, ident)))


def in_graph(chunk: str, graph: str) -> str:
    """N-Triples lines as N-Quads in `graph` (every line ends " .\\n": literals escape their newlines)."""
    return chunk.replace(" .\n", f" <{graph}> .\n")


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
    load_chunks(store.bulk_load if path else store.load, ntriples(con), ox.RdfFormat.N_TRIPLES)
    return store


def load_chunks(load, chunks: Iterable[str], fmt, batch_bytes: int = 8_000_000) -> None:
    """Feed text chunks to a pyoxigraph load function in batches of about `batch_bytes`, so memory stays bounded."""
    batch: list[str] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size > batch_bytes:
            load("".join(batch).encode("utf-8"), format=fmt)
            batch, size = [], 0
    load("".join(batch).encode("utf-8"), format=fmt)
