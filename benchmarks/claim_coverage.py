"""Coverage of claim's prediction interval for the part beyond capabilities, by leave-pair-out on both panels.

Run: PYTHONPATH=src python benchmarks/claim_coverage.py

Every pair of panel models (before = one, after = the other) is held out in turn; the capability direction and
each non-capability benchmark's line are re-estimated on the remaining models, and the pair is checked as a
claim (``safetywashing.commands._claim.leave_pair_out``). A pair is covered when its part beyond capabilities lies inside
the prediction interval around 0, i.e. when ``claim`` would not call it supported; 1 - coverage is the share
of real model pairs that ``claim`` would call "supported". Printed per panel and level: coverage over all
(benchmark, pair) cases, its spread over benchmarks, and same-family pairs (family = the panels' shipped
model -> family map, the developer's series: Qwen, Llama, Mistral, ...) against pairs from different families, with
SD(beyond) / SE (plain and robust, 1.4826 x MAD): below 1 means same-family models sit closer to each
other than independent models would.
"""

from __future__ import annotations

import time

import numpy as np

import safetywashing as sw
from safetywashing.commands._claim import leave_pair_out


def rsd(z: np.ndarray) -> float:
    """Robust SD: 1.4826 x median absolute deviation (insensitive to the heavy tails)."""
    z = z[np.isfinite(z)]
    return float(1.4826 * np.median(np.abs(z - np.median(z))))


def main() -> None:
    t0 = time.perf_counter()
    for panel in ("chat", "base"):
        m = sw.load_panel(panel)
        for level in (0.95, 0.90):
            d = leave_pair_out(m, level=level)
            fam = m.models["family"]
            same = (fam.reindex(d.before).to_numpy() == fam.reindex(d.after).to_numpy())
            per = d.groupby("benchmark").covered.mean()
            npairs = d[["before", "after"]].drop_duplicates().shape[0]
            nsame = d.loc[same, ["before", "after"]].drop_duplicates().shape[0]
            print(f"{panel} level {level:.2f}: coverage {d.covered.mean():.3f} over {len(d)} (benchmark, pair) cases "
                  f"({per.size} benchmarks, {npairs} pairs of {m.n_models} models); per benchmark: min {per.min():.3f}, "
                  f"5th pct {per.quantile(0.05):.3f}, median {per.median():.3f}")
            if level == 0.95:
                from scipy.stats import t

                se = d.halfwidth / t.ppf(0.975, d.n - 2)
                z = (d.beyond / se.where(se > 0)).to_numpy()
                fin = np.isfinite(z)
                z = np.where(fin, z, np.nan)
                zs, zo = z[same], z[~same]
                print(f"  same-family pairs ({nsame}): coverage {d.covered[same].mean():.3f}, "
                      f"SD(beyond)/SE {np.nanstd(zs):.2f} (robust {rsd(zs):.2f}); other pairs ({npairs - nsame}): "
                      f"coverage {d.covered[~same].mean():.3f}, SD(beyond)/SE {np.nanstd(zo):.2f} "
                      f"(robust {rsd(zo):.2f}; {int((~fin).sum())} cases with SE 0 left out)")
    print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
