"""Speed of model-name matching against the frontier panel (178 models), by number of input names.

Run: python benchmarks/match_speed.py   (prints figures; no assertions)

Half the names are panel models written in other id styles (provider prefix, upper case, display
name; drawn with replacement, so distinct names are fewer); half are unknown names, which get fuzzy
suggestions (the costly part; the first 1000 distinct unmatched names only). Counts are of distinct names.
"""

from __future__ import annotations

import time

import numpy as np

import safetywashing as sw


def main() -> None:
    panel = sw.load_panel("frontier")
    ids = list(panel.scores.index)
    styles = [lambda m: f"provider/{m}", str.upper, panel.display_name]
    rng = np.random.default_rng(0)
    print("names  distinct  matched  ambiguous  unmatched  seconds  ms per 1000 names")
    for n in (100, 1_000, 10_000, 50_000):
        known = [styles[i % 3](ids[int(j)]) for i, j in enumerate(rng.integers(0, len(ids), n // 2))]
        unknown = [f"lab-{i}/model-{int(rng.integers(1_000_000))}-{i}" for i in range(n - n // 2)]
        t0 = time.perf_counter()
        mm = sw.match_to_panel(known + unknown, panel)
        dt = time.perf_counter() - t0
        distinct = len(set(known + unknown))
        print(
            f"{n:>5}  {distinct:>8}  {len(mm.matched):>7}  {len(mm.ambiguous):>9}  {len(set(mm.unmatched)):>9}  "
            f"{dt:>7.2f}  {1e6 * dt / n:>17.1f}"
        )


if __name__ == "__main__":
    main()
