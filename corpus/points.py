"""Debate points and actions from an item's blocks: lead-ins with their sub-points, resolution blocks one action a line."""

from __future__ import annotations

import re

from .blocks import TERMINAL, Block
from .model import Action, DebatePoint

ACTION_LABEL = re.compile(
    r"^(?:And\s+|AND\s+|and\s+)?(?:(?:it\s+was|IT\s+WAS)\s+)?(?P<label>RESOLVED|Resolved|It was [Aa]greed(?: that)?|AGREED(?: THAT)?|Agreed that|Actions? Required"
    r"|RECOMMENDED|Recommendations?|RECOMMENDATIONS?|That(?=:?$))\b\s*[:–—-]?\s*(?P<rest>.*)$")
ACTION_KINDS = (("resol", "resolution"), ("agree", "agreed"), ("required", "required"),
                ("recommend", "recommendation"), ("that", "resolution"))
ANSWER_LEAD = re.compile(
    r"\b(in response to|in reply to|in answer to|responding to|questions?|queried|responded)\b", re.I)
ANSWER_START = re.compile(r"^(In (?:response|reply|answer) to|Responding to|In responding to)\b")
SUMMARY = re.compile(
    r"\b(introduced|presented|received|summarised|outlined|gave an overview|provided an overview|gave (?:a|an) (?:verbal )?update"
    r"|provided an update)\b.{0,80}\b(report|update|overview|item|plan)\b|^To (review|receive|consider|provide|note|update)\b",
    re.I)
BOILERPLATE = re.compile(
    r"intentionally left blank|can be contacted on|\b[\w.-]+@[\w-]+\.[\w.]+|in attendance for this item"
    r"|^\[.*\]$|\b(For|Against|Abstain)\s*\(\d+\)|^Appendix [A-Z0-9]\b|^No background papers"
    r"|^\S+(?: \S+){0,6} (?:Substantive )?Motion (?:carried|lost)\.?$|^This item was taken (?:after|before)", re.I)
_NAME = r"(?:the\s+)?(?:Councillors?|Cllrs?\.?|Mr|Mrs|Ms|Miss|Dr|Chair(?:man)?|Mayor|Leader|Deputy|Vice)\b[\w .'’-]*?"
# "Proposed by Councillor A; Seconded by Councillor B; And Resolved: That …", "It was moved by … and seconded by …"
PROPOSED = re.compile(rf"\b(?:proposed|moved)\s+by\s+(?P<p>{_NAME})\s*(?=[,;.]|\band\b|\bseconded\b|$)", re.I)
SECONDED = re.compile(rf"\bseconded\s+by\s+(?P<s>{_NAME})\s*(?=[,;.]|\band\b|\bit\b|$)", re.I)
MOTION = re.compile(r"^(?:It\s+was\s+)?(?:proposed|moved|seconded)\s+by\b", re.I)
FELL = re.compile(r"\b(?:LOST|lost|fell|FELL|defeated|DEFEATED|withdrawn|WITHDRAWN|not carried)\b")
RESOLVED_IN = re.compile(r"\b(?:and\s+)?(?:it\s+was\s+)?(?:RESOLVED|Resolved|resolved|AGREED|agreed)\b\s*[:,–—-]?\s*(?=that\b|That\b|:|$)")
HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Cllr|Councillor)\b\.?")


