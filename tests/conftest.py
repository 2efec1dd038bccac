"""Shared fixtures: the sample corpus is ingested once per session, with the real model and indexes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from engines import milvus  # noqa: F401 - the session's milvus-lite server, for tests that ask for it

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "sample"
SHARED = ROOT.parent / "shared"
COUNCILKG = Path(sys.executable).parent / "councilkg"  # the installed console script, as users run it
KENT_ITEMS = SHARED / "data" / "kent-items"
KENT_PDF = SHARED / "data" / "kent-pdf"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def need(path: Path) -> Path:
    """Skip (not fail) when ../shared is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def month_dated_sample(src: Path) -> Path:
    """The sample's Lincolnshire minutes alone in src (made), with a manifest that dates the meeting to the month (2015-06)."""
    import shutil

    src.mkdir()
    header, *rows = (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines()
    row = next(r for r in rows if r.startswith("004"))
    shutil.copy(SAMPLE / row.split(",")[0], src)
    (src / "manifest.csv").write_text(f"{header}\n{row.replace(',2015-06-05,', ',2015-06,')}\n", encoding="utf-8")
    return src


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory) -> Path:
    """A data directory holding the shipped sample corpus."""
    from councilkg.embed.pipeline import ingest

    data = tmp_path_factory.mktemp("sample-data")
    report = ingest([str(SAMPLE)], data)
    assert report.ingested == 5 and not report.failed, report
    return data


@pytest.fixture(scope="session")
def full_data(tmp_path_factory) -> Path:
    """The sample corpus plus the Kent agenda items from ../shared (skipped when absent)."""
    from councilkg.embed.pipeline import ingest

    need(KENT_ITEMS)
    data = tmp_path_factory.mktemp("full-data")
    report = ingest([str(SAMPLE), str(KENT_ITEMS)], data)
    assert not report.failed, report.failed
    return data
