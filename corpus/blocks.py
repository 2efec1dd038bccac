"""Lines of an agenda item joined into blocks (paragraphs and list entries), undoing PDF line wraps."""

from __future__ import annotations

import re
from dataclasses import dataclass

BULLET = re.compile(r"^([·•▪●◦‣∙\uf0b7\-–—*])(?:\s+(.*))?$")
NUMBERED = re.compile(r"^(\(?)(\d{1,2})([.)])(?:\s+(.*))?$")
LETTERED = re.compile(r"^(\(?)([a-zA-Z]|i{1,3}|iv|vi{0,3}|ix|x)([.)])(?:\s+(.*))?$")
TERMINAL = tuple('.;:?!"”’)')
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


@dataclass
class Block:
    """A paragraph or a list entry: its marker style, label and joined text."""

    text: str
    kind: str = "paragraph"  # paragraph, bullet, numbered, lettered
    label: str = ""  # "3", "b", "·"
    style: str = ""  # marker style, e.g. "num." or "(let)", so '1.' and '1)' lists are told apart
    tail: int = 0  # length of its last physical line: a short one ended the paragraph

    @property
    def is_list(self) -> bool:
        return self.kind != "paragraph"


def wrap_width(lines: list[str]) -> int:
    """PDF text wraps at about 90 characters (the width returned); web text keeps one paragraph per line (0)."""
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    if len(lengths) < 4:
        return 0
    width = lengths[int(len(lengths) * 0.95) - 1]
    return width if width <= 130 else 0


def _marker(line: str, last: dict[str, int]) -> tuple[str, str, str, str | None] | None:
    """(kind, label, style, rest) when the line opens a list entry that fits its list's sequence."""
    m = BULLET.match(line)
    if m and (m.group(2) or m.group(1) in "·•▪●◦‣∙\uf0b7"):
        return "bullet", m.group(1), "bullet", m.group(2)
    m = NUMBERED.match(line)
    if m:
        n, style = int(m.group(2)), f"{m.group(1)}num{m.group(3)}"
        if style not in last or n in (1, last[style], last[style] + 1):
            return "numbered", m.group(2), style, m.group(4)
        return None
    m = LETTERED.match(line)
    if m:
        label, style = m.group(2).lower(), f"{m.group(1)}let{m.group(3)}"
        prev = last.get(style)
        n = ord(label) - 96 if len(label) == 1 else ROMAN[label]
        alt = ROMAN.get(label, 0)
        if prev is None or n in (1, prev, prev + 1) or alt in (1, prev + 1):
            return "lettered", label, style, m.group(4)
    return None


def blocks(lines: list[str], width: int | None = None) -> list[Block]:
    """Join wrapped lines into blocks (width: the document's wrap width); a lone marker applies to the next line."""
    width = wrap_width(lines) if width is None else width
    out: list[Block] = []
    last: dict[str, int] = {}
    pending: tuple[str, str, str] | None = None
    gap = True  # a blank line (or the start) precedes the current line
    for raw in lines:
        line = re.sub(r"\s+", " ", raw).strip()
        if not line:
            gap = True
            continue
        marker = _marker(line, last) or _marker(line, {})
        if marker and not marker[3]:
            pending = marker[:3]
            gap = True
            continue
        marker = _marker(line, last)
        if marker:
            kind, label, style, rest = marker
        elif pending:
            (kind, label, style), rest = pending, line
        else:
            kind = label = style = ""
            rest = line
        pending = None
        if kind:
            last[style] = int(label) if kind == "numbered" else (
                ord(label) - 96 if len(label) == 1 and kind == "lettered" else ROMAN.get(label, 0))
            out.append(Block(rest, kind, label, style, len(line)))
        elif out and width and _continues(out[-1], line, gap, width):
            out[-1].text = _join(out[-1].text, line)
            out[-1].tail = len(line)
        else:
            out.append(Block(line, tail=len(line)))
        gap = False
    return out


def _continues(prev: Block, line: str, gap: bool, width: int) -> bool:
    """A wrapped line carries on its paragraph; after a blank line only a lower-case start does (a page break)."""
    if _is_label(line) or (_is_label(prev.text) and len(prev.text.split()) <= 4) or prev.text.endswith(":"):
        return False
    ended = prev.text.endswith(TERMINAL)
    if gap:
        return not ended and line[:1].islower()
    return not ended or prev.tail >= 0.6 * width


def _is_label(text: str) -> bool:
    return bool(re.match(r"^(RESOLVED|Resolved|AGREED|Agreed that|It was [Aa]greed|Actions? Required|Reasons? for (?:the )?[Dd]ecision)\b", text))


def _join(prev: str, line: str) -> str:
    """'sub-' + 'categories' rejoins without a space; other wraps get one."""
    if prev[-2:-1].isascii() and prev[-2:-1].isalpha() and prev.endswith("-") and line[:1].isalpha():  # no regex: prev grows
        return prev + line
    return prev + " " + line
