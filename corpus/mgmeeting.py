"""A ModernGov `GetMeeting` answer (saved as .xml, or fetched by the harvest): one meeting and its minuted items."""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import meta as metamod
from .model import InputError, NotMinutes, Section
from .readers import Payload, register, tidy

# Roots of the service's other answers: readable, but not a meeting's minutes.
OTHER_ROOTS = {"committees": "a GetCommittees list of committees", "getmeetings": "a GetMeetings list of meetings",
               "attachment": "a GetAttachment document record", "councillorsbyward": "a list of councillors"}


@dataclass
class Item:
    """One agenda item as the service gives it."""

    id: str
    number: str | None
    title: str
    minutes_html: str
    agenda_html: str

    @property
    def minutes_hash(self) -> str:
        return hashlib.sha256(self.minutes_html.encode("utf-8")).hexdigest()[:16]


@dataclass
class Meeting:
    """A meeting as the service gives it; `minuted` are the items with minutes published."""

    id: str
    date: str | None  # ISO
    status: str
    minutes_published: bool
    committee: str
    base_url: str
    items: list[Item] = field(default_factory=list)

    @property
    def cancelled(self) -> bool:
        return "cancel" in self.status.lower() or "postpone" in self.status.lower()

    @property
    def minuted(self) -> list[Item]:
        return [i for i in self.items if i.minutes_html]

    @property
    def source_url(self) -> str:
        return f"{self.base_url}/ieListDocuments.aspx?MId={self.id}" if self.base_url else ""


def _text(el: ET.Element | None, tag: str) -> str:
    return ((el.findtext(tag) if el is not None else None) or "").strip()


def _flag(el: ET.Element, tag: str) -> bool:
    return _text(el, tag).lower() == "true"


def _unescape(s: str) -> str:
    """Titles arrive entity-encoded twice ('&amp;#39;' in the XML): decode until nothing changes."""
    for _ in range(3):
        t = html.unescape(s)
        if t == s:
            break
        s = t
    return re.sub(r"\s+", " ", s).strip()


def iso(dmy_text: str | None) -> str | None:
    """The service's dd/mm/yyyy as ISO; None when absent, malformed or not on the calendar."""
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", dmy_text or "")
    return metamod.iso(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None


def dmy(iso_date: str) -> str:
    """ISO to the dd/mm/yyyy the service needs: it accepts an ISO range and silently ignores it."""
    y, m, d = iso_date.split("-")
    return f"{d}/{m}/{y}"


def parse_meeting(root: ET.Element) -> Meeting:
    """The fields of a `<meeting>` root that say what the meeting was and which items have minutes."""
    urls = [u.text.strip() for u in root.iter("url") if u.text and u.text.strip().lower().startswith("http")]
    committees = [_text(d, "committeetitle") for d in root.iter("linkeddoc") if _text(d, "committeetitle")]
    items = []
    for it in root.iter("agendaitem"):
        number = _text(it, "minutesitemnumber") or _text(it, "fulldisplaynumberformat").rstrip(".") or None
        minutes = _text(it, "minutesnonemptyhtmlbody")
        published = _text(it, "isminutepublished").lower() != "false"
        items.append(Item(id=_text(it, "agendaitemid"), number=number, title=_unescape(_text(it, "agendaitemtitle")),
                          minutes_html=minutes if published and _has_words(minutes) else "",
                          agenda_html=_text(it, "agendatext")))
    return Meeting(id=_text(root, "meetingid"), date=iso(_text(root, "meetingdate")), status=_text(root, "meetingstatus"),
                   minutes_published=_flag(root, "minutepublished"),
                   committee=_unescape(max(set(committees), key=committees.count)) if committees else "",
                   base_url=site_base(urls[0]) if urls else "", items=items)


def _has_words(fragment: str) -> bool:
    return bool(re.search(r"\w{2}", re.sub(r"<[^>]*>|&[#\w]+;", " ", fragment)))


def site_base(url: str) -> str:
    """The site's base URL from any of its page URLs ('https://democracy.Gloucester.gov.uk/mgConvert2PDF.aspx?ID=1')."""
    parts = urlsplit(url)
    path = re.sub(r"/(?:[^/]*\.aspx|UserData/.*|documents/.*)$", "", parts.path, flags=re.I).rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def fragment_text(fragment: str) -> str:
    """An item's escaped HTML (minutes or agenda text) as plain text with its paragraphs and lists."""
    from .moderngov import html_to_text

    return tidy(html_to_text(f"<html><body>{fragment}</body></html>")[0]) if fragment else ""


def sniff(payload: Payload) -> bool:
    return bool(re.match(rb"\s*(?:<\?xml[^>]*\?>\s*)?<meeting[\s>]", payload.data[:512]))


@register("moderngov-service", (".xml",), sniff=sniff)
def read_meeting(payload: Payload) -> tuple[str, dict[str, str], list[Section]]:
    """One meeting: only items with minutes published, each with its agenda text as description."""
    try:
        root = ET.fromstring(payload.data)
    except ET.ParseError as e:
        raise InputError(payload.path, f"malformed XML: {e}") from None
    m = parse_meeting(root)
    if m.cancelled:
        raise NotMinutes(payload.path, f"meeting {m.id} {m.status.lower()}")
    sections = [Section(title=i.title, number=i.number, text=fragment_text(i.minutes_html),
                        description=fragment_text(i.agenda_html)) for i in m.minuted]
    sections = [s for s in sections if s.text]
    if not sections:
        raise NotMinutes(payload.path, f"meeting {m.id}: no minutes published yet")
    page = {"date": m.date or "", "date_method": "service", "committee": m.committee, "committee_method": "service",
            "source_url": m.source_url, "status": m.status}
    heading = " - ".join(x for x in (m.committee, m.date) if x)
    text = "\n\n".join([heading, *(f"{s.number or ''} {s.title}".strip() + "\n\n" + s.text for s in sections)])
    return text, {k: v for k, v in page.items() if v}, sections


@register("moderngov-service", (".xml",))
def read_other(payload: Payload):
    """Any other .xml: the service's lists are skipped as not minutes; anything else is not ours to read."""
    m = re.match(rb"\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*)", payload.data[:512])
    root = m.group(1).decode().lower() if m else ""
    if root in OTHER_ROOTS:
        raise NotMinutes(payload.path, OTHER_ROOTS[root])
    raise InputError(payload.path, f"XML that is not a ModernGov GetMeeting answer (root <{root or '?'}>)")
