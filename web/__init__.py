"""The data directory out to people and programs. The web stage takes a data directory written by the earlier stages
and gives the `councilkg` CLI (cli) and a Flask app over it: HTML pages (views), the JSON API (api), linked data at
each resource's IRI (linked) and a SPARQL endpoint (sparql_endpoint, run in sparql_pool's worker processes). app only
assembles them and only serve, which runs it on waitress, imports it; errors holds the typed errors and limits,
services the per-request database read and the shared Searcher and SPARQL pool; entities, kinds and councils load
each kind of node as one Entity (registered in loaders) from the SPARQL store (graph_store: the data directory's own
or a remote one), and present and graphview shape them for templates. bench, the
benchmark, is a package of its own that only the CLI's `bench` command imports."""
