"""Read per-sample results into models x items matrices, with DuckDB (columnar, out of core).

Sources:

* long tables (``.csv``, ``.tsv``, ``.parquet``) with columns ``model,item,score``
  (optionally ``benchmark``; score 0/1 or graded in [0, 1]);
* lm-evaluation-harness ``samples_<task>_<timestamp>.jsonl`` (``--log_samples``),
  the model named by the ``results_<timestamp>.json`` beside it;
* Inspect AI logs (``.eval`` / ``.json``), read with inspect-ai itself;
* HELM run folders (``run_spec.json`` + ``per_instance_stats.json``).

Long tables and lm-eval JSONL are scanned by DuckDB, twice: the first scan
validates every row and lists each benchmark's models and items, the second
fetches every response as (cell index, float32 score) straight into the
matrices (repeated responses, e.g. epochs or re-runs, are averaged), with a
memory limit and a spill folder, so only the float32 matrices live in Python.
DuckDB reads each file through a literal link (no wildcard expansion); only
regular files are read, JSON read whole is capped in size and lines in length.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError
from .._util.io import check_regular, file_kind

MAX_CELLS = 200_000_000  # models x items of one benchmark (800 MB as float32): larger is refused
MAX_MODELS = 20_000  # models of one benchmark: the statistics' blocks hold models x 2048 items in float64
MAX_JSON_BYTES = 256 * 1024**2  # a JSON file read whole (lm-eval results, HELM run files)
MAX_LINE_BYTES = 16 * 1024**2  # longest line of a JSONL samples file (DuckDB's own default for a JSON object)
MAX_CSV_LINE_BYTES = 2 * 1024**2  # longest line of a CSV/TSV long table (DuckDB's default; larger costs memory per thread)
DUCKDB_MEMORY = os.environ.get("SAFETYWASHING_DUCKDB_MEMORY", "1GB")
_LMEVAL_SAMPLES = re.compile(r"^samples_(.+)_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.jsonl$")
_LONG_EXT = (".csv", ".tsv", ".parquet", ".pq")
_METRIC_PREFERENCE = ("acc", "exact_match", "quasi_exact_match", "em", "f1", "mc1", "acc_norm")


@dataclass(frozen=True)
class ItemMatrix:
    """One benchmark's responses: ``y[m, i]`` = score of model ``models[m]`` on item ``items[i]`` (NaN = not run)."""

    benchmark: str
    models: tuple[str, ...]
    items: tuple[str, ...]
    y: np.ndarray
    sources: tuple[str, ...] = ()

    @property
    def n_responses(self) -> int:
        return int((~np.isnan(self.y)).sum())

    def to_long(self) -> pd.DataFrame:
        """Long table ``benchmark, model, item, score`` (present responses only)."""
        mi, ii = np.nonzero(~np.isnan(self.y))
        return pd.DataFrame(
            {
                "benchmark": self.benchmark,
                "model": np.asarray(self.models, dtype=object)[mi],
                "item": np.asarray(self.items, dtype=object)[ii],
                "score": self.y[mi, ii].astype(float),
            }
        )


def _duckdb():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - a dependency
        raise InputError("duckdb is not installed; pip install duckdb (a dependency of safetywashing)") from None
    return duckdb


def _sql_str(s: str | os.PathLike[str]) -> str:
    return "'" + str(s).replace("'", "''") + "'"


# --- classification ------------------------------------------------------------------------------


def _classify(path: Path) -> str | None:
    """The format of ``path``: its name's (:func:`_classify_name`), a ``.json`` read to tell an Inspect log."""
    if path.is_dir():
        return "helm" if (path / "per_instance_stats.json").is_file() else None
    kind = _classify_name(path.name)
    if kind == "inspect" and path.name.lower().endswith(".json") and path.name != "per_instance_stats.json":
        from .ingest._inspect import sniff_inspect_json

        return "inspect" if sniff_inspect_json(path) else None
    return kind


def regular_file(path: Path, cap: int | None = None) -> os.stat_result:
    """``path``'s stat when it is a regular file (no larger than ``cap`` bytes); else one-line InputError. Never opens it."""
    return check_regular(path, max_bytes=cap if cap is not None else 2**63 - 1)


