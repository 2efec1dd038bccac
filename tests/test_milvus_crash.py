"""SIGKILL `councilkg ingest` into Milvus mid-build, once built, and around the commit: the alias never points at a half-built
collection, the data directory answers as before (or, once committed, as after), and a rerun ends as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import COUNCILKG
from reliability import answers, cli, seed_variant
from test_milvus import state, to_milvus


def committed(data) -> int:
    return int(state(data, "generation") or 0)


def _count(client, name: str) -> int:
    client.load_collection(name)
    return client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]


def milvus_view(client, instance: str) -> dict:
    """Where the alias points and, per generation of this instance, its collections' row counts."""
    from councilkg.embed.milvus import parse_collection
    from councilkg.embed.milvus_build import alias_generation

    gens: dict[int, dict[str, int]] = {}
    for name in client.list_collections():
        found = parse_collection(name)
        if found and found[0] == instance:
            gens.setdefault(found[1], {})[found[2]] = _count(client, name)
    return {"alias": alias_generation(client, instance), "generations": gens}


# When to freeze the ingest (SIGSTOP), inspect, then SIGKILL it: each a condition polled on Milvus or the database.
def _has(kind: str):
    def cond(client, instance, gen, data):
        from councilkg.embed.milvus import collection

        return client.has_collection(collection(instance, gen, kind))
    return cond


def _gen_dir_begun(client, instance, gen, data):
    """The generation directory is written only after both collections are flushed and loaded."""
    return (data / "index" / f"gen-{gen:06d}.tmp").exists() or (data / "index" / f"gen-{gen:06d}").exists()


TRIGGERS = {
    "points collection appears": _has("_points"),  # points being written: mid-build
    "passages collection appears": _has("_passages"),  # points done, passages being written
    "generation directory begun": _gen_dir_begun,  # built; the point table, the rename and the commit follow
    "database committed": lambda client, instance, gen, data: committed(data) >= gen,  # the alias moves next
}


@pytest.fixture(scope="module")
def world(sample_data, milvus, tmp_path_factory):
    """A batch, and the answers and Milvus state an uninterrupted run gives on a Milvus copy of the sample."""
    root = tmp_path_factory.mktemp("milvus-crash")
    batch = root / "batch"
    batch.mkdir()
    for seed in ("000", "004"):
        seed_variant(seed, batch / f"variant_{seed}.txt", "milvus-crash")
    ref = to_milvus(sample_data, root / "ref", milvus.uri)
    gen = committed(ref) + 1
    t0 = time.monotonic()
    res = subprocess.run([str(COUNCILKG), "ingest", str(batch), "--data", str(ref)], capture_output=True, text=True,
                         env=dict(os.environ, HF_HUB_OFFLINE="1"))
    print(f"\nuninterrupted ingest of the batch into Milvus: {time.monotonic() - t0:.1f} s")
    assert res.returncode == 0, res.stderr
    view = milvus_view(milvus.client(), state(ref, "instance"))
    assert view["alias"] == gen and set(view["generations"]) == {gen - 1, gen}
    return {"root": root, "batch": batch, "gen": gen, "after": answers(ref), "full": view["generations"][gen]}


def test_sigkill_during_a_milvus_ingest(world, sample_data, milvus):
    client = milvus.client()
    outcomes = []
    for n, (label, cond) in enumerate(TRIGGERS.items()):
        data = to_milvus(sample_data, world["root"] / f"trial-{n}", milvus.uri)
        instance, old = state(data, "instance"), committed(data)
        before = answers(data)
        proc = subprocess.Popen([str(COUNCILKG), "ingest", str(world["batch"]), "--data", str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        while proc.poll() is None and not cond(client, instance, world["gen"], data):
            time.sleep(0.002)
        running = proc.poll() is None
        if running:
            os.kill(proc.pid, signal.SIGSTOP)  # frozen while we look, so what we see is where it was killed
        view, gen = milvus_view(client, instance), committed(data)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        new = view["generations"].get(world["gen"], {})
        # the alias is on a committed generation, never ahead of the database, and that generation is whole
        assert view["alias"] <= gen and view["generations"][view["alias"]]["_points"] > 0, (label, view)
        assert view["alias"] < world["gen"] or new == world["full"], (label, view)
        if gen == old:
            where = "built, not committed" if new == world["full"] else "mid-build" if new else "before the build"
            assert answers(data) == before, label
        else:
            where = "committed, alias " + ("moved" if view["alias"] == gen else "behind")
            assert answers(data) == world["after"], label
            assert milvus_view(client, instance)["alias"] == gen, "the data directory's Searcher brings the alias up"
        res = cli("ingest", str(world["batch"]), "--data", str(data))
        assert res.exit_code == 0, res.output
        again = milvus_view(client, instance)
        assert committed(data) == world["gen"] and again["alias"] == world["gen"], (label, again)
        assert set(again["generations"]) == {world["gen"] - 1, world["gen"]} and again["generations"][world["gen"]] == world["full"]
        assert answers(data) == world["after"], label
        outcomes.append((label, running, where, view["alias"], sorted(view["generations"])))
    print("\ntrigger, was running, state when killed, alias generation, generations in Milvus:")
    for o in outcomes:
        print("  ", *o)
    seen = {o[2] for o in outcomes}
    assert {"mid-build", "built, not committed", "committed, alias behind"} <= seen, outcomes
