"""The HTML pages: home, search with facets, compare practice, councils, themes, topics, about, and entity pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from councilkg.graph import store
from councilkg.web.api import flag, parse_search, run_compare, run_search
from councilkg.web.entities import Entity, council_link, facts_from, item_label, meeting_label, theme_link
from councilkg.web import lists
from councilkg.web.errors import MAX_K, MAX_SEARCH_CHARS, MAX_SPARQL_CHARS
from councilkg.web.graph_store import graph_store, stateless
from councilkg.web.graphview import layout
from councilkg.web.present import Link, shorten, with_args
from councilkg.web.services import db, services

bp = Blueprint("views", __name__)

# Facets the search returns -> the search parameter that applies one
FACETS = {"council": "council", "theme": "theme", "committee": "committee", "year": "year", "grade": "grade"}
TOPICS_PAGE_WAIT_S = 5  # the sample's topics take well under a second; 20,000 points take ~25 s
TOPICS_REFRESH_S = 5
TOPICS_SHOWN = 50  # the largest; /api/topics has them all
EXAMPLE_CHARS = 220  # a topic's example points, shortened to this
EXAMPLES = [
    "social worker recruitment",
    "agency staff costs",
    "Ofsted monitoring visit findings",
    "caseloads and staff turnover",
    "care leavers accommodation",
]


@bp.get("/")
def home():
    c = lists.counts(graph_store()) if stateless() else store.counts(db())
    return render_template("home.html", c=c, examples=EXAMPLES, max_chars=MAX_SEARCH_CHARS)


def facet_rows(res: dict, sa) -> list[tuple[str, list[dict]]]:
    """Facets from the search as (name, [{label, count, href, active}]): a link applies the filter, the active one removes it."""
    out = []
    for name, values in (res.get("facets") or {}).items():
        param = FACETS.get(name)
        current = sa.year if param == "year" else sa.filters.get(param)
        rows = []
        for v in values if param else []:
            if v.get("value") in (None, ""):
                continue  # "council not stated" cannot be applied as a filter
            value = str(v["value"])
            active = current is not None and str(current).lower() in (value.lower(), str(v.get("label", "")).lower())
            rows.append({"label": v.get("label") or value, "count": v.get("count"), "active": active,
                         "href": with_args(**{param: None if active else value})})
        if rows:
            out.append((name, rows))
    return out


def enrich(hits: list[dict]) -> list[dict]:
    """Add links to every entity a hit touches: point, item, meeting, council, document, themes, and (with a data
    directory) the facts read from it; all but the facts come from the hit itself, so a stateless server links them too."""
    con = None if services().stateless else db()
    for h in hits:
        item, meeting = h["item"], h["meeting"]
        links: dict = {
            "point": Link("point", h["id"], "debate point"),
            "item": Link("item", item["id"], item_label(item["number"], item["title"])),
            "document": Link("document", h["document"], h["source"]),
        }
        if meeting["id"]:
            links["meeting"] = Link("meeting", meeting["id"], meeting_label(meeting["date"], meeting["committee"]))
        if h["council"]:
            links["council"] = Link("council", h["council"]["id"], h["council"]["name"])
        links["facts"] = [e.link for e in facts_from(con, "ev_point", h["id"])] if con is not None else []
        links["themes"] = [theme_link(t["id"]) for t in h.get("themes") or [] if t.get("id")]
        h["links"] = links
    return hits


@bp.get("/search")
def search():
    sa = parse_search(request.args)
    if sa.empty:
        return render_template("search.html", sa=sa, res=None, facets=[], examples=EXAMPLES, max_k=MAX_K)
    res = run_search(sa)
    return render_template("search.html", sa=sa, res=res, hits=enrich(list(res.get("hits") or [])),
                           facets=facet_rows(res, sa), examples=EXAMPLES, max_k=MAX_K)


@bp.get("/compare")
def compare():
    sa = parse_search(request.args)
    rows = run_compare(sa) if not sa.empty else []
    return render_template("compare.html", sa=sa, rows=rows)


@bp.get("/councils")
def councils():
    return render_template("councils.html", councils=lists.all_councils(graph_store()) if stateless() else lists.all_councils_db(db()))


@bp.get("/themes")
def themes():
    return render_template("themes.html", themes=lists.all_themes(graph_store()) if stateless() else lists.all_themes_db(db()))


@bp.get("/topics")
def topics():
    """Clusters of debate points that span councils; the emerging ones are those no theme covers."""
    only_emerging = flag(request.args, "emerging")
    ready = services().topics(wait=TOPICS_PAGE_WAIT_S)
    if ready is None:  # a large corpus: say so and look again shortly rather than hold the visitor
        return render_template("topics.html", topics=None, only_emerging=only_emerging, refresh=TOPICS_REFRESH_S)
    found = [t for t in ready if t.uncovered or not only_emerging]
    return render_template("topics.html", topics=topic_rows(found[:TOPICS_SHOWN]), total=len(found), only_emerging=only_emerging)


def topic_rows(found: list, examples: int = 3) -> list[dict]:
    """What the topics page shows of each cluster: its councils and themes as links, and its most typical points."""
    from councilkg.embed.filters import json_list

    wanted = [pid for t in found for pid in t.point_ids[:4 * examples]]  # spares for texts minuted twice
    if stateless():  # the shards' rows hold the texts and council names
        from councilkg.embed.shard_topics import texts_and_names

        sh = services().searcher
        texts, names = texts_and_names(sh.client, sh.uri, [(s.points, s.idx.gen) for s in sh.shards()], wanted,
                                       {c for t in found for c in t.councils})
    else:
        con = db()
        texts = dict(con.execute("SELECT id, text FROM points WHERE id IN (SELECT value FROM json_each(?))", (json_list(wanted),)))
        names = dict(con.execute("SELECT id, name FROM councils"))
    rows = []
    for t in found:
        shown: dict[str, str] = {}
        for pid in t.point_ids[:4 * examples]:
            seen = shorten(texts.get(pid, ""), EXAMPLE_CHARS)  # what a reader sees: two that read alike show once
            if len(shown) < examples and seen not in shown:
                shown[seen] = pid
        rows.append({
            "topic": t,
            "councils": [link for c in t.councils if (link := council_link(c, names.get(c)))],
            "themes": [theme_link(th) for th in sorted(t.themes, key=lambda th: (-t.themes[th], th))[:3]],
            "examples": [(Link("point", pid, "debate point"), text) for text, pid in shown.items()],
            "search": url_for("views.search", q=" ".join(t.terms[:4])) if t.terms else None,
        })
    return rows


@bp.get("/about")
def about():
    from councilkg.web.sparql_endpoint import ROW_CAP, TIMEOUT_S

    return render_template("about.html", max_search=MAX_SEARCH_CHARS, max_sparql=MAX_SPARQL_CHARS, max_k=MAX_K,
                           timeout=TIMEOUT_S, row_cap=ROW_CAP)


def entity_page(e: Entity) -> str:
    """The HTML view of one resource, with its neighbourhood drawn."""
    return render_template("entity.html", e=e, gv=layout(e))