def collect_sources(paths: list[str | os.PathLike[str]]) -> dict[str, list[Path]]:
    """Group input paths by format; folders are searched recursively for harness files.

    Every file found is recorded as an input (an --output may not replace
    it); a per-sample file that is not a regular file (a FIFO, a device) is
    refused before anything is opened. Paths are literal: no wildcards.
    """
    from .._util.io import record_input

    out: dict[str, list[Path]] = {"long": [], "lm-eval": [], "inspect": [], "helm": []}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if str(raw).endswith(os.sep) and not p.is_dir():
            raise InputError(f"{raw}: names a folder (trailing {os.sep}) but is a file; drop the {os.sep} to read the file")
        if not p.is_dir():
            regular_file(p)
            record_input(p)
        kind = _classify(p)
        if kind is not None:
            out[kind].append(p / "per_instance_stats.json" if kind == "helm" and p.is_dir() else p)
        elif p.is_dir():
            _walk_folder(p, out)
        else:
            raise InputError(
                f"{p}: not a per-sample source; give a long table (.csv/.tsv/.parquet with model,item,score), "
                "lm-eval samples_<task>_*.jsonl, an Inspect .eval/.json log or a HELM run folder"
            )
    for f in out["helm"]:
        regular_file(f)
        record_input(f)
        record_input(f.parent / "run_spec.json")
    return out


def _walk_folder(p: Path, out: dict[str, list[Path]]) -> None:
    """Add the harness files under folder ``p`` to ``out``; record every regular file under it as an input."""
    from .._util.io import record_input

    found = False
    for root, dirs, files in os.walk(p):
        dirs.sort()
        for f in sorted(files):
            fp = Path(root) / f
            try:
                st = os.stat(fp)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                record_input(fp)
                k = _classify(fp)
            elif _classify_name(fp.name) is not None:
                raise InputError(f"{fp}: is {file_kind(st.st_mode)}; only regular files are read")
            else:
                continue
            if k in ("lm-eval", "inspect", "helm"):
                out[k].append(fp)
                found = True
    if not found:
        raise InputError(
            f"{p}: no per-sample file found (lm-eval samples_*.jsonl, Inspect .eval/.json, HELM per_instance_stats.json)"
        )


def _classify_name(name: str) -> str | None:
    """The format a file name alone suggests (no file is opened)."""
    if name == "per_instance_stats.json":
        return "helm"
    if _LMEVAL_SAMPLES.match(name):
        return "lm-eval"
    low = name.lower()
    if low.endswith(_LONG_EXT):
        return "long"
    if low.endswith((".eval", ".json")):
        return "inspect"
    return None


# --- lm-eval -------------------------------------------------------------------------------------


