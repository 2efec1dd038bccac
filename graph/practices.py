"""Practices — what a council did about a problem — read from sentences by precise cue patterns, with outcomes."""

from __future__ import annotations

import re

from councilkg.graph.councils import find_names
from councilkg.graph.facts import Practice
from councilkg.graph.sentences import Sentence

_I = re.IGNORECASE
# Nouns that name something a council set up; a verb cue must lead to one of them.
NOUN = (r"(?:scheme|programme|program|academy|campaign|initiative|partner|partnership|protocol|route|pathway|"
        r"teams?|role|hub|app|pilot|guide|package|bonus|fund)")
_ADJ = r"(?:(?:strong|new|robust|dedicated|successful|targeted|additional|further|bespoke|innovative)\s+)*"
_NP = rf"(?P<np>(?!(?:to|of|in|on|for|with|at|by|from|a|an|the|their|his|her|own)\b){_ADJ}[\w£'’-]+(?:\s+[\w'’-]+){{0,5}}?\s+{NOUN})\b"
_FOR = r"(?P<for>\s+(?:for|to)\s+(?!be\b)[\w\s-]{3,40}?(?=[,.;]|\s+(?:in place|and|which|that|was|were|had|has|is)\b|$))?"
# (pattern, kind or None to infer): each pattern's "np" group is the label.
RULES: list[tuple[re.Pattern, str | None]] = [
    (re.compile(r"(?P<np>(?:£\s?[\d.,]+k?\s+)?['‘\"]?golden hello['’\"]?)", _I), "incentive"),
    (re.compile(r"\b(?:offer\w*|introduc\w*|paid|pay\w*)\s+(?P<np>(?:financial\s+)?incentives?\s+(?:for|to)\s+[\w\s-]{3,40}?)(?=[,.;]|\s+and\b|$)", _I), "incentive"),
    (re.compile(rf"\b(?:engag(?:e|es|ed|ing)|appoint(?:s|ed|ing)?|launch(?:es|ed|ing)?|introduc(?:e|es|ed|ing)|develop(?:s|ed|ing)?|establish(?:es|ed|ing)?|set up|creat(?:e|es|ed|ing)|invest(?:s|ed|ing)? in|implement(?:s|ed|ing)?|pilot(?:s|ed|ing)?|commission(?:s|ed|ing)?)\s+(?:(?:a|an|the|its|our)\s+)?{_NP}{_FOR}", _I), None),
    (re.compile(rf"\bthere (?:is|was|are|were) (?:a|an)\s+{_NP}{_FOR}\s+in place", _I), None),
    (re.compile(rf"\b(?:A|An|The)\s+{_NP}{_FOR}\s+(?:was|were|is|are|has been|had been)\s+(?:being\s+)?(?:developed|introduced|launched|established|set up|created|piloted|implemented)", 0), None),
    (re.compile(r"\b(?P<np>(?:\d+|[a-z]+teen|[a-z]+ty(?:-[a-z]+)?) (?:\w+ )?social workers?) (?:had been|have been|has been|were|was) recruited from (?P<where>[A-Z][\w]*(?: [A-Z][\w]*)*)"), "arrangement"),
    (re.compile(r"\b(?P<np>(?:the )?rolling recruitment)(?P<rate> (?:will |would )?continue on a (?:monthly|weekly|quarterly) basis)?", _I), "arrangement"),
    (re.compile(r"\boffer\w*\s+(?:\d+\s+)?(?P<np>newly qualified social workers?['’]? (?:positions|posts|places))", _I), "arrangement"),
    (re.compile(r"\b(?:issued|provided|equipped|gave)\s+(?:its |their |our )?(?P<who>social workers|staff|practitioners)\s+with\s+(?P<np>iPads|laptops|tablets|smartphones|mobile phones)", _I), "arrangement"),
    (re.compile(r"\b(?:posts?|roles?|places?) in the (?P<np>[\w -]{0,30}academy)", _I), "arrangement"),
    (re.compile(r"(?:Council['’]s|KCC['’]s|our|its) (?P<np>initiative to [\w\s-]{5,60}?)(?=[,.;]|$)", 0), "initiative"),
    (re.compile(r"(?:through the|KCC['’]s|Council['’]s|our) (?P<np>(?:[A-Z][\w'’-]*\s+){1,4}(?:\([A-Z]+\)\s+)?(?:scheme|programme|initiative|project))\b", 0), None),
    (re.compile(r"\b(?P<np>(?:[A-Z][\w'’-]*\s+){1,4}Protocol)\b", 0), "arrangement"),
]
_NOT_A_PRACTICE = re.compile(r"\b(?:national|government|devolution|priority|pay|transfer|voter|local government|improvement plan|action plan|review)\b"
                             r"|^(?:report|update|paper|presentation|briefing|item|minutes)s?\b", _I)  # papers about a thing are not the thing
