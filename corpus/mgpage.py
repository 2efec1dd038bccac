"""ModernGov meeting pages (ieListDocuments) as one meeting whose items' minutes are the debate; other site pages skipped."""

from __future__ import annotations

import html as htmlmod
import re

from . import moderngov as mg  # by module: either may be imported first (moderngov's import of readers imports this)
from .model import NotMinutes, Section
from .readers import Payload, register, tidy

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# A ModernGov page's <title> starts with its kind; these kinds list or describe committees and hold no minutes.
NOT_MINUTES = {
    "browse meetings": "committee meeting list", "committee details": "committee details page",
    "committee structure": "committee structure page", "committees": "list of committees",
    "meetings calendar": "meeting calendar", "calendar": "meeting calendar", "councillors": "list of councillors",
    "your councillors": "list of councillors", "committee membership": "committee membership page",
    "attendance": "attendance record", "forward plan": "forward plan", "search": "search page",
}
# The labels under which a meeting page's agenda row sets out what happened at the meeting.
MINUTES_LABEL = re.compile(r"^\s*Minutes\s*:?\s*$", re.I)
DECISION_LABEL = re.compile(r"^\s*Decision\s*:?\s*$", re.I)
OTHER_LABEL = re.compile(r"^\s*(?:Supporting documents|Additional documents|Attachments|Background papers|Documents)\s*:?\s*$", re.I)


def page_title(payload: Payload) -> str:
    m = _TITLE.search(payload.text[:20000])
    return re.sub(r"\s+", " ", htmlmod.unescape(m.group(1))).strip() if m else ""


def _kind(title: str) -> str:
    return title.split(" - ")[0].strip().lower()


_MARKS = re.compile(r"\$ModernGov|mgSubTitleTxt|mgMainTitleTxt|mgWebService|mgLinks")


def sniff(payload: Payload) -> bool:
    """A ModernGov meeting page (agenda rows), or a ModernGov page of a kind that is not minutes."""
    text, kind = payload.text, _kind(page_title(payload))
    return "mgItemNumberCell" in text or bool(_MARKS.search(text)) and (kind in NOT_MINUTES or kind.startswith("agenda for"))


@register("moderngov", (".html", ".htm"), sniff=sniff)
def read_meeting_page(payload: Payload) -> tuple[str, dict[str, str], list[Section]]:
    """Each agenda row is a section: its minutes (or, lacking them, its decision) are debate; its agenda text is kept aside."""
    from selectolax.lexbor import LexborHTMLParser

    title = page_title(payload)
    if _kind(title) in NOT_MINUTES:
        raise NotMinutes(payload.path, NOT_MINUTES[_kind(title)])
    tree = LexborHTMLParser(payload.text)
    subtitle = next((n.text(strip=True) for n in tree.css(".mgSubTitleTxt, h2") if mg.MEETING_HEADING.search(n.text(strip=True))), "")
    rows = [r for r in tree.css("tr") if r.css_first("td.mgItemNumberCell")]
    labelled = any(MINUTES_LABEL.match(n.text()) or DECISION_LABEL.match(n.text()) for n in tree.css(".mgSubItemTitleTxt"))
    heads = " ".join([title] + [n.text(strip=True) for n in tree.css("h1")]).lower()
    # rows without "Minutes:" labels hold the minutes themselves, unless the page says it is an agenda alone
    unlabelled_minutes = not labelled and ("minutes" in heads or "agenda" not in heads)
    sections = [s for s in (_section(r, unlabelled_minutes) for r in rows) if s.text.strip()]
    if not sections:
        cancelled = re.search(r"\bcancel", subtitle + title, re.I) or re.search(r"\bCANCELLED\b", payload.text)
        why = "cancelled meeting" if cancelled else "agenda only, no minutes published"
        raise NotMinutes(payload.path, why)
    page = mg.meeting_heading(subtitle, title)
    text, _ = mg.html_to_text(payload.text)  # the whole page, for the council's evidence (contacts, addresses) and --like
    return tidy(text), {k: v for k, v in page.items() if v}, sections


def _section(row, unlabelled_minutes: bool = False) -> Section:
    """One agenda row: number, clean title, then the text under each label, sorted into minutes and agenda text."""
    number = row.css_first("td.mgItemNumberCell").text(strip=True).rstrip(".") or None
    cells = [c for c in row.iter() if c.tag == "td"]
    body = cells[-1]
    title_node = body.css_first(".mgAiTitleTxt")
    words: list[str] = []
    if title_node is not None:
        mg._walk(title_node, words)  # without its file size and hidden text
    title = clean_title("".join(words))
    parts: dict[str, list[str]] = {"agenda": [], "minutes": [], "decision": [], "other": []}
    current = "agenda"
    for child in body.iter():
        if child.mem_id == (title_node.mem_id if title_node else None):
            continue
        label = child.text(strip=True) if "mgSubItemTitleTxt" in (child.attributes.get("class") or "") else ""
        if label:
            current = ("minutes" if MINUTES_LABEL.match(label) else "decision" if DECISION_LABEL.match(label)
                       else "other" if OTHER_LABEL.match(label) else current)
            continue
        if child.tag == "ul" and "mgActionList" in (child.attributes.get("class") or ""):
            continue  # "View the background to item 32."
        out: list[str] = []
        mg._walk(child, out)
        parts[current].append(_wrap(child, out))
    if unlabelled_minutes:
        return Section(title=title, number=number, text=_join(parts["agenda"]))
    minutes, decision = _join(parts["minutes"]), _join(parts["decision"])
    # a decision stands beside minutes that lack it: inline minutes are often cut short ("… view the full minutes
    # text"), their resolution only in the decision; one the minutes hold word for word is not said twice
    if decision and mg._norm(decision) not in mg._norm(minutes):
        minutes = f"{minutes}\n\n{decision}".strip()
    return Section(title=title, number=number, text=minutes, description=_join(parts["agenda"]))


def _wrap(node, out: list[str]) -> str:
    """A block's text; a paragraph stays one line, as the text reader expects of web text."""
    text = "".join(out)
    return f"\n{text}\n" if node.tag in ("p", "div", "ul", "ol", "table", "li") else text


def _join(chunks: list[str]) -> str:
    """Chunks as lines without link furniture; a paragraph Word broke in two ('stopping access' / 'to those on two wheels') made whole."""
    lines: list[str] = []
    for line in (re.sub(r"[ \t]+", " ", ln).strip() for ln in "".join(chunks).split("\n")):
        for pattern in mg.CHROME_INLINE:  # '… view the full minutes text for item 35.'
            line = pattern.sub("", line)
        last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i]), None)
        if line[:1].islower() and last is not None and re.search(r"[a-z,]$", lines[last]):
            lines[last:] = [f"{lines[last]} {line}"]
        else:
            lines.append(line)
    return tidy("\n".join(lines)).strip()


def clean_title(title: str) -> str:
    """'Work ProgrammePDF 65 KB' → 'Work Programme': document links are not part of an item's title."""
    for pattern in mg.CHROME_INLINE:
        title = pattern.sub("", title)
    title = re.sub(r"\s*(?:(?:pdf|doc|docx|word|xls) icon\s*)?(?:PDF|DOC|DOCX|XLS)\s*[\d.]+\s*[KMG]B\s*$", "", title, flags=re.I)
    return re.sub(r"\s+", " ", title).strip()
