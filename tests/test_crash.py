"""SIGKILL `councilkg ingest` at many points of a real run: the data directory must answer exactly as before, and a rerun must finish the job
(the RDF store too: killed in its in-place update after the commit, it is replayed by its next reader)."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import threading
import time

import pytest
from conftest import COUNCILKG
from rdflib.compare import isomorphic
from test_rdf_store import export, triples

from councilkg.graph import rdf_store, sparql
from reliability import cli, copy_data, seed_variant, snapshot

STAGES = ("read", "embed", "index")  # the CLI's progress-bar labels, in order ("indexed": the index bar at 100%)


class Run:
    """`councilkg ingest` as a user runs it: stderr on a terminal (so it draws its stage bars), watched for stage changes."""

    def __init__(self, *args: str):
        master, slave = pty.openpty()
        env = dict(os.environ, HF_HUB_OFFLINE="1", COLUMNS="100")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([str(COUNCILKG), "ingest", *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        self.events: dict[str, float] = {"start": 0.0}
        self.seen = threading.Condition()
        self.text = ""
        threading.Thread(target=self._watch, args=(master,), daemon=True).start()

    def _watch(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            with self.seen:
                if not chunk:
                    self.events.setdefault("exit", time.monotonic() - self.t0)
                    self.seen.notify_all()
                    os.close(fd)
                    return
                self.text += chunk.decode("utf-8", "replace")
                for stage in STAGES:
                    if stage not in self.events and re.search(rf"\b{stage}\b", self.text):
                        self.events[stage] = time.monotonic() - self.t0
                if "indexed" not in self.events and re.search(r"\bindex\b[^\n]*100%", self.text):
                    self.events["indexed"] = time.monotonic() - self.t0  # the bar completes after COMMIT and prune
                self.seen.notify_all()

    def wait_for(self, event: str, timeout: float = 300) -> bool:
        """Block until `event` (a stage label, or "exit"); False when the run ended without reaching it."""
        with self.seen:
            self.seen.wait_for(lambda: event in self.events or "exit" in self.events, timeout)
            return event in self.events

    def kill(self) -> bool:
        """SIGKILL now; True when the process was still running."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        return alive


@pytest.fixture(scope="module")
def crash_world(sample_data, tmp_path_factory):
    """Old state (sample corpus), a small real batch (three reworded seeds), and the new state an uninterrupted CLI run gives."""
    root = tmp_path_factory.mktemp("crash")
    batch = root / "batch"
    batch.mkdir()
    for seed in ("000", "001", "004"):
        seed_variant(seed, batch / f"variant_{seed}.txt", "crash-trial")
    base = copy_data(sample_data, root / "base")
    full = copy_data(sample_data, root / "full")
    for data in (base, full):  # a built RDF store, so each run also updates it in place after its commit
        rdf_store.sync(data)
    run = Run(str(batch), "--data", str(full))
    run.proc.wait(timeout=600)
    run.wait_for("exit")
    assert run.proc.returncode == 0, run.text
    phases = dict(run.events)
    print("\nmeasured phases of an uninterrupted ingest (s from start):", {k: round(v, 2) for k, v in phases.items()})
    assert all(s in phases for s in (*STAGES, "indexed")), run.text
    return {"base": base, "batch": batch, "root": root, "phases": phases,
            "before": snapshot(base), "after": snapshot(full, volatile=False)}


def schedule(p: dict[str, float]) -> list[tuple[str, float]]:
    """Kill points as (stage seen, delay after it), spread over every phase from the measured durations."""
    load = p["embed"] - p["read"]  # reading the batch, then loading the model (it loads on the first token count)
    embed = p["index"] - p["embed"]
    index = max(p["indexed"] - p["index"], 0.02)  # FAISS + BM25 build, rename, state, COMMIT, prune
    return ([("start", d) for d in (0.0, 0.2)]  # interpreter start, imports, discovery
            + [("read", f * load) for f in (0.0, 0.05, 0.4, 0.8)]  # reading, segmenting, model load
            + [("embed", f * embed) for f in (0.0, 0.3, 0.6, 0.9)]  # embedding and theming, inside the transaction
            + [("index", f * index) for f in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)]  # around the commit
            + [("indexed", d) for d in (0.0, 0.3)])  # committed, before the process ends


@pytest.mark.slow
def test_sigkill_anywhere_loses_nothing(crash_world):
    w = crash_world
    plan = schedule(w["phases"])
    assert len(plan) >= 20
    outcomes = []
    for n, (stage, delay) in enumerate(plan):
        data = copy_data(w["base"], w["root"] / f"trial-{n:02d}")
        run = Run(str(w["batch"]), "--data", str(data))
        reached = run.wait_for(stage)
        time.sleep(delay)
        at = time.monotonic() - run.t0
        killed = run.kill()
        rdf_gen = (rdf_store.recorded(data) or {}).get("generation")  # the store's generation as the kill left it
        state = snapshot(data)
        if state == w["before"]:
            outcome = "old"
        else:  # only a run that got past its commit may show anything new, and then all of it
            assert snapshot(data, volatile=False) == w["after"], f"trial {n}: killed at {stage}+{delay:.2f}s shows a mixture"
            outcome = "new"
        assert killed or outcome == "new", f"trial {n}: exited by itself yet the new state is not there"
        res = cli("ingest", str(w["batch"]), "--data", str(data))
        assert res.exit_code == 0, res.output
        assert snapshot(data, volatile=False) == w["after"], f"trial {n}: rerun after the kill did not complete the ingest"
        assert isomorphic(triples(sparql.open_store(data)), export(data)), f"trial {n}: the RDF store is not the export"
        outcomes.append((n, stage if reached else "exit", round(delay, 2), round(at, 2), killed, outcome, rdf_gen))
    print("\ntrial, stage, delay, killed at (s), was running, state after kill, RDF store's generation after kill:")
    for o in outcomes:
        print("  ", *o)
    killed = [o for o in outcomes if o[4]]
    assert len(killed) >= 20, "too few kills landed while the ingest was running: re-plan the delays"
    assert any(o[1] in ("embed", "index") and o[5] == "old" for o in killed), "no kill landed inside the write transaction"
