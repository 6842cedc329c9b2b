"""Linear fit of a benchmark on the capabilities score, and residuals.

Shared by ``place``, ``claim`` and ``leaderboard``: "how far is a model's
score from what its capabilities predict?"
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._util.errors import InsufficientDataError


@dataclass(frozen=True)
class LinearFit:
    """OLS fit ``benchmark = intercept + slope * capabilities_score``.

    ``slope`` is in the benchmark's own units per 1 unit of capabilities score;
    ``resid_sd`` is the residual SD with ``n - 2`` degrees of freedom (benchmark
    units); ``x_mean`` and ``sxx`` (sum of squared deviations of the scores)
    give prediction intervals.
    """

    intercept: float
    slope: float
    n: int
    resid_sd: float
    x_mean: float
    sxx: float

    def predict(self, s: np.ndarray | float) -> np.ndarray | float:
        """Predicted benchmark value at capabilities score(s) ``s``."""
        return self.intercept + self.slope * np.asarray(s, dtype=float) if np.ndim(s) else self.intercept + self.slope * float(s)

    def residual(self, s: np.ndarray | float, y: np.ndarray | float) -> np.ndarray | float:
        """Observed minus predicted, in benchmark units (positive = better than capabilities predict)."""
        return np.asarray(y, dtype=float) - self.predict(s)

    def prediction_halfwidth(self, s: np.ndarray | float, level: float = 0.95) -> np.ndarray | float:
        """Half-width of the prediction interval for a new model at score ``s`` (t with n-2 df)."""
        from scipy.stats import t

        q = float(t.ppf(0.5 + level / 2.0, self.n - 2))
        s = np.asarray(s, dtype=float)
        return q * self.resid_sd * np.sqrt(1.0 + 1.0 / self.n + (s - self.x_mean) ** 2 / self.sxx)


def fit_on_scores(scores: np.ndarray, y: np.ndarray, *, what: str = "benchmark") -> LinearFit:
    """Fit ``y`` on capabilities ``scores`` over the models that have both (>= 3 needed)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(s) & ~np.isnan(y)
    n = int(ok.sum())
    if n < 3:
        raise InsufficientDataError(f"{what}: only {n} model(s) have both a score and a capabilities score; 3 needed")
    xs, ys = s[ok], y[ok]
    xm = float(xs.mean())
    sxx = float(((xs - xm) ** 2).sum())
    if sxx <= 0:
        raise InsufficientDataError(f"{what}: capabilities scores are all equal; no fit possible")
    b = float(((xs - xm) * (ys - ys.mean())).sum() / sxx)
    a = float(ys.mean() - b * xm)
    res = ys - (a + b * xs)
    rsd = math.sqrt(float((res**2).sum()) / (n - 2)) if n > 2 else float("nan")
    return LinearFit(intercept=a, slope=b, n=n, resid_sd=rsd, x_mean=xm, sxx=sxx)


def difference_halfwidth(fit: LinearFit, s_before: float, s_after: float, level: float = 0.95) -> tuple[float, float]:
    """Prediction-interval half-width for ``(y_after - y_before) - slope * (s_after - s_before)``.

    Both rows are new models, each scattering around the panel's line with the
    residual variance ``sigma^2``; the fitted line is shared. With leverages
    ``h_b``, ``h_a`` and cross-leverage ``h_ab = 1/n + (s_a - m)(s_b - m)/Sxx``
    the variance is ``sigma^2 (2 + h_a + h_b - 2 h_ab) = sigma^2 (2 + (s_a - s_b)^2 / Sxx)``
    (the intercept's uncertainty cancels). Returns ``(half_width, se)`` in
    benchmark units; the half-width uses Student's t with ``n - 2`` df.
    """
    from scipy.stats import t

    se = fit.resid_sd * math.sqrt(2.0 + (s_after - s_before) ** 2 / fit.sxx)
    q = float(t.ppf(0.5 + level / 2.0, fit.n - 2))
    return q * se, se


