"""Scaling of ``analyze --data``: wall time, CPU time and peak memory from 100 to 100,000 models.

Run from the repository root:

    python benchmarks/scaling.py                      # the README's table (takes ~10 minutes)
    python benchmarks/scaling.py --quick              # up to 1,000 models only

Each row runs the real command in a fresh process on a synthetic wide CSV
(12 of the registry's capability benchmarks plus safety columns; scores on a
0-100 scale with one decimal, so ties occur; 5% of the safety cells and 1% of
the capability cells missing, so almost every column has its own pattern of
missing models) and reports that process's wall time, CPU time (user + system)
and peak resident memory (``ru_maxrss`` from ``wait4``). Two modes:

* ``default``: ``analyze --data FILE --format json`` (2,000 BCa bootstrap
  resamples, leave-one-out ranges, compute correlation);
* ``--bootstrap 0``: point estimates and leave-one-out ranges only.

Targets (issue 12): default on 5,000 models x 200 benchmarks <= 120 s and
<= 2 GB; ``--bootstrap 0`` on 100,000 models x 50 benchmarks <= 60 s and
<= 2 GB, on a 2-core machine. On a machine shared with other jobs the wall
time grows with the load while the CPU time does not: read both (the load
average is printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CAPS = ["mmlu", "arc_challenge", "gsm8k", "hellaswag", "winogrande", "bbh", "piqa", "logiqa", "lambada_openai",
        "minerva_math", "medqa_4options", "superglue_copa"]  # fmt: skip


def synthetic_table(path: Path, n: int, p: int, seed: int = 0) -> None:
    """A wide CSV of ``n`` models x ``p`` benchmarks (12 capability columns + ``p - 12`` others)."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n)
    k = len(CAPS)
    caps = 50 + 12 * (0.8 * g[:, None] + 0.6 * rng.normal(size=(n, k)))
    rho = rng.uniform(-0.9, 0.9, p - k)
    other = 50 + 12 * (rho * g[:, None] + np.sqrt(1 - rho**2) * rng.normal(size=(n, p - k)))
    x = np.round(np.clip(np.hstack([caps, other]), 0, 100), 1)
    miss = rng.random(x.shape) < np.r_[np.full(k, 0.01), np.full(p - k, 0.05)]
    x[miss] = np.nan
    names = [f"org/model-{i:06d}" for i in range(n)]
    cols = CAPS + [f"safety_{j:03d}" for j in range(p - k)]
    with open(path, "w") as f:
        f.write("model," + ",".join(cols) + "\n")
        for name, row in zip(names, x):
            f.write(name + "," + ",".join("" if np.isnan(v) else f"{v:.1f}" for v in row) + "\n")


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MiB, exit code) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(f"  failed ({proc.returncode}): {err.strip()[:300]}", file=sys.stderr)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only up to 1,000 models")
    a = ap.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    runs = [  # (models, benchmarks, extra options)
        (100, 200, []), (1000, 200, []), (2000, 200, []), (5000, 200, []),
        (100, 50, ["--bootstrap", "0"]), (1000, 50, ["--bootstrap", "0"]), (10000, 50, ["--bootstrap", "0"]),
        (30000, 50, ["--bootstrap", "0"]), (100000, 50, ["--bootstrap", "0"]),
    ]  # fmt: skip
    if a.quick:
        runs = [r for r in runs if r[0] <= 1000]
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f} (other processes slow the wall time)")
    print("| models | benchmarks | command | wall (s) | CPU (s) | peak memory (MiB) |")
    print("|---:|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for n, p, extra in runs:
            path = Path(d) / f"table_{n}_{p}.csv"
            if not path.exists():
                synthetic_table(path, n, p)
            out = Path(d) / "out.json"
            cmd = [sys.executable, "-m", "safetywashing", "analyze", "--data", str(path), *extra, "--format", "json",
                   "--output", str(out)]  # fmt: skip
            wall, cpu, rss, rc = measure(cmd, env)
            label = "analyze --data FILE " + " ".join(extra) if extra else "analyze --data FILE"
            flag = "" if rc == 0 else f" (exit {rc})"
            print(f"| {n:,} | {p} | `{label.strip()}` | {wall:.1f}{flag} | {cpu:.1f} | {rss:,.0f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