_KIND = [("incentive", re.compile(r"golden hello|incentive|bonus|payment|supplement|allowance", _I)),
         ("initiative", re.compile(r"campaign|initiative|pilot|route|pathway|project|guide|app\b", _I))]
THEMES = {
    "workforce-recruitment": r"recruit|social workers?|apprentic|golden hello|career|academy|retention|newly qualified|workforce",
    "caseloads": r"caseload",
    "agency-staff": r"agency (?:staff|workers?|social workers?)|interim",
    "case-management-it": r"\biPads?\b|laptop|tablet|smartphone|(?-i:\bIT\b)|case management system",
    "care-leavers": r"care leaver",
    "housing": r"housing|homeless|empty (?:propert|home)",
    "early-help": r"family hub|early help|father|parent",
    "partnership": r"partnership|multi-agency",
    "fostering-adoption": r"foster|adopt",
    "quality-assurance": r"quality assurance|audit",
}
_OUTCOME = re.compile(r"\b(?:(?:been|was|were|proved|proven) (?:\w+ )?successful|success of|successfully|not clear|helped|resulted in|resulting in|increase[sd]|improved|effective|had not|failed|attract\w*|worked|impact)\b", _I)
_SPECULATIVE = re.compile(r"\b(?:whether|would be interesting|hope\w*|aim\w*|intend\w*|could|might)\b", _I)
_NAMED_BY = re.compile(r"^\W*(?:[A-Z][\w'’-]*\s+){0,3}(?:had|has|have|was|were)\b")
# A label is a whole noun phrase: it never starts with, nor has just before its head noun, a word of this kind.
_FUNCTION = re.compile(r"(?:and|or|but|nor|such|a|an|the|this|that|these|those|any|some|each|every|other|another|which|what|"
                       r"whose|its|their|our|his|her|of|to|in|on|for|with|at|by|from|as|into|than|so|be|been|is|are|was|were|will|would)", _I)
# Said of something not done or not the council's: the clause before the cue is a motion, question, request, proposal,
# hope, plan, condition or someone else's act. Precision beats recall: such a clause yields no practice.
_NOT_DONE = re.compile(
    r"\b(?:will|would|shall|should|could|might|may|must|can|propos\w*|intend\w*|hop(?:e|es|ed|ing)|wish\w*|aspir\w*|"
    r"plan(?:s|ned|ning)? to|aim(?:s|ed|ing)? to|seek\w* to|want\w*|would like|consider\w*|explor\w*|look\w* (?:into|at)|"
    r"ask(?:s|ed|ing)?|enquir\w*|inquir\w*|question(?:s|ed|ing)|quer(?:y|ied|ies) (?:whether|why|how|what|when)|whether|"
    r"request\w*|urg(?:e|es|ed|ing)|call(?:s|ed|ing)? (?:on|for|upon)|lobby\w*|suggest\w*|recommend\w*|invit\w*|"
    r"mov(?:e|es|ed) (?:that|at)|motion|amendment|if|unless|once|until|need(?:s|ed)? to|"
    r"government\w*|ministers?|secretary of state|DfE|department for|(?:other|many|some|neighbouring) (?:councils|authorities))\b", _I)
_MOTION = re.compile(r"\b(?:proposed,? and [^.]{0,60}seconded|seconded the (?:motion|amendment)|notice of motion|will move|"
                     r"moved that|Proposed (?:Purpose|Amount)|Motion for Time Limited Debate)\b", _I)
_CLAUSE = re.compile(r"[;:]|\b(?:but|whilst|while|although|however)\b", _I)


def _label(m: re.Match) -> str:
    g = m.groupdict()
    label = re.sub(r"^(?:the|a|an)\s+|['‘’\"]", "", m.group("np"), flags=_I).strip()
    label = re.sub(rf"^{_ADJ}", "", label, flags=_I) if not label.lower().startswith("additional") else label
    if g.get("for"):
        label += g["for"].rstrip()
    if g.get("where"):
        label += f" recruited from {g['where']}"
    if g.get("who"):
        label += f" for {g['who']}"
    if g.get("rate"):
        label = "rolling " + re.search(r"monthly|weekly|quarterly", g["rate"]).group(0) + " recruitment"
    return re.sub(r"\s+", " ", label).strip()


