"""Bootstrap draws of a claim's quantities: each capability model's own way of scoring models inside a resample.

A claim (:func:`safetywashing.commands._claim.claim`) fits ``B = a + b * s``
over a panel's models and predicts a change as ``b * (s_after - s_before)``.
Its bootstrap resamples the panel's models with replacement; what happens to
the capabilities scores ``s`` inside a resample depends on the model:

* the PCA direction is recomputed in every resample (:func:`bootstrap_claim`:
  means, population SDs, PC1 loadings, scores and the fit, batched over
  resamples by :func:`_draws`);
* the logistic model keeps its benchmark parameters fixed and draws every
  score from N(estimate, SE^2) (:func:`bootstrap_claim_irt`).

Each model reaches its implementation through its ``claim_draws`` method
(one signature for both). Pure numpy: no printing, no I/O; random draws only
from a generator seeded with ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._util.stats import rankdata, top_components, zscore

_CHUNK = 2000

#: how a resample's scores are drawn: ``draw(scores, se, idx, rng) -> (B, n)`` (a model's ``draw_scores``)
Draw = Callable[[np.ndarray, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]

#: what every resample of :func:`bootstrap_claim` recomputes
PCA_RESAMPLING = "mu, sigma, w, a, b recomputed in each"
#: what every resample of :func:`bootstrap_claim_irt` draws and recomputes
IRT_RESAMPLING = "scores drawn from N(estimate, SE^2), a, b recomputed in each"


@dataclass(frozen=True)
class ClaimDraws:
    """Bootstrap draws of the claim quantities (only the non-degenerate resamples).

    Arrays have one entry per used resample; ``n_skipped`` counts resamples
    dropped as degenerate (a constant capability column, too few complete
    models for a direction, fewer than 3 models in the fit or all-equal scores).
    ``resampling`` says what each resample redid (a clause for the outputs,
    e.g. ``"mu, sigma, w, a, b recomputed in each"``).
    """

    slope: np.ndarray
    intercept: np.ndarray
    score_before: np.ndarray
    score_after: np.ndarray
    n_skipped: int
    resampling: str = ""

    @property
    def predicted(self) -> np.ndarray:
        """Predicted change per resample: slope x score difference."""
        return self.slope * (self.score_after - self.score_before)


def bootstrap_claim_irt(
    scores: np.ndarray,
    se: np.ndarray,
    y: np.ndarray,
    before: tuple[float, float],
    after: tuple[float, float],
    *,
    n_bootstrap: int,
    seed: int | None = 0,
    draw: Draw,
) -> ClaimDraws:
    """Claim draws for the logistic capability score: panel models resampled, every score drawn from N(estimate, SE^2).

    ``draw`` is the model's ``draw_scores`` (the resampled panel models'
    scores, each drawn from N(score, SE^2)). ``before``/``after``: (score, SE)
    of the two claim rows, drawn independently in every resample (their shared
    benchmark-parameter error would partly cancel in the difference, so the
    interval of the change is on the wide side). The OLS fit of ``y`` on the
    drawn panel scores is redone in every resample; resamples with fewer than
    3 models or equal scores are skipped and counted.
    """
    ok = ~np.isnan(scores) & ~np.isnan(y)
    s, e, yy = scores[ok], np.nan_to_num(se[ok]), y[ok]
    n = s.size
    rng = np.random.default_rng(seed)
    slope = np.full(n_bootstrap, np.nan)
    icpt = np.full(n_bootstrap, np.nan)
    step = max(1, 2_000_000 // max(n, 1))
    for start in range(0, n_bootstrap, step):
        b = min(step, n_bootstrap - start)
        idx = rng.integers(0, n, size=(b, n))
        xs = draw(s, e, idx, rng)
        ys = yy[idx]
        xm = xs.mean(axis=1, keepdims=True)
        ym = ys.mean(axis=1, keepdims=True)
        sxx = ((xs - xm) ** 2).sum(axis=1)
        sl = np.where(sxx > 0, ((xs - xm) * (ys - ym)).sum(axis=1) / np.where(sxx > 0, sxx, 1.0), np.nan)
        slope[start : start + b] = sl
        icpt[start : start + b] = ym[:, 0] - sl * xm[:, 0]
    sb = before[0] + np.nan_to_num(before[1]) * rng.standard_normal(n_bootstrap)
    sa = after[0] + np.nan_to_num(after[1]) * rng.standard_normal(n_bootstrap)
    good = np.isfinite(slope) & (n >= 3)
    return ClaimDraws(slope=slope[good], intercept=icpt[good], score_before=sb[good], score_after=sa[good],
                      n_skipped=int((~good).sum()), resampling=IRT_RESAMPLING)


def _masked_corr(z: np.ndarray, complete: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices ``(B, k, k)`` of ``z`` ``(B, n, k)`` over the rows where ``complete`` ``(B, n)``.

    Returns ``(c, ok)``: ``ok`` is False where a column is constant over the
    complete rows (``c`` is then the identity, to keep ``eigh`` finite).
    """
    m = complete[..., None]
    x = np.where(m, z, np.nan)
    if method == "spearman":
        x = rankdata(x)
    cnt = np.maximum(complete.sum(axis=-1), 1)[..., None, None]
    mean = np.nansum(x, axis=-2, keepdims=True) / cnt
    xc = np.where(m, x - mean, 0.0)
    cov = np.swapaxes(xc, -1, -2) @ xc
    d = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    ok = (d > 1e-12).all(axis=-1)
    dd = np.where(d > 1e-12, d, 1.0)
    c = cov / (dd[..., :, None] * dd[..., None, :])
    eye = np.eye(c.shape[-1])
    c = np.where(ok[..., None, None], c, eye)
    return c, ok


