"""The harvest benchmark: stand-in sites on loopback addresses of their own, harvested at once, against the politeness bound."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from councilkg.web.bench.standin import Server, town

SITES = 50
DELAY = 1.0  # the default --delay


def _requests(meetings: int) -> int:
    """What one site costs: robots.txt, GetCommittees, GetMeetings, then one GetMeeting per meeting."""
    return 3 + meetings


def measure_harvest(workdir: Path, log, sites: int = SITES, delay: float = DELAY) -> dict:
    """One site alone, four on four hosts and `sites` on as many, each into an empty data directory, in one run.

    A site of r requests cannot take less than (r - 1) × delay (one request at a time per host): that is its bound."""
    from councilkg.corpus.harvest import Options
    from councilkg.corpus.mgclient import Client, forget_hosts
    from councilkg.corpus.registry import find
    from councilkg.embed.harvest import harvest

    sizes = [4 if n < 4 else 1 + n % 4 for n in range(sites)]  # 1 to 4 meetings: 4 to 7 requests a site
    # the first four are the slowest: the first alone, then the four together, then all
    servers = [Server(town(n, meetings=m), host=f"127.0.0.{2 + n}") for n, m in enumerate(sizes)]
    since = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    root = Path(workdir) / "harvest"
    out: dict = {"sites": sites, "delay_s": delay, "bound_s": (_requests(max(sizes)) - 1) * delay}

    def run(name: str, chosen: list[Server]) -> dict:
        data = root / name
        shutil.rmtree(data, ignore_errors=True)
        forget_hosts()  # robots.txt read again: every site's bound is (r - 1) x delay in every run
        client = Client(delay=delay, retries=0)
        t0 = time.perf_counter()
        report = harvest([find(s.url) for s in chosen], data, Options(since=since), client, jobs=max(len(chosen), 1))
        wall = time.perf_counter() - t0
        log(f"  {name}: {len(chosen)} sites, {report.harvested} meetings in {wall:.1f} s ({report.commits} commits)")
        assert not report.failed, report.failed
        return {"sites": len(chosen), "wall_s": round(wall, 2), "walk_s": report.walk_seconds, "meetings": report.harvested,
                "requests": report.requests, "commits": report.commits}

    try:
        run("warm-up", servers[:1])  # the encoder loads here, not inside a measured run
        out["one"] = run("one", servers[:1])
        out["four"] = run("four", servers[:4])
        out["all"] = run("all", servers)
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(root, ignore_errors=True)
    one = out["one"]["wall_s"]
    out["four_vs_one"] = round(out["four"]["wall_s"] / one, 2)
    out["all_vs_slowest"] = round(out["all"]["wall_s"] / one, 2)
    out["all_walk_vs_bound"] = round(out["all"]["walk_s"] / out["bound_s"], 2)  # the sites' walks against politeness alone
    return out
