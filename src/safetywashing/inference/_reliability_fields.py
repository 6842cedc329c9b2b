"""Reliability fields of an analysis: item counts from the registry (or the caller) -> per-row figures."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .._util.errors import InputError
from .._util.io import data_path
from ..sources._matrix import ScoreMatrix
from ..sources._registry import accuracy_from_stored
from ._reliability import disattenuated, reliability_from_counts


@lru_cache(maxsize=1)
def item_counts() -> pd.DataFrame:
    """Public item counts of the panels' benchmarks: ``n_items``, ``split``, ``source`` indexed by id."""
    df = pd.read_csv(data_path("registry", "benchmark_items.csv"), dtype={"n_items": float}, keep_default_na=False)
    return df.set_index("id")


def reliability_fields(
    matrix: ScoreMatrix, scores: np.ndarray, r: np.ndarray, n_items: dict[str, float] | None = None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """``n_items``, ``reliability``, ``noise_ceiling``, ``disattenuated_correlation`` per column (NaN = none).

    Item counts: ``n_items`` (the caller's, e.g. ``--n-items``) over the
    registry's. Computed over the models with the benchmark and a capabilities
    score (the row's models), for columns whose values lie in [0, 1]
    (fraction-scale accuracies); a caller's count on a column outside [0, 1]
    is reported in a note. The binomial noise is that of the raw accuracy: a
    column stored on a rescaled registry scale (WMDP, ``1 - (acc - 0.25)/0.75``)
    is mapped back to accuracy first (reliability is invariant to an affine
    rescaling of the accuracy, not to one applied before ``p (1 - p)``).
    """
    cols = list(matrix.scores.columns)
    reg = item_counts()["n_items"].to_dict()
    given = dict(n_items or {})
    unknown = [c for c in given if c not in cols]
    if unknown:
        where = matrix.source or matrix.name
        raise InputError(f"--n-items: no benchmark column {', '.join(repr(c) for c in unknown)} in {where}")
    bad = [c for c, v in given.items() if not (isinstance(v, (int, float)) and v >= 1)]
    if bad:
        raise InputError(f"--n-items: item count of {', '.join(bad)} must be a whole number >= 1")
    counts = np.array([float(given.get(c, reg.get(c, np.nan))) for c in cols])
    x = np.column_stack([accuracy_from_stored(c, matrix.scores[c].to_numpy(dtype=float)) for c in cols]) if cols else (
        matrix.scores.to_numpy(dtype=float)
    )
    x = np.where(np.isnan(np.asarray(scores, dtype=float))[:, None], np.nan, x)
    rel = reliability_from_counts(x, counts)
    notes = []
    outside = [c for c, k, v in zip(cols, counts, rel.reliability) if c in given and np.isnan(v) and np.isfinite(k)]
    if outside:
        notes.append(
            f"no reliability for {', '.join(outside)}: values must be accuracies on the 0-1 scale "
            "(with >= 3 models and some spread)"
        )
    has = ~np.isnan(rel.reliability)
    fields = {
        "n_items": np.where(has, counts, np.nan),
        "reliability": rel.reliability,
        "noise_ceiling": rel.noise_ceiling,
        "disattenuated_correlation": disattenuated(r, rel.noise_ceiling),
    }
    return fields, notes