def _draws(
    caps: np.ndarray, y: np.ndarray, xb: np.ndarray, xa: np.ndarray, idx: np.ndarray, method: str, *, min_models: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Claim quantities for the resamples ``idx`` ``(B, n)`` (rows of ``caps``/``y``), batched.

    Returns ``(slope, intercept, score_before, score_after, good)``, each ``(B,)``;
    ``good`` is False for degenerate resamples (their values are meaningless),
    among them those with fewer than ``min_models`` complete models (the
    direction's own minimum, :data:`safetywashing.capability._pca.MIN_MODELS`).
    """
    x = caps[idx]  # (B, n, k)
    yy = y[idx]  # (B, n)
    z, mu, sd = zscore(x)
    good = (np.nan_to_num(sd) > 0).all(axis=-1)
    complete = ~np.isnan(x).any(axis=-1)
    good &= complete.sum(axis=-1) >= min_models
    c, ok = _masked_corr(np.nan_to_num(z), complete, method)
    good &= ok
    _, w = top_components(c)
    s = np.einsum("bnk,bk->bn", np.nan_to_num(z), w)
    fit = complete & ~np.isnan(yy)
    nf = fit.sum(axis=-1)
    good &= nf >= 3
    cnt = np.maximum(nf, 1)
    sm = np.where(fit, s, 0.0).sum(axis=-1) / cnt
    ym = np.where(fit, yy, 0.0).sum(axis=-1) / cnt
    ds = np.where(fit, s - sm[:, None], 0.0)
    dy = np.where(fit, yy - ym[:, None], 0.0)
    sxx = (ds * ds).sum(axis=-1)
    good &= sxx > 1e-12
    slope = (ds * dy).sum(axis=-1) / np.where(good, sxx, 1.0)
    sdd = np.where(np.nan_to_num(sd) > 0, sd, 1.0)
    sb = (((xb - mu) / sdd) * w).sum(axis=-1)
    sa = (((xa - mu) / sdd) * w).sum(axis=-1)
    return slope, ym - slope * sm, sb, sa, good


def bootstrap_claim(
    caps: np.ndarray,
    y: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    *,
    n_bootstrap: int,
    seed: int | None = 0,
    method: str = "spearman",
    progress: Callable[[int], None] | None = None,
    min_models: int,
) -> ClaimDraws:
    """Bootstrap the claim over panel models, vectorised over resamples (the PCA direction recomputed in each).

    ``caps``: ``(n, k)`` capability scores of the panel models (NaN = missing);
    ``y``: ``(n,)`` benchmark values (NaN = missing); ``before``/``after``:
    ``(k,)`` capability rows of the claim. Each resample draws ``n`` models
    with replacement and recomputes the means, population SDs, PC1 loadings
    (largest-magnitude entry positive), the scores and the OLS fit of ``y`` on
    them; a resample with fewer than ``min_models`` complete models is
    skipped. ``progress(k)`` is called after every chunk with the number of
    resamples done.
    """
    caps = np.asarray(caps, dtype=float)
    y = np.asarray(y, dtype=float)
    xb = np.asarray(before, dtype=float)
    xa = np.asarray(after, dtype=float)
    n = caps.shape[0]
    rng = np.random.default_rng(seed)
    idx_all = rng.integers(0, n, size=(int(n_bootstrap), n))
    out: dict[str, list[np.ndarray]] = {"slope": [], "intercept": [], "sb": [], "sa": []}
    skipped = 0
    for start in range(0, int(n_bootstrap), _CHUNK):
        idx = idx_all[start : start + _CHUNK]
        slope, intercept, sb, sa, good = _draws(caps, y, xb, xa, idx, method, min_models=min_models)
        out["slope"].append(slope[good])
        out["intercept"].append(intercept[good])
        out["sb"].append(sb[good])
        out["sa"].append(sa[good])
        skipped += int((~good).sum())
        if progress is not None:
            progress(len(idx))
    cat = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in out.items()}
    return ClaimDraws(slope=cat["slope"], intercept=cat["intercept"], score_before=cat["sb"], score_after=cat["sa"],
                      n_skipped=skipped, resampling=PCA_RESAMPLING)


def score_measurement_variance(model, rows: np.ndarray, var_x: np.ndarray, step: float = 1e-4) -> np.ndarray:  # noqa: ANN001
    """Measurement variance of the capabilities score of each row, from its capability benchmarks' sampling variances.

    ``model``: a fitted capability model (its ``score_se``); ``rows``: ``(r, k)``
    capability values in ``model.benchmarks`` order (NaN = missing);
    ``var_x``: ``(r, k)`` their sampling variances (NaN = unknown, left
    out). Delta method: ``sum_j (ds/dx_j)^2 var_j`` with the gradient by
    central differences of the model's own score (exact for the PCA score,
    which is linear; the logistic score's local slope). Returns ``(r,)`` in
    squared capabilities-score units (0 where no variance is known).
    """
    import pandas as pd

    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    var_x = np.atleast_2d(np.asarray(var_x, dtype=float))
    r, k = rows.shape
    cols = list(model.benchmarks)
    eye = np.eye(k) * step
    plus = (rows[:, None, :] + eye[None]).reshape(r * k, k)
    minus = (rows[:, None, :] - eye[None]).reshape(r * k, k)
    sp = model.score_se(pd.DataFrame(plus, columns=cols))["capabilities_score"].to_numpy(dtype=float)
    sm = model.score_se(pd.DataFrame(minus, columns=cols))["capabilities_score"].to_numpy(dtype=float)
    grad = ((sp - sm) / (2.0 * step)).reshape(r, k)
    use = np.isfinite(grad) & np.isfinite(var_x) & ~np.isnan(rows)
    return np.where(use, grad * grad * var_x, 0.0).sum(axis=1)