def _lmeval_model(samples: Path, stamp: str) -> str:
    from .._util.io import record_input
    from .ingest._common import Skip
    from .ingest._lmeval import _model_name

    res = samples.parent / f"results_{stamp}.json"
    if res.exists() or res.is_symlink():
        regular_file(res, MAX_JSON_BYTES)
        record_input(res)
        try:
            return _model_name(json.loads(res.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError, Skip, AttributeError, TypeError):
            pass
    return samples.parent.name.replace("__", "/")


def _lmeval_first(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = fh.readline(MAX_LINE_BYTES + 1)
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(f"{path}: line 1 is longer than {MAX_LINE_BYTES:,} bytes; not an lm-eval samples file")
        obj = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(
            f"{path}: line 1 is not a JSON record ({exc.__class__.__name__}); is it an lm-eval samples file?"
        ) from None
    if not isinstance(obj, dict) or "doc_id" not in obj:
        raise InputError(f"{path}: line 1 has no 'doc_id': not an lm-eval samples file")
    return obj


def _lmeval_parts(files: list[Path], metric: str | None, links: Any) -> tuple[list[str], list[str]]:
    """SQL SELECTs (benchmark, model, item, score, bad) for lm-eval sample files; and notes."""
    notes: list[str] = []
    latest: dict[tuple[str, str], tuple[str, Path]] = {}
    for f in files:
        m = _LMEVAL_SAMPLES.match(f.name)
        assert m is not None
        task, stamp = m.group(1), m.group(2)
        model = _lmeval_model(f, stamp)
        key = (model, task)
        if key in latest:
            old = latest[key]
            keep, drop = (old, (stamp, f)) if old[0] >= stamp else ((stamp, f), old)
            notes.append(f"{model} / {task}: newer samples file {keep[1].name} used, older {drop[1].name} ignored")
            latest[key] = keep
        else:
            latest[key] = (stamp, f)
    groups: dict[tuple[str, str], list[tuple[str, str, Path]]] = {}
    for (model, task), (_stamp, f) in latest.items():
        first = _lmeval_first(f)
        have = [k for k in first.get("metrics", []) if isinstance(k, str)] or [
            k for k, v in first.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "doc_id"
        ]
        if metric is not None:
            if metric not in first:
                raise InputError(f"{f}: no metric {metric!r} in the samples (have: {', '.join(have)}); choose one with --metric")
            met = metric
        else:
            met = next((k for k in _METRIC_PREFERENCE if k in first), have[0] if have else "")
            if not met:
                raise InputError(f"{f}: no per-sample metric found; choose one with --metric")
        filt = str(first.get("filter", "none"))
        groups.setdefault((met, filt), []).append((model, task, f))
    parts = []
    for (met, filt), entries in groups.items():
        entries = [(m, t, links(f)) for m, t, f in entries]
        files_sql = "[" + ", ".join(_sql_str(f) for _, _, f in entries) + "]"
        mapping = " ".join(f"WHEN {_sql_str(f)} THEN {_sql_str(t)}" for _, t, f in entries)
        models = " ".join(f"WHEN {_sql_str(f)} THEN {_sql_str(m)}" for m, _, f in entries)
        col = '"' + met.replace('"', '""') + '"'
        parts.append(
            f"SELECT CASE filename {mapping} END AS benchmark, CASE filename {models} END AS model, "
            f"CAST(doc_id AS VARCHAR) AS item, TRY_CAST({col} AS DOUBLE) AS score, filename AS src, "
            f"(TRY_CAST({col} AS DOUBLE) IS NULL) AS bad "
            f"FROM read_json({files_sql}, format='newline_delimited', filename=true, maximum_object_size={MAX_LINE_BYTES}, "
            f"columns={{'doc_id': 'VARCHAR', 'filter': 'VARCHAR', {_sql_str(met)}: 'VARCHAR'}}) "
            f"WHERE coalesce(filter, 'none') = {_sql_str(filt)}"
        )
        if filt != "none":
            notes.append(f"lm-eval filter {filt!r} and metric {met!r} used for {', '.join(sorted({t for _, t, _ in entries}))}")
    return parts, notes


# --- long tables -----------------------------------------------------------------------------------


def _csv_header(path: Path, delim: str) -> list[str]:
    """The column names on a CSV/TSV file's first line (read with a length cap)."""
    with open(path, "rb") as fh:
        raw = fh.readline(MAX_CSV_LINE_BYTES + 1)
    if len(raw) > MAX_CSV_LINE_BYTES:
        raise InputError(f"{path}: line 1 is longer than {MAX_CSV_LINE_BYTES:,} bytes; not a header of a long table")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}, line 1: not UTF-8 text") from None
    row = next(csv.reader(io.StringIO(text), delimiter=delim), [])
    if not row:
        raise InputError(f"{path}: empty file; a long table needs a header model,item,score")
    return row


def _long_part(con: Any, path: Path, links: Any) -> tuple[str, str, dict[str, str]]:
    """The SELECT of one long table, its DuckDB reader expression and its columns (lower-cased name -> SQL name).

    CSV/TSV are read as RFC 4180 text with a fixed dialect (delimiter, ``"``
    quotes, strict): no dialect guessing, and a quote left open is an error
    or a line break inside a name (refused by the validation), never a
    silent merge of rows.
    """
    low = path.name.lower()
    link = links(path)
    if low.endswith((".parquet", ".pq")):
        src = f"read_parquet({_sql_str(link)})"
        try:
            cols = [r[0] for r in _describe(con, src)]
        except InputError as exc:
            raise InputError(f"{path}: cannot be read as a table ({links.unlink_names(str(exc))})") from None
        sql_names = {c: '"' + c.replace('"', '""') + '"' for c in cols}
    else:
        delim = "\t" if low.endswith(".tsv") else ","
        cols = _csv_header(path, delim)
        sql_names = {}
        for j, c in enumerate(cols):
            sql_names.setdefault(c, f"c{j}")
        spec = ", ".join(f"'c{j}': 'VARCHAR'" for j in range(len(cols)))
        src = (
            f"read_csv({_sql_str(link)}, header=true, auto_detect=false, columns={{{spec}}}, delim=E'{delim}', "
            f"quote='\"', escape='\"', strict_mode=true, max_line_size={MAX_CSV_LINE_BYTES})"
        )
    lower: dict[str, str] = {}
    for c in cols:
        lower.setdefault(c.strip().lower(), sql_names[c])
    need = [c for c in ("model", "item", "score") if c not in lower]
    if need:
        raise InputError(
            f"{path}: missing column(s) {', '.join(need)} (have: {', '.join(cols[:12])}); "
            "a long table needs model,item,score (and optionally benchmark)"
        )

    bench = f"CAST({lower['benchmark']} AS VARCHAR)" if "benchmark" in lower else _sql_str(path.stem)
    sc = f"TRY_CAST({lower['score']} AS DOUBLE)"
    raw = f"CAST({lower['score']} AS VARCHAR)"
    return (
        (
            f"SELECT {bench} AS benchmark, CAST({lower['model']} AS VARCHAR) AS model, "
            f"CAST({lower['item']} AS VARCHAR) AS item, {sc} AS score, {_sql_str(path)} AS src, "
            f"({raw} IS NOT NULL AND {sc} IS NULL AND {raw} NOT IN ('NA', 'nan', 'NaN', ' ')) AS bad "
            f"FROM {src}"
        ),
        src,
        lower,
    )


def _describe(con: Any, src: str) -> list[tuple]:
    try:
        return con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # duckdb raises its own error types
        if type(exc).__name__ == "InterruptException":
            raise KeyboardInterrupt from None
        raise InputError(str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__) from None


def _locate_bad_long(con: Any, path: Path, src: str, lower: dict[str, str]) -> str | None:
    """The first bad row of one long table as an error line (file, line or row, column); None when it has none."""
    m_, i_, s_ = lower["model"], lower["item"], lower["score"]
    sc = f"TRY_CAST({s_} AS DOUBLE)"
    row = con.execute(
        f"SELECT rn, m, i, s FROM (SELECT row_number() OVER () AS rn, CAST({m_} AS VARCHAR) AS m, "
        f"CAST({i_} AS VARCHAR) AS i, CAST({s_} AS VARCHAR) AS s, {sc} AS v FROM {src}) "
        f"WHERE (v IS NULL AND trim(coalesce(s, '')) NOT IN ('', 'NA', 'nan', 'NaN')) OR v < 0 OR v > 1 "
        f"OR trim(coalesce(m, '')) = '' OR trim(coalesce(i, '')) = '' "
        f"OR contains(m, chr(10)) OR contains(i, chr(10)) OR contains(m, chr(13)) OR contains(i, chr(13)) LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    rn, m, i, s = row
    where = f"line {rn + 1}" if not path.name.lower().endswith((".parquet", ".pq")) else f"row {rn}"
    if not (m or "").strip():
        return f"{path}, {where}, column model: empty model name"
    if not (i or "").strip():
        return f"{path}, {where}, column item: empty item id"
    for col, v in (("model", m), ("item", i)):
        if "\n" in v or "\r" in v:
            return (
                f"{path}, record {rn} after the header, column {col}: {v[:60]!r} holds a line break; "
                "a stray quote (\") probably merged rows: remove it or quote the field"
            )
    return f"{path}, {where}, column score: {s!r} is not a score in [0, 1] (use 0/1 or a graded value; leave empty if not run)"


# --- Inspect and HELM (small files, read in Python) -------------------------------------------------


def _inspect_rows(path: Path, metric: str | None) -> list[tuple[str, str, str, float]]:
    try:
        from inspect_ai.log import read_eval_log
        from inspect_ai.scorer import value_to_float
    except ImportError:
        from .ingest._inspect import INSTALL_HINT

        raise InputError(f"{path}: {INSTALL_HINT}") from None
    from .ingest._inspect import split_provider

    try:
        log = read_eval_log(str(path))
    except Exception as exc:  # inspect raises many kinds on a broken file
        raise InputError(f"{path}: inspect-ai cannot read it ({exc.__class__.__name__})") from None
    if str(log.status) != "success":
        raise InputError(f"{path}: Inspect log with status {log.status!r}; only status 'success' is used")
    task = str(log.eval.task).rsplit("/", 1)[-1]
    model = split_provider(str(log.eval.model))[1]
    to_float = value_to_float()
    rows = []
    for smp in log.samples or []:
        scores = smp.scores or {}
        if not scores:
            continue
        name = metric if metric is not None else next(iter(scores))
        if name not in scores:
            raise InputError(
                f"{path}: sample {smp.id!r} has no scorer {name!r} (have: {', '.join(scores)}); choose with --metric"
            )
        v = float(to_float(scores[name].value))
        if not 0.0 <= v <= 1.0:
            raise InputError(f"{path}: sample {smp.id!r}, scorer {name!r}: value {v} is not a score in [0, 1]")
        rows.append((task, model, str(smp.id), v))
    if not rows:
        raise InputError(f"{path}: Inspect log without scored samples")
    return rows


def _helm_rows(path: Path, metric: str | None) -> list[tuple[str, str, str, float]]:
    spec_path = path.parent / "run_spec.json"
    for f in (spec_path, path):
        if f.exists():
            regular_file(f, MAX_JSON_BYTES)
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path.parent}: HELM run folder not readable ({exc.__class__.__name__}; "
            "needs run_spec.json and per_instance_stats.json)"
        ) from None
    model = str((spec.get("adapter_spec") or {}).get("model") or "")
    if not model:
        raise InputError(f"{spec_path}: no adapter_spec.model")
    bench = str(spec.get("name", path.parent.name)).split(":", 1)[0]
    rows = []
    wanted = [metric] if metric else list(_METRIC_PREFERENCE)
    for inst in data:
        if inst.get("perturbation"):
            continue
        by = {st["name"]["name"]: st for st in inst.get("stats", []) if not st["name"].get("perturbation") and st.get("count")}
        hit = next((m for m in wanted if m in by), None)
        if hit is None:
            raise InputError(
                f"{path}: instance {inst.get('instance_id')!r} has none of the metrics {', '.join(wanted)}; choose with --metric"
            )
        v = float(by[hit]["mean"])
        rows.append((bench, model, str(inst["instance_id"]), v))
    return rows


# --- all together ---------------------------------------------------------------------------------


def read_items(
    paths: list[str | os.PathLike[str]], *, metric: str | None = None, benchmark: str | None = None
) -> tuple[list[ItemMatrix], list[str]]:
    """Read per-sample sources into one :class:`ItemMatrix` per benchmark; also returns notes.

    ``metric`` picks the per-sample metric (lm-eval key, Inspect scorer, HELM
    stat; default: accuracy-like, see ``_METRIC_PREFERENCE``); ``benchmark``
    keeps one benchmark (task) only.

    Two scans of the DuckDB-read sources: the first validates every row and
    collects each benchmark's models and items (their codes); the second
    fetches each response as ``(cell index, float32 score)`` straight into the
    matrices. Ctrl-C during a query is a :class:`KeyboardInterrupt`.
    """
    with _ctrl_c_stops() as stop:
        duckdb = _duckdb()
        srcs = collect_sources(paths)
        notes: list[str] = []
        sources = tuple(str(p) for v in srcs.values() for p in v)
        with tempfile.TemporaryDirectory(prefix="sw-items-") as spill:
            con = duckdb.connect(
                config={"memory_limit": DUCKDB_MEMORY, "temp_directory": spill, "threads": max(1, os.cpu_count() or 1)}
            )
            stop.con = con
            try:
                con.execute("SET enable_progress_bar = false")
                links = _Links(Path(spill), stop)
                parts, long_meta = _source_parts(con, srcs, metric, notes, links)
                _define_responses(con, parts, benchmark)
                keys = _encode(con, long_meta, benchmark, links)
                out = _matrices(con, keys, sources, notes, links)
            finally:
                stop.con = None
                con.close()
    return out, notes


class _Stop:
    """Ctrl-C seen while reading (``hit``), and the DuckDB connection to interrupt then."""

    def __init__(self) -> None:
        self.hit = False
        self.con: Any = None

    def check(self) -> None:
        """KeyboardInterrupt when Ctrl-C was pressed."""
        if self.hit:
            raise KeyboardInterrupt


@contextmanager
def _ctrl_c_stops() -> Iterator[_Stop]:
    """Ctrl-C interrupts the running DuckDB query and ends the block with KeyboardInterrupt.

    DuckDB swallows a KeyboardInterrupt raised while its code runs (its
    chunked fetch, even ``connect``), so the signal is also remembered and
    interrupts the connection; the block then raises KeyboardInterrupt after
    the current query (:meth:`_Stop.check`) or at its end. Outside the main
    thread nothing changes.
    """
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum: int, frame: Any) -> None:
        stop.hit = True
        if stop.con is not None:
            try:
                stop.con.interrupt()
            except Exception:  # a closed connection: nothing to stop
                pass
        raise KeyboardInterrupt  # at once in Python code; inside DuckDB it is swallowed, and the flag stands in

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)
    stop.check()


