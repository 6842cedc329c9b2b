"""How many models does a verdict need? Expected interval width and models needed to tell two bands apart.

Normal approximation on Fisher's z scale: ``z = atanh(r)`` is roughly normal
with standard error ``sqrt(1 / (n - 3))`` for Pearson and
``sqrt((1 + rho^2 / 2) / (n - 3))`` for Spearman (Bonett & Wright 2000,
Psychometrika 65:23-28). The interval ``tanh(z +- q se)`` with ``q`` the
normal quantile of the level then has the expected width of
:func:`interval_width`, and it lies wholly on one side of a band boundary
``b`` with probability ``Phi(|atanh(rho) - atanh(b)| / se - q)``
(:func:`models_needed` solves that for ``n``).

These are the widths of an ideal interval for a correlation with a *known*
capabilities score. The package's bootstrap intervals also carry the
uncertainty of the score itself (PC1 re-estimated in every resample) and, by
default, a multiplicity adjustment, so they are wider:
``benchmarks/power.py`` measures the real widths on synthetic panels and on the
shipped ones and prints both.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_N = NormalDist()


def _se(n: float, rho: float, method: str) -> float:
    if n <= 3:
        return math.inf
    var = 1.0 if method == "pearson" else 1.0 + rho * rho / 2.0
    return math.sqrt(var / (n - 3.0))


def interval_width(n: int, rho: float, level: float = 0.95, method: str = "spearman") -> float:
    """Expected width of a ``level`` interval for a correlation ``rho`` estimated on ``n`` models (correlation units)."""
    if not -1.0 < rho < 1.0:
        raise ValueError("rho must lie strictly between -1 and 1")
    q = _N.inv_cdf(0.5 + level / 2.0)
    z, se = math.atanh(rho), _se(n, rho, method)
    if math.isinf(se):
        return 2.0
    return math.tanh(z + q * se) - math.tanh(z - q * se)


def separation_power(n: int, rho: float, boundary: float = 0.4, level: float = 0.95, method: str = "spearman") -> float:
    """Probability that the ``level`` interval on ``n`` models lies wholly on ``rho``'s side of ``boundary``."""
    q = _N.inv_cdf(0.5 + level / 2.0)
    se = _se(n, rho, method)
    if math.isinf(se):
        return 0.0
    return _N.cdf(abs(math.atanh(rho) - math.atanh(boundary)) / se - q)


def models_needed(
    rho: float, boundary: float = 0.4, level: float = 0.95, power: float = 0.8, method: str = "spearman"
) -> int:
    """Smallest number of models for which the interval excludes ``boundary`` with probability >= ``power``.

    With the defaults: how many models a benchmark whose true correlation is
    ``rho`` needs before its interval tells ``low`` from ``moderate`` (the 0.4
    boundary) four times out of five.
    """
    if rho == boundary:
        raise ValueError("rho on the boundary can never be separated from it")
    q = _N.inv_cdf(0.5 + level / 2.0) + _N.inv_cdf(power)
    d = abs(math.atanh(rho) - math.atanh(boundary))
    var = 1.0 if method == "pearson" else 1.0 + rho * rho / 2.0
    n = 3 + var * (q / d) ** 2
    return int(math.ceil(n - 1e-9))
