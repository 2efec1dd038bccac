"""Template helpers: entity paths, safe external links, highlighting and labels, all returning escaped markup."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask, request
from markupsafe import Markup, escape

from councilkg.graph.vocab import iri

IRI_BASE = "https://w3id.org/councilkg"

GRADES = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires-improvement": "Requires improvement",
    "adequate": "Adequate",
    "inadequate": "Inadequate",
}

KIND_LABELS = {
    "council": "Council",
    "meeting": "Meeting",
    "item": "Agenda item",
    "point": "Debate point",
    "action": "Action",
    "inspection": "Inspection",
    "judgement": "Judgement",
    "intervention": "Intervention",
    "practice": "Practice",
    "theme": "Theme",
    "document": "Document",
    "grade": "Grade",
    "inspection-type": "Inspection type",
    "intervention-type": "Intervention type",
}

@dataclass(frozen=True)
class Link:
    """A neighbour in the graph: where it lives and what to call it."""

    kind: str
    id: str
    label: str

    @property
    def path(self) -> str:
        return path_of(self.kind, self.id)


def path_of(kind: str, ident: str) -> str:
    """The local path of a resource: its IRI after the w3id base (contract §4)."""
    return str(iri(kind, ident))[len(IRI_BASE) :]


def safe_url(url: str | None) -> str | None:
    """Only http(s) links from untrusted metadata become hrefs; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def highlight(text: str | None, spans: list | None) -> Markup:
    """Escape the text and wrap the search's matched character spans in <mark>: escaping first keeps markup in minutes inert."""
    text = text or ""
    out, last = [], 0
    for a, b in sorted((int(a), int(b)) for a, b in spans or [] if 0 <= int(a) < int(b) <= len(text)):
        if a < last:
            continue
        out += [escape(text[last:a]), Markup("<mark>"), escape(text[a:b]), Markup("</mark>")]
        last = b
    out.append(escape(text[last:]))
    return Markup("").join(out)


def with_args(**changes) -> str:
    """The current URL with some query parameters set (None removes one), for facet links."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    for k, v in changes.items():
        if v is None:
            continue
        for one in v if isinstance(v, (list, tuple)) else [v]:
            args.append((k, one))
    return request.path + ("?" + urlencode(args) if args else "")


def shorten(text: str | None, n: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def grade_label(grade: str | None) -> str:
    return GRADES.get(grade or "", (grade or "").replace("-", " ").capitalize())


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        safe_url=safe_url, highlight=highlight, shorten=shorten, grade=grade_label, kind_label=lambda k: KIND_LABELS.get(k, k)
    )
    app.jinja_env.globals.update(path_of=path_of, with_args=with_args, GRADES=GRADES, KIND_LABELS=KIND_LABELS)
