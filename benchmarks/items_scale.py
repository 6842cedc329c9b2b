"""Scaling of ``safetywashing items`` against one DuckDB query over the same file: time ratios and peak memory.

For each size (models x items) a synthetic long table ``model,item,score`` is
written with DuckDB (a two-trait response model: every third item follows a
"safety" trait independent of capability, the rest follow capability; 0/1
scores), in CSV and Parquet, plus a capabilities-score file. Three programs
then run in subprocesses, alternating, ``--repeats`` times each:

* **anchor**: one DuckDB query computing every item's Spearman r with the
  capabilities score over the same file (the scores ranked once, then
  ``corr(score, rank)`` per item: Spearman's r for 0/1 items answered by every
  model);
* **reader**: ``read_items`` alone (validation, encoding, the float32 matrix);
* **items**: the whole command, ``safetywashing items FILE --model-scores SCORES
  --format json --output OUT``.

Printed per size and format: the anchor's median wall seconds, each
program's median wall time as a ratio to the anchor's (``x``, measured
alternately), the same ratio of CPU seconds (``cpu x``: steadier on a shared
machine, where the multi-threaded anchor loses most wall time) and its largest
peak resident memory (``getrusage`` of the child). Issue 23's goals on 2e7 responses
(1,000 x 20,000): items <= 5x the anchor on Parquet, <= 3x on CSV, peak
memory <= 600 MB.

Usage (from the repository root):
    python benchmarks/items_scale.py                       # 1,000 x 20,000 (2e7 responses)
    python benchmarks/items_scale.py --sizes 100x2000,300x6667,1000x20000 --repeats 5
    python benchmarks/items_scale.py --formats parquet --keep /tmp/sw-items-bench
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANCHOR = """
import sys, duckdb
table, scores = sys.argv[1], sys.argv[2]
lit = lambda s: "'" + s.replace("'", "''") + "'"
src = f"read_parquet({lit(table)})" if table.endswith(".parquet") else f"read_csv({lit(table)}, header=true)"
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(
    "WITH s AS (SELECT model, (rank() OVER (ORDER BY capabilities_score) "
    "+ count(*) OVER (PARTITION BY capabilities_score) - 1) / 2.0 AS rc "
    f"FROM read_csv({lit(scores)}, header=true)) "
    f"SELECT t.item, corr(t.score::DOUBLE, s.rc) AS r, count(*) AS n FROM {src} t JOIN s USING (model) GROUP BY t.item"
).fetchnumpy()
"""

READER = """
import sys
from safetywashing.sources._items import read_items
mats, _ = read_items([sys.argv[1]])
assert mats[0].y.shape[0] > 0
"""


def write_table(folder: Path, n_models: int, n_items: int, fmt: str, seed: float = 0.42) -> tuple[Path, Path]:
    """Write the synthetic long table (``fmt``: csv or parquet) and the scores CSV; return their paths."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": str(folder)})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed})")
    # capability theta and safety eta per model, difficulty b per item (deterministic functions of the ids + noise)
    con.execute(
        f"CREATE TABLE models AS SELECT m, 'model-' || lpad(m::VARCHAR, 5, '0') AS model, "
        f"sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS theta, "
        f"sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS eta FROM range({n_models}) t(m)"
    )
    con.execute(
        f"CREATE TABLE items AS SELECT i, 'item-' || lpad(i::VARCHAR, 6, '0') AS item, "
        f"sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS b, i % 3 = 0 AS safety FROM range({n_items}) t(i)"
    )
    table = folder / f"long_{n_models}x{n_items}.{fmt}"
    opts = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
    con.execute(
        "COPY (SELECT model, item, (random() < 1 / (1 + exp(-1.5 * (CASE WHEN safety THEN eta ELSE theta END - b))))::INT "
        f"AS score FROM models, items ORDER BY m, i) TO '{table}' {opts}"
    )
    scores = folder / f"scores_{n_models}.csv"
    con.execute(
        "COPY (SELECT model, theta + 0.2 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS capabilities_score "
        f"FROM models) TO '{scores}' (FORMAT csv, HEADER true)"
    )
    con.close()
    return table, scores


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd``; return its wall seconds, CPU seconds (user + system) and peak resident memory in MB (its getrusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure(table: Path, scores: Path, out: Path, repeats: int) -> dict[str, tuple[float, float, float]]:
    """Median wall and CPU seconds and max peak MB of anchor, reader and items, run alternately ``repeats`` times."""
    cmds = {
        "anchor": [sys.executable, "-c", ANCHOR, str(table), str(scores)],
        "reader": [sys.executable, "-c", READER, str(table)],
        "items": [sys.executable, "-m", "safetywashing", "items", str(table), "--model-scores", str(scores),
                  "--format", "json", "--output", str(out)],
    }
    got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
    for _ in range(repeats):
        for k, cmd in cmds.items():
            got[k].append(run(cmd))
    return {
        k: (statistics.median(g[0] for g in v), statistics.median(g[1] for g in v), max(g[2] for g in v))
        for k, v in got.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000x20000", help="comma-separated MODELSxITEMS")
    ap.add_argument("--formats", default="parquet,csv", help="csv and/or parquet")
    ap.add_argument("--repeats", type=int, default=5, help="alternating runs of each program (the median is shown)")
    ap.add_argument("--keep", default=None, help="folder to keep the generated files in (default: a temporary one)")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sw-items-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}; median of {args.repeats} alternating runs")
    head = (f"{'models':>7} {'items':>7} {'format':>8} {'anchor s':>9} {'anchor MB':>10} {'reader x':>9} {'cpu x':>6} "
            f"{'reader MB':>10} {'items x':>8} {'cpu x':>6} {'items MB':>9} {'goal':>14}")
    print(head)
    print("-" * len(head))
    try:
        for size in args.sizes.split(","):
            n_models, n_items = (int(x) for x in size.lower().split("x"))
            for fmt in args.formats.split(","):
                table = folder / f"long_{n_models}x{n_items}.{fmt}"
                scores = folder / f"scores_{n_models}.csv"
                if not (table.is_file() and scores.is_file()):
                    # in a fresh process: a child forked from a parent that grew while writing would count the
                    # parent's pages in its own peak memory
                    with multiprocessing.get_context("spawn").Pool(1) as pool:
                        table, scores = pool.apply(write_table, (folder, n_models, n_items, fmt))
                r = measure(table, scores, folder / "out.json", args.repeats)
                (a, ac, am), (rw, rc, rm), (iw, ic, im) = r["anchor"], r["reader"], r["items"]
                goal = "items <= 5x" if fmt == "parquet" else "items <= 3x"
                print(
                    f"{n_models:>7} {n_items:>7} {fmt:>8} {a:>9.2f} {am:>10.0f} {rw / a:>9.1f} {rc / ac:>6.1f} {rm:>10.0f} "
                    f"{iw / a:>8.1f} {ic / ac:>6.1f} {im:>9.0f} {goal + ', 600 MB':>14}",
                    flush=True,
                )
                if not args.keep:
                    table.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f} (ratios are measured alternately; absolute seconds are noisy)")


if __name__ == "__main__":
    main()