class _Links:
    """Literal names for DuckDB: each source file is read through a symbolic link with a plain name.

    DuckDB expands ``*``, ``?`` and ``[...]`` in file names (``m*.csv`` would read
    every ``m...csv``); a link named ``f<k><suffix>`` in the run's private temp
    folder points at exactly one file. Error texts are mapped back to the
    original names with :meth:`unlink_names`.
    """

    def __init__(self, folder: Path, stop: _Stop) -> None:
        self.folder = folder
        self.stop = stop
        self.names: dict[str, Path] = {}

    def __call__(self, path: Path) -> str:
        link = self.folder / f"f{len(self.names)}{''.join(path.suffixes[-1:]).lower()}"
        try:
            os.symlink(os.path.abspath(path), link)
        except OSError:  # no symbolic links here (some Windows setups): a name without wildcards is literal already
            if any(c in str(path) for c in "*?[]{}"):
                raise InputError(f"{path}: DuckDB would read this name as a wildcard; rename the file") from None
            return str(path)
        self.names[str(link)] = path
        return str(link)

    def unlink_names(self, text: str) -> str:
        for link, orig in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(link, str(orig))
        return text


def _query(con: Any, sql: str, links: _Links | None = None, what: str = "per-sample sources could not be read") -> Any:
    """Run ``sql``; DuckDB's interrupt is a KeyboardInterrupt (exit 130), any other DuckDB error one InputError line."""
    try:
        res = con.execute(sql)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # duckdb raises its own error types
        if links is not None:
            links.stop.check()
        _reraise(exc, links, what)
    if links is not None:
        links.stop.check()
    return res


