"""Turn one segmented document into Facts: whose minutes, which inspections, judgements, owners, practices and mentions."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from councilkg.corpus.model import Document
from councilkg.graph import councils as gz
from councilkg.graph.heading_body import read_body
from councilkg.graph.facts import CouncilDecision, Facts, Mention
from councilkg.graph.inspections import inspections, interventions
from councilkg.graph.practices import practices
from councilkg.graph.sentences import Sentence, units

_EMAIL = re.compile(r"\b[\w.+-]+@((?:[\w-]+\.)+gov\.uk)\b", re.IGNORECASE)
# Readers whose text has no heading of its own (the web service's answer is items' minutes, which name other councils).
_NO_HEADING = {"moderngov-service"}
_TITLE_BEFORE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr|Cllr|Councillor|Sir|Dame|Lord|Lady)\.?|[A-Z][\w'’-]*)\s+$")
_TITLE_AFTER = re.compile(r"^\s+(?!And\b|Or\b)[A-Z][a-z]")
_OWN_BODIES = re.compile(r"^(?:the )?(?:report|committee|cabinet|panel|board|council|county council|members?|it|this|that|officers)\b", re.IGNORECASE)
_OWNER = [
    re.compile(r"^(?:that\s+)?(?:the\s+)?(?P<o>[A-Z][\w&'’ ,-]{2,80}?)\s+(?:to|be asked to|is asked to|be invited to|should|will)\s+"
               r"(?:attend|provide|bring|report|circulate|update|arrange|write|share|consider|review|investigate|prepare|present|"
               r"send|liaise|ensure|develop|follow|look|meet|respond|produce|confirm|raise)\b"),
    re.compile(r"delegated authority (?:be |is |was )?(?:given|granted|delegated) to (?:the )?(?P<o>[A-Z][^,;.()]+?)(?=\s+in consultation|\s+to\s|[,;.(]|$)"),
    re.compile(r"\b(?:request|ask)s?\s+(?:that\s+)?(?:the\s+)?(?P<o>[A-Z][\w&'’ -]{2,60}?)\s+(?:to|should)\s+(?!be\b)[a-z]+"),
]


def decide_council(doc: Document) -> CouncilDecision:
    """User metadata first, then the document's own heading, e-mail addresses or source address; else unknown.

    Each is read as of the meeting's date, so a 2019 minute of an abolished district is that district's."""
    meta = doc.meta
    on = meta.get("date") or None
    code, name = (meta.get("gss_code") or "").strip(), (meta.get("council") or "").strip()
    if code or name:
        hit = gz.resolve(code, on) if code else None
        hit = hit or (gz.resolve(name, on) if name else None)
        if hit:
            return CouncilDecision(hit["gss"], hit["name"], "metadata", f"council: {name or code}")
        return CouncilDecision(code or None, name or code, "metadata", f"council: {name or code}")
    text = doc.raw.text
    body = None if doc.raw.fmt in _NO_HEADING else read_body(text, on, meta.get("page_title") or "")
    if body:  # a body no gazetteer lists keeps the name the minutes give it, with no GSS code
        return CouncilDecision(body.gss, body.name, body.method, body.evidence[:500], body.kind, body.within_gss,
                               body.within_name)
    found = _one_council(((m.group(1), m.group(0)) for m in _EMAIL.finditer(text)), on)
    if found:
        return CouncilDecision(found[0]["gss"], found[0]["name"], "text:email", found[1])
    url = meta.get("source_url") or meta.get("source") or ""
    found = _one_council([(urlparse(url).hostname or "", url)], on) if url.startswith("http") else None
    if found:
        return CouncilDecision(found[0]["gss"], found[0]["name"], "metadata:source_url", url)
    return CouncilDecision(None, None, "unknown")


def _one_council(pairs, on: str | None = None) -> tuple[dict, str] | None:
    """The council behind a set of *.gov.uk hosts when they all agree; None when none or several."""
    got: dict[str, tuple[dict, str]] = {}
    for host, evidence in pairs:
        c = gz.by_domain(host, on)
        if c:
            got.setdefault(c["gss"], (c, evidence))
    return next(iter(got.values())) if len(got) == 1 else None


def mentions(units_: list[list[Sentence]], self_gss: str | None, on: str | None = None) -> list[Mention]:
    """Other councils named in the text (as of the meeting's date), once each; a bare place name inside a longer
    proper name does not count."""
    out: dict[str, Mention] = {}
    for unit in units_:
        for s in unit:
            for h in gz.find_names(s.text, on):
                if h.gss == self_gss or h.gss in out:
                    continue
                if not h.full and (_TITLE_BEFORE.search(s.text[: h.start]) or _TITLE_AFTER.match(s.text[h.end:])):
                    continue
                out[h.gss] = Mention(h.gss, gz.gazetteer()[h.gss]["name"], s.evidence())
    return list(out.values())


def owner(text: str) -> str | None:
    """Who is to carry out an action, when the action names them."""
    t = re.sub(r"^[\s•·\-–]*(?:\(?[a-z0-9]{1,3}[.)]\s*)?", "", re.sub(r"\s+", " ", text))
    t = re.sub(r"^(?:RESOLVED|Resolved|AGREED|Agreed)\b[\s:–-]*(?:that\s*)?", "", t)
    for pat in _OWNER:
        m = pat.search(t)
        if m:
            o = m.group("o").strip(" ,")
            if not _OWN_BODIES.match(o) and len(o.split()) <= 10:
                return o
    return None


def extract(doc: Document) -> Facts:
    """All facts of one document, each with the sentence it came from."""
    council = decide_council(doc)
    us = list(units(doc))
    facts = Facts(council, inspections(us), interventions(us))
    for pr, other in practices(us, council.gss):
        if other:
            pr.council_gss = other  # adopted by another council than the document's
        facts.practices.append(pr)
    facts.mentions = mentions(us, council.gss, doc.meta.get("date") or None)
    for item in doc.items:
        for a in item.actions:
            o = a.owner or owner(a.text)
            if o:
                facts.action_owners[(item.seq, a.seq)] = o
    return facts
