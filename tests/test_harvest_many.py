"""Many sites at once: stand-in sites on distinct loopback hosts, one slow and one failing, batches, sweeps that resume."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest
from conftest import COUNCILKG
from mgsite import WAF, Answer, Server, StandIn
from reliability import cli, rows

from councilkg.web.bench.standin import town

SINCE = (dt.date.today() - dt.timedelta(days=400)).isoformat()


def serve(apps: list[StandIn]) -> list[Server]:
    """Each stand-in on a loopback address of its own (127.0.0.2, .3, …): a host each, as councils' sites are."""
    return [Server(app, host=f"127.0.0.{2 + n}") for n, app in enumerate(apps)]


def sites_file(tmp_path, servers: list[Server]):
    path = tmp_path / "sites.txt"
    path.write_text("# stand-in councils\n" + "\n".join(s.url for s in servers) + "\n")
    return path


def held(data) -> dict[str, set[str]]:
    """Site code -> meetings its ledger holds (published, with a file)."""
    out = {}
    for led in (data / "harvest").glob("*/ledger.json"):
        raw = json.loads(led.read_text())
        out[raw["code"]] = {mid for mid, m in raw["meetings"].items() if m["minutes"] == "published" and m["file"]}
    return out


def documents(data) -> set[str]:
    if not (data / "councilkg.sqlite").exists():
        return set()
    con = sqlite3.connect(f"file:{data / 'councilkg.sqlite'}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT source FROM documents")}
    finally:
        con.close()


def content(data) -> tuple:
    """What the data directory holds, but for how many commits it took (the generations count batches, and the RDF
    change log records which commit wrote what)."""
    got = rows(data, volatile=False)
    got["state"] = [r for r in got["state"] if r[0] not in ("generation", "rdf_generation")]
    got.pop("rdf_log", None)
    return got, held(data)


def claims_only_what_is_held(data) -> bool:
    """The ledgers never name a meeting whose file the database lacks."""
    docs = documents(data)
    return all(any(src.endswith(f"/{code}/meetings/{mid}.xml") for src in docs)
               for code, mids in held(data).items() for mid in mids)


@pytest.fixture(scope="module")
def towns():
    apps = [town(n) for n in range(4)]
    apps[2].slow = 0.4  # a slow site: the others must not wait for it
    apps[3].committees = WAF  # a failing one: its web service answers with a WAF page …
    apps[3].pages = {"/mgListCommittees.aspx": Answer(500, b"<html><title>Server Error</title></html>")}  # … and so do its pages
    servers = serve(apps)
    yield apps, servers
    for s in servers:
        s.close()


def test_sites_on_their_own_hosts_run_at_once_politely_and_failures_are_named(towns, tmp_path):
    apps, servers = towns
    for app in apps:
        app.log.clear()
    data = tmp_path / "data"
    res = cli("harvest", "--sites-file", str(sites_file(tmp_path, servers)), "--since", SINCE, "--delay", "0.2",
              "--backoff", "0.05", "--retries", "0", "--batch", "2", "--json", "--data", str(data))
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert errors and all("127-0-0-5" in ln for ln in errors), res.stderr  # only the failing site, named with its reason
    assert any("HTML page where XML was expected" in ln for ln in errors)
    report = json.loads(res.stdout)
    assert report["harvested"] == 9 and report["commits"] >= 2
    assert held(data) == {"127-0-0-2": {"000", "001", "002"}, "127-0-0-3": {"100", "101", "102"},
                          "127-0-0-4": {"200", "201", "202"}, "127-0-0-5": set()}
    logs = [[t for t, *_ in app.log] for app in apps[:3]]
    for log in logs:  # one host: one request at a time, at least the delay apart
        assert all(b - a >= 0.2 for a, b in zip(log, log[1:]))
    # different hosts: walked at the same time, so every site's requests overlap the others' in time
    assert all(min(other) < max(log) and min(log) < max(other) for log in logs for other in logs if other is not log)
    fast_end = max(max(log) for log in logs[:2])
    assert fast_end < max(logs[2]), "the fast sites finished while the slow one was still being walked"
    sweep = cli("stats", "--json", "--data", str(data))
    w = json.loads(sweep.stdout)["sweep"]
    assert (w["done"], w["failing"], w["pending"], w["finished"]) == (3, 1, 0, True)
    assert w["failures"][0]["site"] == "127-0-0-5" and "HTML page" in w["failures"][0]["reason"]
    from councilkg.web.app import create_app

    page = create_app(data).test_client().get("/sources")
    assert page.status_code == 200 and b"127-0-0-5" in page.data and b"3 done" in page.data


