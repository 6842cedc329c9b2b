"""Speed of bring-your-own-data: reading a large user table and auditing with a big bootstrap.

Run: python benchmarks/byod_speed.py   (prints figures; no assertions)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import safetywashing as sw


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        n, k = 1000, 200
        df = pd.DataFrame(rng.normal(50, 10, (n, k)).round(2), columns=[f"b{j}" for j in range(k)])
        df.insert(0, "model", [f"org/model-{i}" for i in range(n)])
        df.insert(1, "family", "fam")
        df.iloc[::7, 5] = np.nan
        f = Path(d) / "big.csv"
        df.to_csv(f, index=False)
        t = _time(lambda: sw.read_table(f))
        print(f"read_table: {n} models x {k} benchmarks ({f.stat().st_size / 1e6:.1f} MB): {t:.2f} s")

        panel = sw.load_panel("chat")
        cols = ["ethics_all", "truthfulqa_mc1", "scruples", "bbq_ambig", "mt_bench"]
        cols = [c for c in cols if c in panel.scores.columns]
        user = panel.scores[cols].rename(columns=lambda c: f"my_{c}")
        user.index = [f"hf/{m}" for m in user.index]
        g = Path(d) / "mine.csv"
        user.rename_axis("model").to_csv(g)
        table = sw.read_table(g)
        for b in (2000, 10000):
            t = _time(lambda b=b: sw.audit(table, panel, bootstrap=b))
            print(f"audit: {len(user)} models x {len(cols)} benchmarks, {b} bootstrap resamples: {t:.2f} s")


if __name__ == "__main__":
    main()
