"""The Flask app factory: one Searcher, one snapshot-consistent database read per request, strict headers, one error handler."""

from __future__ import annotations

import logging
import sqlite3
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from councilkg.graph import store

log = logging.getLogger("councilkg.web")

# Limits a hostile or careless client cannot exceed (documented on /about and in the README).
MAX_SEARCH_CHARS = 2_000
MAX_SPARQL_CHARS = 20_000
MAX_K = 100
MAX_BODY_BYTES = 256 * 1024
MAX_LIST = 300  # neighbours listed on one entity page

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class WebError(Exception):
    """An expected failure of a request, shown to the client as one line."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(WebError):
    status = 404


class BadRequest(WebError):
    status = 400


# Typed errors of other stages and the HTTP status they mean; looked up by class name so web never hard-imports them.
STAGE_ERRORS = {
    "SearchError": 400,
    "QueryTimeout": 503,
    "QueryError": 400,
    "StoreError": 503,
    "EncoderError": 503,
}


def status_of(exc: BaseException) -> int | None:
    """The HTTP status for an expected error, or None for a bug."""
    if isinstance(exc, WebError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.code or 500
    for cls in type(exc).__mro__:
        if cls.__name__ in STAGE_ERRORS:
            return getattr(exc, "status", None) or STAGE_ERRORS[cls.__name__]
    return None


def wants_json() -> bool:
    """API and SPARQL clients get JSON errors; browsers get a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if request.path.startswith("/sparql"):
        return best != "text/html" or not request.accept_mimetypes.accept_html
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


def handle_error(exc: BaseException):
    """Every error becomes a clean page or JSON: a status and one line, never internals."""
    status = status_of(exc)
    if status is None:
        log.exception("unexpected error on %s", request.path)
        status, message = 500, "Internal error: the request could not be completed."
    elif isinstance(exc, HTTPException):
        message = exc.description if status != 404 else "Not found."
        message = str(message).splitlines()[0]
    else:
        message = (str(exc).splitlines() or [type(exc).__name__])[0]
    title = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Too large", 503: "Unavailable"}.get(
        status, "Error"
    )
    if wants_json():
        resp = jsonify({"error": {"status": status, "title": title, "message": message}})
    else:
        resp = make_response(render_template("error.html", status=status, title=title, message=message))
    resp.status_code = status
    return resp


def db() -> sqlite3.Connection:
    """This request's read-only connection, inside one read transaction so every query sees the same generation."""
    if "db" not in g:
        con = store.connect(current_app.config["DATA_DIR"], readonly=True)
        con.execute("BEGIN")
        g.db = con
    return g.db


def _close_db(_exc=None):
    con = g.pop("db", None)
    if con is not None:
        con.close()


SPARQL_WORKERS = 1  # processes, each holding the graph in memory (~400 MB at 100k points); more queries wait


class Services:
    """Long-lived objects shared by all requests: the Searcher, built once on first use."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._searcher = None
        self._sparql = None
        self._lock = threading.Lock()
        self._topics: tuple[str, list] | None = None  # (generation, topics): clustering is seconds, not per request
        self._topics_job: tuple[str, Future] | None = None
        self._topics_lock = threading.Lock()

    @property
    def sparql(self):
        """Worker processes for SPARQL, started on first use (a stuck query is killed there, not here)."""
        if self._sparql is None:
            with self._lock:
                if self._sparql is None:
                    from councilkg.web.sparql_pool import SparqlPool

                    self._sparql = SparqlPool(SPARQL_WORKERS, warm_dir=self.data_dir)
        return self._sparql

    @property
    def searcher(self):
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    from councilkg.embed.search import Searcher

                    self._searcher = Searcher(self.data_dir)
        return self._searcher

    def topics(self, con: sqlite3.Connection, wait: float | None = None) -> list | None:
        """The topic clusters of the generation `con` reads, worked out once per generation in the background
        (20,000 points take ~25 s); None when they are not ready within `wait` seconds (None: wait for them)."""
        gen = store.get_state(con, "generation", "0") or "0"
        with self._topics_lock:
            if self._topics is not None and self._topics[0] == gen:
                return self._topics[1]
            if self._topics_job is None or self._topics_job[0] != gen:
                job: Future = Future()
                self._topics_job = (gen, job)
                threading.Thread(target=self._work_out_topics, args=(job,), name="councilkg-topics", daemon=True).start()
            job = self._topics_job[1]
        try:
            return job.result(timeout=wait)
        except FutureTimeout:
            return None

    def _work_out_topics(self, job: Future) -> None:
        """In a process of its own: clustering 20,000 points peaks at ~1 GB, which the server should not keep."""
        import multiprocessing

        from councilkg.embed.emerging import generation_topics
        from councilkg.graph.topics import Topic

        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                gen, found = pool.submit(generation_topics, str(self.data_dir)).result()
            topics = [Topic(**t) for t in found]
            with self._topics_lock:
                self._topics = (gen, topics)
            job.set_result(topics)
        except Exception as e:  # noqa: BLE001 -- not swallowed: every request waiting on the job hears of it
            job.set_exception(e)

    def warm(self) -> None:
        """Load the encoder and the SPARQL store before the first request, so no visitor waits for them."""
        self.searcher.warm()
        from councilkg.graph.sparql import open_store

        open_store(self.data_dir)
        self.sparql  # noqa: B018 - start the workers now


def _security_headers(resp):
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def create_app(data_dir: str | Path) -> Flask:
    """The web UI, linked data, JSON API and SPARQL endpoint over one data directory."""
    from councilkg.web import api, linked, sources, sparql_endpoint, views
    from councilkg.web.present import register_filters

    data_dir = Path(data_dir).resolve()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        DATA_DIR=data_dir,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
        PROPAGATE_EXCEPTIONS=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.debug = False
    app.extensions["councilkg"] = Services(data_dir)
    app.teardown_appcontext(_close_db)
    app.after_request(_security_headers)
    app.register_error_handler(Exception, handle_error)
    app.jinja_env.autoescape = True  # every template, whatever its extension: minutes text is untrusted
    register_filters(app)
    for bp in (views.bp, api.bp, sparql_endpoint.bp, linked.bp, sources.bp):
        app.register_blueprint(bp)
    return app


def services() -> Services:
    return current_app.extensions["councilkg"]
