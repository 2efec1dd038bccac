"""Grades a sentence states for the council's own services, read from one structure (a grade, a judging verb and what was
judged, within one clause) instead of one pattern per sentence shape; aspirations, questions and other councils refused."""

from __future__ import annotations

import re

from councilkg.graph.facts import Judgement
from councilkg.graph.sentences import Sentence

_I = re.IGNORECASE
GRADE = re.compile(r"['‘\"]?\b(outstanding|good|requires? improvement(?: to be good)?|inadequate|adequate)\b['’\"]?", _I)
# What Ofsted grades, as minutes and reports write it; "overall effectiveness" is the overall judgement.
AREA = re.compile(
    r"\b(?:the )?(?:impact of leaders(?: on social work practice(?: with children and families)?)?"
    r"|(?:experiences and progress of )?children (?:who need|in need of) help and protection|help and protection"
    r"|(?:experiences and progress of )?children in care(?: and care leavers)?|(?:experiences and progress of )?care leavers"
    r"|(?:services for )?(?:children looked after|looked after children)(?: and achieving permanence)?"
    r"|adoption(?: performance)?|fostering(?= service| agency|\b)|leadership(?:,| and)? management(?: and governance)?|safeguarding(?= children| services|\b)"
    r"|quality of (?:the )?service|outcomes for (?:children|young people)|overall effectiveness)\b", _I)
# A whole service (or the council) as what was judged: the judgement is overall.
_WHOLE = re.compile(r"\b(?:services?|council|authority|department|directorate|overall|it|they|we)\b", _I)
_PRONOUN = re.compile(r"^\s*(?:it|they)\s*$", _I)
_JUDGE = r"(?:judged|rated|graded|assessed|found|deemed|seen)"
# Before a grade: a judging verb, with what it judged between ("judged Hertfordshire's services to be good").
_VERB = re.compile(rf"(?s)^.*\b(?P<verb>{_JUDGE}|was|were)\s+(?P<obj>(?:[\w'’,-]+\s+){{0,8}}?)"
                   r"(?:(?:overall|both|all|also|now|still)\s+)*(?:as\s+being\s+|as\s+|to\s+be\s+|to\s+)?$", _I)
# The grade as a noun's value ("a good judgement", "overall judgement was inadequate", "grading of 'good'").
_NOUN_BEFORE = re.compile(r"\b(?:judge?ment|rating|grading|grade)(?:\s+overall)?(?P<about>\s+(?:for|about|of)\s+[^.;]{3,90}?)?"
                          r"\s+(?:(?:was|is)\s+(?:that\s+it\s+(?:was|is)\s+)?|of\s+|as\s+)['‘\"]?$", _I)
_RECEIVED = re.compile(r"\b(?:received|receive|receiving|given|gave|awarded|retained|maintained|secured|kept)\s+(?:a|an|the|its|our|their)\s+['‘\"]?$", _I)
_NOUN_AFTER = re.compile(r"^\s*(?:overall\s+)?(?:judge?ment|rating|grade)\b", _I)
# Words that may follow a grade; any other word makes it an adjective ("good practice", "outstanding work").
_NEXT = {"overall", "in", "at", "by", "for", "since", "following", "after", "when", "with", "and", "from", "during", "across", "was", "had", "together", "along"}
_REFUSE = re.compile(r"\b(?:would|could|might|may|should|must|aim\w*|aspir\w*|ambition\w*|hop(?:e|es|ed|ing)|want\w*|strive|become|achiev\w*"
                     r"|whether|if|unless|target\w*|expect\w*|need(?:s|ed)? to|other|neighbouring|nationally|authorities|councils"
                     r"|per cent|percent|region|like|as though)\b|%", _I)
_NEGATION = re.compile(r"\b(?:not|never|no longer)\b(?:\s+\w+){0,3}\s*$", _I)
_CONTEXT = re.compile(r"\b(?:Ofsted|inspect\w*|ILACS|SIF|judge?ment)", _I)
_MARK = re.compile(r"\b(?:when|since|while|until|because|whereas|that|which|where)\b|[,;(:]", _I)
_SPLIT = re.compile(r"(\b(?:good|inadequate|outstanding|improvement|adequate)\b(?:\s+overall|\s+in all areas)?['’]?)\s*,?\s+(?:and|with)\s+", _I)
_CLAUSES = re.compile(r";|,?\s+but\s+|,\s*(?:while|whereas|although)\s+|\x00", _I)


def _grade(text: str) -> str:
    g = text.lower()
    return "requires-improvement" if g.startswith("require") else g


def _area(text: str) -> str | None:
    a = re.sub(r"\s+", " ", text.lower()).removeprefix("the ")
    return None if a == "overall effectiveness" else a


