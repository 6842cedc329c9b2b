"""Hostile input to the items reader (issue 21), table-driven like tests/test_hostile.py: one line per case.

``C(id, args, exit code, stderr regex, *setup, **checks)``: ``args`` is the command line with ``{d}`` for the case's
scratch folder; ``setup`` helpers build files there first; for exit code 2 the stderr is exactly one line, no
traceback. Checks: ``unchanged`` (files whose bytes must not change), ``out`` (a regex stdout must match), ``within``
(seconds the command may take: the FIFO cases; a helper thread opens each FIFO's other end after that long, so a
reader that waits on it ends late instead of hanging the suite), ``duckdb_interrupt`` (DuckDB raises its own
InterruptException in the first query that scans the responses, as Ctrl-C during a query does).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from _setups import copy, fifo, write

LMEVAL = Path(__file__).parent / "data" / "items" / "lm_eval"
HELM = Path(__file__).parent / "data" / "items" / "helm" / "simple_classification:model=simple_model1"
RESULTS_1 = "org__model-1/results_2026-11-23T20-29-27.793035.json"
LM_SCORES = "model,capabilities_score\n" + "".join(f"org/model-{i},{i / 10:.1f}\n" for i in (1, 2, 3, 4, 5, 6, 9))
FIFO_WAIT = 3.0


def long_table(models: int, items: list[str], seed: int = 0) -> str:
    """A long table ``model,item,score``: models m0.. answering ``items`` (0/1 from a fixed pattern)."""
    rows = (f"m{m},{it},{(m * 7 + j * 3 + seed) % 2}\n" for m in range(models) for j, it in enumerate(items))
    return "model,item,score\n" + "".join(rows)


SCORES = "model,capabilities_score\n" + "".join(f"m{m},{m / 10:.1f}\n" for m in range(8))





def renamed_model(folder: str, model: str) -> Callable[[Path], None]:
    """The fixture's org__model-1 run under ``folder``, its results file naming ``model``."""

    def go(d: Path) -> None:
        copy(LMEVAL / "org__model-1", folder)(d)
        res = d / RESULTS_1.replace("org__model-1", folder)
        doc = json.loads(res.read_text())
        doc["model_name"] = model
        res.write_text(json.dumps(doc))

    return go


def stray_quote(name: str) -> Callable[[Path], None]:
    """A CSV whose quoted items look regular for 21,000 rows (all a dialect sniffer samples), then one stray quote."""
    rows = [f'm{m},"item-{i:05d}",{(i * m) % 2}' for i in range(4200) for m in range(5)]
    return write(name, "model,item,score\n" + "\n".join([*rows, 'm0,"item-x,1', 'm1,item-y",0']) + "\n")


def diagonal(name: str, n: int) -> Callable[[Path], None]:
    """A sparse long table: ``n`` models x ``n`` items, each model answering its own item only."""
    return write(name, "model,item,score\n" + "".join(f"m{i},i{i},{i % 2}\n" for i in range(n)))


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    err: str
    setup: tuple[Callable[[Path], None], ...] = ()
    unchanged: tuple[str, ...] = ()
    out: str | None = None
    within: float | None = None
    duckdb_interrupt: bool = False


def C(id: str, args: str, code: int, err: str, *setup: Callable[[Path], None], **checks) -> Case:  # noqa: N802
    return Case(id, tuple(args.split()), code, err, tuple(setup), **checks)