def practices(units: list[list[Sentence]], self_gss: str | None) -> list[tuple[Practice, str | None]]:
    """Each practice with the council that adopted it when the text names another council than the document's."""
    out: list[tuple[Practice, str | None]] = []
    seen: set[str] = set()
    told: set[tuple] = set()
    for unit in units:
        motion = None  # asked once per unit, only when a rule matches in it
        for i, sent in enumerate(unit):
            if sent.text.rstrip().endswith("?"):
                continue
            for pat, kind in RULES:
                for m in pat.finditer(sent.text):
                    if motion is None:  # a motion or amendment says what someone wants done, not what the council has
                        motion = bool(_MOTION.search(" ".join(s.text for s in unit)))
                    if motion or not _whole(m.group("np")) or not _asserted(sent.text[: m.start()]):
                        continue
                    label = _label(m)
                    k_ = key(label)
                    if len(k_) < 4 or _NOT_A_PRACTICE.search(label) or any(k_ in k or k in k_ for k in seen):
                        continue
                    seen.add(k_)
                    out.append(make(unit, i, label, m.start(), m.end(), kind, self_gss, told))
    return out


def make(unit: list[Sentence], i: int, label: str, start: int, end: int, kind: str | None, self_gss: str | None,
         told: set[tuple]) -> tuple[Practice, str | None]:
    """A practice named `label` at unit[i].text[start:end], with its kind, themes, outcome and adopting council."""
    sent = unit[i]
    kind_ = kind or next((k for k, p in _KIND if p.search(label)), "arrangement")
    themes = [t for t, p in THEMES.items() if re.search(p, label + " " + sent.text[max(0, start - 30):end + 30], _I)]
    outcome = _outcome(unit, i, end, label)
    if outcome and (outcome.item_seq, outcome.point_seq, outcome.index) in told:
        outcome = None  # one outcome statement tells of one practice, not of each named beside it
    if outcome:
        told.add((outcome.item_seq, outcome.point_seq, outcome.index))
    pr = Practice(label, kind_, themes, outcome.text if outcome else None, sent.evidence(),
                  outcome.evidence() if outcome else None)
    return pr, _adopter(sent.text[:start], self_gss)


def key(label: str) -> str:
    """What two labels of one practice share: lower-case words."""
    return re.sub(r"\W+", " ", label.lower()).strip()


def _whole(np: str) -> bool:
    """A whole noun phrase: no leading conjunction, article or preposition, and never a bare head noun ("team", "scheme")."""
    words = re.sub(r"^(?:the|a|an)\s+", "", np.strip(), flags=_I).split()
    if not words or _FUNCTION.fullmatch(words[0]):
        return False
    if re.fullmatch(NOUN, words[-1], _I):
        before = [w for w in words[:-1] if not re.fullmatch(_ADJ.rstrip("*") + "*", w + " ", _I)]
        return bool(before) and not _FUNCTION.fullmatch(words[-2]) if len(words) > 1 else False
    return True


def _asserted(before: str) -> bool:
    """The clause leading to the cue states a fact about the council, not a wish, question, motion or request."""
    clause = _CLAUSE.split(before)[-1]
    if re.search(r"\bto\s*$", clause) and not re.search(r"\b(?:continu\w*|began|begun|started|went on|helped|able) to\s*$", clause, _I):
        return False
    return not _NOT_DONE.search(clause)


def _outcome(unit: list[Sentence], i: int, end: int, label: str) -> Sentence | None:
    """The sentence saying how it went: this one (just after the practice) or one of the next two that names it again."""
    head = re.escape(label.split()[-1])
    first = _OUTCOME.search(unit[i].text[end:end + 80].split(";")[0])
    if first and not _SPECULATIVE.search(unit[i].text):
        return unit[i]
    for s in unit[i + 1:i + 3]:
        if re.search(rf"\b(?:{head}|the (?:initiative|scheme|project|programme))\b", s.text, _I) and _OUTCOME.search(s.text) \
                and not _SPECULATIVE.search(s.text):
            return s
    return None


def _adopter(before: str, self_gss: str | None) -> str | None:
    """Another council named as the subject of the clause that introduces the practice."""
    clause = re.split(r"[.;:]|\bbut\b", before)[-1]
    hits = [h for h in find_names(clause) if h.gss != self_gss]
    if hits and _NAMED_BY.match(clause[hits[0].start:]):
        return hits[0].gss
    return None
