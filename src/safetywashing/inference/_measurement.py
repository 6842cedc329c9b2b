"""Measurement noise of one model's benchmark score, and a claim about one model before and after an intervention.

A model evaluated twice on a benchmark of ``k`` right/wrong items gets two
different scores even when nothing changed: each is a binomial proportion
with variance ``p (1 - p) / k``. When the two rows of a claim are the *same*
model before and after an intervention, its own deviation from the panel's
line (its residual) is shared by both rows and cancels in the difference, so
the part beyond capabilities is judged against this measurement noise, not
against the scatter of different models around the line.

Noise model (:func:`same_model_se`), for ``beyond = (y_a - y_b) - b_hat (s_a - s_b)``::

    Var(beyond) = v_a + v_b                        # the claimed benchmark's measurement noise, each row
                + b_hat^2 (w_a + w_b)              # the capabilities score's own measurement noise, each row
                + (s_a - s_b)^2 sigma^2 / Sxx      # the fit's uncertainty (OLS slope variance) x the capability change

with ``v`` the benchmark's sampling variance (binomial ``p (1 - p) / k`` or a
given standard error squared), ``w`` the score's (propagated from the
capability benchmarks' binomial variances) and ``sigma``, ``Sxx`` the panel
fit's residual SD and sum of squared score deviations. The interval is
``beyond +- z_{(1+level)/2} sqrt(Var)`` (normal: every term is a sum of many
item outcomes). Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def binomial_variance(p: float | np.ndarray, n_items: float | np.ndarray) -> float | np.ndarray:
    """Sampling variance ``p (1 - p) / n_items`` of an accuracy ``p`` (fraction 0-1) measured on ``n_items`` items.

    NaN when ``p`` lies outside [0, 1] or the count is unknown (NaN / <= 0).
    """
    p = np.asarray(p, dtype=float)
    k = np.asarray(n_items, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = p * (1.0 - p) / k
    ok = (p >= 0.0) & (p <= 1.0) & np.isfinite(k) & (k > 0)
    out = np.where(ok, v, np.nan)
    return float(out) if out.ndim == 0 else out


def same_model_se(
    var_before: ArrayLike, var_after: ArrayLike, slope: ArrayLike, score_var_before: ArrayLike, score_var_after: ArrayLike,
    score_change: ArrayLike, resid_sd: ArrayLike, sxx: ArrayLike,
) -> tuple[Any, dict[str, Any]]:
    """SE of the part beyond capabilities for one model before and after (benchmark units), and its variance terms.

    ``var_*``: the claimed benchmark's measurement variance in each row;
    ``score_var_*``: the capabilities score's measurement variance in each
    row (0 when unknown); ``slope``, ``resid_sd``, ``sxx``: the panel fit;
    ``score_change`` = ``s_after - s_before``. Scalars or arrays (broadcast,
    e.g. one entry per simulated claim). Returns ``(se, terms)`` with
    ``terms`` = ``{"benchmark_noise", "score_noise", "fit"}`` (variances);
    floats when every input is a scalar.
    """
    a = [np.asarray(v, dtype=float) for v in (var_before, var_after, slope, score_var_before, score_var_after,
                                              score_change, resid_sd, sxx)]
    vb, va, b, wb, wa, ds, rsd, sxx_ = a
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = np.where(sxx_ > 0, ds * ds * rsd * rsd / np.where(sxx_ > 0, sxx_, 1.0), np.nan)
    terms = {"benchmark_noise": vb + va, "score_noise": b * b * (wb + wa), "fit": fit}
    se = np.sqrt(terms["benchmark_noise"] + terms["score_noise"] + terms["fit"])
    if all(v.ndim == 0 for v in a):
        return float(se), {k: float(v) for k, v in terms.items()}
    return se, terms


def normal_halfwidth(se: Any, level: float) -> Any:
    """``z_{(1+level)/2} x se``: half-width of a normal interval at ``level`` (``se`` scalar or array)."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2.0)) * se


__all__ = ["binomial_variance", "normal_halfwidth", "same_model_se"]
