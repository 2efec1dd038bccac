"""A whole push that fails partway is finished by the next one from the parts the store holds, not from the first: the
marker records each part the store acknowledged, the rerun checks those parts against the snapshot's stream and sends
the rest, then the changes since, if the data moved on (a real `oxigraph serve`, behind a stand-in of our own on
loopback that refuses requests after a given number)."""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from councilkg.graph import push, rdf, rdf_store, store
from councilkg.web.graph_store import GraphStore
from reliability import copy_data, push_kill_trials
from sparql_server import oxigraph_serve
from test_push_diff import pushed, remote
from test_push_web import own
from test_rdf import build_sample
from test_rdf_store import commit, copies

CHUNK = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@contextmanager
def refusing(upstream: str):
    """A loopback stand-in forwarding to the store, which answers 503 to every data write after `allow` of them."""
    state = {"allow": None, "writes": 0}

    class Forward(http.server.BaseHTTPRequestHandler):
        def _any(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if self.command in ("PUT", "POST") else None
            data_write = body is not None and "push%2F" not in self.path  # not the marker graph
            if data_write:
                state["writes"] += 1
                if state["allow"] is not None and state["writes"] > state["allow"]:
                    self.send_response(503, "stand-in refusing")
                    self.end_headers()
                    return
            req = urllib.request.Request(upstream + self.path, data=body, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")})
            try:
                with urllib.request.urlopen(req) as resp:
                    code, out, media = resp.status, resp.read(), resp.headers.get("Content-Type")
            except urllib.error.HTTPError as err:
                code, out, media = err.code, err.read(), err.headers.get("Content-Type")
            self.send_response(code)
            if media:
                self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_PUT = do_POST = do_DELETE = _any

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", state
    finally:
        httpd.shutdown()


def size(data) -> int:
    return len(rdf.build_graph(store.connect(data, readonly=True)))


def failed_whole_push(data, url: str, state: dict, allow: int) -> None:
    state.update(allow=allow, writes=0)
    with pytest.raises(push.PushError, match="503"):
        push.sync(data, url, chunk=CHUNK, settle=0)
    state["allow"] = None


def test_a_failed_whole_push_resumes_from_the_parts_the_store_holds(server, tmp_path):
    data = build_sample(tmp_path / "data")
    total = size(data)
    assert total > 8 * CHUNK
    with refusing(server) as (url, state):
        failed_whole_push(data, f"{url}/store", state, allow=5)
        graph = own(data)[1]
        assert len(remote(data, server)) == 5 * CHUNK  # the PUT and four POSTs: what the store holds of the graph
        assert graph not in GraphStore(f"{server}/query").graphs()  # which readers leave out until it is whole
        done = pushed(data, f"{url}/store")
    assert done.resumed == (1, 5) and done.since == 1 and done.sent == total - 5 * CHUNK  # only the rest is sent
    assert graph in GraphStore(f"{server}/query").graphs()


def test_the_data_moved_on_the_rest_then_the_changes(server, tmp_path):
    data = build_sample(tmp_path / "data")
    total = size(data)
    with refusing(server) as (url, state):
        failed_whole_push(data, f"{url}/store", state, allow=3)
        more = copies(tmp_path / "more", 3)
        for k in range(rdf_store.SNAP_KEEP + 1):  # generations 2..4; the store holds 3 parts of generation 1
            commit(data, more[k:k + 1])
            rdf_store.sync(data)  # snapshots past the newest two are pruned, but not the interrupted push's
        done = pushed(data, f"{url}/store")
    assert done.resumed == (1, 3) and done.since == 1 and done.generation == 2 + rdf_store.SNAP_KEEP
    changes = done.sent - (total - 3 * CHUNK)
    assert 0 < changes < total / 4, done  # the rest of generation 1, then only what the later generations changed


def test_parts_that_differ_from_the_record_are_sent_again_whole(server, tmp_path):
    data = build_sample(tmp_path / "data")
    with refusing(server) as (url, state):
        failed_whole_push(data, f"{url}/store", state, allow=4)
        graph = own(data)[1]
        mark = push._target(f"{server}/store", push._mark_graph(graph))
        held = push.marker_holds(f"{server}/store", graph)[1]
        push._put_mark(server, mark, f'<{graph}> <{push.PARTIAL}> "{held[0]} {rdf_store.fingerprint()} {held[1]} 4 {"0" * 40}" .')
        done = pushed(data, f"{url}/store")
    assert done.resumed is None and done.since is None and done.sent == len(own(data)[0])


PUSH = "import sys\nfrom councilkg.graph import push\nprint('ready', flush=True)\npush.sync(sys.argv[1], chunk=int(sys.argv[2]), settle=0)\n"


@pytest.mark.slow
def test_sigkill_during_a_whole_push_then_the_rerun_sends_the_rest(server, tmp_path):
    base = build_sample(tmp_path / "base")
    con = store.connect(base)
    store.set_state(con, "push", f"{server}/store")
    con.close()
    rdf_store.sync(base)  # the local store each copy starts with, so that the push itself is what the kills land in
    total = size(base)
    outcomes = []
    for n, at, alive, data in push_kill_trials(lambda n: copy_data(base, tmp_path / f"trial-{n}"),  # each its own graph
                                               (0.2, 0.4, 0.6, 0.8), PUSH, "20"):
        done = pushed(data)  # the rerun ends equal to the export (checked in pushed)
        outcomes.append((n, at, alive, done.resumed, done.sent))
        if done.resumed:  # nothing the marker says the store held is sent again
            assert done.sent == total - done.resumed[1] * 20, outcomes
    print(f"\n{total} triples in parts of 20; trial, killed at (s), was running, resumed (generation, parts held), sent:")
    for o in outcomes:
        print("  ", *o)
    assert sum(o[2] for o in outcomes) >= 2, "too few kills landed while the push ran"
    assert any(o[3] for o in outcomes), "no rerun resumed"
