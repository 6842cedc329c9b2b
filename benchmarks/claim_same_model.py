"""Coverage and power of ``claim --pair same-model``: binomial re-evaluations of one model, with and without an effect.

Run: PYTHONPATH=src python benchmarks/claim_same_model.py [--sims 2000] [--seed 0]

One chat model (Meta-Llama-3-8B-Instruct) is the "before" model and an intervention moves its capability
benchmarks halfway toward Meta-Llama-3-70B-Instruct's (a capability gain of 1.74 score units). Its true
accuracies are its published rows; each simulated claim re-evaluates both rows binomially (every capability
benchmark with the registry's item count, the claimed benchmark with K items). The claimed benchmark is an
ETHICS-like column with a known truth: the panel's 26 values are drawn as ``a + b s + N(0, sigma^2)`` around the
chat ETHICS fit (a, b, sigma of the real fit), so the panel's slope estimate varies from claim to claim as it
would; the model's own deviation from the line is its real ETHICS residual (shared by both rows, so it
cancels), and the after row's true value adds ``b x`` the capability change and a planted effect ``delta``.

Every simulated claim computes what ``claim --pair same-model`` computes (the same functions: the panel's PCA
score, ``score_measurement_variance``, ``same_model_se``, ``normal_halfwidth``; ``tests/test_claim.py`` checks
that ``claim`` itself returns this interval) and records whether the interval covers ``delta`` and, for
``delta > 0``, whether it excludes 0 (power). The different-models prediction interval on the same draws is
printed beside it: it almost never supports an effect of this size.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import t as tdist

import safetywashing as sw
from safetywashing.capability._claim_draws import score_measurement_variance
from safetywashing.inference._fit import fit_on_scores
from safetywashing.inference._measurement import binomial_variance, normal_halfwidth, same_model_se
from safetywashing.inference._reliability_fields import item_counts

BEFORE, TOWARD, BENCHMARK = "Meta-Llama-3-8B-Instruct", "Meta-Llama-3-70B-Instruct", "ethics_all"


@dataclass(frozen=True)
class Setup:
    """The fixed parts of the simulation: panel scores, capability model, true rows and the true line."""

    model: object
    ps: np.ndarray
    caps: list[str]
    k_caps: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    ds_true: float
    a: float
    b: float
    sigma: float
    p0: float


def setup() -> Setup:
    """Chat panel's PCA score, the before/after true capability rows and the ETHICS-like true line."""
    panel = sw.load_panel("chat")
    cfit = sw.fit_capability_model(panel)
    model = cfit.model
    caps = list(model.benchmarks)
    ps = cfit.scores.reindex(panel.scores.index).to_numpy(dtype=float)
    x0 = panel.scores.loc[BEFORE, caps].to_numpy(dtype=float)
    x1 = x0 + 0.5 * (panel.scores.loc[TOWARD, caps].to_numpy(dtype=float) - x0)
    s = model.score_se(pd.DataFrame([x0, x1], columns=caps))["capabilities_score"].to_numpy()
    fit = fit_on_scores(ps, panel.scores[BENCHMARK].to_numpy(dtype=float))
    p0 = float(panel.scores.loc[BEFORE, BENCHMARK])
    k = item_counts()["n_items"].reindex(caps).to_numpy(dtype=float)
    return Setup(model, ps, caps, k, x0, x1, float(s[1] - s[0]), fit.intercept, fit.slope, fit.resid_sd, p0)


def simulate(su: Setup, *, n_sims: int, delta: float, n_items: int, level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """``n_sims`` simulated same-model claims with planted effect ``delta``: coverage and power of both intervals."""
    rng = np.random.default_rng(seed)
    ok = ~np.isnan(su.ps)
    ps = su.ps[ok]
    y_panel = su.a + su.b * ps[None, :] + su.sigma * rng.standard_normal((n_sims, ps.size))  # (R, n)
    xm = ps.mean()
    sxx = float(((ps - xm) ** 2).sum())
    slope = ((ps - xm)[None, :] * (y_panel - y_panel.mean(axis=1, keepdims=True))).sum(axis=1) / sxx
    icpt = y_panel.mean(axis=1) - slope * xm
    rsd = np.sqrt(((y_panel - icpt[:, None] - slope[:, None] * ps[None, :]) ** 2).sum(axis=1) / (ps.size - 2))
    k = su.k_caps.astype(int)
    x_obs = np.vstack([rng.binomial(k, su.x0, (n_sims, k.size)), rng.binomial(k, su.x1, (n_sims, k.size))]) / k
    s_obs = su.model.score_se(pd.DataFrame(x_obs, columns=su.caps))["capabilities_score"].to_numpy()
    w = score_measurement_variance(su.model, x_obs, binomial_variance(x_obs, su.k_caps[None, :]))
    p1 = su.p0 + su.b * su.ds_true + delta
    y0 = rng.binomial(n_items, su.p0, n_sims) / n_items
    y1 = rng.binomial(n_items, p1, n_sims) / n_items
    ds = s_obs[n_sims:] - s_obs[:n_sims]
    beyond = (y1 - y0) - slope * ds
    se, _ = same_model_se(binomial_variance(y0, n_items), binomial_variance(y1, n_items), slope, w[:n_sims], w[n_sims:],
                          ds, rsd, sxx)
    hw = normal_halfwidth(se, level)
    hw_diff = tdist.ppf(0.5 + level / 2, ps.size - 2) * rsd * np.sqrt(2.0 + ds**2 / sxx)
    return {
        "coverage": float(np.mean(np.abs(beyond - delta) <= hw)),
        "power": float(np.mean(np.abs(beyond) > hw)),
        "power_different_models": float(np.mean(np.abs(beyond) > hw_diff)),
        "mean_halfwidth": float(hw.mean()),
        "mean_halfwidth_different_models": float(hw_diff.mean()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    su = setup()
    print(f"before {BEFORE}, after halfway to {TOWARD}: capability change {su.ds_true:+.2f} score units; "
          f"ETHICS-like line a {su.a:.3f}, b {su.b:+.4f}, sigma {su.sigma:.3f} (chat fit, n = {int((~np.isnan(su.ps)).sum())})")
    print(f"{args.sims} simulated claims per row, 95% level, seed {args.seed}")
    print(f"{'items':>6} {'delta':>6} {'coverage':>9} {'P(supported)':>13} {'half-width':>11} "
          f"{'P(supported), different-models':>31} {'its half-width':>15}")
    for n_items in (1000, 4000, 16000):
        for delta in (0.0, 0.02, 0.03, 0.05):
            r = simulate(su, n_sims=args.sims, delta=delta, n_items=n_items, seed=args.seed)
            print(f"{n_items:>6} {delta:>6.2f} {r['coverage']:>9.3f} {r['power']:>13.3f} {r['mean_halfwidth']:>11.4f} "
                  f"{r['power_different_models']:>31.3f} {r['mean_halfwidth_different_models']:>15.4f}")
    print(f"({time.perf_counter() - t0:.1f} s wall)")


if __name__ == "__main__":
    main()
