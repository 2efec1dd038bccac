"""`councilkg harvest`: sites gathered at once, their meetings committed in batches, each recorded in its ledger only after its commit."""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from councilkg.corpus import ledger as lg
from councilkg.corpus.harvest import Gathered, Options, gather, write_manifest
from councilkg.corpus.mgclient import Client
from councilkg.corpus.registry import Site
from councilkg.embed.pipeline import Progress, exclusive, ingest

JOBS = 64  # sites at once: threads that mostly wait; each host still gets one request at a time


class HarvestBusy(Exception):
    """Another harvest holds the data directory's ledgers."""


@dataclass
class Batching:
    """When gathered meetings are committed: this many waiting, the oldest waiting this long, or a site's end."""

    meetings: int = 200
    seconds: float = 300.0


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
    commits: int = 0  # batches committed
    walk_seconds: float = 0.0  # until the last site's walk ended (the rest is its last commit)

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
    sweep: lg.Sweep | None = None,
    index: str | None = None,
    jobs: int = JOBS,
    batching: Batching | None = None,
) -> HarvestReport:
    """Gather up to `jobs` sites at once while the main thread commits what they fetched in batches.

    `index` as for ingest: where the generation's indexes go (default: what the data directory records).
    `progress` gets ("CODE stage", done, total) per site and the ingest's own stages; `sweep`, when given, records
    each site's end (done, or failing with the reason its meeting list could not be read) as it is committed."""
    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    client = client or Client()
    report = HarvestReport(sites=[s.code for s in sites])
    with exclusive(data_dir / lg.HARVEST_DIR, ".harvest.lock", HarvestBusy, "harvest"):
        com = _Committer(data_dir, report, on_error, on_skip, sweep, progress, index, batching or Batching())
        for site in sites:
            com.start(site)
        with ThreadPoolExecutor(max(1, jobs), thread_name_prefix="harvest") as pool:
            running = {pool.submit(_gather, site, data_dir, client, opts, progress, com): site for site in sites}
            while running:
                done, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    com.finish(running.pop(fut), fut.result())
                if com.due():
                    com.commit()
        report.walk_seconds = round(time.perf_counter() - t0, 2)
        com.commit(last=True)
    report.requests = client.requests
    report.skipped = dict(com.skipped)
    if not report.generation:
        report.generation = _generation(data_dir)
    report.seconds = time.perf_counter() - t0
    return report


def _gather(site: Site, data_dir: Path, client: Client, opts: Options, progress, com: _Committer) -> Gathered | str:
    """One site's walk in a worker thread; an unexpected failure is that site's, not the run's."""
    try:
        return gather(site, data_dir, client, opts, lambda stage, d, t: progress(f"{site.code} {stage}", d, t), com.sink)
    except Exception as e:  # noqa: BLE001 - one site's bug or disk error must not stop the others
        return f"{type(e).__name__}: {e}"


