"""Facts extracted from one document, each tied to the text it came from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Evidence:
    """Where a fact was read: a debate point or an agenda item (by position in the document) and the quote."""

    item_seq: int
    point_seq: int | None  # None: the item's own text (title or preamble)
    quote: str


@dataclass
class CouncilDecision:
    """Whose minutes these are, and how that was decided (metadata, heading, statement, email, unknown)."""

    gss: str | None
    name: str | None
    method: str  # "metadata", "text:heading", "text:abbreviation", "page:title", "text:email", "unknown"
    evidence: str | None = None
    kind: str | None = None  # an unlisted body's kind as its name gives it: "parish council", "municipal district" …
    within_gss: str | None = None  # the principal council the body sits in, where the text or a gazetteer says so
    within_name: str | None = None


@dataclass
class Judgement:
    grade: str  # outstanding, good, requires-improvement, inadequate, adequate
    area: str | None  # None: overall
    evidence: Evidence | None = None


@dataclass
class Inspection:
    inspectorate: str  # Ofsted, CQC, HMICFRS, Care Inspectorate Wales
    type: str  # ilacs, sif, safeguarding-cp, focused-visit, monitoring-visit, jtai, send-area, fostering, adoption, ...
    date: str | None  # "2018-06", "2012", "2021-12"...
    date_precision: str | None  # day, month, year
    status: str  # happened, expected
    evidence: Evidence
    judgements: list[Judgement] = field(default_factory=list)


@dataclass
class Intervention:
    type: str  # improvement-notice, statutory-direction, commissioner, improvement-board
    by: str | None
    date: str | None
    evidence: Evidence


@dataclass
class Practice:
    label: str  # short name: "£5k golden hello"
    kind: str  # incentive, arrangement, initiative
    themes: list[str]
    outcome: str | None
    evidence: Evidence
    outcome_evidence: Evidence | None = None
    council_gss: str | None = None  # set when another council than the document's adopted it


@dataclass
class Mention:
    gss: str
    name: str
    evidence: Evidence


@dataclass
class Facts:
    """Everything the extractors found in one document."""

    council: CouncilDecision
    inspections: list[Inspection] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    practices: list[Practice] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    # (item_seq, action_seq) -> owner
    action_owners: dict[tuple[int, int], str] = field(default_factory=dict)
