"""Speed of the bootstrap: prints wall times (seconds) of the real command and of its parts.

Run from the repository root:  python benchmarks/bootstrap.py [--repeat 5] [--resamples 10000]

Target (issue 4): ``safetywashing analyze --bootstrap 10000 --seed 0 --format json``
on both panels <= 3 s wall including start-up on a 2-core machine. The
paper's pandas code needs ~0.64 s per point estimate of both panels, so
10,000 resamples its way would take ~6,400 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--resamples", type=int, default=10000)
    a = ap.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    py = [sys.executable, "-m", "safetywashing"]
    cmd = [*py, "analyze", "--bootstrap", str(a.resamples), "--seed", "0", "--format", "json"]
    base = [*py, "analyze", "--bootstrap", "0", "--no-sensitivity", "--compute", "none", "--format", "json"]
    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes slow every figure down)")
    jobs = [("point estimates only (start-up + 2 panels)", base), (" ".join(["analyze", *cmd[4:]]), cmd)]
    for label, c in jobs:
        ts = [wall(c, env) for _ in range(a.repeat)]
        print(f"{label}: min {min(ts):.2f} s, median {statistics.median(ts):.2f} s over {a.repeat} runs")

    sys.path.insert(0, str(ROOT / "src"))
    import numpy as np

    import safetywashing as sw
    from safetywashing.capability._pca_engine import Engine
    from safetywashing.inference._bootstrap import bootstrap_counts

    for method in ("spearman", "pearson"):
        for panel in ("base", "chat"):
            m = sw.load_panel(panel)
            cols = list(m.scores.columns)
            e = Engine(m.scores.to_numpy(), [cols.index(c) for c in m.capability_benchmarks], method)
            counts = bootstrap_counts(m.n_models, a.resamples, 0)
            ts = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                run = e.run(counts)
                ts.append(time.perf_counter() - t)
            print(
                f"engine only, {panel:4s} {method:8s}: {a.resamples} resamples x {m.n_models} models x {len(cols)} benchmarks "
                f"in {min(ts):.3f} s (min of {a.repeat}); {int((~run.ok).sum())} skipped"
            )
    t = time.perf_counter()
    sw.analyze(sw.load_panel("chat"))
    print(f"one point estimate (chat, this package): {time.perf_counter() - t:.4f} s")
    try:
        import threadpoolctl  # noqa: F401

        print("threadpoolctl: present (engine runs BLAS single-threaded)")
    except ImportError:
        print(f"threadpoolctl: MISSING (BLAS threads unlimited; numpy {np.__version__}); pip install threadpoolctl")


if __name__ == "__main__":
    main()
