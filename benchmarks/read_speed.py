"""Speed of the table reader (``read_table``) on large wide tables, beside pandas.read_csv on the same file.

The reader parses numbers column-wise (pandas' C reader, ``pandas.to_numeric``);
the per-cell parser only words the message for the first bad cell. Tables:
clean numbers; the same with ~14% missing cells written as NA / empty in every
column (object columns take the vectorised text path); and one with quoted
model names (rows split by Python's csv module).

Run: python benchmarks/read_speed.py [--models 100000] [--benchmarks 50]   (prints a table; no assertions)
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import safetywashing as sw


def _time(fn) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _write(path: Path, n: int, k: int, *, missing: bool, quoted: bool) -> None:
    rng = np.random.default_rng(0)
    vals = rng.random((n, k)).round(4)
    df = pd.DataFrame(vals, columns=[f"bench_{j}" for j in range(k)]).astype(object)
    if missing:
        for j in range(k):
            df.iloc[(np.arange(n) + j) % 7 == 0, j] = "NA" if j % 2 else ""
    names = [f"org/model-{i}" + (", v2" if quoted and i % 10 == 0 else "") for i in range(n)]
    df.insert(0, "model", names)
    df.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=100_000)
    ap.add_argument("--benchmarks", type=int, default=50)
    a = ap.parse_args()
    n, k = a.models, a.benchmarks
    print(f"{n:,} models x {k} benchmarks, {os.cpu_count()} CPU(s); wall / CPU seconds of one read")
    print(f"{'table':<34}{'MB':>6}{'read_table':>18}{'pandas.read_csv':>18}")
    with tempfile.TemporaryDirectory() as d:
        for label, missing, quoted in (
            ("clean numbers", False, False),
            ("14% missing (NA / empty)", True, False),
            ("14% missing + quoted names", True, True),
        ):
            f = Path(d) / "t.csv"
            _write(f, n, k, missing=missing, quoted=quoted)
            w1, c1 = _time(lambda: sw.read_table(f))  # noqa: B023
            w2, c2 = _time(lambda: pd.read_csv(f))  # noqa: B023
            print(f"{label:<34}{f.stat().st_size / 1e6:>6.1f}{w1:>10.2f} /{c1:>5.2f}{w2:>10.2f} /{c2:>5.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