class _Committer:
    """Meeting files the site threads gathered, ingested in batches here; a ledger records a meeting only after its commit."""

    def __init__(self, data_dir: Path, report: HarvestReport, on_error, on_skip, sweep, progress, index, batching: Batching):
        self.data_dir, self.report, self.on_error, self.on_skip, self.sweep = data_dir, report, on_error, on_skip, sweep
        self.progress, self.index, self.batching = progress, index, batching
        self.lock = threading.Lock()
        self.pending: list[tuple[Gathered, str, lg.MeetingEntry, str]] = []
        self.since: float | None = None  # when the oldest pending meeting arrived
        self.settled: dict[str, lg.Ledger] = {}  # site code -> its ledger as committed so far
        self.sites: dict[str, Site] = {}
        self.ended: list[tuple[Site, Gathered | str]] = []
        self.ingest_failures: dict[str, list[dict[str, str]]] = {}
        self.skipped: Counter = Counter()
        self.ingested = False

    def start(self, site: Site) -> None:
        led = lg.load(self.data_dir, site.code)
        led.name, led.base_url, led.gss_code = site.name, site.base_url, site.gss_code
        self.settled[site.code], self.sites[site.code] = led, site

    def sink(self, run: Gathered, mid: str, entry: lg.MeetingEntry, path: str | None) -> None:
        """From a site thread: an outcome with no file claims nothing of the database and is settled at once."""
        with self.lock:
            if path is None:
                self.settled[run.site.code].meetings[mid] = copy.copy(entry)
            else:
                self.pending.append((run, mid, copy.copy(entry), path))
                self.since = self.since or time.monotonic()

    def finish(self, site: Site, run: Gathered | str) -> None:
        with self.lock:
            self.ended.append((site, run))

    def due(self) -> bool:
        with self.lock:
            waited = self.since is not None and time.monotonic() - self.since >= self.batching.seconds
            return bool(self.ended) or len(self.pending) >= self.batching.meetings or waited

    def commit(self, last: bool = False) -> None:
        """Everything pending, in transactions of at most `--batch` meetings: a backlog (the encoder still loading) stays bounded."""
        with self.lock:  # what is pending now: meetings the site threads add meanwhile wait for the next call
            rounds = max(1, -(-len(self.pending) // self.batching.meetings))
        for _ in range(rounds):
            with self.lock:
                batch, self.pending = self.pending[:self.batching.meetings], self.pending[self.batching.meetings:]
                waiting = {run.site.code for run, *_ in self.pending}  # a site ends with the batch holding its last meeting
                ended = [(site, run) for site, run in self.ended if site.code not in waiting]
                self.ended = [(site, run) for site, run in self.ended if site.code in waiting]
                more = bool(self.pending)
                self.since = self.since if more else None
            self._commit(batch, ended, last and not more)

    def _commit(self, batch, ended, last: bool) -> None:
        """One batch ingested (one transaction), then the ledgers of the sites it touched or that ended saved."""
        touched = {run.site.code for run, *_ in batch} | {site.code for site, _ in ended}
        for code in {run.site.code for run, *_ in batch}:  # the manifest gives ingest each file's service metadata
            view = copy.copy(self.settled[code])
            view.meetings = {**view.meetings, **{mid: e for run, mid, e, _ in batch if run.site.code == code}}
            write_manifest(lg.site_dir(self.data_dir, code), view)
        failed = self._ingest(batch, last)
        for run, mid, entry, path in batch:
            if Path(path).resolve() not in failed:
                self.settled[run.site.code].meetings[mid] = entry
        stamp = _now()
        for site, run in ended:
            self._end(site, run, stamp)
        for code in sorted(touched):  # after the commit: a kill before this leaves the ledgers as they were
            lg.save(self.data_dir, self.settled[code])
        if self.sweep is not None and ended:
            for site, run in ended:
                why = run if isinstance(run, str) else _unlisted(run)
                self.sweep.mark(site.code, lg.FAILING if why else lg.DONE, why, stamp)
            lg.save_sweep(self.data_dir, self.sweep)
        for site, _ in ended:
            self.progress(f"{site.code} done", 1, 1)

    def _ingest(self, batch, last: bool) -> set[Path]:
        """The batch's files through the ingest pipeline; the paths that failed there (their meetings stay unheld)."""
        failed: set[Path] = set()
        if not batch and not (last and self.index and not self.ingested):
            return failed
        by_path = {Path(path).resolve(): (run, mid, entry) for run, mid, entry, path in batch}

        def ingest_error(path: str, reason: str) -> None:
            key = Path(path).resolve()
            if key not in by_path:
                return
            failed.add(key)
            run, mid, entry = by_path[key]
            self.ingest_failures.setdefault(run.site.code, []).append(
                {"meeting": mid, "reason": f"ingest: {reason}", "when": _now(), "date": entry.date, "committee": entry.committee})
            self._failed(run.site, mid, f"ingest: {reason}")

        def ingest_skip(path: str, reason: str) -> None:
            self.skipped[reason.split(":")[-1].strip()] += 1
            self.on_skip(path, reason)

        done = ingest([p for *_, p in batch], self.data_dir, progress=self.progress, on_error=ingest_error,
                      on_skip=ingest_skip, index=self.index)
        self.ingested = True
        self.report.harvested += done.ingested
        self.report.unchanged += done.unchanged
        self.report.generation = done.generation
        self.report.commits += 1
        return failed

    def _end(self, site: Site, run: Gathered | str, stamp: str) -> None:
        """A site's walk is over: its counts into the report, its failures and service note into its ledger."""
        led = self.settled[site.code]
        if isinstance(run, str):
            self._failed(site, "-", run)
            led.failures = [{"meeting": "-", "reason": run, "when": stamp}]
            return
        self.report.meetings_seen += run.seen
        self.report.unchanged += run.held
        self.skipped.update(run.skipped)
        for mid, reason in run.failed:
            self._failed(site, mid, reason)
        led.failures = [*run.ledger.failures, *self.ingest_failures.pop(site.code, [])]
        led.service, led.last_harvest = run.ledger.service, stamp

    def _failed(self, site: Site, mid: str, reason: str) -> None:
        council = site.name or site.code
        self.report.failed.append({"council": council, "site": site.code, "meeting": mid, "reason": reason})
        self.on_error(council, mid, reason)


def plan_sweep(data_dir: str | Path, sites: list[Site], scope: str) -> tuple[lg.Sweep, list[Site]]:
    """The unfinished sweep of the same scope resumed (its pending sites only), else a new one of every site."""
    prior = lg.load_sweep(data_dir)
    if prior is not None and prior.scope == scope and not prior.finished:
        todo = set(prior.todo())
        return prior, [s for s in sites if s.code in todo]
    return lg.Sweep(scope, _now(), {s.code: {"state": lg.PENDING, "reason": "", "when": ""} for s in sites}), sites


def _unlisted(run: Gathered) -> str:
    """Why a site's meeting list could not be read at all ('' when it could)."""
    return "; ".join(reason for mid, reason in run.failed if mid == "-" and run.seen == 0)


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
