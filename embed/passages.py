"""Split debate points into passages that fit the encoder's window, short ones carrying their item title as context."""

from __future__ import annotations

import json
import re
import sqlite3

import numpy as np

from councilkg.corpus.model import stable_id
from councilkg.graph.themes import load_scheme, theme_texts

_SENTENCE = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z0-9‘'\"(])")
# Words to word-pieces is about 1:1.3 for minutes; below this many words a passage surely fits a 256-token window
# (the bundled model's; a configured model with a smaller window would need this lowered).
_SAFE_WORDS = 140


# Below this many words a point needs its item title as context ("The report be noted"); above it a long
# title only dilutes the vector (measured: vector-only nDCG@5 0.740 with titles everywhere, 0.789 with this).
TITLE_WORDS = 40


def passage_text(title: str | None, chunk: str) -> str:
    """The text actually embedded: a short point gets its item title as context."""
    return f"{title.strip()}: {chunk}" if title and len(chunk.split()) < TITLE_WORDS else chunk


def vec_key(model: str, text: str) -> str:
    """Vectors are keyed by model and exact text, so only changed passages are re-embedded."""
    return stable_id("vec", model, text, length=24)


def theme_key(model: str, theme_text: str) -> str:
    """The key of a theme description's vector, stored beside the passages'."""
    return vec_key(model, "theme:" + theme_text)


def read_vectors(con: sqlite3.Connection, keys: list[str]) -> np.ndarray | None:
    """Stored vectors for `keys`, one row each in that order; None when any is missing."""
    found = dict(con.execute("SELECT key, vec FROM vectors WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(keys),)))
    if len(found) != len(set(keys)):
        return None
    return np.frombuffer(b"".join(found[k] for k in keys), dtype=np.float32).reshape(len(keys), -1)


def theme_keys(model: str) -> list[str]:
    """The keys of the scheme's theme-description vectors, in scheme order."""
    return [theme_key(model, t) for t in theme_texts(load_scheme())]


def split(text: str, title: str | None, encoder) -> list[str]:
    """Passages for one point: the point whole when it fits, else runs of whole sentences under the window.

    `encoder()` gives the Encoder, called only for long points so that short ones never load the model."""
    whole = passage_text(title, text)
    if len(whole.split()) <= _SAFE_WORDS:
        return [whole]
    enc = encoder()
    count_tokens, max_tokens = enc.count_tokens, enc.max_tokens
    if count_tokens([whole])[0] <= max_tokens:
        return [whole]
    budget = max_tokens - (count_tokens([passage_text(title, "")])[0] if title else 2) - 4
    sentences = _SENTENCE.split(text)
    sizes = count_tokens(sentences)
    out: list[str] = []
    run: list[str] = []
    used = 0
    for sent, size in zip(sentences, sizes):
        if size > budget:  # one enormous sentence: cut it by words
            if run:
                out.append(" ".join(run))
                run, used = [], 0
            words = sent.split()
            step = max(1, int(len(words) * budget / size))
            out.extend(" ".join(words[i : i + step]) for i in range(0, len(words), step))
            continue
        if used + size > budget and run:
            out.append(" ".join(run))
            run, used = [], 0
        run.append(sent)
        used += size
    if run:
        out.append(" ".join(run))
    return [passage_text(title, c) for c in out]
