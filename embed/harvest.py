"""`councilkg harvest`: gather sites' minuted meetings, ingest them as files, and only then record them in the ledger."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from councilkg.corpus import ledger as lg
from councilkg.corpus.harvest import Options, gather
from councilkg.corpus.mgclient import Client
from councilkg.corpus.registry import Site
from councilkg.embed.pipeline import Progress, exclusive, ingest


class HarvestBusy(Exception):
    """Another harvest holds the data directory's ledgers."""


@dataclass
class HarvestReport:
    """What one harvest did across its sites, for the summary line and `--json`."""

    sites: list[str] = field(default_factory=list)
    meetings_seen: int = 0
    harvested: int = 0  # meeting files ingested anew or changed
    unchanged: int = 0  # held already: not fetched, or fetched and identical
    skipped: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, str]] = field(default_factory=list)  # {council, meeting, reason}
    requests: int = 0
    generation: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return (f"{len(self.sites)} site{'s' * (len(self.sites) != 1)}: {self.meetings_seen} meetings seen, "
                f"{self.harvested} harvested, {self.unchanged} unchanged, skipped {skipped}, {len(self.failed)} failed; "
                f"{self.requests} requests; generation {self.generation} ({self.seconds:.1f} s)")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def harvest(
    sites: list[Site],
    data_dir: str | Path,
    opts: Options,
    client: Client | None = None,
    *,
    progress: Progress = lambda *a: None,
    on_error: Callable[[str, str, str], None] = lambda council, meeting, reason: None,
    on_skip: Callable[[str, str], None] = lambda path, reason: None,
    index: str | None = None,
) -> HarvestReport:
    """Fetch each site (the ledger decides what), ingest every meeting file fetched in one batch, then save ledgers.

    `index` as for ingest: where the generation's indexes go (default: what the data directory records)."""
    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    client = client or Client()
    report = HarvestReport(sites=[s.code for s in sites])
    skipped: Counter = Counter()
    with exclusive(data_dir / lg.HARVEST_DIR, ".harvest.lock", HarvestBusy, "harvest"):
        runs = []
        for site in sites:
            run = gather(site, data_dir, client, opts, progress)
            runs.append(run)
            report.meetings_seen += run.seen
            report.unchanged += run.held
            skipped.update(run.skipped)
            for mid, reason in run.failed:
                _failed(report, on_error, site, mid, reason)
        by_path = {Path(path).resolve(): (run, mid) for run in runs for mid, path in run.files.items()}

        def ingest_error(path: str, reason: str) -> None:
            run, mid = by_path.get(Path(path).resolve(), (None, "-"))
            if run is None:
                return
            entry = run.ledger.meetings.pop(mid, None)  # not held: the next run fetches it again
            run.ledger.failures.append({"meeting": mid, "reason": f"ingest: {reason}", "when": _now(),
                                        "date": entry.date if entry else "", "committee": entry.committee if entry else ""})
            _failed(report, on_error, run.site, mid, f"ingest: {reason}")

        def ingest_skip(path: str, reason: str) -> None:
            skipped[reason.split(":")[-1].strip()] += 1
            on_skip(path, reason)

        files = [path for run in runs for path in run.files.values()]
        done = ingest(files, data_dir, progress=progress, on_error=ingest_error, on_skip=ingest_skip,
                      index=index) if files or index else None
        if done:
            report.harvested = done.ingested
            report.unchanged += done.unchanged
            report.generation = done.generation
        stamp = _now()
        for run in runs:  # after the ingest's commit: a kill before this leaves ledgers as they were
            run.ledger.last_harvest = stamp
            lg.save(data_dir, run.ledger)
    report.skipped = dict(skipped)
    report.requests = client.requests
    if not done:
        report.generation = _generation(data_dir)
    report.seconds = time.perf_counter() - t0
    return report


def _failed(report: HarvestReport, on_error, site: Site, mid: str, reason: str) -> None:
    council = site.name or site.code
    report.failed.append({"council": council, "site": site.code, "meeting": mid, "reason": reason})
    on_error(council, mid, reason)


def _generation(data_dir: Path) -> int:
    """The generation already served, when this run ingested nothing."""
    from councilkg.graph import store

    if not (data_dir / store.DB_NAME).exists():
        return 0
    con = store.connect(data_dir, readonly=True)
    try:
        return int(store.get_state(con, "generation", "0"))
    finally:
        con.close()
