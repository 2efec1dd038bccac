"""The shapes minutes take once read and segmented, shared by every later stage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

# Keys a user may give in a header block or manifest.csv (contract §3); others are kept as extra metadata.
KNOWN_KEYS = ("council", "gss_code", "date", "committee", "item", "title", "source_url")


class NotMinutes(Exception):
    """A file that is readable but holds no minutes (a committee list, a cancelled meeting): skipped, never stored."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: not minutes ({reason})")
        self.path = str(path)
        self.reason = reason


class InputError(Exception):
    """A file that cannot be ingested, with a reason short enough for one stderr line."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def shown_path(path: str | Path) -> str:
    """A path as text that stores in SQLite and prints on one line: undecodable bytes and control characters escaped."""
    s = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in s)


def stable_id(*parts: object, length: int = 16) -> str:
    """Derive a short id from content so the same input always gets the same id."""
    h = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:length]


@dataclass
class SourceFile:
    """A file found by discovery, with the metadata a manifest gave it."""

    path: Path  # resolved path, the identity of the document
    given: str  # the path as the user gave it (reported back in results)
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class Section:
    """An agenda item as a structured source hands it over (a ModernGov page or web service), before segmentation."""

    title: str
    number: str | None = None
    text: str = ""  # the minutes: segmented into debate points and actions
    description: str = ""  # the agenda text: kept and shown, never searched as debate
    procedural: bool | None = None  # None: decided from the title


@dataclass
class RawDocument:
    """Text read from one file, before segmentation, with its merged metadata."""

    source: SourceFile
    text: str
    fmt: str  # reader name: "text", "moderngov", "pdf"
    meta: dict[str, str] = field(default_factory=dict)  # user metadata merged with what the page says
    sha256: str = ""
    sections: list[Section] | None = None  # set by readers of structured sources; else items come from the text
    methods: dict[str, str] = field(default_factory=dict)  # how date and committee were decided (meta.provenance)


@dataclass
class DebatePoint:
    """One point raised, answered or reported in an item: the unit of search."""

    text: str
    kind: str = "paragraph"  # bullet, numbered, lettered, paragraph, answer, summary
    seq: int = 0
    context: str = ""  # the lead-in it answers ("In response to questions from Cllr X, it was noted that:"), verbatim


@dataclass
class Action:
    """One resolution line, recommendation or agreed follow-up."""

    text: str
    kind: str = "resolution"  # resolution, recommendation, agreed, required
    owner: str | None = None
    seq: int = 0
    context: str = ""  # the lead-in of its resolution block ("To note the report and in particular:"), verbatim
    proposer: str | None = None  # "Proposed by Cllr X" of a formal resolution, where stated
    seconder: str | None = None


@dataclass
class AgendaItem:
    """An item of a meeting with its debate points and actions."""

    title: str
    number: str | None = None
    text: str = ""  # the item's cleaned text, verbatim
    procedural: bool = False
    description: str = ""  # agenda text that is not minutes (shown on the item page, not searched)
    points: list[DebatePoint] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    seq: int = 0


@dataclass
class Document:
    """A segmented file: metadata plus its agenda items."""

    raw: RawDocument
    items: list[AgendaItem] = field(default_factory=list)

    @property
    def meta(self) -> dict[str, str]:
        return self.raw.meta
