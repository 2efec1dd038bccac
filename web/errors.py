"""Typed errors of a request, the limits a client cannot exceed, and the one handler that shows either as a status and one line."""

from __future__ import annotations

import logging

from flask import jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("councilkg.web")

# Limits a hostile or careless client cannot exceed (documented on /about and in the README).
MAX_SEARCH_CHARS = 2_000
MAX_SPARQL_CHARS = 20_000
MAX_K = 100
MAX_BODY_BYTES = 256 * 1024
MAX_LIST = 300  # neighbours listed on one entity page
NEEDS_DATA_DIR = "This page needs a data directory; this server reads only the shared search index and SPARQL store."

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


class NeedsDataDir(WebError):
    """A page only a server with a data directory can show (a stateless one reads only the shared engines)."""

    status = 501

    def __init__(self, message: str = NEEDS_DATA_DIR):
        super().__init__(message)


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
    title = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Too large", 501: "Not available here",
             502: "Bad gateway", 503: "Unavailable"}.get(status, "Error")
    if wants_json():
        resp = jsonify({"error": {"status": status, "title": title, "message": message}})
    else:
        resp = make_response(render_template("error.html", status=status, title=title, message=message))
    resp.status_code = status
    return resp
