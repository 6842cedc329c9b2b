"""Where the time of ``safetywashing items`` goes, and its floor: the command beside its parts, in fresh processes.

Each program runs in its own process, alternately, ``--repeats`` times (median wall and CPU seconds, largest peak
memory); each one does the previous one's work and one part more, so the differences are the parts' costs:

* **anchor**: one DuckDB query computing every item's Spearman r (as ``benchmarks/goals.py``);
* **imports**: Python and the modules the ``items`` command loads;
* **reader**: + ``read_items`` (validation, encoding, the float32 matrix): the floor of any command on this file;
* **fits 1 thread** / **fits 2 threads**: + the per-item logistic fits alone (``item_models``);
* **statistics**: + every statistic of the audit (``audit_items``, the fits on their threads beside the rest);
* **items**: the whole command with ``--format json --output`` (+ matching the models, the JSON text, the write).

Usage (from the repository root; the table is ``model,item,score``, the scores file ``model,capabilities_score``):
    python benchmarks/items_floor.py TABLE SCORES [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from goals import ANCHOR  # the same anchor query as goals.py (this folder is on sys.path)

PARTS = """
import sys
from safetywashing._util.process import reuse_mid_blocks
from safetywashing._util.process import keep_freed_memory
keep_freed_memory(); reuse_mid_blocks()  # as the console script and the items command
import numpy as np
import safetywashing.cli._items  # noqa: F401 - the command's own imports
from safetywashing.commands._items import read_model_scores
from safetywashing.commands._items_audit import audit_items
from safetywashing.inference._item_stats import item_models
part = sys.argv[3]
if part != "imports":
    from safetywashing.sources._items import read_items
    mat = read_items([sys.argv[1]])[0][0]
    scores = read_model_scores(sys.argv[2])
    s = np.array([scores.get(m, np.nan) for m in mat.models], dtype=float)
    if part.startswith("fits"):
        item_models(mat.y, s, threads=int(part[-1]))
    elif part == "statistics":
        audit_items(mat.y, s, list(mat.items))
"""


def run(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, its threads included) and peak MiB of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(args[:6])}\n{proc.stderr.read().decode(errors='replace') if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("scores")
    ap.add_argument("--repeats", type=int, default=3, help="alternating rounds (median); default 3")
    a = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        progs = {
            "anchor (1 DuckDB query)": [py, "-c", ANCHOR, a.table, a.scores],
            **{name: [py, "-c", PARTS, a.table, a.scores, part] for name, part in (
                ("imports", "imports"), ("+ reader", "reader"), ("+ fits alone, 1 thread", "fits1"),
                ("+ fits alone, 2 threads", "fits2"), ("+ all statistics", "statistics"))},
            "items command (json)": [py, "-m", "safetywashing", "items", a.table, "--model-scores", a.scores,
                                     "--format", "json", "--output", os.path.join(d, "out.json")],
        }
        got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in progs}
        print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}; {a.table}")
        for _ in range(a.repeats):
            for k, cmd in progs.items():
                got[k].append(run(cmd))
    print(f"{'program':28s} {'wall s':>7s} {'cpu s':>7s} {'peak MiB':>9s}")
    for k, v in got.items():
        print(f"{k:28s} {statistics.median(x[0] for x in v):7.2f} {statistics.median(x[1] for x in v):7.2f} "
              f"{max(x[2] for x in v):9.0f}")
    print(f"(median of {a.repeats} alternating rounds; load average after: {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
