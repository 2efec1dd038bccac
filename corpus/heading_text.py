"""The heading region of a minutes file as plain text, so readers see 'the meeting held on …' however it was laid out.

PDF-to-markdown conversions wrap a heading over many lines with blank lines between them, set it in bold
(`**…**`, sometimes broken mid-date), escape numbering (`2\\.`), and put links, rules and notes above it. The
region is read as the lines before the attendance list (or the first numbered item), each cleaned of markup, and
joined into paragraphs: a paragraph ends only where a line ends a sentence or the next one starts a new heading.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

# Where the heading ends: the attendance list, or the first numbered item.
ATTENDANCE = re.compile(r"^(?:PRESENT|Present|Members?\s+present|MEMBERS\s+PRESENT|Councillors?\s+present|Attendance|"
                        r"In\s+attendance|IN\s+ATTENDANCE|Those\s+(?:present|attending)|Attendees|IN\s+THE\s+CHAIR|"
                        r"Apologies|APOLOGIES)\b")
# "1. Apologies", "1)", "(a)", "i.", "128/19 Apologies", "(Item 13)": an item has begun
ITEM_LINE = re.compile(r"^(?:\(?item\s+\d+\)?|\(?(?:\d{1,3}|[ivx]{1,4}|[a-h])[.)](?:\s|$)|\d{1,3}/\d{2}\s)", re.I)
# Prose (a long sentence that is no heading): a file that starts with an item's text has no heading region.
_HEADING_WORDS = re.compile(r"\b(?:minutes|meeting|held|proceedings|present)\b", re.I)
MAX_LINES = 40  # non-blank lines read at most: a heading is never longer
_TAG = re.compile(r"<[^>]{1,200}>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)|(?<=\S)(\*{1,3}|_{2,3})")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"\b(?:[A-Z]|Co|St|No|Rd|Cllr|Mr|Mrs|Dr)\.$", re.I)
_OPEN_END = re.compile(r"(?:\b(?:of|the|in|at|on|and|held|to|for)|&|,)$", re.I)
_WRAPPED_HYPHEN = re.compile(r"[A-Za-z]-$")
_LONE_MARK = re.compile(r"(?<!\S)[*_]+(?!\S)")
_RULE = re.compile(r"^[-_=*~.\s|]{3,}$")
_PAGE = re.compile(r"^(?:page\s+)?[-–\s]*\d{1,3}(?:\s+of\s+\d{1,3})?[-–\s]*$", re.I)
_NOTE = re.compile(r"original file|scanned page.*", re.I)
_HEADING_MARK = re.compile(r"^#{1,6}\s+|^>\s*")
# A line that starts a heading of its own rather than continuing the one above.
_STARTS = re.compile(r"^(?:the\s+)?(?:minutes|notes|record)\s+of\b|^(?:a|an|the)\s+(?:\w+\s+){0,3}meeting\s+of\b", re.I)


@dataclass
class Region:
    """The heading's paragraphs, cleaned; `text` is them joined, which is what dates and councils are read from."""

    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def clean_line(line: str) -> str:
    """One line without HTML tags and entities, markdown links, emphasis, escapes and heading marks."""
    s = line.replace("\xa0", " ")
    if "<" in s or "&" in s:
        s = html.unescape(_TAG.sub(" ", s))
    if "](" in s:
        s = _LINK.sub(r"\1", s)
    if "\\" in s:
        s = _ESCAPE.sub(r"\1", s)
    s = _HEADING_MARK.sub("", s.strip())
    if "*" in s or "_" in s:
        s = _LONE_MARK.sub(" ", _EMPHASIS.sub("", s))
    return _SPACES.sub(" ", s).strip()


def is_furniture(line: str) -> bool:
    """Rules, page numbers and link-only lines (a converter's 'Original file' note) carry no heading."""
    return bool(_RULE.match(line) or _PAGE.match(line) or _NOTE.fullmatch(line))


@lru_cache(maxsize=4)
def region(text: str, max_lines: int = MAX_LINES) -> Region:
    """The heading region of a text: cleaned lines before the attendance list, wraps joined into paragraphs."""
    paras: list[str] = []
    current: list[str] = []
    seen = 0
    for raw in text[:20_000].split("\n"):
        if seen >= max_lines:
            break
        line = clean_line(raw)
        if not line or is_furniture(line):
            continue
        seen += 1
        if ATTENDANCE.match(line) or (paras or current) and ITEM_LINE.match(line):
            break
        if current and _ends_paragraph(current[-1], line):
            paras.append(" ".join(current))
            current = []
        if current and _WRAPPED_HYPHEN.search(current[-1]):
            current[-1] += line  # "ADARE-" / "RATHKEALE": a hyphenated name wrapped at its hyphen
        else:
            current.append(line)
    if current:
        paras.append(" ".join(current))
    prose = next((k for k, p in enumerate(paras) if _is_prose(p)), len(paras))
    return Region(paras[:prose])


def _is_prose(para: str) -> bool:
    """A paragraph of running text, not a heading: long, ending a sentence, without a heading's words."""
    return len(para.split()) > 25 and para.rstrip("”\"'").endswith(".") and not _HEADING_WORDS.search(para)


def _ends_paragraph(prev: str, line: str) -> bool:
    """Whether `line` starts a new paragraph: the one above ended a sentence, or this one opens a heading, or a
    short all-caps title (a council's or committee's name) stands above a line in other case."""
    if prev.endswith((".", ":", ";")) and not _SENTENCE_END.search(prev):
        return True
    if _STARTS.match(line):
        return True
    return prev.isupper() and len(prev.split()) <= 8 and not line.isupper() and not _continues(prev)


def _continues(prev: str) -> bool:
    """A line ending mid-phrase ('… HELD IN THE', '… OF') continues on the next."""
    return bool(_OPEN_END.search(prev))
