"""Whether a council's later debate point takes up an inspection recommendation: a logistic regression over signals ingest
already has (cosines of the point and of its agenda item, word overlap, how the pair ranks among the council's other recommendations). Weights:
graph/data/followup_model.npz, rebuilt by `python -m councilkg.embed.train_followups DIR` from tests/gold/followups.json;
inference is numpy only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = Path(__file__).parent / "data" / "followup_model.npz"
ENV = "COUNCILKG_FOLLOWUP_MODEL"  # another model file to use instead (a retrained one on trial)
MIN_PRECISION = 0.8  # issue 20: follow-up links only where labelled pairs show at least this precision
# One column per signal, in this order (embed/followup.features computes them).
FEATURES = ("cos_best", "cos_item", "overlap_idf", "z_among_recs", "inv_rank_among_recs")


@dataclass(frozen=True)
class Model:
    """Standardised logistic regression, its decision threshold, and what it was measured at before shipping."""

    w: np.ndarray
    b: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float  # a pair is linked at or above this probability
    encoder: str
    cv_precision: float  # the threshold's precision cross-validated on the train split (grouped by meeting)
    heldout_precision: float  # on the councils set aside before training
    heldout_recall: float

    @property
    def trusted(self) -> bool:
        """Whether ingest may link with it: only when both the cross-validated and the held-out precision reach the bar."""
        return min(self.cv_precision, self.heldout_precision) >= MIN_PRECISION

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.w + self.b)))


@lru_cache(maxsize=1)
def model() -> Model | None:
    """The shipped model (or the file $COUNCILKG_FOLLOWUP_MODEL names), or None when absent (then nothing is linked)."""
    path = Path(os.environ.get(ENV) or MODEL)
    if not path.exists():
        return None
    z = np.load(path, allow_pickle=False)
    return Model(z["w"], float(z["b"]), z["mean"], z["scale"], float(z["threshold"]), str(z["encoder"]),
                 float(z["cv_precision"]), float(z["heldout_precision"]), float(z["heldout_recall"]))


def save(m: Model, path: Path = MODEL) -> None:
    """Write the model atomically."""
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, w=m.w, b=np.float64(m.b), mean=m.mean, scale=m.scale, threshold=np.float64(m.threshold),
             encoder=np.str_(m.encoder), cv_precision=np.float64(m.cv_precision),
             heldout_precision=np.float64(m.heldout_precision), heldout_recall=np.float64(m.heldout_recall))
    tmp.replace(path)
    model.cache_clear()


def active() -> Model | None:
    """The model ingest links with: the configured one when it is trusted, else None (no follow-up work at all)."""
    m = model()
    return m if m is not None and m.trusted else None
