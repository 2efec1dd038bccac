"""Where a site's web service is blocked or absent: its public pages, down to each meeting's "Printed minutes" PDF."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urljoin, urlsplit, urlunsplit

from . import meta as metamod
from .mgclient import Client, FetchError

MAX_LIST_PAGES = 20  # "earlier meetings" pages followed per committee
PRINTED = re.compile(r"^\s*[Pp]rinted\s+(?:[Dd]raft\s+)?[Mm]inutes(?![a-z])")  # "Printed minutesPDF 82 KB"


@dataclass
class Listed:
    """A meeting as a committee's meeting list shows it."""

    id: str
    date: str
    cancelled: bool
    has_minutes: bool
    url: str


def _links(page: bytes, base: str) -> list[tuple[str, str, str]]:
    """(absolute href, link text, text right after the link) for every link on a page."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page.decode("utf-8", "replace"))
    out = []
    for a in tree.css("a[href]"):
        after = a.next.text_content if a.next is not None and a.next.tag == "-text" else ""
        out.append((_encoded(urljoin(base + "/", html.unescape(a.attributes.get("href") or ""))), a.text(strip=True),
                    (after or "").strip()))
    return out


def _encoded(url: str) -> str:
    """Links as pages write them ('documents/g1/Printed minutes 18-Nov-2025.pdf') percent-encoded for a request."""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, quote(p.path, safe="/%:@!$&'()*+,;="), quote(p.query, safe="=&%/?:+,;"), ""))


def _param(url: str, *names: str) -> str:
    q = {k.lower(): v for k, v in parse_qs(urlsplit(url).query).items()}
    return next((q[n.lower()][0] for n in names if q.get(n.lower())), "")


def committees(client: Client, base: str) -> list[tuple[str, str]]:
    """(id, title) from the committee index, or the committee structure page when the index is missing."""
    last: FetchError | None = None
    for page in ("mgListCommittees.aspx", "mgCommitteeStructure.aspx"):
        try:
            body = client.get(f"{base}/{page}")
        except FetchError as e:
            last = e
            continue
        found = {}
        for href, text, _ in _links(body, base):
            if "mgcommitteedetails.aspx" in href.lower() and _param(href, "ID") and text:
                found.setdefault(_param(href, "ID"), " ".join(text.split()))
        if found:
            return list(found.items())
    raise last or FetchError(base, "no committees listed on the site's pages")


def meetings(client: Client, base: str, cid: str, since: str) -> list[Listed]:
    """A committee's meetings from its meeting list, following 'earlier' pages until they predate `since`."""
    url, out, pages = f"{base}/ieListMeetings.aspx?CId={cid}", {}, 0
    while url and pages < MAX_LIST_PAGES:
        pages += 1
        earlier = None
        for href, text, after in _links(client.get(url), base):
            low = href.lower()
            if "ielistdocuments.aspx" in low and _param(href, "MId"):
                day = metamod.parse_date(text.replace("\xa0", " "))
                if day:
                    mid = _param(href, "MId")
                    out.setdefault(mid, Listed(mid, day, "cancel" in after.lower(), "minutes" in after.lower(),
                                               f"{base}/ieListDocuments.aspx?CId={cid}&MId={mid}"))
            elif "act=earlier" in low and "ielistmeetings.aspx" in low:
                earlier = href
        url = earlier if earlier and out and min(m.date for m in out.values()) >= since else None
    return sorted(out.values(), key=lambda m: (m.date, m.id))


def printed_minutes(client: Client, meeting_url: str, base: str) -> bytes | None:
    """The meeting page's "Printed minutes" PDF, or None when the page links none."""
    for href, text, _ in _links(client.get(meeting_url), base):
        if PRINTED.match(text):
            data = client.get(href)
            if not data.startswith(b"%PDF"):
                raise FetchError(href, "the 'Printed minutes' link did not give a PDF")
            return data
    return None
