"""ModernGov committee pages (real HTML and text copies of them): page chrome dropped, the page's own heading read as metadata."""

from __future__ import annotations

import re

from . import meta as metamod
from .model import InputError
from .heading import meeting_meta
from .readers import TEXT_EXTENSIONS, Payload, register, tidy

# First lines by which a text copy of a ModernGov page announces itself.
PAGE_KINDS = ("Issue - meetings", "Agenda item", "Agenda and minutes", "Agenda and draft minutes", "Decision details",
              "Agenda, decisions and minutes", "Agenda and decisions")
MEETING = re.compile(r"^Meeting:\s*(\d{1,2}/\d{1,2}/\d{4})\s*-\s*(.+?)\s*\(Item\s+(\w+)\)\s*$")
MEETING_HEADING = re.compile(
    r"^(?P<committee>[^\n]{3,120}?)\s+-\s+(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+(?P<date>\d{1,2}(?:st|nd|rd|th)?\s+\w+,?\s+\d{4})")
# Whole lines that are page furniture, never minutes.
CHROME_LINES = re.compile(
    r"^(?:Issue - meetings|Agenda item|Agenda and (?:draft )?minutes|Decision details|Additional documents:"
    r"|Supporting documents:|Minutes:|Decision:|Attachments:|Background papers:|Documents:"
    r"|View the (?:decision|background|reasons)[^\n]*|Back to top)$", re.I)
# Furniture inside a line: document links and 'view the full minutes' tails.
CHROME_INLINE = [
    re.compile(r"\s*(?:pdf|doc|docx|word|xls) icon\s*(?:PDF|DOC|DOCX|XLS)?\s*[\d.]+\s*[KMG]B\b", re.I),
    re.compile(r"\s*(?<![A-Z])PDF\s*[\d.]+\s*[KMG]B\s*$"),  # 'Work ProgrammePDF 65 KB' too
    re.compile(r"\s*(?:\.\.\.|…)?\s*view the full (?:minutes|decision) text for item [\w.]+\.?\s*$", re.I),
]


def sniff_text(payload: Payload) -> bool:
    """A text copy of a ModernGov page: known first line, a 'Meeting:' heading, or a 'Minutes:' label."""
    body = payload.body
    first = next((line.strip() for line in body.split("\n") if line.strip()), "")
    if first in PAGE_KINDS:
        return True
    head = body[:4000]
    return bool(re.search(r"^Meeting:\s*\d{1,2}/\d{1,2}/\d{4}\s*-", head, re.M) or re.search(r"^\s*Minutes:\s*$", head, re.M))


@register("moderngov", TEXT_EXTENSIONS, sniff=sniff_text)
def read_text_copy(payload: Payload) -> tuple[str, dict[str, str]]:
    """A ModernGov page saved as text; a meeting page's subtitle among its first lines gives committee and date."""
    text, page_meta = clean_page(tidy(payload.body))
    if "committee" not in page_meta:
        head = [line.strip() for line in text.split("\n") if line.strip()][:3]
        page_meta.update(next((meta for line in head if (meta := meeting_heading(line))), {}))
    return text, page_meta


@register("moderngov", (".html", ".htm"))
def read_html(payload: Payload) -> tuple[str, dict[str, str]]:
    """A ModernGov HTML page (any HTML page, really): its content text, then the same clean-up as a text copy."""
    text, heading = html_to_text(payload.text)
    text, page_meta = clean_page(tidy(text))
    if not re.search(r"\w{3}", text):
        raise InputError(payload.path, "HTML page has no text")
    if "committee" not in page_meta:
        page_meta.update(meeting_heading(heading))
    if "committee" not in page_meta:  # not a ModernGov page: a council's own site (a parish council's, say)
        from .mgpage import page_title  # lazily: mgpage imports this module

        page_meta.update({k: v for k, v in meeting_meta(text).items() if k.startswith("date")})
        # where such a site names its council: the page's <title>, its first heading (graph/heading_body.py reads them)
        page_meta["page_title"] = " | ".join(t for t in (page_title(payload), heading) if t)
    return text, {k: v for k, v in page_meta.items() if v}


def clean_page(text: str) -> tuple[str, dict[str, str]]:
    """Drop chrome lines and the heading lines, reading title, meeting date, committee and item number from them."""
    page: dict[str, str] = {}
    lines = text.split("\n")
    out: list[str] = []
    expect_title = False
    for line in lines:
        s = line.strip()
        if s in PAGE_KINDS:
            expect_title = s in ("Issue - meetings", "Agenda item", "Decision details")
            continue
        if expect_title and s:
            expect_title = False
            page.setdefault("title", s)
            continue
        m = MEETING.match(s)
        if m:
            if "date" not in page:
                page.update(date=metamod.parse_date(m.group(1)) or "", committee=m.group(2), item=m.group(3))
            continue
        if CHROME_LINES.match(s):
            continue
        for pattern in CHROME_INLINE:
            line = pattern.sub("", line)
        if page.get("title") and _is_item_heading(line.strip(), page):
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n"), {k: v for k, v in page.items() if v}


