"""Whole processes measured from outside: cold CLI commands, a served corpus's memory, and /api/search under load."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CLI = Path(sys.executable).parent / "councilkg"


class BenchError(Exception):
    """A benchmark step could not run (a server that never came up, a tool that failed)."""


def _cli() -> list[str]:
    return [str(CLI)] if CLI.exists() else [sys.executable, "-m", "councilkg.web.cli"]


def _env() -> dict:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def timed_run(args: list[str], timeout: float = 300) -> float:
    """Wall time of one whole `councilkg ...` process, start to exit."""
    t0 = time.perf_counter()
    proc = subprocess.run(_cli() + args, capture_output=True, text=True, timeout=timeout, env=_env())
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError(f"councilkg {' '.join(args[:2])} failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return took


def cold(data_dir: Path, query: str) -> dict:
    """`councilkg stats` (median of three fresh processes: it is short, so noise dominates) and a first `councilkg search`."""
    stats = sorted(timed_run(["stats", "--data", str(data_dir)]) for _ in range(3))
    return {"cold_stats_s": round(stats[1], 3), "cold_stats_runs_s": [round(x, 3) for x in stats],
            "cold_search_s": round(timed_run(["search", query, "--data", str(data_dir)]), 3)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def rss_mb(pid: int) -> float:
    """Resident set size from /proc, in MiB, of the process and its children (the server's SPARQL workers)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)
    if not total:
        raise BenchError(f"no VmRSS for process {pid}")
    return total / 1024


def _children(pid: int) -> list[int]:
    """Every descendant of `pid`, from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


@contextmanager
def server(data_dir: Path, startup_timeout: float = 180):
    """`councilkg serve` on a free loopback port, yielding (base URL, pid); stopped (by its own pid) afterwards."""
    port = _free_port()
    proc = subprocess.Popen(_cli() + ["serve", "--data", str(data_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise BenchError(f"server exited: {proc.stderr.read().decode(errors='replace').strip()[-300:]}")
            try:
                _get(base + "/api/stats", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError(f"server not answering on {base} after {startup_timeout:.0f} s") from None
                time.sleep(0.3)
        yield base, proc.pid
    finally:
        end(proc)


def end(proc: subprocess.Popen) -> None:
    """Stop a server this process started: politely, then for sure."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def search_url(base: str, query: str) -> str:
    return f"{base}/api/search?{urllib.parse.urlencode({'q': query})}"


def warm_server(base: str, queries: list[str]) -> None:
    """One request per query and the pages a visitor opens first, so the memory figure is the served steady state."""
    _get(base + "/")
    for q in queries:
        _get(search_url(base, q))


_LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"socket_errors": %%d, "status_errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def topics_memory(base: str, pid: int, timeout: float = 300) -> dict:
    """The Topics page's first request: seconds until its clusters are ready, and the server's RSS (worker included)."""
    before, peak, t0 = rss_mb(pid), 0.0, time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        body = _get(base + "/topics").decode("utf-8", "replace")
        peak = max(peak, rss_mb(pid))
        if 'http-equiv="refresh"' not in body:
            break
        time.sleep(1)
    else:
        raise BenchError(f"/topics not ready after {timeout:g} s")
    took = time.perf_counter() - t0
    time.sleep(3)  # the worker process has exited
    return {"topics_s": round(took, 1), "topics_rss_before_mb": round(before, 1), "topics_rss_peak_mb": round(peak, 1),
            "topics_rss_after_mb": round(rss_mb(pid), 1)}


def load_test(base: str, queries: list[str], seconds: int = 60, clients: int = 8) -> dict:
    """wrk (when installed) against /api/search, cycling the queries; else a bounded Python thread pool."""
    if shutil.which("wrk"):
        return _wrk(base, queries, seconds, clients)
    return _threads(base, queries, seconds, clients)


def _wrk(base: str, queries: list[str], seconds: int, clients: int) -> dict:
    paths = ", ".join(json.dumps(search_url("", q)) for q in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_LUA % paths)
    try:
        out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "-s", f.name, base + "/"],
                             capture_output=True, text=True, timeout=seconds + 120)
    finally:
        os.unlink(f.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise BenchError(f"wrk gave no summary: {(out.stderr or out.stdout).strip()[-300:]}")
    r = json.loads(line[5:])
    return {"load_tool": "wrk", "load_clients": clients, "load_seconds": seconds, "load_requests": r["requests"],
            "load_rps": round(r["requests"] / (r["duration_us"] / 1e6), 1), "load_p50_ms": round(r["p50_us"] / 1000, 1),
            "load_p95_ms": round(r["p95_us"] / 1000, 1), "load_errors": r["socket_errors"] + r["status_errors"]}


def _threads(base: str, queries: list[str], seconds: int, clients: int) -> dict:
    lat: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(n: int) -> None:
        while time.monotonic() < stop:
            q = queries[n % len(queries)]
            n += clients
            t0 = time.perf_counter()
            try:
                _get(search_url(base, q), timeout=30)
                with lock:
                    lat.append(time.perf_counter() - t0)
            except OSError:
                with lock:
                    errors[0] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    lat.sort()
    pct = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None  # noqa: E731
    return {"load_tool": "python threads", "load_clients": clients, "load_seconds": seconds, "load_requests": len(lat),
            "load_rps": round(len(lat) / took, 1), "load_p50_ms": pct(0.5), "load_p95_ms": pct(0.95), "load_errors": errors[0]}
