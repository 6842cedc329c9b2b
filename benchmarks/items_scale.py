"""Scaling of ``safetywashing items``: wall time, CPU time and peak memory against the number of responses.

For each size (models x items) a synthetic long table ``model,item,score`` is
written with DuckDB (a two-trait response model: every third item follows a
"safety" trait independent of capability, the rest follow capability; 0/1
scores), in CSV and Parquet, plus a capabilities-score file. Then the real CLI
runs on it in a subprocess under ``/usr/bin/time -v``:

    safetywashing items FILE --model-scores SCORES --format json --output OUT

and the table prints wall seconds, user CPU seconds and peak resident memory.
The target: 1,000 models x 20,000 items (2e7 responses) in <= 60 s and <= 3 GB
on 2 cores.

Usage (from the repository root):
    python benchmarks/items_scale.py                      # 2e5, 2e6, 2e7 responses
    python benchmarks/items_scale.py --sizes 5000x20000   # 1e8 responses
    python benchmarks/items_scale.py --formats parquet --keep /tmp/sw-items-bench
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_table(folder: Path, n_models: int, n_items: int, fmt: str, seed: float = 0.42) -> tuple[Path, Path]:
    """Write the synthetic long table (``fmt``: csv or parquet) and the scores CSV; return their paths."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": str(folder)})
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


def run_cli(table: Path, scores: Path, out: Path) -> dict[str, float]:
    """Run the CLI under /usr/bin/time -v; return wall s, user s, system s and peak RSS in MB."""
    cmd = [
        "/usr/bin/time", "-v", sys.executable, "-m", "safetywashing", "items", str(table),
        "--model-scores", str(scores), "--format", "json", "--output", str(out),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"items failed on {table}:\n{proc.stderr[-2000:]}")
    err = proc.stderr

    def grab(label: str) -> float:
        m = re.search(rf"{label}: ([0-9.:]+)", err)
        return float(m.group(1)) if m else float("nan")

    return {"wall": wall, "user": grab("User time \\(seconds\\)"), "sys": grab("System time \\(seconds\\)"),
            "rss_mb": grab("Maximum resident set size \\(kbytes\\)") / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100x2000,300x6667,1000x20000", help="comma-separated MODELSxITEMS")
    ap.add_argument("--formats", default="csv,parquet", help="csv and/or parquet")
    ap.add_argument("--keep", default=None, help="folder to keep the generated files in (default: a temporary one)")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sw-items-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    head = f"{'models':>7} {'items':>7} {'responses':>10} {'format':>8} {'file MB':>8} {'write s':>8} " \
           f"{'wall s':>7} {'user s':>7} {'peak MB':>8}"
    print(head)
    print("-" * len(head))
    try:
        for size in args.sizes.split(","):
            n_models, n_items = (int(x) for x in size.lower().split("x"))
            for fmt in args.formats.split(","):
                t0 = time.perf_counter()
                table, scores = write_table(folder, n_models, n_items, fmt)
                wrote = time.perf_counter() - t0
                r = run_cli(table, scores, folder / "out.json")
                mb = table.stat().st_size / 1e6
                print(
                    f"{n_models:>7} {n_items:>7} {n_models * n_items:>10.1e} {fmt:>8} {mb:>8.0f} {wrote:>8.1f} "
                    f"{r['wall']:>7.1f} {r['user']:>7.1f} {r['rss_mb']:>8.0f}",
                    flush=True,
                )
                if not args.keep:
                    table.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f} (the machine may be shared: timings are noisy)")


if __name__ == "__main__":
    main()
