"""Iterative low-rank (PCA) imputation of missing capability scores.

Method (the "iterative PCA" / hard-impute algorithm; Josse & Husson 2012
without the regularisation term): z-score each column over the models that
have it; start every missing cell at 0 (its column mean); then repeat:
rank-``r`` SVD reconstruction of the whole matrix, replace only the missing
cells by their reconstruction, until the largest change of an imputed cell is
below ``tol`` (in SD units). Observed cells are never changed. The imputed
values are mapped back to each column's units.

Because capability benchmarks are dominated by one factor (PC1 holds 70-80%
of their variance in the paper's panels), a rank-2 reconstruction predicts a
missing capability score from the model's other capability scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._util.errors import InsufficientDataError, SafetywashingError
from .._util.stats import pairwise_corr_masked
from ..sources._matrix import ScoreMatrix
from ._pca import capability_direction


@dataclass(frozen=True)
class Imputation:
    """Result of :func:`impute_lowrank`: the completed matrix and what was done."""

    values: np.ndarray
    imputed: np.ndarray  # bool mask of the cells filled in
    rank: int
    iterations: int
    converged: bool


def impute_lowrank(x: np.ndarray, rank: int = 2, tol: float = 1e-6, max_iter: int = 1000) -> Imputation:
    """Fill the NaN cells of ``x`` (``(n, k)``) by iterative rank-``rank`` PCA.

    Rows with every value missing are left missing (nothing to predict
    from). Raises :class:`InsufficientDataError` when a column has fewer than
    2 observed values.
    """
    x = np.asarray(x, dtype=float)
    miss = np.isnan(x)
    empty_rows = miss.all(axis=1)
    fill = miss & ~empty_rows[:, None]
    if not fill.any():
        return Imputation(values=x.copy(), imputed=fill, rank=rank, iterations=0, converged=True)
    obs_count = (~miss).sum(axis=0)
    if (obs_count < 2).any():
        raise InsufficientDataError("imputation needs at least 2 observed values in every capability column")
    mean = np.nanmean(x, axis=0)
    sd = np.nanstd(x, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    rows = ~empty_rows
    z = np.where(miss, 0.0, (x - mean) / sd)[rows]
    f = fill[rows]
    r = max(1, min(rank, min(z.shape) - 1))
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        mu = z.mean(axis=0)
        u, sv, vt = np.linalg.svd(z - mu, full_matrices=False)
        rec = (u[:, :r] * sv[:r]) @ vt[:r] + mu
        change = np.abs(rec[f] - z[f]).max()
        z[f] = rec[f]
        if change < tol:
            converged = True
            break
    out = x.copy()
    filled = z * sd + mean
    sub = out[rows]
    sub[f] = filled[f]
    out[rows] = sub
    return Imputation(values=out, imputed=fill, rank=r, iterations=iterations, converged=converged)


def impute_capabilities(
    matrix: ScoreMatrix, caps: list[str], method: str = "spearman", min_share: float = 0.5
) -> tuple[ScoreMatrix, list[str]]:
    """Return ``(matrix with imputed capability cells, notes)``.

    Models with at least ``min_share`` of the capability benchmarks get their
    missing capability scores imputed by :func:`impute_lowrank`; models with
    fewer stay incomplete (and are dropped, as without imputation). The note
    names the models and shows the effect: how far every benchmark's point
    correlation moves compared with dropping those models.
    """
    x = matrix.scores[caps].to_numpy(dtype=float)
    miss = np.isnan(x)
    if not miss.any():
        return matrix, []
    eligible = (~miss).sum(axis=1) >= np.ceil(min_share * len(caps))
    imp = impute_lowrank(np.where(eligible[:, None], x, np.nan) if not eligible.all() else x)
    filled = imp.imputed & eligible[:, None]
    if not filled.any():
        return matrix, [f"impute: no model with missing capability scores has at least {min_share:.0%} of them; nothing imputed"]
    new_scores = matrix.scores.copy()
    vals = np.where(filled, imp.values, x)
    new_scores[caps] = vals
    models = [str(mm) for mm, f in zip(matrix.scores.index, filled.any(axis=1)) if f]
    out = ScoreMatrix(matrix.name, new_scores, matrix.models, matrix.benchmarks, matrix.notes, matrix.source)
    text = (
        f"imputed {int(filled.sum())} missing capability score(s) of {len(models)} model(s) ({', '.join(models)}) by iterative "
        f"rank-{imp.rank} PCA ({imp.iterations} iteration(s){'' if imp.converged else ', NOT converged'})"
    )
    try:
        _, s_drop, _ = capability_direction(matrix, caps, method)
        _, s_imp, _ = capability_direction(out, caps, method)
        xall = matrix.scores.to_numpy(dtype=float)
        r_drop = pairwise_corr_masked(xall, s_drop.to_numpy(), method)[0]
        r_imp = pairwise_corr_masked(out.scores.to_numpy(dtype=float), s_imp.to_numpy(), method)[0]
        d = np.abs(r_imp - r_drop)
        d = d[~np.isnan(d)]
        if d.size:
            text += f"; vs dropping them, correlations move by at most {d.max():.3f} (median {np.median(d):.3f})"
    except SafetywashingError as exc:  # dropping may leave too few complete models: say so
        text += f"; dropping them instead is not possible here ({exc})"
    return out, [text]
