"""Every kind of node as one Entity (its facts, verbatim text, evidence and neighbours as links), and the labels pages give them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache

from councilkg.web.errors import MAX_LIST
from councilkg.web.present import KIND_LABELS, Link, grade_label, shorten


@dataclass
class Quote:
    """Text a fact was read from, and the point or item holding it."""

    text: str
    where: Link | None = None
    note: str = ""


@dataclass
class Entry:
    """One neighbour in a list, with a line of detail (date, committee, snippet)."""

    link: Link
    detail: str = ""


@dataclass
class Entity:
    kind: str
    id: str
    label: str
    facts: list[tuple[str, object]] = field(default_factory=list)  # value: str, Link or list[Link]
    text: str | None = None
    evidence: list[Quote] = field(default_factory=list)
    groups: list[tuple[str, list[Entry]]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # kind-specific sections (timeline, by-council lists)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("-", " ").capitalize())

    def group(self, title: str, entries: list[Entry]) -> None:
        if entries:
            self.groups.append((title, entries))


@lru_cache(maxsize=1)
def scheme() -> dict[str, dict]:
    """Theme id -> {label, alt_labels, definition} from the shipped scheme."""
    from councilkg.graph.themes import load_scheme

    return {t.id: {"label": t.label, "alt_labels": list(t.alt_labels), "definition": t.definition, "broader": t.broader}
            for t in load_scheme(include_top=True)}


@lru_cache(maxsize=1)
def concept_labels() -> dict[str, str]:
    """'kind/id' -> skos:prefLabel for the shipped grades, inspection and intervention types."""
    from rdflib.namespace import SKOS

    from councilkg.graph.rdf import vocabulary
    from councilkg.graph.vocab import ID

    return {str(s)[len(str(ID)):]: str(o) for s, o in vocabulary().subject_objects(SKOS.prefLabel) if str(s).startswith(str(ID))}


def concept_label(kind: str, ident: str) -> str:
    words = ident.replace("-", " ")
    return concept_labels().get(f"{kind}/{ident}") or (words.upper() if len(words) <= 5 else words.capitalize())


def theme_link(tid: str) -> Link:
    return Link("theme", tid, (scheme().get(tid) or {}).get("label") or tid.replace("-", " ").capitalize())


def council_link(row_id: str | None, name: str | None) -> Link | None:
    return Link("council", row_id, name or row_id) if row_id else None


def meeting_label(date: str | None, committee: str | None) -> str:
    return " · ".join(x for x in (committee, date) if x) or "Meeting (date unknown)"


def item_label(number: str | None, title: str | None) -> str:
    title = shorten(title, 110) or "Untitled item"
    return f"{number}. {title}" if number else title


def facts_from(con: sqlite3.Connection, column: str, ident: str) -> list[Entry]:
    """Inspections, judgements, interventions and practices read from this point or item (column ev_point or ev_item)."""
    out: list[Entry] = []
    for r in con.execute(f"SELECT id, inspectorate, type, date, event_id, minutes_event FROM inspections WHERE {column}=?", (ident,)):
        out.append(Entry(Link("inspection", r["event_id"] or r["minutes_event"] or r["id"], inspection_label(r)),
                         "Ofsted's record" if r["event_id"] else "inspection"))
    for r in con.execute(f"SELECT id, grade, area FROM judgements WHERE {column}=?", (ident,)):
        out.append(Entry(Link("judgement", r["id"], judgement_label(r)), "judgement"))
    for r in con.execute(f"SELECT id, type, date FROM interventions WHERE {column}=?", (ident,)):
        out.append(Entry(Link("intervention", r["id"], concept_label("intervention-type", r["type"])), r["date"] or ""))
    for r in con.execute(f"SELECT id, label, kind FROM practices WHERE {column}=?", (ident,)):
        out.append(Entry(Link("practice", r["id"], r["label"]), r["kind"]))
    return out


def inspection_label(r) -> str:
    kind = concept_label("inspection-type", r["type"])
    return (kind if r["inspectorate"].lower() in kind.lower() else f"{r['inspectorate']}: {kind}") + (f" ({r['date']})" if r["date"] else "")


def judgement_label(r) -> str:
    return grade_label(r["grade"]) + (f" — {r['area']}" if r["area"] else " overall")


def limited(rows: list, title: str) -> tuple[list, str]:
    """Cap a neighbour list so one page stays small, saying how many were left out."""
    if len(rows) > MAX_LIST:
        return rows[:MAX_LIST], f"{title} (first {MAX_LIST} of {len(rows)})"
    return rows, title

