"""The triples around one resource, fetched from the SPARQL store in one CONSTRUCT along property paths, for the stateless pages."""

from __future__ import annotations

import json
from collections import defaultdict
from urllib.parse import unquote

from councilkg.graph.vocab import ID, PREFIXES, iri, sparql_prologue
from councilkg.web.entities import concept_label, inspection_label, item_label, judgement_label, meeting_label, theme_link
from councilkg.web.errors import MAX_LIST, NotFound
from councilkg.web.present import KIND_LABELS, Link, grade_label, shorten

PATH_LIMIT = 2_000  # nodes reached by a path's first step (the first by IRI); a page lists at most MAX_LIST of them


def expand(short: str) -> str:
    """ckg:text -> the full IRI."""
    prefix, _, local = short.partition(":")
    return f"{PREFIXES[prefix]}{local}"


def split_iri(value: str) -> tuple[str, str] | None:
    """(kind, id) of one of our resource IRIs, else None."""
    if not value.startswith(str(ID)):
        return None
    kind, _, ident = value[len(str(ID)):].partition("/")
    return (kind, unquote(ident)) if ident else None


class Around:
    """Triples indexed both ways: what a node says (one, all) and who points at it (back)."""

    def __init__(self, subject: str, triples: list):
        self.subject = subject
        self.out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.inc: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.add(triples)

    def add(self, triples: list) -> None:
        """Index more triples (those of a second query)."""
        for t in triples:
            s, p, o = t.subject.value, t.predicate.value, t.object.value
            self.out[s][p].append(o)
            self.inc[o][p].append(s)

    def all(self, node: str, pred: str) -> list[str]:
        return sorted(set(self.out.get(node, {}).get(expand(pred), [])))

    def one(self, node: str, pred: str) -> str | None:
        found = self.all(node, pred)
        return found[0] if found else None

    def back(self, node: str, pred: str, kind: str | None = None) -> list[str]:
        """Nodes with pred -> node (of our kind `kind` if given), in IRI order."""
        found = sorted(set(self.inc.get(node, {}).get(expand(pred), [])))
        return [n for n in found if kind is None or (split_iri(n) or ("",))[0] == kind]

    def json(self, node: str, pred: str) -> dict:
        """An rdf:JSON object value (ckg:metadata, ckg:themeScores), {} when absent."""
        value = self.one(node, pred)
        return json.loads(value) if value else {}

    def date(self, meeting: str | None) -> str | None:
        """A meeting's date: the day, or the month or year when only that is known."""
        return self.one(meeting, "dcterms:date") or self.one(meeting, "ckg:partialDate") if meeting else None

    def pos(self, node: str) -> int:
        value = self.one(node, "ckg:position")
        return int(value) if value and value.lstrip("-").isdigit() else 0

    def ident(self, node: str | None) -> str | None:
        """The id of a concept or resource IRI (inspection-type/ofsted-ilacs -> ofsted-ilacs)."""
        found = split_iri(node or "")
        return found[1] if found else None

    def row(self, node: str, **preds: str) -> dict:
        """A dict of the node's values, IRIs of concepts as their ids: row(n, grade="ckg:grade", area="ckg:judgementArea")."""
        out = {}
        for key, pred in preds.items():
            value = self.one(node, pred)
            out[key] = self.ident(value) if value and value.startswith(str(ID)) else value
        return out

    def label(self, node: str, width: int = 80) -> str:
        """How a page names a neighbour, exactly as the data-directory pages do."""
        kind, ident = split_iri(node) or ("", node)
        one = lambda p: self.one(node, p)  # noqa: E731
        if kind in ("point", "action"):
            return shorten(one("ckg:text"), width)
        if kind == "item":
            return item_label(one("ckg:itemNumber"), one("dcterms:title"))
        if kind == "meeting":
            return meeting_label(self.date(node), one("ckg:committee"))
        if kind == "document":
            return one("dcterms:title") or one("ckg:sourceFile") or ident
        if kind == "inspection":
            return inspection_label(self.row(node, type="ckg:inspectionType", inspectorate="ckg:inspectorate", date="ckg:inspectionDate"))
        if kind == "judgement":
            return judgement_label(self.row(node, grade="ckg:grade", area="ckg:judgementArea"))
        if kind == "intervention":
            return concept_label("intervention-type", self.ident(one("ckg:interventionType")) or "")
        if kind == "theme":
            return theme_link(ident).label
        if kind == "grade":
            return grade_label(ident)
        if kind in ("inspection-type", "intervention-type"):
            return concept_label(kind, ident)
        return one("rdfs:label") or one("skos:prefLabel") or ident

    def link(self, node: str | None, width: int = 80) -> Link | None:
        found = split_iri(node or "")
        return Link(found[0], found[1], self.label(node, width)) if found else None

    def links(self, nodes: list[str], width: int = 80) -> list[Link]:
        return [link for n in nodes[:MAX_LIST] if (link := self.link(n, width))]


def fetch(store, kind: str, ident: str, paths: tuple[str, ...] = (), limit: int = PATH_LIMIT) -> Around:
    """The resource's own triples and those of every node one of `paths` (steps joined by /, as SPARQL property paths) reaches;
    NotFound if it has none."""
    s = f"<{iri(kind, ident)}>"
    branches = [f"{{ VALUES ?n {{ {s} }} ?n ?p ?o }}"]
    light = f'FILTER(?p != ckg:text || !STRSTARTS(STR(?n), "{ID}item/"))'  # a neighbour item is named by its title, not its text
    for path in paths:  # the limit picks the same first nodes (by IRI) in every branch that starts with the same step
        first, _, rest = path.partition("/")
        anchor = f"{{ SELECT DISTINCT ?x WHERE {{ {s} {first} ?x FILTER(isIRI(?x)) }} ORDER BY ?x LIMIT {limit} }}"
        branches.append(f"{{ {anchor} ?x {rest} ?n . FILTER(isIRI(?n)) ?n ?p ?o {light} }}" if rest
                        else f"{{ {anchor} BIND(?x AS ?n) ?n ?p ?o {light} }}")
    q = sparql_prologue() + "CONSTRUCT { ?n ?p ?o } WHERE {\n  " + "\n  UNION ".join(branches) + "\n}"
    found = Around(str(iri(kind, ident)), store.construct(q))
    if not found.out.get(found.subject):
        raise NotFound(f"No {KIND_LABELS.get(kind, kind).lower()} with id {ident}")
    return found
