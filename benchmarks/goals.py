"""The speed goals of the package, each beside its anchor, in one run (issue 23).

Every goal is a ratio to an anchor measured on the same machine in the same run, so that a loaded machine slows
both sides alike: commands and anchors run alternately in fresh processes, and the table prints the median of
``--repeat`` runs (wall seconds, peak resident memory from ``wait4``). Goals:

=================================================  ==========================================  =========
measured                                           anchor                                      goal
=================================================  ==========================================  =========
``safetywashing --version``                        ``python -c "import numpy"``                <= 2x
``python -c "import safetywashing"``               ``python -c "import pandas"``               <= 1.1x
``analyze --bootstrap 10000`` (both panels)        ``python -c "import pandas"``               <= 3x, <= 1.0 s idle
``analyze --data`` 100,000 x 50 ``--bootstrap 0``  (absolute)                                  <= 15 s, <= 1 GB
``items`` 2e7 responses, Parquet                   one DuckDB query: every item's Spearman r   <= 5x, <= 600 MB
``items`` 2e7 responses, CSV                       the same query over the CSV                 <= 3x, <= 600 MB
=================================================  ==========================================  =========

Usage (from the repository root; the large tables are written to a temporary folder first):
    python benchmarks/goals.py                 # everything, median of 5
    python benchmarks/goals.py --quick         # the start-up and panel goals only (a few seconds)
    python benchmarks/goals.py --repeat 3 --responses 2e6
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SW = [sys.executable, "-m", "safetywashing"]


def run_once(args: list[str]) -> tuple[float, float]:
    """``(wall seconds, peak resident MiB)`` of one fresh process running ``args`` (its output discarded)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(args)}\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def alternate(pairs: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float]]:
    """Run every command of ``pairs`` in turn, ``repeat`` rounds; median wall and median peak MiB of each."""
    walls: dict[str, list[float]] = {k: [] for k in pairs}
    mems: dict[str, list[float]] = {k: [] for k in pairs}
    for _ in range(repeat):
        for key, args in pairs.items():
            w, m = run_once(args)
            walls[key].append(w)
            mems[key].append(m)
    return {k: (statistics.median(walls[k]), statistics.median(mems[k])) for k in pairs}


def row(label: str, value: tuple[float, float], anchor: tuple[float, float] | None, goal: str, ok: bool) -> str:
    ratio = f"{value[0] / anchor[0]:5.2f}x" if anchor else "     -"
    a = f"{anchor[0]:7.3f}" if anchor else "      -"
    return f"{label:46s} {value[0]:8.3f} {a} {ratio} {value[1]:8.0f}  {goal:22s} {'met' if ok else 'NOT MET'}"


def start_up(repeat: int) -> list[str]:
    """The three start-up goals: version, import, 10,000 resamples of both panels."""
    res = alternate(
        {
            "numpy": [sys.executable, "-c", "import numpy"],
            "version": [*SW, "--version"],
            "pandas": [sys.executable, "-c", "import pandas"],
            "import": [sys.executable, "-c", "import safetywashing"],
            "analyze": [*SW, "analyze", "--bootstrap", "10000", "--seed", "0", "--format", "json"],
        },
        repeat,
    )
    v = res["version"][0] / res["numpy"][0]
    i = res["import"][0] / res["pandas"][0]
    a = res["analyze"][0] / res["pandas"][0]
    return [
        row("safetywashing --version  /  import numpy", res["version"], res["numpy"], "<= 2x", v <= 2.0),
        row("import safetywashing  /  import pandas", res["import"], res["pandas"], "<= 1.1x", i <= 1.1),
        row("analyze --bootstrap 10000 (both)  /  pandas", res["analyze"], res["pandas"], "<= 3x (<= 1.0 s idle)", a <= 3.0),
    ]


def big_table(folder: Path) -> Path:
    """100,000 models x 50 benchmarks: the 12 registry capability benchmarks and 38 others (3 decimals)."""
    import numpy as np
    import pandas as pd

    from safetywashing.sources._registry import default_capability_ids

    rng = np.random.default_rng(0)
    n = 100_000
    g = rng.normal(size=n)
    cols = {c: 50 + 10 * (0.8 * g + 0.6 * rng.normal(size=n)) for c in default_capability_ids()}
    cols.update({f"safety_{j}": 50 + 10 * ((j / 38) * g + rng.normal(size=n)) for j in range(50 - len(cols))})
    df = pd.DataFrame(cols).round(3)
    df.insert(0, "model", [f"m{i}" for i in range(n)])
    path = folder / "big.csv"
    df.to_csv(path, index=False)
    return path


