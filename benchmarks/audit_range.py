"""Restricted range in audits: how the capabilities correlation of a benchmark shrinks when the audited
models span a narrow band of capability, and where ``audit`` should warn.

Run: PYTHONPATH=src python benchmarks/audit_range.py

For each embedded panel, the "truth" is each non-capability benchmark's correlation with the capabilities
score over the whole panel (direction fixed, as ``audit`` fixes it). Audits are simulated on subsets of the
panel's models: every window of m consecutive models in capability order (the restricted audits) and random
subsets of m models. Each subset gets ``capability_sd_ratio`` u = SD of its scores / SD over the panel
(ddof = 0), its correlation and ``audit``'s percentile bootstrap interval (500 resamples, direction fixed).
Printed by bin of u, for benchmarks whose panel-wide |r| >= 0.4: mean r (sign-aligned so the panel value is
positive), mean panel r, coverage of the panel value by the interval, and Thorndike's case-II expectation
r_u = r u / sqrt(1 - r^2 + r^2 u^2) at the bin's mean u for the mean panel r.
"""

from __future__ import annotations

import time

import numpy as np

import safetywashing as sw
from safetywashing._util.stats import pairwise_corr_masked
from safetywashing.commands._analyze import capability_direction
from safetywashing.commands._audit import bootstrap_corr_fixed, restricted_range_r

BINS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 2.0)


def main() -> None:
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for panel_name in ("chat", "base"):
        m = sw.load_panel(panel_name)
        d, sc, _ = capability_direction(m)
        caps = list(d.benchmarks)
        others = [b for b in m.scores.columns if b not in caps]
        s_all = sc.to_numpy()
        order = np.argsort(s_all)
        y_all = m.scores[others].to_numpy(float)
        r_full, _ = pairwise_corr_masked(y_all, s_all, "spearman")
        sign = np.sign(r_full)
        strong = np.abs(r_full) >= 0.4
        n = len(s_all)
        sd_all = s_all.std()
        recs = []  # (u, kind, r_sub aligned, r_full aligned, covered)
        for size in (8, n // 2):
            subsets = [("window", order[i : i + size]) for i in range(0, n - size + 1)]
            subsets += [("random", rng.choice(n, size, replace=False)) for _ in range(60)]
            for kind, idx in subsets:
                u = s_all[idx].std() / sd_all
                r, _ = pairwise_corr_masked(y_all[idx], s_all[idx], "spearman")
                lo, hi, _ = bootstrap_corr_fixed(y_all[idx], s_all[idx], method="spearman", n_boot=500, level=0.95,
                                                 rng=rng)
                cov = (lo <= r_full) & (r_full <= hi)
                ok = strong & ~np.isnan(r)
                for j in np.nonzero(ok)[0]:
                    recs.append((u, kind, size, r[j] * sign[j], abs(r_full[j]), bool(cov[j])))
        arr = np.array([(u, sz, rs, rf, c) for u, _, sz, rs, rf, c in recs], dtype=float)
        kinds = np.array([k for _, k, *_ in recs])
        print(f"\npanel {panel_name!r}: {n} models, {int(strong.sum())} benchmarks with panel-wide |r| >= 0.4; "
              f"subsets of 8 and {n // 2} models ({len(arr)} subset x benchmark audits)")
        print(f"{'u bin':>11} {'audits':>7} {'windows':>8} {'mean r':>7} {'panel r':>8} {'Thorndike':>10} {'coverage':>9}")
        for a, b in zip(BINS[:-1], BINS[1:]):
            sel = (arr[:, 0] >= a) & (arr[:, 0] < b)
            if not sel.any():
                continue
            u = arr[sel, 0].mean()
            rf = arr[sel, 3].mean()
            print(f"{a:>4.1f}-{min(b, 9.9):<4.1f}   {sel.sum():>7} {int((kinds[sel] == 'window').sum()):>8} "
                  f"{arr[sel, 2].mean():>7.3f} {rf:>8.3f} {restricted_range_r(rf, u):>10.3f} {arr[sel, 4].mean():>9.1%}")
        half = (kinds == "window") & (arr[:, 1] == n // 2)
        weak = half & (arr[:, 0] == arr[half, 0][0])
        print(f"weakest {n // 2} models (u = {arr[weak, 0][0]:.2f}): mean r {arr[weak, 2].mean():.3f} against panel "
              f"{arr[weak, 3].mean():.3f}, coverage {arr[weak, 4].mean():.1%}")
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