def test_a_killed_sweep_resumes_with_the_sites_it_had_not_finished(tmp_path):
    servers = serve([town(n, meetings=2) for n in range(3)])
    try:
        listing = sites_file(tmp_path, servers)
        data = tmp_path / "data"
        args = ["harvest", "--sites-file", str(listing), "--since", SINCE, "--delay", "0", "--jobs", "1", "--data", str(data)]
        servers[1].app.slow = 1.0  # the second site is slow: the kill lands while it is walked, after the first is committed
        proc = subprocess.Popen([str(COUNCILKG), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(os.environ, HF_HUB_OFFLINE="1"))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not held(data).get("127-0-0-2"):
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert claims_only_what_is_held(data)
        first = json.loads((data / "harvest" / "sweep.json").read_text())["sites"]
        assert first["127-0-0-2"]["state"] == "done" and first["127-0-0-4"]["state"] == "pending"
        servers[1].app.slow = 0
        for s in servers:
            s.app.log.clear()
        res = cli(*args)
        assert res.exit_code == 0, res.output
        assert "resuming the harvest of 3 sites" in res.stderr and "1 done, 2 to go" in res.stderr
        assert not servers[0].app.log, "a site the sweep had finished is not walked again"
        assert set(held(data)) == {"127-0-0-2", "127-0-0-3", "127-0-0-4"} and claims_only_what_is_held(data)
    finally:
        for s in servers:
            s.close()


@pytest.mark.slow
def test_sigkill_during_concurrent_batch_commits_loses_nothing_and_doubles_nothing(tmp_path):
    """Kills spread over a two-site run that commits every two meetings; each rerun ends as an uninterrupted run."""
    servers = serve([town(n, meetings=4) for n in range(2)])
    try:
        for s in servers:
            s.app.slow = 0.4
        listing = sites_file(tmp_path, servers)
        args = ["harvest", "--sites-file", str(listing), "--since", SINCE, "--delay", "0", "--batch", "2"]
        data = tmp_path / "data"  # one path for every trial: the ids made from stored paths stay comparable
        t0 = time.monotonic()  # timed as the trials run it: a process of its own, importing the encoder
        subprocess.run([str(COUNCILKG), *args, "--data", str(data)], check=True, capture_output=True,
                       env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=600)
        duration = time.monotonic() - t0
        want = content(data)
        outcomes = []
        # kills when the ledgers first hold 2, 4 and 6 meetings (between or inside later batch commits), and at times
        for when in (("held", 2), ("held", 4), ("held", 6), ("time", 0.4), ("time", 0.9)):
            shutil.rmtree(data)
            proc = subprocess.Popen([str(COUNCILKG), *args, "--data", str(data)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))
            t0 = time.monotonic()
            while proc.poll() is None and time.monotonic() - t0 < 2 * duration:
                if (sum(map(len, held(data).values())) >= when[1]) if when[0] == "held" else (
                        time.monotonic() - t0 >= when[1] * duration):
                    break
                time.sleep(0.05)
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            assert claims_only_what_is_held(data), f"killed at {when}: a ledger claims what the database lacks"
            outcomes.append((when, killed, len(documents(data))))
            assert cli(*args, "--data", str(data)).exit_code == 0
            got = content(data)
            diff = {t: (set(want[0][t]) ^ set(got[0][t])) for t in want[0] if want[0][t] != got[0][t]}
            assert got == want, f"killed at {when}: the rerun did not end as one run: {diff}"
        print("\nwhen, was running, documents held after the kill:", *outcomes, sep="\n  ")
        assert sum(k for _, k, _ in outcomes) >= 3
        assert any(k and 0 < n < 8 for _, k, n in outcomes), "no kill landed between two batch commits"
    finally:
        for s in servers:
            s.close()