MS = "--model-scores {d}/ms.csv"
LM = (copy(LMEVAL, "lm"), write("ms.csv", LM_SCORES))
CASES = [
    # names are paths: DuckDB gets literal files, never a wildcard
    C("glob-file-name", f"items {{d}}/m*.csv {MS} --format json", 0, r"",
      write("m*.csv", long_table(6, ["a", "b", "c", "d"])), write("m1.csv", long_table(6, ["x", "y"])),
      write("ms.csv", SCORES), out=r'"n_items": 4,'),
    C("glob-folder-name", f"items {{d}}/lm* {MS} --format json", 0, r"", copy(LMEVAL, "lm*"),
      renamed_model("lmx/org__model-1", "org/model-9"), write("ms.csv", LM_SCORES), out=r'"n_models": 6,'),
    C("trailing-slash-is-a-folder", f"items {{d}}/t.csv/ {MS}", 2, r"t\.csv/: names a folder",
      write("t.csv", long_table(6, ["a", "b"])), write("ms.csv", SCORES)),
    # every file read is an input: an output onto one is refused, nothing replaced
    C("output-onto-lmeval-results", f"items {{d}}/lm {MS} -o {{d}}/lm/{RESULTS_1}", 2, r"refusing to overwrite an input", *LM,
      unchanged=(f"lm/{RESULTS_1}",)),
    C("output-onto-file-in-source-folder", f"items {{d}}/lm {MS} -o {{d}}/lm/notes.txt", 2, r"refusing to overwrite an input",
      *LM, write("lm/notes.txt", "mine\n"), unchanged=("lm/notes.txt",)),
    # only regular files are read, lines are capped
    C("fifo-samples-in-folder", f"items {{d}}/lm {MS}", 2, r"samples_sw_items_mc_2026-12-01T00-00-00\.jsonl: is a named pipe",
      *LM, fifo("lm/org__model-1/samples_sw_items_mc_2026-12-01T00-00-00.jsonl"), within=FIFO_WAIT),
    C("fifo-helm-per-instance", f"items {{d}}/runs {MS}", 2, r"per_instance_stats\.json: is a named pipe",
      copy(HELM / "run_spec.json", "runs/r1/run_spec.json"), fifo("runs/r1/per_instance_stats.json"), write("ms.csv", SCORES),
      within=FIFO_WAIT),
    C("fifo-lmeval-results", f"items {{d}}/lm {MS}", 2, r"results_2026-11-23T20-29-27\.793035\.json: is a named pipe", *LM,
      fifo(f"lm/{RESULTS_1}"), within=FIFO_WAIT),
    C("jsonl-line-too-long", f"items {{d}}/lm {MS}", 2, r"samples_t_2026-12-01T00-00-00\.jsonl: line 1 is longer than", *LM,
      write("lm/org__model-9/samples_t_2026-12-01T00-00-00.jsonl", '{"doc_id": 0, "acc": 1, "pad": "' + "x" * 2**24 + '"}\n')),
    # a stray quote never merges rows silently
    C("stray-quote-merges-rows", f"items {{d}}/q.csv {MS}", 2, r"q\.csv, record 21001 .*column item: .*holds a line break",
      stray_quote("q.csv"), write("ms.csv", SCORES)),
    # Ctrl-C during a DuckDB query: exit 130, one line
    C("ctrl-c-during-items-query", f"items {{d}}/t.csv {MS}", 130, r"^safetywashing: interrupted\n$",
      write("t.csv", long_table(6, ["a", "b", "c"])), write("ms.csv", SCORES), duckdb_interrupt=True),
    # memory bounds: refused before anything large is allocated, one line naming the limit
    C("models-2e5", "items {d}/t.csv --panel chat", 2, r"200,000 models exceed the limit of [\d,]+ models",
      diagonal("t.csv", 200_000), within=30),
    C("sparse-19000-squared", f"items {{d}}/t.csv {MS}", 2, r"19,000 models x 19,000 items = 361,000,000 cells exceed the limit",
      diagonal("t.csv", 19_000), write("ms.csv", SCORES), within=30),
]


# -- the runner ------------------------------------------------------------------------------------------------------


def _unblock_fifos(d: Path, after: float, stop: threading.Event) -> None:
    """After ``after`` s, open and close the write end of every FIFO in ``d`` (a waiting reader then sees EOF)."""
    if stop.wait(after):
        return
    fifos = [p for p in d.rglob("*") if p.is_fifo()]
    while not stop.is_set():
        for p in fifos:
            try:
                os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        stop.wait(0.05)


def _interrupt_duckdb(monkeypatch) -> None:
    """DuckDB connections whose first query scanning the responses raises DuckDB's own InterruptException."""
    import duckdb

    import safetywashing.sources._items as mod

    class Conn:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def execute(self, sql, *a, **k):
            if re.search(r"\bresp\b", sql) and not sql.startswith("CREATE TEMP VIEW"):
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
            return self._con.execute(sql, *a, **k)

    class Fake:
        def __getattr__(self, name):
            return getattr(duckdb, name)

        @staticmethod
        def connect(*a, **k):
            return Conn(duckdb.connect(*a, **k))

    monkeypatch.setattr(mod, "_duckdb", lambda: Fake())


def _run(case: Case, d: Path, monkeypatch) -> tuple[int, str, str, float]:
    from safetywashing.cli import main

    if case.duckdb_interrupt:
        _interrupt_duckdb(monkeypatch)
    args = [a.replace("{d}", str(d)) for a in case.args]
    out, err = io.StringIO(), io.StringIO()
    stop = threading.Event()
    helper = threading.Thread(target=_unblock_fifos, args=(d, case.within or FIFO_WAIT, stop), daemon=True)
    helper.start()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        stop.set()
        helper.join()
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - t0


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_items_hostile(case: Case, tmp_path: Path, monkeypatch) -> None:
    for step in case.setup:
        step(tmp_path)
    before = {f: _digest(tmp_path / f) for f in case.unchanged}
    code, out, err, took = _run(case, tmp_path, monkeypatch)
    assert code == case.code, (code, err[-2000:])
    assert re.search(case.err, err), err[-2000:]
    if case.code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err[-2000:]
    if case.out is not None:
        assert re.search(case.out, out), out[:2000]
    for f, h in before.items():
        assert _digest(tmp_path / f) == h, f"{f} was replaced"
    if case.within is not None:
        assert took < case.within, f"took {took:.1f} s (waited on a special file or read without bound?)"
