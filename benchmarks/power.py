"""Power of the verdicts: interval width at n models, and models needed to tell "low" from "moderate".

Run from the repository root:

    python benchmarks/power.py [--reps 40] [--bootstrap 1000] [--figure power.png]

Prints three tables:

1. the ideal (Fisher-z) interval width and power of ``safetywashing.inference._power``
   for a typical low (rho 0.2), moderate (0.55) and high (0.85) benchmark;
2. the same measured on synthetic panels through the package's whole pipeline
   (12 one-factor capability columns, one benchmark with Spearman correlation
   ~rho with the capability factor; BCa bootstrap with PC1 re-estimated in
   every resample; no multiplicity adjustment): mean interval width and the
   share of single-band verdicts / of intervals that exclude the 0.4 boundary;
3. the mean interval width and single-band count on the shipped panels.

With ``--figure FILE`` it also draws expected width against n (PNG/SVG/PDF by
the suffix). Takes about a minute with the defaults.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

import safetywashing as sw
from safetywashing.inference._power import interval_width, models_needed, separation_power

RHOS = (0.2, 0.55, 0.85)
NS = (10, 15, 26, 40, 60, 100)


def synthetic(n: int, rho: float, rng: np.random.Generator) -> sw.ScoreMatrix:
    """n models: 12 capability columns loading 0.85 on a factor g, one benchmark with Pearson correlation rho with g."""
    g = rng.normal(size=n)
    cols = {f"cap{j}": 0.85 * g + math.sqrt(1 - 0.85**2) * rng.normal(size=n) for j in range(12)}
    cols["bench"] = rho * g + math.sqrt(1 - rho * rho) * rng.normal(size=n)
    df = pd.DataFrame(cols, index=[f"m{i}" for i in range(n)])
    return sw.ScoreMatrix.from_frame(df, roles={f"cap{j}": "capability" for j in range(12)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=40, help="synthetic panels per (n, rho)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples per analysis")
    ap.add_argument("--figure", default=None, help="write the width-vs-n figure here")
    a = ap.parse_args()

    print("1. Ideal Fisher-z interval (Bonett-Wright SE for Spearman), 95%: expected width / P(interval excludes 0.4)")
    print("     n  " + "  ".join(f"rho={r:<4}  width   P" for r in RHOS))
    for n in NS + (150, 250):
        cells = [f"{interval_width(n, r):.2f}  {separation_power(n, r):.2f}" for r in RHOS]
        print(f"  {n:4d}  " + "     ".join(f"      {c}" for c in cells))
    for r in (0.2, 0.55):
        print(f"  models needed for rho = {r} to exclude 0.4 with 80% power (95% interval): {models_needed(r)}")
    print()

    print(f"2. Whole pipeline on synthetic panels ({a.reps} panels per cell, BCa, {a.bootstrap} resamples, Spearman)")
    print("     n   rho  mean width  single band  excludes 0.4   s/analysis")
    rng = np.random.default_rng(0)
    sim: dict[tuple[int, float], float] = {}
    for n in NS:
        for rho in RHOS:
            widths, single, excl = [], 0, 0
            t0 = time.perf_counter()
            for _ in range(a.reps):
                res = sw.analyze(synthetic(n, rho, rng), bootstrap=a.bootstrap, seed=int(rng.integers(1 << 30)))
                row = res.result("bench")
                lo, hi = row.extra["ci_low"], row.extra["ci_high"]
                if lo is None:
                    continue
                widths.append(hi - lo)
                single += len(row.extra["verdict_bands"]) == 1
                excl += lo > 0.4 or hi < 0.4
            dt = (time.perf_counter() - t0) / a.reps
            sim[(n, rho)] = float(np.mean(widths))
            print(f"  {n:4d}  {rho:4.2f}  {np.mean(widths):10.2f}  {single / a.reps:11.0%}  {excl / a.reps:12.0%}   {dt:10.3f}")
    print()

    print("3. Shipped panels (BCa, 2000 resamples, seed 0, no adjustment / FCR): non-capability benchmarks")
    for panel in ("base", "chat"):
        for adjust in ("none", "fcr"):
            res = sw.analyze(sw.load_panel(panel), bootstrap=2000, seed=0, adjust=adjust)
            rows = [r for r in res.results if r.role != "capability" and r.extra.get("ci_low") is not None]
            w = np.array([r.extra["ci_high"] - r.extra["ci_low"] for r in rows])
            single = sum(len(r.extra["verdict_bands"]) == 1 for r in rows)
            print(f"  {panel:4s} (n = {res.n_models}) adjust {adjust:4s}: median width {np.median(w):.2f}, "
                  f"single-band verdicts {single} of {len(rows)}")

    if a.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.6, 3.2), dpi=150)
        ns = np.arange(6, 301)
        for rho, col in zip(RHOS, ("#1b9e77", "#d95f02", "#7570b3")):
            ax.plot(ns, [interval_width(int(n), rho) for n in ns], color=col, lw=1.2, label=f"ideal, rho = {rho}")
            pts = [(n, sim[(n, rho)]) for n in NS if (n, rho) in sim]
            ax.scatter(*zip(*pts), color=col, s=14, marker="o", edgecolors="#333", linewidths=0.4,
                       label=f"whole pipeline, rho = {rho}")
        ax.axhline(0.3, color="#999", ls=":", lw=0.8)
        ax.text(300, 0.31, "width of the moderate band (0.3)", ha="right", va="bottom", fontsize=6, color="#666")
        ax.set_xscale("log")
        ax.set_xlabel("models in the panel (n, log scale)")
        ax.set_ylabel("width of the 95% interval of r\n(lower = sharper verdicts)")
        ax.set_title(f"How many models a verdict needs (dots: mean of {a.reps} synthetic panels)", fontsize=7, loc="left")
        ax.legend(fontsize=5.5, frameon=False, ncol=2)
        fig.tight_layout()
        fig.savefig(a.figure)
        print(f"\nwrote {a.figure}")


if __name__ == "__main__":
    main()