def large_data(folder: Path, repeat: int) -> list[str]:
    """``analyze --data`` on 100,000 x 50 with ``--bootstrap 0`` (sensitivity ranges and the grouped jackknife)."""
    path = big_table(folder)
    res = alternate({"big": [*SW, "analyze", "--data", str(path), "--bootstrap", "0", "--format", "json"]}, repeat)
    wall, mem = res["big"]
    ok = wall <= 15 and mem <= 1024
    return [row("analyze --data 100,000 x 50 --bootstrap 0", res["big"], None, "<= 15 s, <= 1024 MiB", ok)]


def items_tables(folder: Path, responses: float) -> tuple[Path, Path, Path]:
    """A long 0/1 table (Parquet and CSV) of ``responses`` rows and a capabilities-score file, written by DuckDB."""
    import duckdb

    models = 1000
    items = int(round(responses / models))
    scores = folder / "scores.csv"
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE caps AS SELECT 'm' || i AS model, (i - {models / 2}) / {models / 6} AS capabilities_score "
        f"FROM range({models}) t(i)"
    )
    con.execute(f"COPY caps TO '{scores}' (HEADER)")
    query = (
        "SELECT c.model, 'q' || j AS item, CASE WHEN random() < 1 / (1 + exp(-(c.capabilities_score * (j % 3 > 0)::INT "
        f"- (j % 7 - 3) / 2))) THEN 1 ELSE 0 END AS score FROM caps c CROSS JOIN range({items}) t(j)"
    )
    parquet, csv = folder / "long.parquet", folder / "long.csv"
    con.execute(f"COPY ({query}) TO '{parquet}' (FORMAT PARQUET)")
    con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{csv}' (HEADER)")
    return parquet, csv, scores


ANCHOR = """
import duckdb, sys
src, scores = sys.argv[1], sys.argv[2]
reader = "read_parquet" if src.endswith(".parquet") else "read_csv_auto"
duckdb.sql(f'''
  WITH r AS (SELECT model, rank() OVER (ORDER BY capabilities_score) AS cr FROM read_csv_auto('{scores}')),
       t AS (SELECT item, score, cr FROM {reader}('{src}') JOIN r USING (model))
  SELECT item, corr(score, cr) FROM t GROUP BY item
''').fetchall()
"""


def items_goals(folder: Path, responses: float, repeat: int) -> list[str]:
    """``items`` on Parquet and CSV against one DuckDB query computing every item's Spearman r on the same file."""
    parquet, csv, scores = items_tables(folder, responses)
    out = []
    for label, path, goal in (("Parquet", parquet, 5.0), ("CSV", csv, 3.0)):
        res = alternate(
            {
                "anchor": [sys.executable, "-c", ANCHOR, str(path), str(scores)],
                "items": [*SW, "items", str(path), "--model-scores", str(scores), "--format", "json",
                          "--output", str(folder / f"items_{label}.json")],
            },
            repeat,
        )
        ratio = res["items"][0] / res["anchor"][0]
        out.append(row(f"items {responses:.0e} responses, {label}  /  1 query", res["items"], res["anchor"],
                       f"<= {goal:g}x, <= 600 MiB", ratio <= goal and res["items"][1] <= 600))
    return out


def precompile() -> str:
    """Compile the package's modules to bytecode first, as ``pip install`` does when it installs them.

    A source checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (or on a read-only tree) compiles every module of the
    package at every start (~45 ms of ``analyze``'s start-up), which no installed copy does; the anchors' numpy and
    pandas are installed, hence compiled. Returns a line for the table's header.
    """
    import compileall

    import safetywashing

    root = Path(safetywashing.__file__).resolve().parent
    ok = compileall.compile_dir(str(root), quiet=1)
    return f"bytecode: the package's modules compiled beforehand, as an install does ({'ok' if ok else 'FAILED'})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="rounds of alternating runs (median); default 5")
    ap.add_argument("--quick", action="store_true", help="only the start-up and panel goals")
    ap.add_argument("--responses", type=float, default=2e7, help="responses of the items tables; default 2e7")
    a = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs; load average before: {load:.2f} (other processes slow both sides of each ratio)")
    print(precompile())
    print(f"{'measured  /  anchor':46s} {'median s':>8s} {'anchor':>7s} {'ratio':>6s} {'peak MiB':>8s}  {'goal':22s} verdict")
    lines = start_up(a.repeat)
    for line in lines:
        print(line, flush=True)
    if not a.quick:
        with tempfile.TemporaryDirectory() as d:
            for line in large_data(Path(d), max(1, a.repeat // 2)):
                print(line, flush=True)
            for line in items_goals(Path(d), a.responses, max(1, a.repeat // 2)):
                print(line, flush=True)
    print(f"(load average after: {os.getloadavg()[0]:.2f}; n = {a.repeat} rounds for the start-up goals, "
          f"{max(1, a.repeat // 2)} for the large ones)")


if __name__ == "__main__":
    main()