def _reraise(exc: Exception, links: _Links | None, what: str) -> None:
    """Raise ``exc`` as the user should see it: KeyboardInterrupt after Ctrl-C ("Query interrupted"), else one line."""
    if links is not None:
        links.stop.check()
    if type(exc).__name__ == "InterruptException":
        raise KeyboardInterrupt from None
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException":
        raise InputError(f"{what}: out of memory ({DUCKDB_MEMORY} allowed to DuckDB; set SAFETYWASHING_DUCKDB_MEMORY)") from None
    full = str(exc).strip()
    msg = full.splitlines()[0][:240] if full else exc.__class__.__name__
    if links is None:
        raise InputError(f"{what} ({msg})") from None
    named = [orig for link, orig in links.names.items() if link in full]
    where = f"{named[0]}: " if len(named) == 1 else ""
    raise InputError(f"{where}{what} ({links.unlink_names(msg)})") from None


def _source_parts(
    con: Any, srcs: dict[str, list[Path]], metric: str | None, notes: list[str], links: _Links
) -> tuple[list[str], list[tuple[Path, str, dict[str, str]]]]:
    """One SQL SELECT (benchmark, model, item, score, src, bad) per group of sources; and each long table's reader.

    Long tables and lm-eval files are scanned by DuckDB; Inspect and HELM
    rows are read in Python and registered as the ``small_rows`` view.
    """
    parts: list[str] = []
    long_meta = []
    for p in srcs["long"]:
        sql, src, lower = _long_part(con, p, links)
        parts.append(sql)
        long_meta.append((p, src, lower))
    if srcs["lm-eval"]:
        lp, ln = _lmeval_parts(srcs["lm-eval"], metric, links)
        parts += lp
        notes += ln
    small: list[tuple[str, str, str, float]] = []
    for p in srcs["inspect"]:
        small += _inspect_rows(p, metric)
    for p in srcs["helm"]:
        small += _helm_rows(p, metric)
    if small:
        df = pd.DataFrame(small, columns=["benchmark", "model", "item", "score"])
        df["src"] = ""
        df["bad"] = False
        con.register("small_rows", df)
        parts.append("SELECT benchmark, model, item, score, src, bad FROM small_rows")
    return parts, long_meta


