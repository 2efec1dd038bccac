"""`councilkg serve`: the app on waitress, a production WSGI server (never Flask's debug server)."""

from __future__ import annotations

import logging
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_THREADS = 8


def serve(data_dir: str | Path | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, threads: int = DEFAULT_THREADS,
          warm: bool = True, ready=None, *, index: str | None = None, sparql: str | None = None) -> None:
    """Serve until interrupted; `ready(server)` is called once the socket listens (tests use it to learn the port).

    With data_dir None the server is stateless: search over every shard of `index` (milvus:URI), pages from the
    SPARQL store at `sparql`; it fails now, in one line naming the URI, if the index does not answer."""
    from waitress import create_server

    from councilkg.web.app import create_app

    if data_dir is not None:
        from councilkg.graph import store

        store.connect(data_dir, readonly=True).close()  # fail now, in one line, if there is no data here
    app = create_app(data_dir, index=index, sparql=sparql)
    services = app.extensions["councilkg"]
    if warm:
        services.warm()
    elif data_dir is None:
        services.searcher.shards()  # at least: is the index there and does it answer
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = create_server(app, host=host, port=port, threads=threads, ident="councilkg",
                           channel_timeout=60, connection_limit=200, max_request_body_size=1 << 20, clear_untrusted_proxy_headers=True)
    what = data_dir if data_dir is not None else f"{index} and {sparql}"
    logging.getLogger("councilkg.web").info("serving %s on http://%s:%s/", what, host, server.effective_port)
    if ready is not None:
        ready(server)
    try:
        server.run()
    finally:
        server.close()