def _subject(pre: str, obj: str, sentence_pre: str, aux: bool) -> list[str | None] | None:
    """What the clause says was judged: its areas, [None] for the whole service, or None when it is something else."""
    if obj.strip():
        areas = [_area(m.group(0)) for m in AREA.finditer(obj)]
        return areas or ([None] if _WHOLE.search(obj) or re.search(r"\b[A-Z][a-z]+", obj) else None)
    if not aux:  # "provision judged good", "care leavers judged to be good": the noun right before the participle
        pre = re.sub(r"(?:\b(?:also|now|still|both|all)\s+)+$", "", pre, flags=_I)
        m = next((m for m in AREA.finditer(pre) if not pre[m.end():].strip()), None)
        return [_area(m.group(0))] if m else ([None] if re.search(r"\b(?:services?|council|authority)\s*$", pre, _I) else None)
    pre = re.sub(r"(?:\b(?:was|were|been|be|is|are|being|has|have|had|remain\w*|also|now|still|both|all|overall|last)\s*)+$", "", pre, flags=_I)
    marks = list(_MARK.finditer(pre))
    start = marks[-1].end() if marks else 0
    if not pre[start:].strip() and len(marks) > 1 and marks[-1].group(0) == ",":  # "Cumbria County Council, were judged"
        start = marks[-2].end()
    span = pre[start:]
    areas = [_area(m.group(0)) for m in AREA.finditer(pre) if m.end() > start]
    if areas:
        return areas
    if _PRONOUN.match(re.sub(r"\s+(?:was|were|have|has|had|is|are)\b.*$", "", span, flags=_I)):
        before = [_area(m.group(0)) for m in AREA.finditer(sentence_pre + pre[:start])]  # "services for looked after children ... they were"
        return before[-1:] or [None]
    named = re.search(r"\b[A-Z][a-z]+", span if start > 0 else span.strip()[1:])  # a place, not a sentence's first word
    return [None] if _WHOLE.search(span) or named else None


def judgements(sent: Sentence) -> list[Judgement]:
    """Grades this sentence gives, one per area (None: overall), each with the sentence as evidence."""
    text = _SPLIT.sub(lambda m: m.group(1) + "\x00", sent.text)
    out: list[Judgement] = []
    judging = bool(re.search(_JUDGE, sent.text, _I))
    offset = 0
    for clause in _CLAUSES.split(text):
        sentence_pre = text[:offset]
        offset += len(clause) + 1
        for g in GRADE.finditer(clause):
            pre, post = clause[: g.start()], clause[g.end():]
            nxt = re.match(r"\s*([A-Za-z]+)", post)
            if nxt and nxt[1].lower() not in _NEXT and not _NOUN_AFTER.match(post) or re.match(r"\s+or\s+(?:better|above|\w+)", post):
                continue
            if _REFUSE.search(pre) or _NEGATION.search(pre):
                continue
            areas: list[str | None] | None = None
            verb = _VERB.match(pre)
            noun = _NOUN_BEFORE.search(pre)
            if noun or (_NOUN_AFTER.match(post) and _RECEIVED.search(pre)):
                if _CONTEXT.search(sent.text):
                    areas = [_area(m.group(0)) for m in AREA.finditer(noun["about"])] if noun and noun["about"] else []
                    areas = areas or [None]
            elif verb:
                obj = re.sub(r"^by\s+\S+\s*", "", verb["obj"])
                before = pre[: verb.start("verb")]
                copula = verb["verb"].lower() in ("was", "were")
                if copula and obj.strip():
                    continue
                aux = copula or bool(re.search(r"\b(?:was|were|been|be|is|are|being|remain\w*|and)\s+(?:\w+\s+)?$", before, _I))
                areas = _subject(before, obj, sentence_pre, aux)
                if copula and areas == [None]:
                    areas = None  # "X was good" is a judgement only of an area Ofsted grades
                if areas == [None] and not _CONTEXT.search(sent.text) and not _WHOLE.search(obj or before[-40:]):
                    areas = None
            elif judging and not pre.strip() and (m := re.match(r"\s+for\s+(.*)", post)) and (a := AREA.match(m[1])):
                areas = [_area(a.group(0))]  # "..., with outstanding for the experiences and progress of care leavers"
            more = re.match(r",?\s+(?:together|along) with\s+", post)  # "adequate, together with leadership and management"
            if areas and more and (a := AREA.match(post[more.end():])):
                areas = [*areas, _area(a.group(0))]
            for a in areas or []:
                if all((_grade(g[1]), a) != (j.grade, j.area) for j in out):
                    out.append(Judgement(_grade(g[1]), a, sent.evidence()))
    return out
