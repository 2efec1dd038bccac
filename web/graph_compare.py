"""Compare without a data directory: embed/compare's grouping of the shared index's hits, practices and actions from the SPARQL store."""

from __future__ import annotations

from councilkg.embed.compare import Reader
from councilkg.graph.vocab import iri, sparql_prologue
from councilkg.web.around import split_iri
from councilkg.web.kinds import THEME_ORDER

PRACTICE = """SELECT ?p ?label ?kind ?theme ?outcome ?quote ?ev ?item ?oquote ?opoint ?source WHERE {{
  {{ SELECT DISTINCT ?p WHERE {{ {which} }} }}
  ?p rdfs:label ?label ; ckg:practiceKind ?kind .
  OPTIONAL {{ ?p ckg:theme ?theme }}
  OPTIONAL {{ ?p ckg:outcome ?outcome }}
  OPTIONAL {{ ?p ckg:quote ?quote }}
  OPTIONAL {{ ?p ckg:outcomeQuote ?oquote }}
  OPTIONAL {{ ?p ckg:outcomeEvidence ?opoint }}
  OPTIONAL {{ ?p prov:wasDerivedFrom ?ev . OPTIONAL {{ ?ev ckg:agendaItem ?of }} }}
  BIND(COALESCE(?of, ?ev) AS ?item)
  OPTIONAL {{ ?item ckg:document ?doc . ?doc ckg:sourceFile ?source }}
}}"""
ADOPTED = "?p ckg:adoptedBy {council} ; a ckg:Practice ."
# a practice's document is its evidence's (a point's item's, or the item's): the export states no other
IN_DOCS = ("VALUES ?d {{ {docs} }} ?i ckg:document ?d . {{ ?p prov:wasDerivedFrom ?i }} UNION "
           "{{ ?pt ckg:agendaItem ?i . ?p prov:wasDerivedFrom ?pt }} ?p a ckg:Practice . FILTER NOT EXISTS {{ ?p ckg:adoptedBy ?c }}")
ACTION = """SELECT ?a ?kind ?text ?owner ?item ?title ?number ?date ?source WHERE {{
  VALUES ?item {{ {items} }}
  ?a ckg:agendaItem ?item ; a ckg:Action ; ckg:actionKind ?kind ; ckg:text ?text .
  OPTIONAL {{ ?a ckg:actionOwner ?owner }}
  OPTIONAL {{ ?item dcterms:title ?title }}
  OPTIONAL {{ ?item ckg:itemNumber ?number }}
  OPTIONAL {{ ?item ckg:meeting ?m . ?m dcterms:date ?date }}
  OPTIONAL {{ ?item ckg:document ?doc . ?doc ckg:sourceFile ?source }}
}}"""


def _refs(kind: str, ids: list[str]) -> str:
    return " ".join(f"<{iri(kind, i)}>" for i in ids)


def _id(value: str | None) -> str | None:
    found = split_iri(value or "")
    return found[1] if found else None


def store_reader(store) -> Reader:
    """Practices and actions as embed/compare's rows, from the store's union of every data directory's named graph."""

    def practices(council_id: str | None, docs: list[str]) -> list[dict]:
        if not council_id and not docs:
            return []
        which = ADOPTED.format(council=_refs("council", [council_id])) if council_id else IN_DOCS.format(docs=_refs("document", docs))
        rows: dict[str, dict] = {}
        for b in store.select(sparql_prologue() + PRACTICE.format(which=which)):  # one row per theme (and per graph holding it)
            r = rows.setdefault(b["p"], {
                "id": _id(b["p"]), "label": b["label"], "kind": b["kind"], "themes": set(), "outcome": b.get("outcome"),
                "quote": b.get("quote"), "ev_item": _id(b.get("item")), "source": b.get("source"),
                "ev_point": _id(b["ev"]) if (split_iri(b.get("ev", "")) or ("",))[0] == "point" else None,
                "outcome_quote": b.get("oquote"), "outcome_point": _id(b.get("opoint")),
            })
            if "theme" in b:
                r["themes"].add(_id(b["theme"]))
        for r in rows.values():
            r["themes"] = sorted(r["themes"], key=lambda t: (THEME_ORDER.get(t, len(THEME_ORDER)), t))
        return list(rows.values())

    def actions(items: list[str]) -> list[dict]:
        if not items:
            return []
        rows = {b["a"]: {"id": _id(b["a"]), "kind": b["kind"], "text": b["text"], "owner": b.get("owner"),
                         "item_id": _id(b["item"]), "title": b.get("title"), "number": b.get("number"),
                         "date": b.get("date"), "source": b.get("source")}
                for b in store.select(sparql_prologue() + ACTION.format(items=_refs("item", items)))}
        return list(rows.values())

    return Reader(practices, actions)