def _is_item_heading(line: str, page: dict[str, str]) -> bool:
    """'29 Review of performance …' repeats the title with its item number: metadata, not minutes."""
    m = re.match(r"^(\d+[a-z]?)\.?\s+(.+)$", line)
    if not m or _norm(m.group(2)) != _norm(page["title"]):
        return False
    page.setdefault("item", m.group(1))
    return True


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


# '<title>Agenda for Cabinet on Tuesday 12 March 2024, 7:00 pm - Modern Council</title>'
TITLE_MEETING = re.compile(
    r"^(?:Agenda|Minutes|Decisions?|Meeting)\b[^\n]*?\bfor\s+(?P<committee>[^\n]{3,120}?)\s+on\s+"
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+(?P<date>\d{1,2}(?:st|nd|rd|th)?\s+\w+,?\s+\d{4})")


def meeting_heading(subtitle: str, title: str = "") -> dict[str, str]:
    """Committee and date from a meeting page's subtitle ('Cabinet - Tuesday 12 March 2024 7:00 pm'), else its <title>."""
    for text, pattern in ((subtitle, MEETING_HEADING), (title, TITLE_MEETING)):
        m = pattern.search(text or "")
        date = metamod.parse_date(m.group("date")) if m else None
        if m and date:
            return {"committee": m.group("committee").strip(), "date": date,
                    "committee_method": "page:title", "date_method": "page:title"}
    return {}


def _classes(node) -> set[str]:
    return set((node.attributes.get("class") or "").split()) if node.tag not in ("-text", "-comment") else set()


BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "ul", "ol", "section",
              "article", "dd", "dt", "blockquote", "hr", "pre", "caption", "form"}
SKIP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "head", "select", "button", "svg", "iframe",
             "template", "input", "textarea"}


def html_to_text(html: str) -> tuple[str, str]:
    """Block elements become lines, list items keep a bullet or number; agenda rows become 'Title / (Item N)'."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    root = tree.css_first("#modgov") or tree.css_first("#mgContent") or tree.css_first("main") or tree.body
    if root is None:
        return "", ""
    title = tree.css_first(".mgSubTitleTxt") or tree.css_first(".mgMainTitleTxt") or tree.css_first("h2")
    out: list[str] = []
    _walk(root, out)
    return "".join(out), title.text(strip=True) if title else ""


def _walk(node, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        _emit(child, out)


def _emit(child, out: list[str]) -> None:
    """One node as text: blocks on their own lines, hidden text, file sizes and images dropped."""
    tag = child.tag
    if tag == "-text":
        out.append(re.sub(r"\s+", " ", child.text_content or ""))
        return
    if tag in SKIP_TAGS or tag in ("-comment", "img") or _classes(child) & {"mgFileSize", "mgHide"}:
        return
    if tag == "tr" and child.css_first("td.mgItemNumberCell"):
        _agenda_row(child, out)
        return
    if tag == "tr":
        _table_row(child, out)
        return
    block = tag in BLOCK_TAGS
    if block:
        out.append("\n")
    if tag == "li":
        parent = child.parent
        if parent is not None and parent.tag == "ol":
            index = int(parent.attributes.get("start") or 1) if (parent.attributes.get("start") or "").isdigit() else 1
            for sib in parent.iter():
                if sib.mem_id == child.mem_id:
                    break
                index += sib.tag == "li"
            out.append(f"{index}. ")
        else:
            out.append("· ")
    _walk(child, out)
    if block:
        out.append("\n")


def _table_row(row, out: list[str]) -> None:
    """A table row read as structure: one block per cell, a short first cell (a minute number) heading the next one's
    first line ('1.' | 'Apologies' -> '1. Apologies'), so a row of minutes reads as a numbered item."""
    cells = [c for c in row.iter() if c.tag in ("td", "th")]
    texts = []
    for cell in cells:
        words: list[str] = []
        _walk(cell, words)
        texts.append("".join(words).strip())  # a layout table's cell keeps its paragraphs
    texts = [t for t in texts if t]
    if len(texts) >= 2 and len(texts[0]) <= 12 and "\n" not in texts[0] and re.search(r"\d", texts[0]):
        texts = [f"{texts[0]} {texts[1]}"] + texts[2:]
    out.append("\n\n" + "\n".join(texts) + "\n\n")


def _agenda_row(row, out: list[str]) -> None:
    """A meeting page's agenda row: emit the heading the segmenter splits meetings on, then the row's text."""
    number = row.css_first("td.mgItemNumberCell").text(strip=True).rstrip(".")
    cells = [c for c in row.iter() if c.tag == "td"]
    body = cells[-1] if cells else row
    title_node = body.css_first(".mgAiTitleTxt")
    words: list[str] = []
    if title_node is not None:
        _walk(title_node, words)  # without its file size and hidden text
    title = re.sub(r"\s+", " ", "".join(words)).strip()
    for pattern in CHROME_INLINE:
        title = pattern.sub("", title)
    out.append(f"\n\n{title}\n(Item {number})\n")
    for child in body.iter(include_text=True):
        if title_node is None or child.mem_id != title_node.mem_id:
            _emit(child, out)
    out.append("\n")
