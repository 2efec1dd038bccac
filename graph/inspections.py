"""Inspections, their judgements and interventions read from sentences, keeping only what the text states."""

from __future__ import annotations

import re

from councilkg.graph.facts import Inspection, Intervention
from councilkg.graph.judgements import judgements
from councilkg.graph.sentences import Sentence

_I = re.IGNORECASE
# type -> (default inspectorate, anchor pattern); the anchor swallows trailing "inspection/visit/judgement" words.
_TAIL = r"(?:\s*\((?:ILACS|SIF|JTAI)\))?(?:\s+(?:inspection|visit|judge?ment|report))*"
TYPES: dict[str, tuple[str, re.Pattern]] = {
    "ilacs": ("Ofsted", re.compile(r"\bILACS\b" + _TAIL + r"|inspection of local authority children['’]?s services" + _TAIL, _I)),
    "sif": ("Ofsted", re.compile(r"\bSIF\b" + _TAIL + r"|single inspection framework" + _TAIL, _I)),
    "safeguarding-cp": ("Ofsted", re.compile(
        r"inspection of (?:the )?(?:local authority )?(?:arrangements for )?(?:the )?"
        r"(?:protection of children|safeguarding(?: and looked after children)?(?: services)?|child protection)"
        r"|(?:safeguarding|child protection) inspection", _I)),
    "focused-visit": ("Ofsted", re.compile(r"\bfocus(?:s)?ed visit\b", _I)),
    "monitoring-visit": ("Ofsted", re.compile(r"\bmonitoring visit\b(?!s)", _I)),
    "jtai": ("Ofsted", re.compile(r"\bJTAI\b|joint targeted area inspection", _I)),
    "send-area": ("Ofsted", re.compile(r"\b(?:local area |area )?SEND (?:area )?inspection|inspection of (?:the )?local area['’]?s? (?:SEND|special educational needs)", _I)),
    "fostering": ("Ofsted", re.compile(r"\bfostering (?:service )?inspection|inspection of (?:the |our )?fostering", _I)),
    "adoption": ("Ofsted", re.compile(r"\badoption (?:agency |service )?inspection|inspection of (?:the |our )?adoption", _I)),
    "ilacs-full": ("Ofsted", re.compile(r"\bfull (?:Ofsted )?inspection\b", _I)),
    "asc-assessment": ("CQC", re.compile(r"\b(?:CQC|Care Quality Commission) (?:inspection|assessment)|\bassurance visit\b", _I)),
    "hmicfrs-inspection": ("HMICFRS", re.compile(r"\bHMICFRS (?:inspection|report)|inspection by HMICFRS", _I)),
    "ciw-inspection": ("Care Inspectorate Wales", re.compile(r"\b(?:CIW|Care Inspectorate Wales) (?:inspection|review|visit)|inspection by (?:CIW|Care Inspectorate Wales)", _I)),
}
# Some anchors only count when their inspectorate is named somewhere in the same point.
_NEEDS = {"asc-assessment": re.compile(r"\bCQC\b|Care Quality Commission", _I),
          "monitoring-visit": re.compile(r"\bOfsted\b", _I), "ilacs-full": re.compile(r"\bOfsted\b|\bILACS\b|inspection", _I)}
# An anchor that is only an abbreviation (SIF, JTAI, ILACS) counts only with an inspectorate or inspection in its point:
# councils use the same letters for funds, groups and boards ("Shared Investment Fund (SIF)").
_ABBREV = re.compile(r"^(?:SIF|JTAI|ILACS)\b(?:\s*\((?:ILACS|SIF|JTAI)\))?(?:\s+report)?$", _I)
_INSPECTORATE = re.compile(r"\b(?:Ofsted|CQC|Care Quality Commission|HMICFRS|HMI\w*|CIW|Care Inspectorate|inspect(?:ion|ions|ed|ors?|orate)|"
                           r"judge?ments?|inadequate|requires? improvement)\b", _I)
_ABBREV_WORDS = re.compile(r"\b(?:SIF|JTAI|ILACS)\b")
_OTHER_SENSE = re.compile(r"\b(?:SIF|JTAI)\s+(?:fund\w*|grant|bid|money|allocation|programme|program|project|scheme|board|group|team|round)"
                          r"|\b(?!Single\b)[A-Z][a-z]+\s+(?:[A-Z][a-z]+\s+){1,3}\((?:SIF|JTAI)\)")

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATES = [  # (pattern, precision, formatter)
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTHS}),? ((?:19|20)\d\d)\b"), "day",
     lambda m: f"{m[3]}-{_month(m[2]):02d}-{int(m[1]):02d}"),
    (re.compile(rf"\b({_MONTHS}),? ((?:19|20)\d\d)\b"), "month", lambda m: f"{m[2]}-{_month(m[1]):02d}"),
    (re.compile(r"\b(?:(?:spring|summer|autumn|winter|end|start|beginning|middle) of |(?:spring|summer|autumn|winter|late|early|mid)[ -])((?:19|20)\d\d)\b", _I),
     "year", lambda m: m[1]),
    (re.compile(r"(?:\b(?:in|of|during|the) )((?:19|20)\d\d)\b(?!\s*[/-])"), "year", lambda m: m[1]),
]
_EXPECTED = re.compile(r"\b(?:expects?|expected|expecting|due|will|forthcoming|upcoming|anticipat\w+|next|await\w*|prepar\w+ for|readiness for|before an?)\b[^.]{0,20}$", _I)
_HAPPENED = re.compile(r"\b(?:recent|took place|following|since|received|last|previous)\b", _I)

