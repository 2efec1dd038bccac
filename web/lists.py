"""The councils and themes lists (and, without a data directory, the home page's counts): from the data directory's database, or
counted by SPARQL in the shared store."""

from __future__ import annotations

from councilkg.graph.vocab import sparql_prologue
from councilkg.web.around import split_iri
from councilkg.web.entities import scheme, theme_link

# name -> the pattern whose distinct ?x are counted (DISTINCT: a council two writers both hold counts once)
COUNTED = {
    "documents": "?x a ckg:Document", "councils": "?m ckg:council ?x", "councils_known": "?x a ckg:Council",
    "meetings": "?x a ckg:Meeting", "agenda_items": "?x a ckg:AgendaItem", "debate_points": "?x a ckg:DebatePoint",
    "actions": "?x a ckg:Action", "inspections": "?x a ckg:Inspection", "judgements": "?x a ckg:Judgement",
    "interventions": "?x a ckg:Intervention", "practices": "?x a ckg:Practice", "themes": "?p a ckg:DebatePoint ; ckg:theme ?x",
}


def counts(store) -> dict:
    """What store.counts gives for a data directory, over every graph in the store (no failures or generation: writers hold those)."""
    parts = [f"{{ SELECT (COUNT(DISTINCT ?x) AS ?{k}) WHERE {{ {pattern} }} }}" for k, pattern in COUNTED.items()]
    parts.append("{ SELECT (MIN(STR(?d)) AS ?first) (MAX(STR(?d)) AS ?last) WHERE { ?x a ckg:Meeting ; dcterms:date ?d } }")
    row = store.select(sparql_prologue() + "SELECT * WHERE {\n" + "\n".join(parts) + "\n}")[0]
    out = {k: int(row.get(k, 0)) for k in COUNTED}
    out.update(date_range=[row.get("first"), row.get("last")], failed=[], stateless=True)
    return out


def all_councils(store) -> list[dict]:
    """Every council in the store with its meetings, inspections, practices and latest meeting, for /councils."""
    rows = store.select(sparql_prologue() + """SELECT ?c ?name ?gss ?meetings ?latest ?inspections ?practices WHERE {
  { SELECT ?c (SAMPLE(?n) AS ?name) (SAMPLE(?g) AS ?gss) WHERE { ?c a ckg:Council ; rdfs:label ?n OPTIONAL { ?c ckg:gssCode ?g } } GROUP BY ?c }
  OPTIONAL { SELECT ?c (COUNT(DISTINCT ?m) AS ?meetings) (MAX(COALESCE(STR(?d), "")) AS ?latest) WHERE { ?m ckg:council ?c OPTIONAL { ?m dcterms:date ?d } } GROUP BY ?c }
  OPTIONAL { SELECT ?c (COUNT(DISTINCT ?i) AS ?inspections) WHERE { ?i ckg:inspectedCouncil ?c } GROUP BY ?c }
  OPTIONAL { SELECT ?c (COUNT(DISTINCT ?p) AS ?practices) WHERE { ?p ckg:adoptedBy ?c } GROUP BY ?c }
}""")
    out = [{"id": split_iri(r["c"])[1], "name": r.get("name"), "gss": r.get("gss"), "meetings": int(r.get("meetings", 0)),
            "inspections": int(r.get("inspections", 0)), "practices": int(r.get("practices", 0)), "latest": r.get("latest") or None}
           for r in rows if split_iri(r["c"])]
    return sorted(out, key=lambda c: (c["meetings"] == 0, c["name"] or ""))


def all_themes(store) -> list[dict]:
    """Every theme with its point and council counts, for /themes."""
    rows = store.select(sparql_prologue() + "SELECT ?t (COUNT(DISTINCT ?p) AS ?points) (COUNT(DISTINCT ?c) AS ?councils) WHERE { "
                        "?p a ckg:DebatePoint ; ckg:theme ?t OPTIONAL { ?p ckg:agendaItem/ckg:meeting/ckg:council ?c } } GROUP BY ?t")
    return theme_rows({split_iri(r["t"])[1]: {"points": int(r["points"]), "councils": int(r["councils"])} for r in rows if split_iri(r["t"])})


def all_councils_db(con) -> list[dict]:
    """Every council with how much the data holds on it, for /councils."""
    return [dict(r) for r in con.execute(
        "SELECT c.id, c.name, c.gss, (SELECT count(*) FROM meetings m WHERE m.council_id = c.id) AS meetings, "
        "(SELECT count(*) FROM inspections i WHERE i.council_id = c.id AND i.event_id IS NULL AND i.minutes_event IS NULL)"
        " + (SELECT count(*) FROM minutes_events e WHERE e.council_id = c.id)"
        " + (SELECT count(*) FROM official_inspections o WHERE o.council_id = c.id) AS inspections, "
        "(SELECT count(*) FROM practices p WHERE p.council_id = c.id) AS practices, "
        "(SELECT max(date) FROM meetings m WHERE m.council_id = c.id) AS latest FROM councils c ORDER BY meetings = 0, c.name")]


def all_themes_db(con) -> list[dict]:
    """Every theme of the scheme with its point and council counts, for /themes."""
    counts = {r["theme"]: dict(r) for r in con.execute(
        "SELECT pt.theme, count(*) AS points, count(DISTINCT m.council_id) AS councils FROM point_themes pt "
        "JOIN points p ON p.id = pt.point_id JOIN items i ON i.id = p.item_id LEFT JOIN meetings m ON m.id = i.meeting_id "
        "GROUP BY pt.theme")}
    return theme_rows(counts)


def theme_rows(counts: dict[str, dict]) -> list[dict]:
    """The /themes rows from {theme id: {points, councils}}: the scheme's themes in order, then any others the data uses."""
    ids = [t for t, x in scheme().items() if x.get("broader")] + sorted(set(counts) - set(scheme()))
    return [{"link": theme_link(t), "definition": (scheme().get(t) or {}).get("definition"),
             "points": counts.get(t, {}).get("points", 0), "councils": counts.get(t, {}).get("councils", 0)} for t in ids]
