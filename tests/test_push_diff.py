"""A push sends only what changed since the generation the store's graph holds: after any sequence of commits the
remote graph equals the export, the triples sent are exactly what the remote graph gained and lost, and a failed or
killed push is finished by the next one from what the store holds (a real `oxigraph serve` on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib.compare import isomorphic

from conftest import SAMPLE
from councilkg.graph import push, rdf_store, store
from councilkg.web.cli import main
from reliability import copy_data, push_kill_trials
from sparql_server import free_port, oxigraph_serve
from test_push_web import named_graph, own
from test_rdf import build_sample, drop_haringey
from test_rdf_store import commit, copies


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


def pushed(data_dir: Path, url: str | None = None) -> push.Pushed:
    """One push as `ingest --push` does it (under the ingest lock), then the remote graph checked against the export."""
    from councilkg.embed.pipeline import exclusive

    with exclusive(data_dir):
        done = push.sync(data_dir, url)
    export, iri = own(data_dir)
    assert iri == done.graph and isomorphic(named_graph(done.url.removesuffix("/store"), iri), export)
    return done


def remote(data_dir: Path, base: str) -> set:
    return set(named_graph(base, own(data_dir)[1]))


def test_a_sequence_of_commits_sends_only_the_changes(server, tmp_path):
    data = build_sample(tmp_path / "data")
    more = copies(tmp_path / "more", 12)
    first = pushed(data, f"{server}/store")
    assert first.since is None and first.sent == len(own(data)[0])  # the first push replaces the whole graph
    steps = (("add 12 documents", lambda: commit(data, more)),
             ("change one document, with concepts no scheme declares", lambda: commit(data, more[:1], made_up=True)),
             ("delete a council's only document", lambda: drop_haringey(data)),
             ("change it back", lambda: commit(data, more[:1])),
             ("nothing", lambda: None))
    sent = {}
    for name, step in steps:
        before, gen = remote(data, server), rdf_store.generation(store.connect(data, readonly=True))
        step()
        done = pushed(data)
        after = remote(data, server)
        assert done.sent == len(before ^ after), name  # exactly what the graph lost and gained, nothing re-sent
        assert done.since == (gen if name != "nothing" else None) or (name == "nothing" and done.sent == 0), name
        sent[name] = done.sent
    total = len(own(data)[0])
    print(f"\ntriples sent per push ({total} in the graph):", sent)
    assert 0 < sent["change one document, with concepts no scheme declares"] < 40 < total / 20, sent
    assert sent["change it back"] == sent["change one document, with concepts no scheme declares"]
    assert sent["delete a council's only document"] > 50  # the document, its meeting and its council went


def test_store_down_then_the_next_push_sends_only_the_changes(tmp_path):
    data = build_sample(tmp_path / "data")
    port = free_port()
    with oxigraph_serve(tmp_path / "ox", port) as base:
        pushed(data, f"{base}/store")
        before = remote(data, base)
    commit(data, copies(tmp_path / "more", 2))
    with pytest.raises(push.PushError, match="refused"):
        push.sync(data)
    assert push.state(store.connect(data, readonly=True))["pending"]
    commit(data, copies(tmp_path / "more", 1, prefix="000"))
    with oxigraph_serve(tmp_path / "ox", port) as base:  # the same store, back
        done = pushed(data)
        assert done.since == 1 and done.sent == len(before ^ remote(data, base))
    with oxigraph_serve(tmp_path / "ox-empty", port) as base:  # an empty store at the same address: its graph has no marker
        commit(data, copies(tmp_path / "more", 1, prefix="001"))
        done = pushed(data)
        assert done.since is None and done.sent == len(remote(data, base))


def test_the_pushed_generations_snapshot_outlives_pruning(server, tmp_path):
    data = build_sample(tmp_path / "data")
    pushed(data, f"{server}/store")
    more = copies(tmp_path / "more", 3)
    for k in range(rdf_store.SNAP_KEEP + 2):  # generations the store snapshots while nothing is pushed
        commit(data, more[k % 3:k % 3 + 1])
        rdf_store.sync(data)
    assert rdf_store.snapshot_path(data, 1).is_dir()
    assert pushed(data).since == 1
    commit(data, more[:1])
    rdf_store.sync(data)  # the next generation's snapshot prunes
    assert not rdf_store.snapshot_path(data, 1).is_dir()  # unpinned once the store holds a newer generation


def test_an_endpoint_refusing_updates_gets_the_whole_graph(server, tmp_path, monkeypatch):
    assert push.update_endpoint(f"{server}/store") == f"{server}/update"
    assert push.update_endpoint("http://h/ds/data") == "http://h/ds/update" and push.update_endpoint("http://h/gsp") is None
    data = build_sample(tmp_path / "data")
    pushed(data, f"{server}/store")
    commit(data, copies(tmp_path / "more", 1))
    monkeypatch.setattr(push, "update_endpoint", lambda url: f"{server}/no-such-endpoint")  # the real server answers 404
    done = pushed(data)
    assert done.since is None and done.sent == len(own(data)[0])
    monkeypatch.undo()
    commit(data, copies(tmp_path / "more", 2))
    assert pushed(data).since == 2  # the marker the whole replacement wrote lets the next push diff again


def test_a_push_the_store_applied_but_the_writer_never_recorded(server, tmp_path):
    """Killed after the store committed the update, before `pushed` was written: the marker says the store is current."""
    data = build_sample(tmp_path / "data")
    pushed(data, f"{server}/store")
    con = store.connect(data)
    acknowledged = store.get_state(con, "pushed")
    commit(data, copies(tmp_path / "more", 2))
    assert pushed(data).since == 1
    store.set_state(con, "pushed", acknowledged)  # as if the answer never came back
    assert push.state(con)["pending"]
    done = pushed(data)
    assert (done.since, done.sent) == (2, 0) and not push.state(con)["pending"]
    con.close()


def test_two_writers_graphs_stay_separate(server, tmp_path):
    a, b = build_sample(tmp_path / "a"), build_sample(tmp_path / "b")
    pushed(a, f"{server}/store")
    pushed(b, f"{server}/store")
    held_b = remote(b, server)
    commit(a, copies(tmp_path / "more", 3))
    drop_haringey(a)
    assert pushed(a).since == 1
    assert remote(b, server) == held_b and own(a)[1] != own(b)[1]


def test_ingest_push_says_it_sent_the_changes(server, sample_data, tmp_path):
    data = copy_data(sample_data, tmp_path / "data")
    r = CliRunner().invoke(main, ["ingest", str(SAMPLE), "--data", str(data), "--push", f"{server}/store"])
    assert "the whole graph" in r.output, r.output
    commit(data, copies(tmp_path / "more", 1))
    r = CliRunner().invoke(main, ["ingest", str(SAMPLE), "--data", str(data)])
    assert "the changes since generation" in r.output, r.output
    export, iri = own(data)
    assert isomorphic(named_graph(server, iri), export)


PUSH = "import sys\nfrom councilkg.graph import push\nprint('ready', flush=True)\npush.sync(sys.argv[1])\n"


@pytest.mark.slow
def test_sigkill_during_a_push_then_the_next_push_ends_equal(server, tmp_path):
    base = build_sample(tmp_path / "base")
    more = copies(tmp_path / "more", 120)

    def trial(n: int) -> Path:
        data = copy_data(base, tmp_path / f"trial-{n}")  # a copy: its own graph in the store
        pushed(data, f"{server}/store")
        commit(data, more)
        return data

    outcomes = []
    for n, at, alive, data in push_kill_trials(trial, (0.1, 0.3, 0.5, 0.7, 0.9), PUSH):
        done = pushed(data)  # the rerun: from the generation the store's graph holds, whichever that is
        outcomes.append((n, at, alive, done.since, done.sent))
        assert done.since in (1, 2) or (done.since, done.sent) == (None, 0)  # (the push finished before the kill: recorded)
    print("\ntrial, killed at (s), was running, rerun diffed from, sent:")
    for o in outcomes:
        print("  ", *o)
    assert sum(o[2] for o in outcomes) >= 3, "too few kills landed while the push ran"
