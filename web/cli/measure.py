"""Commands that measure: ranking quality on the labelled queries (evaluate) and speed and memory (bench)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from councilkg.web.cli.common import data_option


@click.command()
@data_option
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Labelled queries (JSON).")
@click.option("--json", "as_json", is_flag=True)
def evaluate(data_dir, queries, as_json):
    """nDCG@5 of lexical-only, vector-only and hybrid ranking on the labelled query set."""
    from councilkg.embed.evaluate import evaluate as run, format_table

    report = run(data_dir, queries)
    click.echo(json.dumps(report, indent=1) if as_json else format_table(report))


@click.command()
@click.option("--quick", is_flag=True, help="Small ingest sample, cached 100k search corpus, no load test or 1M study.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="Where the scaled corpora are built and cached.")
@click.option("--index", metavar="SPEC", help="Also measure this index backend (milvus:URI) side by side with FAISS.")
@click.option("--study-1m", "study_only", is_flag=True, help="Only the 1M-vector index study (with --index, that backend's HNSW too).")
@click.option("--harvest", "harvest_only", is_flag=True, help="Only the many-site harvest against stand-in sites on loopback.")
def bench(quick, as_json, workdir, index, study_only, harvest_only):
    """Measure ingest, search, memory, SPARQL and cold-start against the targets (see README, Performance)."""
    from councilkg.web.bench.run import bench as run, format_table

    result = run(quick=quick, workdir=workdir, index=index, study_only=study_only, harvest_only=harvest_only)
    click.echo(json.dumps(result, indent=1) if as_json else format_table(result))


COMMANDS = (evaluate, bench)
