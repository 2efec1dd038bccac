"""Grades a sentence states for the council's own services, read from one structure (a grade, the predicate that governs
it, that predicate's subject, within one clause) instead of one pattern per sentence shape; negation, modality, the
future, questions, other councils and other providers refused. Measured in docs/ofsted.md."""

from __future__ import annotations

import re

from councilkg.graph.councils import resolve
from councilkg.graph.facts import Judgement
from councilkg.graph.sentences import Sentence

_I = re.IGNORECASE
GRADE = re.compile(r"['‘\"]?\b(outstanding|good|requires? improvement(?: to be good)?|inadequate|adequate)\b['’\"]?", _I)
# What Ofsted grades, as minutes and reports write it; "overall effectiveness" is the overall judgement.
AREA = re.compile((
    r"\b(?:the )?(?:impact of leaders(?: on social work practice(?: with children and families)?)?"
    r"|(?:{EP})?children (?:who need|in need of) help and protection|help and protection"
    r"|(?:{EP})?children in care(?: and care leavers)?|(?:{EP})?care leavers"
    r"|(?:services for )?(?:children looked after|looked after children)(?: and achieving permanence)?"
    r"|adoption(?: performance)?|fostering(?= service| agency|\b)|leadership(?:,| and)? management(?: and governance)?|safeguarding(?= children| services|\b)"
    r"|quality of (?:the )?service|outcomes for (?:children|young people)|overall effectiveness)\b").replace("{EP}", r"experiences? and progress (?:of|for) "), _I)
OVERALL = "overall effectiveness"
# Ofsted's own names for what it grades: a present-tense "is good" or a heading's "AREA: good" states a grade only of these.
_NAMED = re.compile(r"experiences? and progress|impact of leaders|overall effectiveness|leadership, management and governance", _I)
# A whole service (or the council) as what was judged: the judgement is overall.
_WHOLE = re.compile(r"\b(?:services?|council|authority|department|directorate|overall|it|they|we)\b", _I)
_PRONOUN = re.compile(r"^\s*(?:it|they)\s*$", _I)
_JUDGE = r"(?:judged|rated|graded|assessed|found|deemed|seen)"
_COPULA = r"(?:was|were|is|are|been|remains|remained|remain)"
_PRESENT = {"is", "are"}
# Before a grade: a judging verb, with what it judged between ("judged Hertfordshire's services to be good").
_VERB = re.compile(rf"(?s)^.*\b(?P<verb>{_JUDGE}|{_COPULA})\s+(?P<obj>(?:[\w'’,-]+\s+){{0,8}}?)"
                   r"(?:(?:overall|both|all|also|now|still)\s+)*(?:as\s+being\s+|as\s+|to\s+be\s+|to\s+)?$", _I)
# The grade as a noun's value ("a good judgement", "overall judgement was inadequate", "grading of 'good'").
_NOUN_BEFORE = re.compile(r"\b(?:judge?ment|rating|grading|grade)(?:\s+overall)?(?P<about>\s+(?:for|about|of)\s+[^.;]{3,90}?)?"
                          r"\s+(?:(?:was|is)\s+(?:that\s+(?:[\w'’]+\s+){1,3}?(?:(?:was|is|are|were)\s+)?)?|of\s+|as\s+)['‘\"]?$", _I)
_RECEIVED = re.compile(r"\b(?:received|receive|receiving|given|gave|awarded|retained|maintained|secured|kept)\s+(?:a|an|the|its|our|their)\s+['‘\"]?$", _I)
_NOUN_AFTER = re.compile(r"^\s*(?:overall\s+)?(?:judge?ment|rating|grade)\b", _I)
# Words that may follow a grade; any other word makes it an adjective ("good practice", "outstanding work").
_NEXT = {"overall", "in", "at", "by", "for", "since", "following", "after", "when", "with", "and", "from", "during", "across", "was", "had", "together", "along"}
_REFUSE = re.compile(r"\b(?:would|could|might|may|should|must|will|shall|going to|next|upcoming|forthcoming|to be (?:judged|rated|graded|assessed)|aim\w*|aspir\w*|ambition\w*|hop(?:e|es|ed|ing)|want\w*|strive|become|achiev\w*"
                     r"|whether|if|unless|target\w*|expect\w*|need(?:s|ed)? to|other|neighbouring|nationally|authorities|councils"
                     r"|per cent|percent|region|like|as though)\b|%", _I)
