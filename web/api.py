"""The JSON API: /api/search with the CLI's parameters and the contract's JSON, /api/topics and /api/stats."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, jsonify, request

from councilkg.graph import store
from councilkg.web.errors import MAX_K, MAX_SEARCH_CHARS, BadRequest
from councilkg.web.services import db, services

bp = Blueprint("api", __name__)

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DEFAULT_K = 10
MAX_FILTER_CHARS = 200


@dataclass
class SearchArgs:
    """A validated search request, the same for the HTML page and the API."""

    q: str = ""
    k: int = DEFAULT_K
    filters: dict = field(default_factory=dict)  # keyword arguments of Searcher.search besides query and k
    year: str | None = None

    @property
    def empty(self) -> bool:
        return not self.q.strip()

    def hidden(self) -> list[tuple[str, str]]:
        """The active filters as (name, value) pairs, to carry them through a new query."""
        out = [("year", self.year)] if self.year else []
        for key, v in self.filters.items():
            if self.year and key in ("since", "until"):
                continue
            out += [(key, one) for one in (v if isinstance(v, tuple) else (v,))]
        return out


def _text(args, name: str, limit: int = MAX_FILTER_CHARS) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise BadRequest(f"{name} is too long ({len(value)} characters; the limit is {limit})")
    return value or None


def _date(args, name: str) -> str | None:
    value = _text(args, name)
    if value and not _DATE.match(value):
        raise BadRequest(f"{name} must be a date YYYY-MM-DD (or YYYY-MM, YYYY), not {value!r}")
    return value


def flag(args, name: str) -> bool:
    """A yes/no query parameter: 1, true, yes or on (any case) mean yes."""
    return (args.get(name) or "").lower() in ("1", "true", "yes", "on")


def parse_search(args) -> SearchArgs:
    """Read q, k and the filters from query parameters, refusing what is too long or malformed."""
    q = args.get("q") or ""
    if len(q) > MAX_SEARCH_CHARS:
        raise BadRequest(f"query is too long ({len(q)} characters; the limit is {MAX_SEARCH_CHARS})")
    try:
        k = int(args.get("k") or DEFAULT_K)
    except ValueError:
        raise BadRequest("k must be a whole number") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"k must be between 1 and {MAX_K}")
    excluded = [v.strip() for v in args.getlist("exclude_council") if v.strip()]
    if len(excluded) > 50 or any(len(v) > MAX_FILTER_CHARS for v in excluded):
        raise BadRequest("too many or too long exclude_council values")
    since, until, year = _date(args, "since"), _date(args, "until"), _text(args, "year", 4)
    if year:
        if not year.isdigit():
            raise BadRequest("year must be four digits")
        since, until = since or f"{year}-01-01", until or f"{year}-12-31"
    filters = {
        "council": _text(args, "council"),
        "theme": _text(args, "theme"),
        "committee": _text(args, "committee"),
        "since": since,
        "until": until,
        "exclude_council": tuple(excluded),
        "grade": _text(args, "grade"),
    }
    return SearchArgs(q=q.strip(), k=k, filters={key: v for key, v in filters.items() if v}, year=year)


def run_search(sa: SearchArgs) -> dict:
    return services().searcher.search(sa.q, k=sa.k, **sa.filters)


def run_compare(sa: SearchArgs) -> list[dict]:
    from councilkg.embed.compare import compare

    if services().stateless:  # the hits from the shared index, each council's practices and actions from the SPARQL store
        from councilkg.web.graph_compare import store_reader
        from councilkg.web.graph_store import graph_store

        return compare(services().searcher, sa.q, reader=store_reader(graph_store()), **sa.filters)
    return compare(services().searcher, sa.q, **sa.filters)


@bp.get("/api/search")
def api_search():
    """Contract §2 JSON, plus facets; compare=1 adds practice grouped by council."""
    sa = parse_search(request.args)
    if sa.empty:
        raise BadRequest("q is required")
    out = run_search(sa)
    if flag(request.args, "compare"):
        out = dict(out, compare=run_compare(sa))
    return jsonify(out)


@bp.get("/api/topics")
def api_topics():
    """The clusters `councilkg topics --json` prints (waiting for them the first time); emerging=1 keeps those no theme covers."""
    from councilkg.embed.emerging import as_dicts

    only_emerging = flag(request.args, "emerging")
    return jsonify(as_dicts([t for t in services().topics() if t.uncovered or not only_emerging]))


@bp.get("/api/stats")
def api_stats():
    """What the data directory holds (the same as `councilkg stats --json`); without one, what the SPARQL store holds."""
    from councilkg.web.lists import counts
    from councilkg.web.graph_store import graph_store, stateless

    return jsonify(counts(graph_store()) if stateless() else store.counts(db()))
