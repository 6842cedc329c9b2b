"""Uncertainty of a capabilities analysis whose score comes from the logistic capability model.

The counterpart of :func:`safetywashing.inference._sensitivity.extend` for
``score_method="irt"``. The PCA engine recomputes PC1 inside every bootstrap
resample; refitting the logistic model thousands of times is too slow for a
default run, so here each resample (a) resamples the models with replacement
and (b) draws every drawn model's capabilities score from N(estimate, SE^2),
its sampling distribution under the fit; the benchmarks' difficulties and
slopes stay at the full fit (their uncertainty is part of each SE). The
extra noise drawn into the scores pulls the resampled correlations toward 0
(attenuation), so a plain percentile interval can miss its own point
estimate. The intervals are therefore percentile intervals moved so that the
resampled correlations' median sits on the estimate (:func:`centred_interval`;
bounds clipped to [-1, 1]): they keep the width that both sources of
uncertainty give and are centred on the estimate. (A bias-corrected
percentile interval was tried and rejected: with the attenuation larger than
the spread, as for correlations near 1, it collapses onto the largest
resamples.)

Pure functions: no printing, no I/O; random draws only from the given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..sources._matrix import ScoreMatrix
from ._draws import bootstrap_correlations, centred_interval
from ._sensitivity import effect_fields, permutation_fields

INTERVAL_METHOD_IRT = (
    "median-centred percentile bootstrap: models resampled and each model's capabilities score drawn from "
    "N(estimate, SE^2) in every resample (capability model's benchmark parameters fixed at the full fit)"
)


def extend_irt(
    matrix: ScoreMatrix,
    caps: list[str],
    method: str,
    scores: np.ndarray,
    se: np.ndarray,
    r_point: np.ndarray,
    *,
    bootstrap: int = 0,
    ci: float = 0.95,
    seed: int | None = None,
    permutations: int = 0,
    compute: str | None = None,
    sensitivity: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any], list[str]]:
    """Per-benchmark extra fields, settings and notes (the shape of ``_sensitivity.extend``'s return)."""
    x = matrix.scores.to_numpy(dtype=float)
    n, p = x.shape
    cols = list(matrix.scores.columns)
    is_cap = np.isin(cols, caps)
    fields: dict[str, np.ndarray] = {}
    settings: dict[str, Any] = {}
    notes: list[str] = []
    effect_fields(x, scores, is_cap, matrix, compute, method, fields, settings, notes)
    if seed is None and (bootstrap or permutations):
        seed = int(np.random.SeedSequence().entropy)
    if bootstrap or permutations:
        settings["seed"] = seed
    if sensitivity:
        notes.append("leave-one-out ranges are computed for the PCA score only (--score-method pca); not for this model")
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        keep = ~np.isnan(scores)
        r_b = bootstrap_correlations(x[keep], scores[keep], se[keep], method=method, n_boot=bootstrap, rng=rng,
                                     progress=progress)
        lo, hi = centred_interval(r_point, r_b, ci)
        used = (~np.isnan(r_b)).sum(axis=0)
        undefined = np.isnan(r_point)
        lo[undefined] = hi[undefined] = np.nan
        fields["ci_low"], fields["ci_high"], fields["n_boot_used"] = lo, hi, used.astype(float)
        settings.update(bootstrap=int(bootstrap), ci=float(ci), ci_method="centred percentile", n_boot_skipped=0, adjust="none",
                        interval_method=INTERVAL_METHOD_IRT)
        notes.append(
            f"{ci:.0%} intervals: {INTERVAL_METHOD_IRT}; {bootstrap} resamples of the {int(keep.sum())} scored models "
            f"(seed {seed})"
        )
    if permutations > 0:
        permutation_fields(x, scores, r_point, is_cap, method, permutations, seed, fields, settings)
    return fields, settings, notes
