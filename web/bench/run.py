"""`councilkg bench`: ingest, search, memory, SPARQL and cold-start figures measured in one run, ratios against bare parts."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from councilkg.web.bench import load as bench_load
from councilkg.web.bench import push as bench_push
from councilkg.web.bench import scale as bench_scale
from councilkg.web.bench import sparql as bench_sparql
from councilkg.web.bench.corpus import SEED
from councilkg.web.bench.increment import INCREMENTS, measure_increment
from councilkg.web.bench.ingest import measure_ingest
from councilkg.web.bench.search import measure_search, queries

SEARCH_POINTS = 100_000
# (docs ingested, search rounds over the queries, load-test seconds, 1M index study)
PLANS = {"quick": (3, 1, 0, False), "full": (24, 3, 60, True)}
# key -> (target, "min" or "max"): what issue 6 asks of each figure
TARGETS = {
    "ingest_ratio": (0.85, "min"), "reingest_ratio": (0.05, "max"), "points": (100_000, "min"),
    "search_p50_ms": (30, "max"), "search_p95_ms": (60, "max"), "search_ratio": (1.5, "max"), "rss_mb": (1500, "max"),
    "sparql_max_s": (1.0, "max"), "sparql_after_increment_s": (1.0, "max"), "cold_stats_s": (1.5, "max"), "cold_search_s": (10, "max"),
    "load_rps": (40, "min"), "load_errors": (0, "max"),
    # issue 18: a meeting added to the scaled directory against the same ingest into an empty one, in one run
    "increment_ratio": (1.5, "max"), "increment_peak_ratio": (1.3, "max"), "increment_search_ratio": (1.5, "max"),
    "harvest_four_vs_one": (1.6, "max"), "harvest_all_vs_slowest": (1.5, "max"),
    # issue 19: the same on `--index milvus:URI`, each ingest with --push to a loopback Oxigraph
    "backend_increment_ratio": (2.0, "max"),
}


def default_workdir() -> Path:
    return Path(os.environ.get("COUNCILKG_BENCH_DIR") or Path(tempfile.gettempdir()) / "councilkg-bench")


def bench(quick: bool = False, workdir: str | Path | None = None, log=None, points: int = SEARCH_POINTS,
          base_docs: int = bench_scale.BASE_DOCS, index: str | None = None, study_only: bool = False,
          harvest_only: bool = False, harvest_sites: int = 50, harvest_delay: float = 1.0) -> dict:
    """Run the benchmark (quick: small ingest, cached 100k corpus, no load test or 1M study) and return every figure.

    points and base_docs shrink the search corpus (tests only: the targets are for the defaults); `index`
    ("milvus:URI") measures that backend too, side by side with FAISS (out["backend"])."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    workdir = Path(workdir) if workdir else default_workdir()
    workdir.mkdir(parents=True, exist_ok=True)
    n_docs, rounds, load_s, study_1m = PLANS["quick" if quick else "full"]
    qs = queries()
    if index:  # a bad spec or an unreachable Milvus fails now, not after the scaled corpus is built
        from councilkg.embed.backends import parse_index

        parse_index(index).check()
    t_start = time.perf_counter()
    out: dict = {"quick": quick, "cpus": os.cpu_count(), "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    stage = _Stages(out, log)
    if harvest_only:  # the many-site harvest alone
        _harvest(out, stage, workdir, log, harvest_sites, harvest_delay)
        return _finish(out, t_start)
    if study_only:  # the 1M index study alone (with index: that backend beside FAISS), not the targets
        with stage("1M vectors: approximate indexes"):
            out["ann_1m"] = _study_1m(qs, workdir, base_docs, log, index)
        out["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        out["total_s"] = round(time.perf_counter() - t_start, 1)
        out["meets"] = {}
        return out
    with stage("scaled corpus (cached after the first run)"):
        data, how = bench_scale.ensure_scale(workdir, SEED, points, base_docs, log=log)
    out["scale_corpus"] = how
    with stage("ingest"):
        out.update(measure_ingest(workdir, n_docs, log))
    with stage("search over the scaled corpus"):
        out.update(measure_search(data, qs, rounds))
    with stage("increments to the scaled corpus"):
        inc = measure_increment(data, workdir, qs, rounds, out["bare_p50_ms"], log,
                                increments=INCREMENTS if points >= SEARCH_POINTS else 10)  # tests: a small corpus, 10
        out["increment"] = inc
        out["increment_ratio"] = max(inc[m]["wall_ratio"] for m in ("small", "meeting30"))
        out["increment_peak_ratio"] = max(inc[m]["peak_ratio"] for m in ("small", "meeting30"))
        out["increment_search_ratio"] = inc["search_ratio_to_one_index_bare"]
    if index:
        from councilkg.web.bench import backend as bench_backend

        with stage(f"index backend {index}"):
            out["backend"] = bench_backend.measure(data, index, workdir, qs, max(rounds, 2), n_docs, log)
            out["backend"]["faiss_ingest_ratio"] = out["ingest_ratio"]
            out["backend_increment_ratio"] = out["backend"]["increment"]["increment_ratio"]
    with stage("cold processes"):
        out.update(bench_load.cold(data, qs[0]))
    with stage("server memory" + ("" if not load_s else ", load test, topics")), bench_load.server(data) as (base, pid):
        bench_load.warm_server(base, qs)
        out["rss_mb"] = round(bench_load.rss_mb(pid), 1)
        if load_s:
            out.update(bench_load.load_test(base, qs, seconds=load_s))
            out["rss_mb_after_load"] = round(bench_load.rss_mb(pid), 1)
            out.update(bench_load.topics_memory(base, pid))  # full run only: clustering 20,000 points takes ~25 s
    with stage("SPARQL research queries"):
        sp = bench_sparql.on_oxigraph(data, compare=not quick)  # quick: only the store the endpoint uses
        if not quick:
            sp["rdflib_memory"] = bench_sparql.on_rdflib_memory(data, timeout=300)
    out["sparql"] = sp
    out["sparql_max_s"] = max(v["s"] for v in sp["oxigraph"].values())
    with stage("SPARQL after an increment"):
        out["sparql_increment"] = bench_sparql.after_increment(data, workdir, log)
    out["sparql_after_increment_s"] = out["sparql_increment"]["cli_first_s"]
    if not quick:  # minutes: the whole graph is pushed twice
        with stage("--push after an increment"):
            out["push_increment"] = bench_push.increment(data, workdir, log)
    _harvest(out, stage, workdir, log, harvest_sites, harvest_delay)
    if study_1m:
        with stage("1M vectors: approximate indexes"):
            out["ann_1m"] = _study_1m(qs, workdir, base_docs, log, index)
    return _finish(out, t_start)


def _harvest(out: dict, stage, workdir: Path, log, sites: int, delay: float) -> None:
    from councilkg.web.bench.harvest import measure_harvest

    with stage(f"harvest: {sites} stand-in sites on their own loopback addresses"):
        h = out["harvest"] = measure_harvest(workdir, log, sites, delay)
    out["harvest_four_vs_one"], out["harvest_all_vs_slowest"] = h["four_vs_one"], h["all_vs_slowest"]


def _finish(out: dict, t_start: float) -> dict:
    out["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    out["total_s"] = round(time.perf_counter() - t_start, 1)
    out["meets"] = {k: _meets(k, out[k]) for k in TARGETS if k in out}
    return out


class _Stages:
    """Logs each stage as it starts and records its seconds in out["stage_s"], so a slow run shows where it went."""

    def __init__(self, out: dict, log):
        self.seconds = out.setdefault("stage_s", {})
        self.log = log

    @contextmanager
    def __call__(self, name: str):
        self.log(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 1)


def _study_1m(qs: list[str], workdir: Path, base_docs: int, log, index: str | None = None) -> dict:
    from councilkg.embed.encoder import get_encoder
    from councilkg.graph import store
    from councilkg.web.bench import ann as bench_ann

    base = bench_scale.ensure_base(workdir, SEED, base_docs)
    con = store.connect(base, readonly=True)
    real = np.stack([np.frombuffer(v, dtype=np.float32) for (v,) in con.execute(
        "SELECT v.vec FROM passages s JOIN vectors v ON v.key = s.vec_key WHERE s.seq = 0")])
    con.close()
    qv = get_encoder().encode(qs)
    queries_ = np.concatenate([qv, real[np.random.default_rng(SEED).choice(len(real), 64, replace=False)]])
    return bench_ann.run(real, queries_, workdir, log=log, index=index)


def _meets(key: str, value) -> bool:
    target, kind = TARGETS[key]
    return value >= target if kind == "min" else value <= target


def format_table(result: dict) -> str:
    """The headline figures with their targets, one line each, then the 1M and SPARQL details when measured."""
    lines = [f"{'figure':<24} {'measured':>12} {'target':>10}  ok", "-" * 54]
    for key, (target, kind) in TARGETS.items():
        if key in result:
            mark = "yes" if result["meets"][key] else "NO"
            lines.append(f"{key:<24} {result[key]:>12,} {('≥ ' if kind == 'min' else '≤ ') + format(target, ','):>10}  {mark}")
    if "scale_corpus" in result:  # not in a --study-1m run
        lines.append(f"\nsearch corpus: {result['scale_corpus']['how']}")
        lines.append(f"bare search parts p50 (ms): {result['bare_parts_p50_ms']}")
    if "increment" in result:
        i = result["increment"]
        lines.append("\nincrement (s, peak MiB): into an empty directory | into the scaled one | ratios")
        for m in ("small", "meeting30"):
            v = i[m]
            lines.append(f"  {v['points']:>3}-point meeting  {v['empty_s']:>6} {v['empty_peak_mb']:>7} | {v['grown_s']:>6} "
                         f"{v['grown_peak_mb']:>7} | {v['wall_ratio']} {v['peak_ratio']}")
        lines.append(f"  after {i['increments']} more: {i['segments_after']} segments, search p50/p95 {i['search_p50_ms']}/"
                     f"{i['search_p95_ms']} ms; one ingest p50 {i['increment_s_p50']} s, max {i['increment_s_max']} s; "
                     f"compact {i['compact_s']} s, {i['compact_peak_mb']} MiB")
    if "sparql" in result:
        lines.append("\nSPARQL research queries (s): oxigraph | rdflib API over oxigraph | rdflib memory")
        mem = result["sparql"].get("rdflib_memory", {}).get("queries", {})
        via = result["sparql"].get("rdflib_api_over_oxigraph", {})
        for title, v in result["sparql"]["oxigraph"].items():
            r = via.get(title, {}).get("s", "-")
            m = mem.get(title, {}).get("s", "-" if "rdflib_memory" not in result["sparql"] else "timeout")
            lines.append(f"  {title[:60]:<60} {v['s']:>7} | {r:>7} | {m:>7}  ({v['rows']} rows)")
    if "sparql_increment" in result:
        i = result["sparql_increment"]
        lines.append(f"\nSPARQL after one meeting ingested ({i['points_added']} points): `councilkg sparql` count of points "
                     f"{i['cli_before_s']} s before, {i['cli_first_s']} s first after, {i['cli_again_s']} s again; in a worker's "
                     f"memory copy {i['memory_before_s']} / {i['memory_first_s']} / {i['memory_again_s']} s; ingest {i['ingest_s']} s "
                     f"of which the store's update {i['ingest_rdf_update_s']} s; a full build of the store {i['rebuild_s']} s")
    if "increment_sent" in result.get("push_increment", {}):
        p = result["push_increment"]
        lines.append(f"\n--push after one meeting ingested: its changes {p['increment_sent']} triples in {p['increment_push_s']} s, "
                     f"against the whole graph {p['whole_sent']} triples in {p['whole_push_s']} s (ratio {p['push_ratio']})")
    if "ann_1m" in result:
        a = result["ann_1m"]
        lines.append(f"\n1M vectors ({a['dim']}-d, exact p50 {a['exact']['p50_ms']} ms): build s, p50/p95 ms, recall@10, index MiB")
        for name, v in a.items():
            if isinstance(v, dict) and "recall_at_10" in v:
                lines.append(f"  {name:<30} {v['build_s']:>7} {v['p50_ms']:>7}/{v['p95_ms']:<7} {v['recall_at_10']:>6} {v['index_mb'] or '-':>8}")
    if "backend" in result:
        from councilkg.web.bench.backend import format_rows

        lines += format_rows(result["backend"])
    if "harvest" in result:
        h = result["harvest"]
        lines.append(f"\nharvest, delay {h['delay_s']} s (bound of the slowest site {h['bound_s']} s): wall s, walks end s, meetings, commits")
        for k in ("one", "four", "all"):
            lines.append(f"  {h[k]['sites']:>3} sites {h[k]['wall_s']:>8} {h[k]['walk_s']:>8} {h[k]['meetings']:>6} {h[k]['commits']:>4}")
    lines.append("\nstages (s): " + ", ".join(f"{k} {v}" for k, v in result["stage_s"].items()))
    lines.append(f"\nload average {result['load_avg_start']} -> {result['load_avg_end']} on {result['cpus']} CPUs; total {result['total_s']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    res = bench(quick="--quick" in sys.argv)
    print(json.dumps(res, indent=1) if "--json" in sys.argv else format_table(res))