def extract(blocks: list[Block]) -> tuple[list[DebatePoint], list[Action]]:
    """Walk the blocks once: resolution blocks become actions, lead-in groups and paragraphs become points."""
    points: list[DebatePoint] = []
    actions: list[Action] = []
    i = 0
    mover: tuple[str | None, str | None] | None = None  # proposer and seconder awaiting their resolution
    while i < len(blocks):
        b = blocks[i]
        if MOTION.match(b.text):
            found = _mover(b.text)
            mover = (found[0] or (mover or (None, None))[0], found[1] or (mover or (None, None))[1])
            if RESOLVED_IN.search(b.text):
                actions.append(Action(b.text, "resolution", proposer=mover[0], seconder=mover[1]))
                mover = None
                i += 1
                continue
            if FELL.search(b.text):
                mover = None
            if len(b.text.split()) <= 12:
                i += 1
                continue
        m = ACTION_LABEL.match(b.text)
        if m and mover:
            start = len(actions)
        if m:
            kind = next(k for key, k in ACTION_KINDS if key in m.group("label").lower())
            rest = m.group("rest")
            if len(rest.split()) >= 3 and not rest.endswith(":"):
                actions.append(Action(b.text, kind))
                i += 1
            else:
                i = _action_block(blocks, i + 1, kind, b.text if rest else "", actions)
            if mover:
                for a in actions[start:]:
                    a.proposer, a.seconder = mover
                mover = None
            continue
        if is_heading(b):
            i += 1
            continue
        group = _group(blocks, i)
        if group > i + 1:
            if _has_sentence_before_lead(b.text) and is_content(b):
                points.append(DebatePoint(b.text, _kind(b)))
            answer = bool(ANSWER_LEAD.search(b.text))
            for sub in blocks[i + 1:group]:
                if is_content(sub):
                    points.append(DebatePoint(sub.text, "answer" if answer else _kind(sub), context=_last_sentence(b.text)))
            i = group
            continue
        if is_content(b) and not (b.text.endswith(":") and not _has_sentence_before_lead(b.text)):
            points.append(DebatePoint(b.text, _kind(b)))
        i += 1
    for seq, p in enumerate(points):
        p.seq = seq
    for seq, a in enumerate(actions):
        a.seq = seq
    return points, actions


def _mover(text: str) -> tuple[str | None, str | None]:
    """Proposer and seconder named in a motion block, as written ('Councillor A Smith')."""
    p, s = PROPOSED.search(text), SECONDED.search(text)
    return (p.group("p").strip() if p else None), (s.group("s").strip() if s else None)


def _action_block(blocks: list[Block], i: int, kind: str, context: str, actions: list[Action]) -> int:
    """After a bare 'RESOLVED' label: an optional lead-in ('That:', 'To note … in particular:'), then one action per entry."""
    n = len(blocks)
    while i < n and not blocks[i].is_list and i + 1 < n and blocks[i + 1].is_list:
        text = blocks[i].text
        if text.rstrip(":") != "That":
            if ACTION_LABEL.match(text) or is_heading(blocks[i]) and len(text.split()) <= 5:
                break
            context = text
        i += 1
    if i < n and blocks[i].is_list:
        style = blocks[i].style
        while (i < n and blocks[i].style == style and is_content(blocks[i]) and not is_heading(blocks[i])
               and not ACTION_LABEL.match(blocks[i].text)):
            actions.append(Action(blocks[i].text, kind, context=context))
            i += 1
    elif i < n and not is_heading(blocks[i]) and not ACTION_LABEL.match(blocks[i].text) and is_content(blocks[i]):
        actions.append(Action(blocks[i].text, kind, context=context))
        i += 1
    return i


def _group(blocks: list[Block], i: int) -> int:
    """End (exclusive) of the sub-points a lead-in ending in ':' introduces; i + 1 when it introduces none."""
    lead = blocks[i]
    if not lead.text.endswith(":") or i + 1 >= len(blocks):
        return i + 1
    first = blocks[i + 1]
    if not first.is_list or (lead.is_list and first.style == lead.style):
        return i + 1
    j = i + 1
    while j < len(blocks) and blocks[j].style == first.style and not ACTION_LABEL.match(blocks[j].text):
        j += 1
    return j


def _has_sentence_before_lead(text: str) -> bool:
    """'X introduced the report. She highlighted:' says something itself; 'it was noted that:' does not."""
    return bool(re.search(r"[.!?]\s+[A-Z]", text.rstrip(":")))


def _last_sentence(text: str) -> str:
    """The clause that introduces the sub-points, without the report summary before it."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)[-1]


def _kind(b: Block) -> str:
    if ANSWER_START.match(b.text):
        return "answer"
    if SUMMARY.search(b.text) and (b.kind == "paragraph" or not b.text.startswith("To ")):
        return "summary"
    return b.kind


def is_heading(b: Block) -> bool:
    """Short unpunctuated lines ('1. Background', 'Reasons for decision') are headings, not points; bullets never are."""
    if b.kind == "bullet" or b.text.endswith(TERMINAL):
        return False
    words = len(b.text.split())
    return words <= (5 if b.is_list else 12) and b.text[:1].isupper()


def is_content(b: Block) -> bool:
    """Enough words to say something, and not contact details, vote tallies or lists of names."""
    words = len(b.text.split())
    if words < (3 if b.is_list else 5):
        return False
    names = len(HONORIFIC.findall(b.text))
    return not BOILERPLATE.search(b.text) and not (names >= 3 and names >= 0.3 * words)
