"""Split a document into agenda items, then each item into debate points and actions."""

from __future__ import annotations

import re

from . import item_headings
from .blocks import blocks, wrap_width
from .line_features import ESCAPE
from .model import AgendaItem, Document, RawDocument
from .points import extract

ITEM_MARKER = re.compile(r"^\(Item\s+(\d+[A-Za-z]?)\)$")
MINUTE_NUMBER = re.compile(r"^(\d{1,4})\.\s+(\S.*)$")
# Lines that are furniture wherever they appear in text extracted from a PDF.
FURNITURE = re.compile(
    r"^(?:(?:Page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?|-\s*\d{1,3}\s*-|this page is intentionally left blank\.?"
    r"|(?:UN)?RESTRICTED ITEMS|EXEMPT ITEMS|[_=\-–—.*]{4,})$", re.I)
LONE_NUMBER = re.compile(r"^\d{1,3}$")
# Bullet glyphs of PDF symbol fonts (private use area) and an "o" standing for a hollow bullet.
GLYPH = "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\uf0a8\uf0d7\uf0e0\uf0f0\uf02d\uf034\uf0e8\uf071\uf075"
GLYPH_BULLET = re.compile(rf"^\s*(?:[{GLYPH}]|o(?=\s+[A-Za-z0-9(‘“]))\s*")
GLYPH_INLINE = re.compile(rf"\s+[{GLYPH}]\s*")
# Procedural items by title. Minutes are procedural when they are this committee's own to confirm, not another
# body's minutes received as business; a "Declaration of a Climate Emergency" is business, declarations of interest are not.
PROCEDURAL = re.compile(
    r"\bapolog|\b(?:declarations?|disclosures?)\s+of\s+(?:[\w,]+\s+){0,4}interests?|\bdisclosable\b|\binterests?\b.*\bagenda\b"
    r"|^(?:the\s+)?(?:confirmation|approval|adoption|signing)\s+of\s+(?:the\s+)?(?:previous\s+)?minutes|^(?:the\s+)?minutes\W*$"
    r"|^(?:the\s+)?minutes\s+of\s+(?:the\s+)?(?:last|previous|preceding|meeting\s+held|\w+\s+meeting\s+held)\b"
    r"|^(?:the\s+)?(?:previous\s+)?minutes\b.*\b(?:approv|confirm|correct record)|\bmatters\s+arising\b"
    r"|^(?:changes\s+to\s+)?(?:committee\s+|panel\s+)?membership\b|\bsubstitut|date\s+of\s+(?:the\s+)?next\s+meeting"
    r"|dates?\s+of\s+future\s+meetings|\bexempt\b|exclusion\s+of\s+(?:the\s+)?(?:press|public)"
    r"|(?:election|appointment)\s+of\s+(?:the\s+)?(?:vice[- ])?chair|\burgent\s+business\b|\bany\s+other\s+business\b"
    r"|^(?:(?:committee|scrutiny|forward|annual|panel)\s+)*work\s+programme\b|^forward\s+plan\b|\bannouncements\b"
    r"|\bpublic\s+(?:questions|participation|speaking|forum)\b|\bquestions\s+(?:from|by)\s+(?:the\s+|members\s+of\s+the\s+)?public\b",
    re.I)



def segment(raw: RawDocument) -> Document:
    """One file holds one item or a whole meeting; either way the result is a list of items."""
    if raw.sections is not None:
        return _from_sections(raw)
    meta = raw.meta
    lines = clean_lines(raw.text, keep_numbers=True)
    width = wrap_width([line for line in lines if not LONE_NUMBER.match(line.strip())])
    parts = split_items(lines)
    if not parts and not (meta.get("item") or meta.get("title")):
        parts = split_headings(lines, width)
    lines = [line for line in lines if not LONE_NUMBER.match(line.strip())]
    parts = [(n, t, [ln for ln in body if not LONE_NUMBER.match(ln.strip())]) for n, t, body in parts]
    if len(parts) <= 1:
        number, title, body = parts[0] if parts else (None, "", lines)
        parts = [(meta.get("item") or number, meta.get("title") or title, body)]
    items = []
    for seq, (number, title, body) in enumerate(parts):
        bl = blocks(_trim_trailing_minute_number(body), width)
        points, actions = extract(bl)
        items.append(AgendaItem(
            title=title or "", number=number, text="\n\n".join(b.text for b in bl),
            procedural=bool(PROCEDURAL.search(title or "")), points=points, actions=actions, seq=seq))
    return Document(raw=raw, items=items)


