"""The shared SPARQL store a server without a data directory reads: every councilkg named graph as one dataset, failures as one line."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from flask import current_app, g

from councilkg.graph.push import GRAPH_BASE, PARTIAL, READERS_TTL_S
from councilkg.graph.vocab import sparql_prologue
from councilkg.web.errors import WebError

QUERY_TIMEOUT_S = 10.0
RESULTS_JSON = "application/sparql-results+json"


class StoreDown(WebError):
    """The SPARQL store did not answer (refused, unreachable, timed out)."""

    status = 503


class StoreFailed(WebError):
    """The SPARQL store answered with an error to one of our own queries."""

    status = 502


class GraphStore:
    """A SPARQL 1.1 query endpoint (e.g. Oxigraph's /query); each query sees the union of councilkg's named graphs
    as its default graph (default-graph-uri) and each of them by name (named-graph-uri), so no server option is needed."""

    def __init__(self, url: str, timeout: float = QUERY_TIMEOUT_S):
        self.url = url
        self.timeout = timeout
        self._graphs: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def graphs(self) -> list[str]:
        """The named graphs councilkg writers pushed (one per data directory), but not one a whole push in parts has not
        finished filling (its marker says how many parts it holds), looked up at most every READERS_TTL_S: a new writer's
        graph shows up within it, and a whole push waits it out."""
        with self._lock:
            if self._graphs and time.monotonic() - self._graphs[0] < READERS_TTL_S:
                return self._graphs[1]
        q = (f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) '
             f'FILTER NOT EXISTS {{ GRAPH ?m {{ ?g <{PARTIAL}> ?held }} }} }}')  # not one a whole push is filling
        with self.open(q, RESULTS_JSON, dataset=False) as resp:
            found = sorted(b["g"]["value"] for b in json.load(resp)["results"]["bindings"])
        with self._lock:
            self._graphs = (time.monotonic(), found)
        return found

    def open(self, q: str, accept: str, *, dataset: bool = True, timeout: float | None = None, user: bool = False):
        """POST the query; the streaming response. Our own queries failing is a 502; with user=True a 4xx is the query's fault."""
        params = [("query", q)]
        if dataset:
            gs = self.graphs()
            params += [("default-graph-uri", g) for g in gs] + [("named-graph-uri", g) for g in gs]
        body = urllib.parse.urlencode(params).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        try:
            return urllib.request.urlopen(req, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as err:
            detail = (err.read(400).decode("utf-8", "replace").strip().splitlines() or [""])[0]
            if user and 400 <= err.code < 500:
                raise QueryRejected(detail or f"HTTP {err.code}") from None
            raise StoreFailed(f"SPARQL store {self.url}: HTTP {err.code} {err.reason}{': ' + detail if detail else ''}") from None
        except TimeoutError:
            if user:
                from councilkg.graph.sparql import QueryTimeout

                raise QueryTimeout(f"query ran past its {timeout or self.timeout:g} s limit") from None
            raise StoreDown(f"SPARQL store {self.url}: no answer within {timeout or self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as err:
            raise StoreDown(f"SPARQL store {self.url}: unreachable ({getattr(err, 'reason', err)})") from None

    def select(self, q: str) -> list[dict[str, str]]:
        """SELECT rows as {variable: lexical value or IRI}, unbound variables left out."""
        with self.open(q, RESULTS_JSON) as resp:
            data = json.load(resp)
        return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]

    def construct(self, q: str) -> list:
        """CONSTRUCT/DESCRIBE answer as pyoxigraph triples, duplicates (one per graph holding them) dropped."""
        import pyoxigraph as ox

        with self.open(q, "application/n-triples") as resp:
            quads = ox.parse(resp.read(), format=ox.RdfFormat.N_TRIPLES)
        return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))


class QueryRejected(WebError):
    """The store refused a visitor's query (syntax, or an update sent as a query)."""

    status = 400


class LocalStore:
    """A data directory's embedded Oxigraph store behind GraphStore's select and construct, so one set of loaders reads both.
    Only our own queries come here (they carry their prologue): a visitor's go through graph.sparql.query and its limits.
    The default graph is the union of every graph (the same as the default graph alone while the export sits in it; each owner's
    named graph once the store is updated in place)."""

    def __init__(self, st):
        self.st = st  # a pyoxigraph Store (graph.sparql.open_store)

    def select(self, q: str) -> list[dict[str, str]]:
        res = self.st.query(q, use_default_graph_as_union=True)
        names = [v.value for v in res.variables]
        return [{n: t.value for n, t in zip(names, row) if t is not None} for row in res]

    def construct(self, q: str) -> list:
        return list(self.st.query(q, use_default_graph_as_union=True))


def page_store() -> GraphStore | LocalStore:
    """Where this request's pages read the graph: the data directory's own store, or without one the shared store."""
    if stateless():
        return graph_store()
    if "page_store" not in g:
        from councilkg.graph.sparql import open_store

        g.page_store = LocalStore(open_store(current_app.config["DATA_DIR"]))
    return g.page_store


def graph_store() -> GraphStore:
    """The current app's store client; a page that needs one on a data-directory server is told so."""
    url = current_app.config.get("SPARQL_URL")
    if not url:
        raise WebError("This server reads no SPARQL store (serve --sparql URL).", 501)
    ext = current_app.extensions
    if ext.get("councilkg-store") is None or ext["councilkg-store"].url != url:
        ext["councilkg-store"] = GraphStore(url)
    return ext["councilkg-store"]


def stateless() -> bool:
    """True on a server without a data directory: the graph is read from the SPARQL store."""
    return current_app.config.get("DATA_DIR") is None


def forward(store: GraphStore, q: str, *, limit: int, timeout: float):
    """A visitor's query run by the store with our limits (no SERVICE, no update, rows capped, time-limited), as a graph.sparql.Result."""
    import pyoxigraph as ox

    from councilkg.graph import sparql

    sparql.check_query(q)
    start = time.monotonic()
    q = sparql_prologue() + q  # our prefixes are predeclared, as for the local store; the query's own win
    try:
        resp = store.open(q, f"{RESULTS_JSON}, application/n-triples;q=0.9", timeout=timeout, user=True)
    except QueryRejected as err:
        sparql.refuse_or_raise(q, err)
    with resp:
        if resp.headers.get_content_type() == "application/n-triples":
            out = sparql.Result("graph")
            items = (ox.Triple(x.subject, x.predicate, x.object) for x in ox.parse(resp, format=ox.RdfFormat.N_TRIPLES))
        else:
            res = ox.parse_query_results(resp, format=ox.QueryResultsFormat.JSON)
            if isinstance(res, ox.QueryBoolean):
                return sparql.Result("ask", boolean=bool(res), seconds=time.monotonic() - start)
            out = sparql.Result("select", vars=[v.value for v in res.variables])
            items = (tuple(row[i] for i in range(len(out.vars))) for row in res)
        sink = out.rows if out.kind == "select" else out.triples
        try:
            for n, item in enumerate(items):
                if n >= limit:
                    out.truncated = True
                    break
                if n % 256 == 0 and time.monotonic() - start > timeout:
                    raise sparql.QueryTimeout(f"query ran past its {timeout:g} s limit")
                sink.append(item)
        except (TimeoutError, OSError) as err:
            raise sparql.QueryTimeout(f"query ran past its {timeout:g} s limit ({err})") from None
    out.seconds = time.monotonic() - start
    return out