_INTERVENTIONS = {
    "improvement-notice": re.compile(r"\bimprovement notice\b", _I),
    "statutory-direction": re.compile(r"\bstatutory direction\b", _I),
    "commissioner": re.compile(r"\b(?:children['’]?s services|DfE|government[- ]appointed|independent|improvement) commissioner\b", _I),
    "improvement-board": re.compile(r"\bimprovement board\b", _I),
}
_BY = re.compile(r"Department for Education|Department of Education|\bDfE\b|Secretary of State", _I)
# Housing law (Housing Act 2004) serves improvement notices on landlords; they are not interventions in the council.
_HOUSING = re.compile(r"\b(?:landlords?|tenants?|tenancy|Housing Act|HHSRS|hazards?|private rented|HMOs?|dwellings?|premises|propert(?:y|ies))\b", _I)


def _month(name: str) -> int:
    return _MONTHS.split("|").index(name) + 1


def _date(text: str, start: int, end: int) -> tuple[str | None, str | None]:
    """The date written right after (or just before) an anchor; None rather than a date from elsewhere in the sentence."""
    after, before = text[end:end + 45], text[max(0, start - 25):start]
    for pat, prec, fmt in _DATES:
        m = pat.search(after)
        if m and m.start() <= 20:
            return fmt(m), prec
    for pat, prec, fmt in _DATES[:3]:
        m = None
        for m in pat.finditer(before):
            pass
        if m and len(before) - m.end() <= 3:
            return fmt(m), prec
    return None, None


def _status(text: str, start: int) -> str:
    before = text[max(0, start - 40):start]
    return "expected" if _EXPECTED.search(before) and not _HAPPENED.search(before) else "happened"


def inspections(units: list[list[Sentence]]) -> list[Inspection]:
    """Every inspection anchored in the text, merged when the same one is mentioned again, with its judgements."""
    alltext = " ".join(s.text for u in units for s in u)
    # Each whole-text test is made once per document (or unit), not once per sentence, so the cost stays linear.
    doc_needs = {kind: bool(need.search(alltext)) for kind, need in _NEEDS.items() if kind != "asc-assessment"}
    other_sense = bool(_OTHER_SENSE.search(alltext))
    full_type = "sif" if re.search(r"single inspection" + ("" if other_sense else r"|\bSIF\b"), alltext, _I) \
        and not re.search(r"ILACS", alltext) else "ilacs"
    found: list[Inspection] = []
    for unit in units:
        unit_text = " ".join(s.text for s in unit)
        needs = {**doc_needs, "asc-assessment": bool(_NEEDS["asc-assessment"].search(unit_text))}
        named = None  # asked only when an abbreviation is met
        current: Inspection | None = None
        for sent in unit:
            for kind, (body, pat) in TYPES.items():
                if not needs.get(kind, True):
                    continue
                for m in pat.finditer(sent.text):
                    if _ABBREV.match(m.group(0).strip()):
                        if named is None:
                            named = bool(_INSPECTORATE.search(_ABBREV_WORDS.sub(" ", unit_text)))
                        if other_sense or not named:
                            continue
                    date, prec = _date(sent.text, m.start(), m.end())
                    t = full_type if kind == "ilacs-full" else kind
                    ins = Inspection(body, t, date, prec, _status(sent.text, m.start()), sent.evidence())
                    current = _merge(found, ins)
            for j in judgements(sent):
                if current is not None and all((j.grade, j.area) != (k.grade, k.area) for k in current.judgements):
                    current.judgements.append(j)
    return found


def _merge(found: list[Inspection], new: Inspection) -> Inspection:
    """Fold a repeated mention into the inspection already found (same type and status, compatible dates)."""
    for old in found:
        if old.type == new.type and old.status == new.status and (old.date is None or new.date is None or old.date == new.date):
            if old.date is None and new.date:
                old.date, old.date_precision = new.date, new.date_precision
            return old
    found.append(new)
    return new


def interventions(units: list[list[Sentence]]) -> list[Intervention]:
    """DfE improvement notices, directions, commissioners and improvement boards, one per type per document.

    Each needs the DfE, a Secretary of State or a commissioner in its own point: an improvement notice served under
    housing law on a landlord, or a council's own improvement board, is not a government intervention.
    """
    out: dict[str, Intervention] = {}
    for unit in units:
        unit_text = " ".join(s.text for s in unit)
        for sent in unit:
            for kind, pat in _INTERVENTIONS.items():
                m = pat.search(sent.text)
                if not m or kind in out or _HOUSING.search(sent.text):
                    continue
                if kind != "commissioner" and not (_BY.search(unit_text) or _INTERVENTIONS["commissioner"].search(unit_text)):
                    continue
                by = _BY.search(sent.text) or _BY.search(unit_text)
                date, _ = _date(sent.text, m.start(), m.end())
                out[kind] = Intervention(kind, "Department for Education" if by else None, date, sent.evidence())
    return list(out.values())
