"""Truth for item headings where nothing was tuned: line-level precision and recall and the item count per file, on
the labelled files of councils held out from training (`python -m pytest -s tests/test_items_truth.py` prints the table)."""

from __future__ import annotations

import json
import time

import pytest
from conftest import SHARED

from councilkg.corpus import item_headings, train_lines


@pytest.fixture(scope="module")
def results():
    return train_lines.report()


def test_held_out_councils_never_trained_on():
    train = {f.council for f in train_lines.labelled_files("train")}
    test = {f.council for f in train_lines.labelled_files("test")}
    assert test and not train & test


def test_held_out_precision_and_item_counts(results):
    held = results["test"]
    assert held["files"] >= (17 if (SHARED / "data" / "limerick-2016").exists() else 7)
    assert held["precision"] >= 0.9
    assert held["within_40"] >= 0.8 * held["files"]


def test_model_is_small_and_loads_within_a_second():
    item_headings.load_model.cache_clear()
    start = time.perf_counter()
    weights, thresholds = item_headings.load_model()
    assert time.perf_counter() - start < 1.0
    assert item_headings.MODEL.stat().st_size < 20_000 and len(weights) == len(train_lines.NAMES)
    assert set(thresholds) == {"line", "shape", "unnumbered"}


@pytest.mark.slow
def test_the_script_rebuilds_the_shipped_model():
    """Retraining on the labelled training files gives the shipped weights and thresholds (needs ../shared, sklearn)."""
    pytest.importorskip("sklearn")
    if not (SHARED / "data" / "limerick-2016").exists():
        pytest.skip("../shared not available")
    rebuilt = train_lines.train(train_lines.labelled_files("train"))
    shipped = json.loads(item_headings.MODEL.read_text(encoding="utf-8"))
    assert rebuilt["thresholds"] == shipped["thresholds"]
    assert rebuilt["weights"] == pytest.approx(shipped["weights"], abs=1e-3)