def _define_responses(con: Any, parts: list[str], benchmark: str | None) -> None:
    """The view ``resp`` (benchmark, model, item, score FLOAT, bad): one row per present response.

    Missing scores are left out; ``bad`` marks an unreadable score or one
    outside [0, 1] (numeric checks, cheap per row). Model and item ids are
    checked once each, on the distinct ids (:func:`_bad_key`). Nothing is
    scanned yet.
    """
    union = " UNION ALL ".join(f"({p})" for p in parts)
    where = "WHERE ((score IS NOT NULL AND NOT isnan(score)) OR bad)"
    if benchmark is not None:
        where += f" AND benchmark = {_sql_str(benchmark)}"
    con.execute(
        "CREATE TEMP VIEW resp AS SELECT benchmark, model, item, score::FLOAT AS score, "
        f"(bad OR score < 0 OR score > 1) AS bad FROM ({union}) {where}"
    )


@dataclass(frozen=True)
class _Keys:
    """Each benchmark's models and items in matrix order, and where its cells start in the shared buffer."""

    benchmarks: tuple[str, ...]
    models: dict[str, list[str]]
    items: dict[str, list[str]]
    offset: dict[str, int]
    total: int


_KEYS_SQL = """
WITH g AS (
  SELECT benchmark, grouping(item) AS is_model, coalesce(model, item) AS key, sum(bad::INT) AS nbad
  FROM resp GROUP BY GROUPING SETS ((benchmark, model), (benchmark, item))
)
SELECT benchmark, is_model, key, nbad FROM g
ORDER BY benchmark, is_model, CASE WHEN is_model = 0 THEN TRY_CAST(key AS BIGINT) END NULLS LAST, key
"""


