"""Planned model sets against random ones: interval width and range bias of an audit (issue 19).

Run: PYTHONPATH=src python benchmarks/plan_vs_random.py

Frontier-shaped synthetic truth: every eligible frontier model (what ``plan`` may choose: runnable, one per family
and release date) keeps its fitted capabilities score as its *true* capability c and its score SE; a synthetic
benchmark is y = rho * z(c) + sqrt(1 - rho^2) * e (e standard normal), so its correlation with c over the whole
eligible panel is about rho. An audit of a set of n models sees y and the *measured* scores c + N(0, SE^2), and
gets the audit's interval (models resampled, each score drawn from N(estimate, SE^2), median-centred percentile,
as ``audit`` does on this panel). Compared for the same n: the set ``plan --n n`` picks, and sets of n models
drawn at random from the same candidates. Printed: mean 95% interval width (and the ratio planned / random), mean
SD ratio (set / panel), the share of sets below the audit's restricted-range warning (0.8), and the range bias:
the mean of r(set) - r(eligible panel), both with the true c, so measurement noise is left out of it.
"""

from __future__ import annotations

import time

import numpy as np

import safetywashing as sw
from safetywashing._util.stats import pairwise_corr_masked
from safetywashing.capability._model import draw_scores
from safetywashing.commands._plan import _candidates, _filter, plan
from safetywashing.inference._draws import interval_from_draws, resampled_correlations


def _interval_width(y: np.ndarray, s: np.ndarray, se: np.ndarray, rng: np.random.Generator, n_boot: int) -> float:
    r, _ = pairwise_corr_masked(y[:, None], s, "spearman")
    r_b = resampled_correlations(y[:, None], s, se, draw=draw_scores, method="spearman", n_boot=n_boot, rng=rng)
    lo, hi, _ = interval_from_draws("centred percentile", r, r_b, 0.95)
    return float(hi[0] - lo[0])


def simulate(n: int = 24, reps: int = 200, rho: float = 0.6, seed: int = 0, n_boot: int = 300) -> dict[str, float]:
    """Mean interval widths, SD ratios and range bias of planned and random sets of ``n`` models (see module doc)."""
    panel = sw.load_panel("frontier")
    df, all_scores = _candidates(panel, "irt")
    cand = _filter(df, open_weights=False, providers=None, exclude=[], include=[], notes=[])
    ids = list(cand.index)
    c = cand["capabilities_score"].to_numpy(float)
    se = cand["capabilities_score_se"].to_numpy(float)
    sd_panel = float(np.nanstd(all_scores.to_numpy(float)))
    planned = np.array([ids.index(m) for m in plan(panel, n=n).models["model"]])
    rng = np.random.default_rng(seed)
    z = (c - c.mean()) / c.std()
    out: dict[str, list[float]] = {k: [] for k in ("w_p", "w_r", "u_p", "u_r", "b_p", "b_r")}
    for _ in range(reps):
        y = rho * z + np.sqrt(1 - rho**2) * rng.standard_normal(len(c))
        s_meas = c + se * rng.standard_normal(len(c))
        r_all = pairwise_corr_masked(y[:, None], c, "spearman")[0][0]
        rand = rng.choice(len(c), n, replace=False)
        for key, idx in (("p", planned), ("r", rand)):
            out[f"w_{key}"].append(_interval_width(y[idx], s_meas[idx], se[idx], rng, n_boot))
            out[f"u_{key}"].append(float(c[idx].std()) / sd_panel)
            out[f"b_{key}"].append(pairwise_corr_masked(y[idx][:, None], c[idx], "spearman")[0][0] - r_all)
    res = {
        "n": n, "reps": reps, "rho": rho, "n_candidates": len(c),
        "width_planned": float(np.mean(out["w_p"])), "width_random": float(np.mean(out["w_r"])),
        "sd_ratio_planned": float(np.mean(out["u_p"])), "sd_ratio_random": float(np.mean(out["u_r"])),
        "restricted_random": float(np.mean(np.array(out["u_r"]) < 0.8)),
        "bias_planned": float(np.mean(out["b_p"])), "bias_random": float(np.mean(out["b_r"])),
        "abs_error_planned": float(np.mean(np.abs(out["b_p"]))), "abs_error_random": float(np.mean(np.abs(out["b_r"]))),
    }
    res["width_ratio"] = res["width_planned"] / res["width_random"]
    return res


def main() -> None:
    for n in (12, 24):
        t0 = time.perf_counter()
        r = simulate(n=n)
        print(
            f"n = {n} of {r['n_candidates']} candidates, true rho {r['rho']}, {r['reps']} synthetic benchmarks: "
            f"mean 95% interval width planned {r['width_planned']:.3f}, random {r['width_random']:.3f} "
            f"(ratio {r['width_ratio']:.2f}); SD ratio planned {r['sd_ratio_planned']:.2f}, random "
            f"{r['sd_ratio_random']:.2f} ({r['restricted_random']:.0%} of random sets below 0.8); range bias "
            f"mean r(set) - r(panel): planned {r['bias_planned']:+.3f}, random {r['bias_random']:+.3f}; mean |r(set) - "
            f"r(panel)|: planned {r['abs_error_planned']:.3f}, random {r['abs_error_random']:.3f} "
            f"({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