_NEGATION = re.compile(r"\b(?:not|never|no longer)\b(?:\s+\w+){0,3}\s*$", _I)
_CONTEXT = re.compile(r"\b(?:Ofsted|inspect\w*|ILACS|SIF|judge?ment)", _I)
_HEADING = re.compile(rf"(?P<area>{AREA.pattern})\s*:\s*['‘\"]?$", _I)  # a report's "The experiences and progress of children in care: good"
_ADVERBS = r"also|now|still|both|all|overall|last|twice|previously|again|once|already|recently|consistently|subsequently|then"
_PARTIAL = re.compile(r"\b(?:some|several|many|most|few|a (?:small )?number of|(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten) of)\b", _I)
_PROVIDER = re.compile(r"\b(?:schools?|academ(?:y|ies)|homes?|nurser(?:y|ies)|providers?|placements?|settings?|colleges?|provision)\W*$", _I)
# A subject another body runs or owns: "the fostering agency run by the charity", "an independent fostering agency",
# "Barnardo's fostering service" (a possessive name that is no council in the gazetteer).
_RUN_ELSEWHERE = re.compile(r"\b(?:independent|voluntary|private|charit\w*|regional|(?:run|operated|provided|managed) by|commissioned from)\b", _I)
_OWNER = re.compile(r"\b((?:[A-Z][\w.&-]*\s+)*[A-Z][\w.&-]*)['’]s?\s", re.UNICODE)
_OWN_WORDS = {"council", "authority", "county", "borough", "city", "district", "children", "people", "ofsted", "service",
              "services", "department", "directorate", "cabinet", "committee"}
_MARK = re.compile(r"\b(?:when|since|while|until|because|whereas|that|which|where)\b|[,;(:]", _I)
_SPLIT = re.compile(r"(\b(?:good|inadequate|outstanding|improvement|adequate)\b(?:\s+overall|\s+in all areas)?['’]?)\s*,?\s+(?:and|with)\s+", _I)
_CLAUSES = re.compile(r";|\?\s+|,?\s+but\s+|,\s*(?:while|whereas|although)\s+|\x00", _I)


def _grade(text: str) -> str:
    g = text.lower()
    return "requires-improvement" if g.startswith("require") else g


def _area(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).removeprefix("the ")  # OVERALL until a judgement is made


def _noun_before(pre: str) -> list[str | None] | None:
    """The area, or the whole service, named right before a participle or relative pronoun; None for anything else."""
    m = next((m for m in AREA.finditer(pre) if re.fullmatch(r"\s*(?:services?)?\W*", pre[m.end():], _I)), None)
    return [_area(m.group(0))] if m else ([None] if re.search(r"\b(?:services?|council|authority)\W*$", pre, _I) else None)


def _elsewhere(span: str) -> bool:
    """The subject is a provider the council does not run: a grade of it is not the council's."""
    if _RUN_ELSEWHERE.search(span):
        return True
    return any(o.split()[-1].lower() not in _OWN_WORDS and resolve(o) is None for o in _OWNER.findall(span))