def _encode(con: Any, long_meta: list[tuple[Path, str, dict[str, str]]], benchmark: str | None, links: _Links) -> _Keys:
    """First scan: validate every response and list each benchmark's models (sorted) and items (numerically, then text).

    An error names the first bad response (file, line, column for a long
    table); a benchmark above :data:`MAX_MODELS` models or :data:`MAX_CELLS`
    cells is refused before anything large is allocated.
    """
    try:
        rows = _query(con, _KEYS_SQL, links).fetchall()
    except KeyboardInterrupt:
        raise
    except InputError:
        raise
    except Exception as exc:
        _reraise(exc, links, "per-sample sources could not be read")
    if any(r[3] or _bad_key(r[2]) for r in rows):
        _refuse_bad_responses(con, long_meta, links)
    models: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    for b, is_model, key, _n in rows:
        (models if is_model else items).setdefault(b, []).append(key)
    benches = tuple(sorted(models))
    if not benches:
        if benchmark is not None:
            raise InputError(f"--benchmark {benchmark!r}: no responses of that benchmark in the sources")
        raise InputError("no per-sample responses found in the sources")
    offset: dict[str, int] = {}
    total = 0
    for b in benches:
        _check_size(b, len(models[b]), len(items[b]))
        offset[b] = total
        total += len(models[b]) * len(items[b])
    return _Keys(benches, models, items, offset, total)


def _bad_key(key: str | None) -> bool:
    """An id that is missing, blank, or holds a line break (a stray quote in a CSV merged rows)."""
    return key is None or not key.strip(" ") or "\n" in key or "\r" in key


def _check_size(b: str, n_models: int, n_items: int) -> None:
    if n_models > MAX_MODELS:
        raise InputError(
            f"{b}: {n_models:,} models exceed the limit of {MAX_MODELS:,} models per benchmark; "
            "keep fewer models (or split the benchmark with --benchmark or a benchmark column)"
        )
    if n_models * n_items > MAX_CELLS:
        raise InputError(
            f"{b}: {n_models:,} models x {n_items:,} items = {n_models * n_items:,} cells exceed the limit of "
            f"{MAX_CELLS:,} cells per benchmark; split the benchmark (e.g. with --benchmark or a benchmark column)"
        )


def _refuse_bad_responses(con: Any, long_meta: list[tuple[Path, str, dict[str, str]]], links: _Links) -> None:
    """An error for the first bad response: by file, line and column when a long table holds it."""
    for p, src, lower in long_meta:
        try:
            msg = _locate_bad_long(con, p, src, lower)
        except (KeyboardInterrupt, InputError):
            raise
        except Exception as exc:  # duckdb raises its own error types
            _reraise(exc, links, "per-sample sources could not be read")
        if msg is not None:
            raise InputError(msg)
    row = _query(
        con,
        "SELECT model, item FROM resp WHERE bad OR model IS NULL OR trim(model) = '' OR item IS NULL OR trim(item) = '' "
        "OR contains(model, chr(10)) OR contains(item, chr(10)) OR contains(model, chr(13)) OR contains(item, chr(13)) LIMIT 1",
        links,
    ).fetchone()
    raise InputError(f"model {row[0]!r}, item {row[1]!r}: a per-sample score is missing or not in [0, 1]; check --metric")


