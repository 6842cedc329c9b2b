"""Many benchmarks at once: adjusted interval levels and Benjamini-Hochberg q-values.

A panel carries ~170 benchmarks, each with an interval and a verdict. Three
choices (``adjust``):

* ``none``: every interval at the nominal level (each verdict is right with
  that probability on its own; about 1 in 20 of 95% intervals misses);
* ``bonferroni``: every interval of the family at level ``1 - alpha / m``
  (all of them right at once with probability >= 1 - alpha; very wide);
* ``fcr``: Benjamini & Yekutieli (2005, JASA 100:71-81) false-coverage-rate
  intervals. The *selected* benchmarks (those whose unadjusted interval
  excludes 0: the ones a reader would pick out as tracking capabilities, or
  working against them) get level ``1 - R alpha / m`` (``R`` selected of
  ``m``); the others keep the nominal level. Among the selected, the expected
  share of intervals that miss their correlation stays <= alpha (BY Theorem 1,
  independent statistics; for the dependence between benchmarks of one panel
  this is the usual approximation).

The family is every non-capability benchmark with an interval (capability
benchmarks define the score and are not tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ADJUST_CHOICES = ("none", "bonferroni", "fcr")


@dataclass(frozen=True)
class AdjustedLevels:
    """Level of each benchmark's interval under an adjustment.

    ``levels``: ``(p,)`` confidence level per benchmark (NaN outside the
    family); ``selected``: ``(p,)`` bool, the benchmarks whose level was
    changed; ``m``: family size; ``r_selected``: number selected (``fcr``).
    """

    levels: np.ndarray
    selected: np.ndarray
    m: int
    r_selected: int


def adjusted_levels(
    ci_low: np.ndarray, ci_high: np.ndarray, family: np.ndarray, level: float = 0.95, adjust: str = "fcr"
) -> AdjustedLevels:
    """Interval level per benchmark under ``adjust`` (see the module docstring).

    ``ci_low``/``ci_high``: the unadjusted intervals at ``level`` (NaN = none);
    ``family``: bool mask of the benchmarks tested together (non-capability).
    """
    if adjust not in ADJUST_CHOICES:
        from .._util.errors import InputError

        raise InputError(f"adjust: {adjust!r} is not one of: {', '.join(ADJUST_CHOICES)}")
    lo = np.asarray(ci_low, dtype=float)
    hi = np.asarray(ci_high, dtype=float)
    fam = np.asarray(family, dtype=bool) & ~np.isnan(lo) & ~np.isnan(hi)
    m = int(fam.sum())
    alpha = 1.0 - float(level)
    levels = np.where(fam, float(level), np.nan)
    selected = np.zeros(lo.shape, dtype=bool)
    r_sel = 0
    if m == 0 or adjust == "none":
        return AdjustedLevels(levels, selected, m, 0)
    if adjust == "bonferroni":
        selected = fam.copy()
        levels = np.where(fam, 1.0 - alpha / m, np.nan)
        return AdjustedLevels(levels, selected, m, m)
    selected = fam & ((lo > 0) | (hi < 0))
    r_sel = int(selected.sum())
    if r_sel:
        levels = np.where(selected, 1.0 - r_sel * alpha / m, levels)
    return AdjustedLevels(levels, selected, m, r_sel)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of the non-NaN entries of ``p``.

    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the ``m`` defined
    p-values sorted ascending; NaN stays NaN. Rejecting ``q <= alpha`` is the
    BH procedure at FDR ``alpha`` (as ``scipy.stats.false_discovery_control``).
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    v = p[ok]
    order = np.argsort(v, kind="stable")
    ranked = v[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out