def leverage(fit: LinearFit, s: np.ndarray | float) -> np.ndarray | float:
    """Leverage ``1/n + (s - mean)^2 / Sxx`` of capabilities score(s) ``s`` in the fit (unitless)."""
    return 1.0 / fit.n + (np.asarray(s, dtype=float) - fit.x_mean) ** 2 / fit.sxx


def studentized_loo(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out (externally) studentized residuals of ``y`` on ``scores``, per column, vectorised.

    ``scores``: ``(n,)`` capabilities scores; ``y``: ``(n, k)`` benchmark values
    (NaN = missing; each column is fitted over its own models). For model ``i``
    in a column with ``m`` models: ``t_i = e_i / (sigma_(i) sqrt(1 - h_i))``,
    ``sigma_(i)^2 = (SSE - e_i^2 / (1 - h_i)) / (m - 3)``: the residual of the
    model against the line fitted without it, in units of its prediction SE
    (Student's t with ``m - 3`` df under the linear model with normal errors;
    what ``statsmodels``' ``outlier_test`` reports). Returns ``(t, df)`` with
    ``t`` ``(n, k)`` (NaN where missing or ``m < 4``) and ``df`` ``(k,)``.
    """
    s = np.asarray(scores, dtype=float)[:, None]
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    ok = ~np.isnan(y) & ~np.isnan(s)
    m = ok.sum(axis=0)
    cnt = np.maximum(m, 1)
    sm = np.where(ok, s, 0.0).sum(axis=0) / cnt
    ym = np.where(ok, y, 0.0).sum(axis=0) / cnt
    ds = np.where(ok, s - sm, 0.0)
    dy = np.where(ok, y - ym, 0.0)
    sxx = (ds * ds).sum(axis=0)
    good = (m >= 4) & (sxx > 1e-12)
    sxx_safe = np.where(good, sxx, 1.0)
    b = (ds * dy).sum(axis=0) / sxx_safe
    e = np.where(ok, dy - b * ds, 0.0)
    h = np.where(ok, 1.0 / cnt + ds * ds / sxx_safe, 0.0)
    sse = (e * e).sum(axis=0)
    df = (m - 3).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (sse - e * e / (1.0 - h)) / np.where(df > 0, df, np.nan)
        t = e / np.sqrt(s2 * (1.0 - h))
    t = np.where(ok & good & (s2 > 0), t, np.nan)
    return t, np.where(good, df, np.nan)


def tail_summary(t: np.ndarray, df: np.ndarray, cuts: tuple[float, ...] = (2.0, 3.0)) -> dict[str, float | int]:
    """Share of studentized residuals beyond each ``|cut|`` against Student's t expectation.

    ``t``: ``(n, k)`` from :func:`studentized_loo`, ``df``: ``(k,)``. The
    expected share averages ``P(|T_df| > cut)`` over the residuals (each with
    its column's df). Returns ``n_residuals``, ``n_benchmarks`` and, per cut
    ``c``, ``share_abs_gt_c``, ``expected_abs_gt_c`` and ``ratio_abs_gt_c``.
    """
    from scipy.stats import t as tdist

    ok = ~np.isnan(t)
    dfs = np.broadcast_to(df, t.shape)[ok]
    vals = np.abs(t[ok])
    out: dict[str, float | int] = {"n_residuals": int(ok.sum()), "n_benchmarks": int(ok.any(axis=0).sum())}
    for c in cuts:
        key = f"{c:g}"
        share = float((vals > c).mean()) if vals.size else math.nan
        expect = float((2.0 * tdist.sf(c, dfs)).mean()) if vals.size else math.nan
        out[f"share_abs_gt_{key}"] = share
        out[f"expected_abs_gt_{key}"] = expect
        out[f"ratio_abs_gt_{key}"] = share / expect if expect > 0 else math.nan
    return out
