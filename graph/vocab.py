"""The ckg: vocabulary and resource IRIs, defined once so a typo fails at import instead of in a researcher's query."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

NS = "https://w3id.org/councilkg/ns#"
ID = Namespace("https://w3id.org/councilkg/id/")
GSS = Namespace("http://statistics.data.gov.uk/id/statistical-geography/")


class CKG(DefinedNamespace):
    """Every ckg: term; graph/data/ontology.ttl declares exactly these (tests/test_rdf.py checks both ways)."""

    _NS = Namespace(NS)
    _fail = True

    # classes
    Council: URIRef
    Meeting: URIRef
    AgendaItem: URIRef
    DebatePoint: URIRef
    Action: URIRef
    Theme: URIRef
    Inspection: URIRef
    Judgement: URIRef
    Intervention: URIRef
    Practice: URIRef
    Document: URIRef
    # concept schemes
    Themes: URIRef
    Grades: URIRef
    InspectionTypes: URIRef
    InterventionTypes: URIRef
    # councils and meetings
    gssCode: URIRef
    councilType: URIRef
    region: URIRef
    withinCouncil: URIRef
    council: URIRef
    councilMethod: URIRef
    councilEvidence: URIRef
    dateMethod: URIRef
    committee: URIRef
    committeeMethod: URIRef
    document: URIRef
    sourceFile: URIRef
    # items, points, actions
    meeting: URIRef
    itemNumber: URIRef
    procedural: URIRef
    position: URIRef
    agendaItem: URIRef
    text: URIRef
    leadIn: URIRef
    pointKind: URIRef
    actionKind: URIRef
    actionOwner: URIRef
    proposer: URIRef
    seconder: URIRef
    theme: URIRef
    mentions: URIRef
    # inspections, judgements, interventions
    inspectionType: URIRef
    inspectorate: URIRef
    inspectedCouncil: URIRef
    inspectionDate: URIRef
    inspectionStatus: URIRef
    judgement: URIRef
    grade: URIRef
    judgementArea: URIRef
    inspectionEndDate: URIRef
    inspectionFramework: URIRef
    visitTheme: URIRef
    inOfficialRecord: URIRef
    discussedIn: URIRef
    statedJudgement: URIRef
    agreesWithRecord: URIRef
    interventionType: URIRef
    interventionBy: URIRef
    interventionDate: URIRef
    concernsCouncil: URIRef
    # practices and evidence
    adoptedBy: URIRef
    practiceKind: URIRef
    outcome: URIRef
    outcomeEvidence: URIRef
    outcomeQuote: URIRef
    quote: URIRef


PREFIXES = {
    "ckg": Namespace(NS),
    "id": ID,
    "theme": Namespace(f"{ID}theme/"),
    "grade": Namespace(f"{ID}grade/"),
    "itype": Namespace(f"{ID}inspection-type/"),
    "ivtype": Namespace(f"{ID}intervention-type/"),
    "dcterms": DCTERMS,
    "skos": SKOS,
    "prov": PROV,
    "org": ORG,
    "schema": SDO,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}


def terms() -> set[URIRef]:
    """All ckg: terms of the vocabulary."""
    return {URIRef(NS + name) for name in CKG.__annotations__}


def iri(kind: str, ident: str) -> URIRef:
    """A resource IRI: https://w3id.org/councilkg/id/<kind>/<id>, the id percent-encoded."""
    return URIRef(f"{ID}{kind}/{quote(str(ident), safe='-_.~')}")


def bind_prefixes(graph: Graph) -> Graph:
    """The one place prefixes are bound, so every serialization spells them the same way."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX lines for every bound prefix, for queries written in contract terms."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


# ---- N-Triples spelling of terms, for writing the export as text ---------------------------------------------

_ESC = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_ESC.update({chr(c): f"\\u{c:04X}" for c in range(32) if chr(c) not in _ESC})
_ESCAPE = str.maketrans(_ESC)
IRI_OK = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_YMD = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def ref(term: str) -> str:
    return f"<{term}>"


def lit(text: str) -> str:
    """An N-Triples xsd:string literal, every control character escaped so the text survives verbatim."""
    return '"' + str(text).translate(_ESCAPE) + '"'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{datatype}>'


A, LABEL, SAME, DERIVED = ref(RDF.type), ref(RDFS.label), ref(OWL.sameAs), ref(PROV.wasDerivedFrom)
TITLE, DATE, SOURCE = ref(DCTERMS.title), ref(DCTERMS.date), ref(DCTERMS.source)
DESCRIPTION, ISSUED = ref(DCTERMS.description), ref(DCTERMS.issued)
TRUE, FALSE = typed("true", XSD.boolean), typed("false", XSD.boolean)
PREF, IN_SCHEME, NOTATION = ref(SKOS.prefLabel), ref(SKOS.inScheme), ref(SKOS.notation)
P = {name: ref(CKG[name]) for name in CKG.__annotations__}
BASE = str(ID)


def node(kind: str, ident: str) -> str:
    """The N-Triples spelling of a resource IRI; ids from the store are hex, others are percent-encoded."""
    return ref(iri(kind, ident))


def date_literal(value: str | None, precision: str | None = None) -> str | None:
    """xsd:date, xsd:gYearMonth or xsd:gYear, the coarser of what the value spells and its stated precision; None if invalid."""
    m = _YMD.match((value or "").strip())
    if not m:
        return None
    y, mo, d = m.groups()
    if precision == "year":
        mo = d = None
    elif precision == "month":
        d = None
    try:
        if d:
            return typed(date(int(y), int(mo), int(d)).isoformat(), XSD.date)
        if mo:
            return typed(f"{y}-{mo}", XSD.gYearMonth) if 1 <= int(mo) <= 12 else None
    except ValueError:
        return None
    return typed(y, XSD.gYear)


