"""Coverage of the verdicts' intervals: per interval, among the selected (FCR), and with model families.

Run from the repository root:

    python benchmarks/multiplicity.py [--reps 60] [--bootstrap 1000] [--icc 0.5]

Synthetic panels shaped like the chat panel: 26 models in 8 families of sizes
8, 5, 3, 3, 2, 2, 2, 1; a capability factor ``g`` with a family part (share
``--icc`` of its variance) and a model part; 12 capability columns loading 0.85
on ``g``; 60 benchmarks whose correlation with ``g`` is 0 (20 of them), 0.5
(20) or 0.85 (20), with the family sharing part of each benchmark's noise too.
The true capabilities correlation of each benchmark is taken from one panel of
20,000 models drawn the same way (the package's own point estimate on it).

For each synthetic panel and each setting (model bootstrap with --adjust none
and fcr; family bootstrap, --cluster family, with none) it counts:

* coverage: share of the 60 intervals that contain the true correlation;
* FCR: among the benchmarks selected by --adjust fcr (interval excludes 0), the
  share whose interval misses (the false-coverage rate, target <= 5%);
* single-band verdicts and wrong single-band verdicts (the band named is not
  the true correlation's band).

Prints one table and the timing (wall and CPU).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

import safetywashing as sw

SIZES = (8, 5, 3, 3, 2, 2, 2, 1)
RHOS = np.repeat([0.0, 0.5, 0.85], 20)


def draw(sizes: tuple[int, ...], icc: float, rng: np.random.Generator) -> sw.ScoreMatrix:
    fam = np.repeat(np.arange(len(sizes)), sizes)
    n = len(fam)
    g = math.sqrt(icc) * rng.normal(size=len(sizes))[fam] + math.sqrt(1 - icc) * rng.normal(size=n)
    cols = {f"cap{j}": 0.85 * g + math.sqrt(1 - 0.85**2) * rng.normal(size=n) for j in range(12)}
    for j, rho in enumerate(RHOS):
        noise = math.sqrt(icc) * rng.normal(size=len(sizes))[fam] + math.sqrt(1 - icc) * rng.normal(size=n)
        cols[f"b{j}"] = rho * g + math.sqrt(1 - rho * rho) * noise
    df = pd.DataFrame(cols, index=[f"m{i}" for i in range(n)])
    m = sw.ScoreMatrix.from_frame(df, roles={f"cap{j}": "capability" for j in range(12)})
    models = m.models.copy()
    models["family"] = [f"f{k}" for k in fam]
    return sw.ScoreMatrix(m.name, m.scores, models, m.benchmarks, m.notes, m.source)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--icc", type=float, default=0.5, help="share of variance shared within a family")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    t0, c0 = time.perf_counter(), time.process_time()

    big_sizes = tuple([4] * 5000)
    truth_res = sw.analyze(draw(big_sizes, a.icc, rng))
    truth = np.array([truth_res.result(f"b{j}").correlation for j in range(len(RHOS))])
    true_band = [sw.band(t) for t in truth]
    print(f"true capabilities correlations (20,000 models): rho 0 -> {truth[:20].mean():+.3f}, "
          f"0.5 -> {truth[20:40].mean():+.3f}, 0.85 -> {truth[40:].mean():+.3f}")

    settings = {"model, none": dict(adjust="none"), "model, fcr": dict(adjust="fcr"),
                "family, none": dict(adjust="none", cluster="family"), "family, fcr": dict(adjust="fcr", cluster="family")}
    stats = {k: {"cover": [], "fcr": [], "single": [], "wrong": []} for k in settings}
    for _ in range(a.reps):
        m = draw(SIZES, a.icc, rng)
        seed = int(rng.integers(1 << 30))
        for name, opts in settings.items():
            res = sw.analyze(m, bootstrap=a.bootstrap, seed=seed, sensitivity=False, **opts)
            rows = [res.result(f"b{j}") for j in range(len(RHOS))]
            lo = np.array([r.extra["ci_low"] if r.extra["ci_low"] is not None else np.nan for r in rows])
            hi = np.array([r.extra["ci_high"] if r.extra["ci_high"] is not None else np.nan for r in rows])
            ok = ~np.isnan(lo)
            cover = (lo <= truth) & (truth <= hi)
            stats[name]["cover"].append(cover[ok].mean())
            sel = ok & ((lo > 0) | (hi < 0))
            if sel.any():
                stats[name]["fcr"].append((~cover[sel]).mean())
            single = [len(r.extra["verdict_bands"]) == 1 for r in rows]
            stats[name]["single"].append(sum(single))
            stats[name]["wrong"].append(sum(s and r.verdict != tb for s, r, tb in zip(single, rows, true_band)))

    print(f"\n{a.reps} synthetic panels of 26 models in 8 families (ICC {a.icc}), 60 benchmarks, BCa, "
          f"{a.bootstrap} resamples")
    print("  resampling, adjust   coverage   FCR among selected   single-band verdicts   wrong single-band")
    for name, st in stats.items():
        print(f"  {name:18s}   {np.mean(st['cover']):7.1%}   {np.mean(st['fcr']):18.1%}   "
              f"{np.mean(st['single']):20.1f}   {np.mean(st['wrong']):17.2f}")
    print(f"\nwall {time.perf_counter() - t0:.1f} s, CPU {time.process_time() - c0:.1f} s")


if __name__ == "__main__":
    main()