def _matrices(con: Any, keys: _Keys, sources: tuple[str, ...], notes: list[str], links: _Links) -> list[ItemMatrix]:
    """Second scan: every response's cell index and score, fetched into one float32 buffer holding all matrices."""
    mk = pd.DataFrame(
        [(b, m, keys.offset[b] + j * len(keys.items[b])) for b in keys.benchmarks for j, m in enumerate(keys.models[b])],
        columns=["benchmark", "model", "base"],
    )
    ik = pd.DataFrame(
        [(b, it, j) for b in keys.benchmarks for j, it in enumerate(keys.items[b])], columns=["benchmark", "item", "code"]
    )
    con.register("mk", mk)
    con.register("ik", ik)
    cell = "BIGINT" if keys.total > np.iinfo(np.int32).max else "INTEGER"
    on_b = ("", "") if len(keys.benchmarks) == 1 else (" AND mk.benchmark = resp.benchmark", " AND ik.benchmark = resp.benchmark")
    coded = (
        f"SELECT (mk.base + ik.code)::{cell} AS lin, resp.score FROM resp JOIN mk ON mk.model = resp.model{on_b[0]} "
        f"JOIN ik ON ik.item = resp.item{on_b[1]}"
    )
    _pin_join_plan(con)
    buf = np.full(keys.total, np.nan, dtype=np.float32)
    n = 0
    try:
        res = _query(con, coded, links)
        while True:
            chunk = res.fetch_df_chunk(256)
            if not len(chunk):
                break
            buf[chunk["lin"].to_numpy()] = chunk["score"].to_numpy()
            n += len(chunk)
            links.stop.check()
        filled = int(np.count_nonzero(~np.isnan(buf)))
        if filled < n:  # repeated responses (epochs, re-runs): average them
            _average_repeats(con, coded, buf, keys, notes, links)
    except (KeyboardInterrupt, InputError):
        raise
    except Exception as exc:
        _reraise(exc, links, "per-sample sources could not be read")
    out = []
    for b in keys.benchmarks:
        shape = (len(keys.models[b]), len(keys.items[b]))
        y = buf[keys.offset[b] : keys.offset[b] + shape[0] * shape[1]].reshape(shape)
        out.append(ItemMatrix(b, tuple(keys.models[b]), tuple(keys.items[b]), y, sources))
    return out


def _pin_join_plan(con: Any) -> None:
    """Keep the written join plan: the responses probe two small hash tables (models, items).

    Left to itself the optimizer may join models with items on the
    benchmark first (a models x items cross product), or build the hash table
    on a CSV scan whose size it cannot estimate (gigabytes).
    """
    try:
        con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    except Exception:  # an older DuckDB without that optimizer's name
        con.execute("SET disabled_optimizers = 'join_order'")


def _average_repeats(con: Any, coded: str, buf: np.ndarray, keys: _Keys, notes: list[str], links: _Links) -> None:
    """Cells with several responses get their mean score (a note per benchmark says how many pairs)."""
    res = _query(con, f"SELECT lin, avg(score) AS score, count(*) AS n FROM ({coded}) GROUP BY lin HAVING count(*) > 1", links)
    lin_all = []
    while True:
        chunk = res.fetch_df_chunk(256)
        if not len(chunk):
            break
        lin = chunk["lin"].to_numpy()
        buf[lin] = chunk["score"].to_numpy(dtype=np.float64).astype(np.float32)
        lin_all.append(lin)
    lin = np.sort(np.concatenate(lin_all)) if lin_all else np.zeros(0, dtype=np.int64)
    for b in keys.benchmarks:
        lo = keys.offset[b]
        hi = lo + len(keys.models[b]) * len(keys.items[b])
        k = int(np.searchsorted(lin, hi) - np.searchsorted(lin, lo))
        if k:
            notes.append(f"{b}: {k} model x item pair(s) have several responses (epochs, repeats): their mean score is used")
