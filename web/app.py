"""The Flask app factory: blueprints, shared services, strict headers and one error handler assembled; only serve imports it."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from councilkg.web import api, inspections, linked, sources, sparql_endpoint, views
from councilkg.web.errors import MAX_BODY_BYTES, handle_error
from councilkg.web.present import register_filters
from councilkg.web.services import Services, close_db

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


def _security_headers(resp):
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def create_app(data_dir: str | Path | None = None, *, index: str | None = None, sparql: str | None = None) -> Flask:
    """The web UI, linked data, JSON API and SPARQL endpoint over one data directory, or, with data_dir None (stateless),
    over a shared search index and a SPARQL store's query endpoint (e.g. http://host:7878/query)."""
    data_dir = Path(data_dir).resolve() if data_dir is not None else None
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        DATA_DIR=data_dir,
        INDEX=index,
        SPARQL_URL=sparql,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
        PROPAGATE_EXCEPTIONS=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.debug = False
    app.extensions["councilkg"] = Services(data_dir, index=index)
    app.teardown_appcontext(close_db)
    app.after_request(_security_headers)
    app.register_error_handler(Exception, handle_error)
    app.jinja_env.autoescape = True  # every template, whatever its extension: minutes text is untrusted
    register_filters(app)
    for bp in (views.bp, api.bp, sparql_endpoint.bp, linked.bp, sources.bp, inspections.bp):
        app.register_blueprint(bp)
    return app