def _from_sections(raw: RawDocument) -> Document:
    """Items a structured source already delimits: only their minutes are cut into points and actions."""
    items = []
    for seq, sec in enumerate(raw.sections or []):
        lines = clean_lines(sec.text)
        bl = blocks(lines, wrap_width(lines))
        points, actions = extract(bl)
        procedural = bool(PROCEDURAL.search(sec.title)) if sec.procedural is None else sec.procedural
        items.append(AgendaItem(title=sec.title, number=sec.number, text="\n\n".join(b.text for b in bl),
                                procedural=procedural, points=points, actions=actions, seq=seq,
                                description=sec.description))
    return Document(raw=raw, items=items)


def clean_lines(text: str, keep_numbers: bool = False) -> list[str]:
    """Lines without page numbers, rules, running headers or Markdown escapes ('2\\. Apologies'); glyph bullets as '•'
    (keep_numbers: lone numbers stay)."""
    text = GLYPH_INLINE.sub(lambda m: "\n• ", text.replace("\xa0", " "))
    lines = [GLYPH_BULLET.sub("• ", ESCAPE.sub(r"\1", line.rstrip())) for line in text.split("\n")]
    running = _running_headers(lines)
    return [line for line in lines if not (FURNITURE.match(line.strip()) and not (keep_numbers and LONE_NUMBER.match(
        line.strip()))) and _header_key(line) not in running]


def _running_headers(lines: list[str]) -> set[str]:
    """Lines repeated through a file beside a page break (a page number or a rule within two lines), four times or more
    and nearly always so: running headers and footers. Text quoted again by amendments is never beside one."""
    counts: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        key = _header_key(line)
        if key:
            edge = any(FURNITURE.match(lines[j].strip()) for j in range(max(0, i - 2), min(len(lines), i + 3))
                       if j != i and lines[j].strip())
            counts.setdefault(key, [0, 0])
            counts[key][0] += 1
            counts[key][1] += edge
    return {k for k, (n, edge) in counts.items() if edge >= 4 and edge >= 0.75 * n}


def _header_key(line: str) -> str:
    """A running header's identity (page numbers aside); '' for lines that may repeat as content."""
    text = line.strip()
    if (len(text) < 8 or len(text.split()) > 15 or text.endswith((".", ":", ";", "?", "!", ",")) or not text[:1].isalnum()
            or re.match(r"(?:RESOLVED|Resolved|AGREED|Agreed|That|Minutes|Noted|Proposed|Seconded|It was)\b", text)):
        return ""
    return re.sub(r"\d+", "#", text.lower())


def split_headings(lines: list[str], width: int) -> list[tuple[str | None, str, list[str]]]:
    """A whole meeting's items under the headings councils write ('85. Title', 'Minute 23/45', …); preamble dropped."""
    heads = item_headings.find(lines, width)
    return [(h.number, h.title, [h.rest] * bool(h.rest) + lines[h.body:(heads[k + 1].start if k + 1 < len(heads) else len(lines))])
            for k, h in enumerate(heads)]


def split_items(lines: list[str]) -> list[tuple[str | None, str, list[str]]]:
    """Items headed 'Title / (Item N)' (Kent, ModernGov meeting pages); the preamble before the first is dropped."""
    marks = [i for i, line in enumerate(lines) if ITEM_MARKER.match(line.strip())]
    if not marks:
        return []
    heads: list[tuple[int, int, str | None, str]] = []  # (title start, body start, number, title)
    for i in marks:
        start = i
        while start > 0 and i - start < 3:
            prev = lines[start - 1].strip()
            if not prev or re.search(r"[.;:?!]$", prev) and not re.fullmatch(r"\d{1,4}\.", prev) or ITEM_MARKER.match(prev):
                break
            start -= 1
            if MINUTE_NUMBER.match(lines[start].strip()):
                break
        title = " ".join(line.strip() for line in lines[start:i])
        m = MINUTE_NUMBER.match(title)
        if m:
            title = m.group(2)
        title = re.sub(r"^\d{1,4}\.\s*", "", title).strip()
        heads.append((start, i + 1, ITEM_MARKER.match(lines[i].strip()).group(1), title))
    parts = []
    for k, (start, body_start, number, title) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        parts.append((number, title, lines[body_start:end]))
    return parts


def _trim_trailing_minute_number(lines: list[str]) -> list[str]:
    """A lone '81.' closing an item is the next minute's number, cut from its heading by the item split."""
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    if out and re.fullmatch(r"\d{1,4}\.", out[-1].strip()):
        out.pop()
    return out
