"""Synthetic minutes for the benchmark, recombined from the paragraphs of real minutes so the text stays realistic."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = 7  # the benchmark's one seed: the same synthetic minutes every run
SAMPLE = ROOT / "corpus" / "sample"
SHARED_ITEMS = ROOT.parent / "shared" / "data" / "kent-items"
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9‘'\"(])")
COMMITTEES = (
    "Children and Young People Scrutiny Committee", "Corporate Parenting Panel", "Cabinet",
    "Children's Services Overview and Scrutiny Committee", "Health and Wellbeing Board", "Schools Forum",
    "Education and Skills Committee", "Audit and Governance Committee", "Safeguarding Partnership Board",
)


@dataclass(frozen=True)
class RealItem:
    """One real agenda item: its title and its paragraphs as the segmenter sees them."""

    title: str
    paragraphs: tuple[str, ...]


def sources() -> list[Path]:
    """The real minutes the benchmark recombines: the shipped sample, plus the shared Kent items when present."""
    out = [SAMPLE]
    if SHARED_ITEMS.is_dir():
        out.append(SHARED_ITEMS)
    return out


@lru_cache(maxsize=1)
def real_items() -> tuple[RealItem, ...]:
    """Every non-procedural real item with at least two paragraphs, read through the project's own reader and segmenter."""
    from councilkg.corpus.discover import discover
    from councilkg.corpus.model import InputError
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment

    out = []
    for src in discover([str(p) for p in sources()]):
        if isinstance(src, InputError):
            continue
        try:
            doc = segment(read(src))
        except InputError:
            continue
        for item in doc.items:
            paras = tuple(p.strip() for p in item.text.split("\n\n") if len(p.split()) >= 6)
            if not item.procedural and len(paras) >= 2:
                out.append(RealItem(_plain_title(item.title), paras))
    if not out:
        raise RuntimeError(f"no real minutes to recombine under {SAMPLE}")
    return tuple(out)


def _plain_title(title: str) -> str:
    """A title without its '(Item N)' tail, so the synthetic file can number its own items."""
    t = title.split("(Item")[0].strip()
    return t or "Children's services update"


def councils() -> list[dict]:
    """Real gazetteer entries, sorted so a seed always picks the same ones."""
    from councilkg.graph.councils import gazetteer

    return [gazetteer()[k] for k in sorted(gazetteer())]


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (split where a sentence end meets a capital, digit or quote)."""
    return [s for s in _SENTENCE.split(paragraph) if s.strip()]


def _paragraph(rng: random.Random, own: str, pool: tuple[RealItem, ...]) -> str:
    """A real paragraph with one real sentence from elsewhere put in it, so recombined paragraphs rarely repeat."""
    sents = sentences(own)
    donor = sentences(rng.choice(rng.choice(pool).paragraphs))
    sents.insert(rng.randrange(len(sents) + 1), rng.choice(donor))
    return " ".join(sents)


def _item(rng: random.Random, pool: tuple[RealItem, ...]) -> tuple[str, list[str]]:
    """A real item's title with most of its own paragraphs plus a few borrowed from other items, reordered."""
    base = rng.choice(pool)
    keep = rng.sample(base.paragraphs, k=max(2, int(len(base.paragraphs) * rng.uniform(0.5, 1.0))))
    for _ in range(rng.randint(0, 2)):
        other = rng.choice(pool)
        keep.insert(rng.randrange(len(keep) + 1), rng.choice(other.paragraphs))
    return base.title, [_paragraph(rng, p, pool) for p in keep]


def minutes_text(rng: random.Random, council: dict, date: dt.date, committee: str, n_items: int) -> str:
    """One meeting's minutes: a header block, then items headed 'Title / (Item N)' as in real Kent minutes."""
    pool = real_items()
    head = [f"council: {council['name']}", f"gss_code: {council['gss']}", f"date: {date.isoformat()}",
            f"committee: {committee}", f"title: Minutes of the {committee}", "---", ""]
    body = []
    for n in range(n_items):
        title, paras = _item(rng, pool)
        body += [title, f"(Item {n + 3})", ""]
        body += [f"{i + 1}. {p}\n" for i, p in enumerate(paras)]
    return "\n".join(head + body) + "\n"


def write_corpus(out_dir: Path, n_docs: int, seed: int = SEED, items_per_doc: tuple[int, int] = (2, 5)) -> list[Path]:
    """Write n_docs synthetic minutes (deterministic for a seed), councils, dates and committees varied."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    cs = councils()
    start = dt.date(2016, 1, 1)
    paths = []
    for n in range(n_docs):
        council = rng.choice(cs)
        date = start + dt.timedelta(days=rng.randrange(3300))
        committee = rng.choice(COMMITTEES)
        text = minutes_text(rng, council, date, committee, rng.randint(*items_per_doc))
        path = out_dir / f"bench_{seed}_{n:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