def _subject(pre: str, obj: str, sentence_pre: str, aux: bool) -> list[str | None] | None:
    """What the clause says was judged: its areas, [None] for the whole service, or None when it is something else."""
    if obj.strip():
        if _elsewhere(obj):
            return None
        areas = [_area(m.group(0)) for m in AREA.finditer(obj)]
        named = re.findall(rf"\bservices? for ({AREA.pattern})", sentence_pre + pre, _I)
        if re.fullmatch(r"\s*(?:the|these|those) services\s*", obj, _I) and named:  # "Services for X ... judged the services as good"
            return [_area(named[-1])]
        return areas or ([None] if _WHOLE.search(obj) or re.search(r"\b[A-Z][a-z]+", obj) else None)
    if not aux:  # "provision judged good", "care leavers judged to be good": the noun right before the participle
        return _noun_before(re.sub(r"(?:\b(?:also|now|still|both|all)\s+)+$", "", pre, flags=_I))
    pre = re.sub(rf"(?:\b(?:was|were|been|be|is|are|being|has|have|had|remain\w*|{_ADVERBS})\s*)+$", "", pre, flags=_I)
    pre = re.sub(r",\s*(?:which|who)\b[^,]*,", ",", pre, flags=_I)  # past an aside: "The council, which was ..., is now rated"
    marks = list(_MARK.finditer(pre))
    start = marks[-1].end() if marks else 0
    if not pre[start:].strip() and marks and marks[-1].group(0).lower() in ("that", "which"):
        return _noun_before(pre[: marks[-1].start()])  # a relative clause's antecedent: "a service that had been judged"
    if not pre[start:].strip() and marks and marks[-1].group(0) == ",":  # "Cumbria County Council, were judged"
        start = marks[-2].end() if len(marks) > 1 else 0
    span = pre[start:]
    if _PARTIAL.search(span) or _elsewhere(span):
        return None  # "some key services ... now require improvement": part of a service is not a graded area
    areas = [_area(m.group(0)) for m in AREA.finditer(pre) if m.end() > start]
    if areas:
        return areas
    if _PRONOUN.match(re.sub(r"\s+(?:was|were|have|has|had|is|are)\b.*$", "", span, flags=_I)):
        before = [_area(m.group(0)) for m in AREA.finditer(sentence_pre + pre[:start])]  # "services for looked after children ... they were"
        return before[-1:] or [None]
    named = re.search(r"\b[A-Z][a-z]+", span if start > 0 else span.strip()[1:])  # a place, not a sentence's first word
    if _PROVIDER.search(span):
        return None  # "the council's children's homes were rated good": the head noun is another provider
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
            if _REFUSE.search(pre) or _NEGATION.search(pre) or re.match(r"[^.!]*\?", post):  # a question states nothing
                continue
            areas: list[str | None] | None = None
            verb = _VERB.match(pre)
            noun = _NOUN_BEFORE.search(pre)
            if noun or (_NOUN_AFTER.match(post) and _RECEIVED.search(pre)):
                if _CONTEXT.search(sent.text):
                    areas = [_area(m.group(0)) for m in AREA.finditer(noun["about"])] if noun and noun["about"] else []
                    areas = areas or [None]
            elif (h := _HEADING.search(pre)) and _NAMED.search(h["area"]) and not post.strip(" .'’\""):
                areas = [_area(h["area"])]
            elif verb:
                obj = re.sub(r"^by\s+\S+\s*", "", verb["obj"])
                obj = obj[: m.start()] if (m := GRADE.search(obj)) else obj  # "rated the council outstanding for A and good for B"
                before = pre[: verb.start("verb")]
                copula = bool(re.fullmatch(_COPULA, verb["verb"], _I))
                if copula and obj.strip():
                    continue
                aux = copula or bool(re.search(r"\b(?:was|were|been|be|is|are|being|remain\w*|and)\s+(?:\w+\s+)?$", before, _I))
                areas = _subject(before, obj, sentence_pre, aux)
                if copula and areas == [None] and not (verb["verb"].lower().startswith("remain") and _CONTEXT.search(sent.text)):
                    areas = None  # "X was good" is a judgement only of an area Ofsted grades; "services remain inadequate" after an inspection is
                if verb["verb"].lower() in _PRESENT and not all(a and _NAMED.search(a) for a in areas or []):
                    areas = None  # "X is good": only of what Ofsted names ("overall effectiveness is good")
                if areas == [None] and not _CONTEXT.search(sent.text) and not _WHOLE.search(obj or before[-40:]):
                    areas = None
            elif g[1].lower().startswith("require") and (areas := _subject(pre, "", sentence_pre, True)):
                # the grade as the predicate: "overall effectiveness of services still requires improvement to be good"
                ofsted = g[0].lower().endswith("to be good") and (areas != [None] or bool(_CONTEXT.search(sent.text)))
                areas = areas if ofsted or all(a and _NAMED.search(a) for a in areas) else None
            elif judging and not pre.strip() and (m := re.match(r"\s+for\s+(.*)", post)) and (a := AREA.match(m[1])):
                areas = [_area(a.group(0))]  # "..., with outstanding for the experiences and progress of care leavers"
            if areas == [None] and (a := re.match(rf"\s+(?:for|in)\s+(?:the\s+)?({AREA.pattern})", post, _I)):
                areas = [_area(a[1])]  # "graded inadequate for the impact of leaders"
            more = re.match(r",?\s+(?:together|along) with\s+", post)  # "adequate, together with leadership and management"
            if areas and more and (a := AREA.match(post[more.end():])):
                areas = [*areas, _area(a.group(0))]
            for a in areas or []:
                a = None if a == OVERALL else a
                if all((_grade(g[1]), a) != (j.grade, j.area) for j in out):
                    out.append(Judgement(_grade(g[1]), a, sent.evidence()))
    return out
