"""SIGKILL `councilkg harvest` at points spread over a real run: the data directory answers as before, a rerun completes it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
from conftest import COUNCILKG
from mgsite import Answer, Server, StandIn, committees_xml, meeting_xml, meetings_xml
from reliability import cli, rows

TODAY = dt.date.today()
DAYS = {str(200 + n): TODAY - dt.timedelta(days=300 - 20 * n) for n in range(6)}
TOPICS = ["the closure of the Riverside library", "potholes on the ring road", "the new leisure centre roof",
          "street lighting energy costs", "the allotment waiting list", "fly-tipping enforcement"]


def site(meeting_ids: list[str], amended: str = "") -> dict:
    """The stand-in's content when these meetings have minutes (one committee, one meeting awaiting minutes)."""
    listed = [(mid, DAYS[mid], "Confirmed") for mid in DAYS]
    answers = {}
    for n, mid in enumerate(DAYS):
        text = f"Members discussed {TOPICS[n]} at length and asked officers for costed options." + (
            " The minutes were corrected." if mid == amended else "")
        minuted = mid in meeting_ids
        items = [("1", "Apologies", "None." if minuted else ""), (str(10 + n), TOPICS[n].capitalize(), text if minuted else "")]
        answers[mid] = [Answer(body=meeting_xml(mid, DAYS[mid], "Cabinet", items))]
    return {"committees": committees_xml({"5": "Cabinet"}), "meetings": {"5": meetings_xml("5", "Cabinet", listed)},
            "meeting": answers}


def ledger(data) -> dict:
    """The ledger without its timestamps."""
    path = data / "harvest" / "ADU" / "ledger.json"
    if not path.exists():
        return {}
    led = json.loads(path.read_text())
    led.pop("last_harvest")
    for m in led["meetings"].values():
        m.pop("fetched")
    return led


def state(data) -> tuple:
    return (rows(data, volatile=False) if (data / "councilkg.sqlite").exists() else {}), ledger(data)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("harvest-crash")
    app = StandIn(**site(["200", "201"]))
    srv = Server(app)
    args = [srv.url, "--council", "Adur", "--delay", "0", "--since", (TODAY - dt.timedelta(days=400)).isoformat()]
    data = root / "data"  # every run uses this one path: stored paths and the ids made from them stay comparable
    assert cli("harvest", *args, "--data", str(data)).exit_code == 0
    before = state(data)
    base = root / "base"
    shutil.copytree(data, base)
    for key, value in site(["200", "201", "202", "203", "204"], amended="201").items():
        setattr(app, key, value)  # new minutes for three meetings, 201 amended, 205 still awaited
    app.slow = 0.25  # requests long enough for kills to land while fetching
    t0 = time.monotonic()
    done = subprocess.run([str(COUNCILKG), "harvest", *args, "--data", str(data)], capture_output=True, text=True,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=600)
    duration = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    after = state(data)
    assert len(after[0]["documents"]) == 5 and after != before
    yield {"data": data, "base": base, "args": args, "before": before, "after": after, "duration": duration}
    srv.close()


@pytest.mark.slow
def test_sigkill_during_harvest_loses_nothing_and_doubles_nothing(world):
    w = world
    outcomes = []
    for n, frac in enumerate((0.02, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.85, 0.93, 0.98)):
        data = w["data"]
        shutil.rmtree(data)
        shutil.copytree(w["base"], data)
        proc = subprocess.Popen([str(COUNCILKG), "harvest", *w["args"], "--data", str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        time.sleep(frac * w["duration"])
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        seen = state(data)
        db_old, db_new = seen[0] == w["before"][0], seen[0] == w["after"][0]
        assert db_old or db_new, f"trial {n}: killed at {frac:.0%} the database shows a mixture"
        assert seen[1] in (w["before"][1], w["after"][1]), f"trial {n}: the ledger is half written"
        assert not (db_old and seen[1] == w["after"][1]), f"trial {n}: the ledger claims what the database lacks"
        res = cli("harvest", *w["args"], "--data", str(data))
        assert res.exit_code == 0, res.output
        assert state(data) == w["after"], f"trial {n}: the rerun after the kill did not finish the job exactly"
        outcomes.append((n, frac, killed, "new" if db_new else "old"))
    print("\ntrial, fraction of the run, was running, database after the kill:", *outcomes, sep="\n  ")
    killed = [o for o in outcomes if o[2]]
    assert len(killed) >= 7 and any(o[3] == "old" for o in killed)
