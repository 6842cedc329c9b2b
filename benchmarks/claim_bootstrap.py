"""Speed of the claim bootstrap (batched over resamples) and of the leaderboard.

Run: PYTHONPATH=src python benchmarks/claim_bootstrap.py
Prints seconds per call and resamples per second on the embedded chat panel.
"""

from __future__ import annotations

import time

import safetywashing as sw


def main() -> None:
    m = sw.load_panel("chat")
    before, after = m.scores.iloc[2], m.scores.iloc[3]
    sw.claim(m, before, after, "ethics_all", bootstrap=100)  # warm-up
    for n_boot in (0, 2000, 10000, 50000):
        t = time.perf_counter()
        r = sw.claim(m, before, after, "ethics_all", bootstrap=n_boot, seed=0)
        dt = time.perf_counter() - t
        rate = f"{n_boot / dt:,.0f} resamples/s" if n_boot else "point estimate only"
        print(f"claim chat/ethics_all  bootstrap={n_boot:>6}: {dt:6.3f} s  ({rate}; {r.n_bootstrap_skipped} skipped)")
    t = time.perf_counter()
    for _ in range(10):
        sw.leaderboard(m, "ethics_all")
    print(f"leaderboard chat/ethics_all: {(time.perf_counter() - t) / 10:6.3f} s per call")


if __name__ == "__main__":
    main()
