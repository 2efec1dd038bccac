"""ModernGov committee pages (real HTML and text copies of them): page chrome dropped, the page's own heading read as metadata."""

from __future__ import annotations

import re

from . import meta as metamod
from .model import InputError
from .readers import TEXT_EXTENSIONS, Payload, register, tidy

# First lines by which a text copy of a ModernGov page announces itself.
PAGE_KINDS = ("Issue - meetings", "Agenda item", "Agenda and minutes", "Agenda and draft minutes", "Decision details")
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
    re.compile(r"\s*\bPDF\s*[\d.]+\s*[KMG]B\s*$"),
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
    """A ModernGov page saved as text."""
    return clean_page(tidy(payload.body))


@register("moderngov", (".html", ".htm"))
def read_html(payload: Payload) -> tuple[str, dict[str, str]]:
    """A ModernGov HTML page (any HTML page, really): its content text, then the same clean-up as a text copy."""
    html = payload.text
    text, heading = html_to_text(html)
    text, page_meta = clean_page(tidy(text))
    if not re.search(r"\w{3}", text):
        raise InputError(payload.path, "HTML page has no text")
    if heading and "committee" not in page_meta:
        m = MEETING_HEADING.search(heading)
        if m:
            page_meta["committee"] = m.group("committee").strip()
            page_meta.setdefault("date", metamod.parse_date(m.group("date")) or "")
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
    title = tree.css_first(".mgSubTitleTxt, .mgMainTitleTxt, h2")
    out: list[str] = []
    _walk(root, out)
    return "".join(out), title.text(strip=True) if title else ""


def _walk(node, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(re.sub(r"\s+", " ", child.text_content or ""))
            continue
        if tag in SKIP_TAGS or tag == "-comment":
            continue
        if tag == "tr" and child.css_first("td.mgItemNumberCell"):
            _agenda_row(child, out)
            continue
        if tag == "img":
            continue
        block = tag in BLOCK_TAGS
        if block:
            out.append("\n")
        if tag == "li":
            parent = child.parent
            if parent is not None and parent.tag == "ol":
                index = 1
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


def _agenda_row(row, out: list[str]) -> None:
    """A meeting page's agenda row: emit the heading the segmenter splits meetings on, then the row's text."""
    number = row.css_first("td.mgItemNumberCell").text(strip=True).rstrip(".")
    cells = [c for c in row.iter() if c.tag == "td"]
    body = cells[-1] if cells else row
    title_node = body.css_first(".mgAiTitleTxt")
    title = title_node.text(strip=True) if title_node else ""
    for pattern in CHROME_INLINE:
        title = pattern.sub("", title)
    out.append(f"\n\n{title}\n(Item {number})\n")
    if title_node is not None:
        title_node.decompose()
    _walk(body, out)
    out.append("\n")
