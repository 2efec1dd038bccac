"""Noun phrases of a sentence by simple structure (function words, auxiliaries and verb forms end a phrase): the candidate names
of the practice a sentence states, one of which the learned model picks."""

from __future__ import annotations

import re

_WORD = re.compile(r"£?\d[\d,.]*[km]?%?|[\w'’-]+|[^\w\s]")
_AUX = {"is", "are", "was", "were", "has", "have", "had", "be", "been", "being", "will", "would", "can", "could", "may",
        "might", "shall", "should", "must", "does", "do", "did", "not", "no"}
_DET = {"a", "an", "the", "its", "their", "our", "his", "her", "this", "these", "that", "those", "some", "any", "each",
        "every", "another", "such", "various", "several", "own", "all", "both", "many", "most", "more", "further", "also",
        "now", "then", "already", "recently", "newly", "well"}
_FUNCTION = {"which", "who", "whom", "whose", "where", "when", "while", "whilst", "and", "or", "but", "as", "so", "to", "in",
             "on", "at", "by", "from", "with", "into", "through", "across", "within", "since", "during", "after", "before",
             "following", "because", "if", "than", "between", "under", "over", "until", "including", "alongside", "via",
             "about", "against", "around", "upon", "it", "they", "we", "he", "she", "them", "there", "here", "what", "how",
             "why", "whether", "however", "although", "though", "additionally", "furthermore", "regarding", "despite",
             "of", "for", "up", "out", "off", "mr", "mrs", "ms", "dr", "cllr", "councillor", "that"}
# Verbs that commonly sit between an actor and what it set up; any -ed form after a non-determiner is a verb too.
# (Base forms that are also nouns, "offer", "help", "work", "run", "set", are left out: "local offer", "early help team".)
_VERB = {"provide", "provides", "offers", "runs", "ran", "supports", "enable", "enables", "helps", "bring", "brings", "connect",
         "connects", "include", "includes", "deliver", "delivers", "give", "gives", "ensure", "ensures", "allow", "allows",
         "operate", "operates", "began", "begun", "made", "makes", "built", "held", "brought", "undertaken", "taken", "given",
         "led", "sought", "paid", "continue", "continues", "remain", "remains", "receive", "receives", "uses", "meets", "said"}
MAX_WORDS = 8


def _verbish(words: list[str], i: int) -> bool:
    """An -ed/-en participle or common verb that ends a noun phrase, unless a determiner or adverb shows it is an adjective."""
    w, prev = words[i].lower(), words[i - 1].lower() if i else ""
    if w in _VERB:
        return prev not in _DET or prev in ("also", "now", "then", "already", "recently", "further", "well")
    if re.fullmatch(r"[a-z-]{3,}ed", w):
        if "-" in w and w[:3] != "co-":  # "web-based", "well-established": adjectives
            return prev in _AUX
        return not (prev in _DET and prev not in ("also", "now", "then", "already", "further"))
    nxt = words[i + 1].lower() if i + 1 < len(words) else ""
    return bool(re.fullmatch(r"[a-z-]{3,}ing", w)) and (nxt in _DET or nxt in ("to", "with", "on", "in"))


def chunks(text: str) -> list[str]:
    """Maximal runs of content words (leading determiners dropped), and runs joined by one "of"/"for" when short, in order."""
    toks = list(_WORD.finditer(text))
    words = [t.group(0) for t in toks]
    runs: list[tuple[int, int]] = []
    start = None
    for i, w in enumerate(words + ["."]):
        lw = w.lower()
        brk = i == len(words) or not re.match(r"[\w£'’]", w) or lw in _AUX or lw in _FUNCTION or lw in _DET or _verbish(words, i)
        if start is None and not brk:
            start = i
        elif start is not None and brk:
            runs.append((start, i))
            start = None
    out: list[str] = []
    for n, (a, b) in enumerate(runs):
        out.append(text[toks[a].start():toks[b - 1].end()])
        if n + 1 < len(runs) and runs[n + 1][0] - b <= 3 and words[b].lower() in ("of", "for") \
                and all(x.lower() in _DET for x in words[b + 1:runs[n + 1][0]]) and runs[n + 1][1] - a <= MAX_WORDS + 2:
            out.append(text[toks[a].start():toks[runs[n + 1][1] - 1].end()])
    return [c.strip("'’-") for c in out if len(c.split()) <= MAX_WORDS and re.search(r"[a-z]{3}", c)]
