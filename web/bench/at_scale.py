"""The increment at a size of your choosing (issue 18 asks for 1M points): `python -m councilkg.web.bench.at_scale WORKDIR
[POINTS]` builds (and caches) the scaled corpus, then measures warm search, the small and 30-point meetings against an
empty directory, the first search after an increment, and a full merge. Slow at 1M: about 15 min to build, 6 to merge."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from councilkg.web.bench import increment, scale
from councilkg.web.bench.corpus import SEED, write_corpus
from councilkg.web.bench.search import measure_search, queries


def first_search(data: Path, work: Path, qs: list[str]) -> dict:
    """A warm Searcher on a copy of `data`, one meeting ingested in the same process, then the next two searches."""
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.search import Searcher

    copy = work / "first-search-data"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns(".ingest.lock", "rdf", "BUILT.json"))
    ingest([], copy)  # a writer first: an older schema is upgraded here, not inside the timed step
    s = Searcher(copy)
    s.warm()
    for q in qs[:5]:
        s.search(q)

    def timed(q: str) -> float:
        t0 = time.perf_counter()
        s.search(q)
        return round((time.perf_counter() - t0) * 1000, 1)

    warm = timed(qs[5])
    (f,) = write_corpus(work / "first-search-meeting", 1, seed=SEED + 9100, items_per_doc=(1, 2))
    t0 = time.perf_counter()
    done = ingest([str(f)], copy)
    out = {"points_added": done.points_embedded, "increment_s": round(time.perf_counter() - t0, 2), "warm_ms": warm,
           "first_after_ms": timed(qs[6]), "next_ms": timed(qs[7])}
    shutil.rmtree(copy, ignore_errors=True)
    return out


def main(work: Path, points: int) -> dict:
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    data, how = scale.ensure_scale(work, SEED, points, scale.BASE_DOCS, log=log)
    qs = queries()
    s = measure_search(data, qs, 1)
    out = {"points": points, "build": how, "search": s, "first_search": first_search(data, work, qs)}
    out["increment"] = increment.measure_increment(data, work, qs, 1, s["bare_p50_ms"], log, increments=1)
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000), indent=1))
