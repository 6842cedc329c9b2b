"""Coverage of the logistic capability model's standard errors on frontier-shaped panels (``--score-method irt``).

Run from the repository root:  python benchmarks/irt_coverage.py [--reps 200] [--seed 0]

Parametric bootstrap of the ``frontier`` panel: the truth is the panel's own
fit (every model's capability, every benchmark's difficulty, slope and
guessing floor), the missing cells are the panel's, and each observed score is
the share of ``n_b`` binomial items right, ``n_b = 1 / dispersion_b`` so the
simulated noise matches each benchmark's fitted dispersion. Each replicate is
refitted and ``z = (estimate - truth) / SE`` collected per model. Prints the
share of models whose truth lies within +-1.96 SE, overall and by quarter of
true capability (weakest first), the mean bias per quarter, and the SD of z.
Target (issue 22): >= 94% overall and >= 92% in the weakest quarter.

``--no-floor`` runs the same study without guessing floors in either the
truth or the fit (the model as it was before issue 22; its SEs came from the
curvature alone).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import safetywashing as sw  # noqa: E402
from safetywashing.capability._irt import _sigmoid, fit_irt  # noqa: E402


def frontier_truth(floors: bool = True) -> tuple[np.ndarray, dict]:
    """The frontier panel's 0-1 table (fitted models and benchmarks only) and its fit, as the simulation's truth."""
    m = sw.load_panel("frontier")
    caps = list(m.capability_benchmarks)
    y = m.scores[caps].to_numpy(float)
    chance = np.zeros(len(caps))
    if floors:
        from safetywashing.sources._registry import chance_levels

        chance = np.array(chance_levels(caps))
    fit = fit_irt(y, names=caps, **_floors(chance))
    sub = y[np.ix_(fit.kept_rows, fit.kept_cols)]
    mod = fit.model
    truth = {
        "theta": fit.capabilities.copy(),
        "d": np.array(mod.difficulties),
        "a": np.array(mod.slopes),
        "c": chance[fit.kept_cols],
        "items": np.maximum(5, np.round(1.0 / (np.array(mod.benchmark_dispersion) * mod.dispersion))).astype(int),
        "anchor": mod.benchmarks.index(mod.anchor),
    }
    return sub, truth


def _floors(c: np.ndarray) -> dict:
    """``chance=`` only when some floor is set (so the script also runs on the code before floors existed)."""
    return {"chance": c} if np.any(c) else {}


def simulate(sub: np.ndarray, truth: dict, reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(z, theta)``: ``z`` of every model in every replicate (NaN when not scored), ``(reps, n_models)``."""
    rng = np.random.default_rng(seed)
    obs = ~np.isnan(sub)
    th, d, a, c, items = truth["theta"], truth["d"], truth["a"], truth["c"], truth["items"]
    p = c + (1 - c) * _sigmoid(a * (th[:, None] - d))
    z = np.full((reps, th.size), np.nan)
    for r in range(reps):
        ysim = np.where(obs, rng.binomial(np.broadcast_to(items, p.shape), p) / items, np.nan)
        try:
            f = fit_irt(ysim, anchor=truth["anchor"], **_floors(truth["c"]))
        except sw.SafetywashingError:
            continue
        z[r, f.kept_rows] = (f.capabilities - th[f.kept_rows]) / f.se
    return z, th


def table(z: np.ndarray, th: np.ndarray, se_ratio: np.ndarray | None = None) -> list[str]:
    """Coverage overall and by quarter of true capability, bias (in SEs), SD of z."""
    cover = np.abs(z) <= 1.96
    ok = np.isfinite(z)
    q = np.digitize(th, np.quantile(th, [0.25, 0.5, 0.75]))
    lines = [f"{'models':<22} {'n':>4} {'cover95':>8} {'mean z':>7} {'SD z':>6}"]
    for name, sel in [("all", np.ones_like(th, bool))] + [(f"quarter {i + 1}" + (" (weakest)" if i == 0 else ""), q == i)
                                                          for i in range(4)]:
        zz = z[:, sel][ok[:, sel]]
        lines.append(f"{name:<22} {int(sel.sum()):>4} {cover[:, sel][ok[:, sel]].mean():>8.3f} {zz.mean():>+7.3f} "
                     f"{zz.std():>6.3f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-floor", action="store_true", help="no guessing floors in the truth or the fit")
    a = ap.parse_args()
    sub, truth = frontier_truth(not a.no_floor)
    t = time.perf_counter()
    z, th = simulate(sub, truth, a.reps, a.seed)
    w = time.perf_counter() - t
    print(f"frontier-shaped panels: {th.size} models, {sub.shape[1]} benchmarks, {int((~np.isnan(sub)).sum())} cells; "
          f"{a.reps} replicates ({w:.1f} s wall, {1000 * w / a.reps:.0f} ms per fit; shared machine)")
    print(f"guessing floors: {'none' if a.no_floor else 'registry chance levels'}")
    print("\n".join(table(z, th)))
    print(f"(share of model x replicate pairs with |estimate - truth| <= 1.96 SE; {int(np.isfinite(z).sum())} pairs)")


if __name__ == "__main__":
    main()
