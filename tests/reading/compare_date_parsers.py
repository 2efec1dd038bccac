"""Meeting dates of the gold files' headings by dateutil (what corpus/dates.py uses) and by dateparser's search_dates,
with the same choice among candidates; accuracy and time per file. dateparser is not a dependency: install it
somewhere (pip install --target DIR dateparser==1.5.0) and pass DIR as the first argument to compare.

    python tests/reading/compare_date_parsers.py [DATEPARSER_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from test_reading_truth import GOLD, _path  # noqa: E402

from councilkg.corpus import dates  # noqa: E402
from councilkg.corpus.heading_text import region  # noqa: E402


def by_dateutil(text: str, years: list[int]):
    return dates.meeting_date(text, years)


def by_dateparser(text: str, years: list[int]):
    from dateparser.search import search_dates

    found = search_dates(text, languages=["en"], settings={"DATE_ORDER": "DMY", "REQUIRE_PARTS": ["day", "month", "year"]}) or []
    cands, at = [], 0
    for span, when in found:
        start = text.find(span, at)
        at = max(start, at)
        wd = next((k for k, d in enumerate(dates.WEEKDAYS) if d[:3] in span.lower()), None)
        cands.append(dates.Candidate(when.date().isoformat(), span, text[max(0, start - dates.CONTEXT): start], wd,
                                     None if wd is None else when.weekday() == wd, True, start))
    c = dates.choose(cands)
    return (c.iso, "text:heading") if c else None


def run(name: str, fn) -> None:
    files = [(row, _path(row).read_text(encoding="utf-8", errors="replace")) for row in GOLD if _path(row).exists()]
    heads = [(row, region(t).text, dates.years_in(t[:5000])) for row, t in files]
    t0 = time.perf_counter()
    fn(heads[0][1], heads[0][2])  # first call loads whatever the parser loads
    first = time.perf_counter() - t0
    right = wrong = 0
    t0 = time.perf_counter()
    for row, text, years in heads:
        got = fn(text, years)
        right += bool(got) and got[0] == row["date"]
        wrong += bool(got) and got[0] != row["date"]
    per = (time.perf_counter() - t0) / len(heads) * 1000
    print(f"{name:<11} files {len(heads)}  right {right}  wrong {wrong}  none {len(heads) - right - wrong}  "
          f"{per:.2f} ms/file  first call {first * 1000:.0f} ms")


if __name__ == "__main__":
    run("dateutil", by_dateutil)
    if len(sys.argv) > 1:
        sys.path.insert(0, sys.argv[1])
        run("dateparser", by_dateparser)
