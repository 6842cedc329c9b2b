"""Read per-sample results into models x items matrices, with DuckDB (columnar, out of core).

Sources:

* long tables (``.csv``, ``.tsv``, ``.parquet``) with columns ``model,item,score``
  (optionally ``benchmark``; score 0/1 or graded in [0, 1]);
* lm-evaluation-harness ``samples_<task>_<timestamp>.jsonl`` (``--log_samples``),
  the model named by the ``results_<timestamp>.json`` beside it;
* Inspect AI logs (``.eval`` / ``.json``), read with inspect-ai itself;
* HELM run folders (``run_spec.json`` + ``per_instance_stats.json``).

Long tables and lm-eval JSONL are scanned by DuckDB: rows are validated and
encoded to model and item codes inside the engine (repeated responses,
e.g. epochs or re-runs, are averaged), with a memory limit and a spill
folder, so only the final dense float32 matrix lives in Python.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util.errors import InputError

MAX_CELLS = 400_000_000  # models x items of one benchmark (1.6 GB as float32): larger is refused
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
    name = path.name
    if path.is_dir():
        if (path / "per_instance_stats.json").is_file():
            return "helm"
        return None
    if name == "per_instance_stats.json":
        return "helm"
    if _LMEVAL_SAMPLES.match(name):
        return "lm-eval"
    low = name.lower()
    if low.endswith(_LONG_EXT):
        return "long"
    if low.endswith(".eval"):
        return "inspect"
    if low.endswith(".json"):
        from .ingest._inspect import sniff_inspect_json

        return "inspect" if sniff_inspect_json(path) else None
    return None


def collect_sources(paths: list[str | os.PathLike[str]]) -> dict[str, list[Path]]:
    """Group input paths by format; folders are searched recursively for harness files."""
    out: dict[str, list[Path]] = {"long": [], "lm-eval": [], "inspect": [], "helm": []}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        kind = _classify(p)
        if kind is not None:
            out[kind].append(p / "per_instance_stats.json" if kind == "helm" and p.is_dir() else p)
            continue
        if p.is_dir():
            found = False
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    fp = Path(root) / f
                    k = _classify(fp)
                    if k in ("lm-eval", "inspect", "helm"):
                        out[k].append(fp)
                        found = True
            if not found:
                raise InputError(
                    f"{p}: no per-sample file found (lm-eval samples_*.jsonl, Inspect .eval/.json, HELM per_instance_stats.json)"
                )
            continue
        raise InputError(
            f"{p}: not a per-sample source; give a long table (.csv/.tsv/.parquet with model,item,score), "
            "lm-eval samples_<task>_*.jsonl, an Inspect .eval/.json log or a HELM run folder"
        )
    return out


# --- lm-eval -------------------------------------------------------------------------------------


def _lmeval_model(samples: Path, stamp: str) -> str:
    from .ingest._common import Skip
    from .ingest._lmeval import _model_name

    res = samples.parent / f"results_{stamp}.json"
    if res.is_file():
        try:
            return _model_name(json.loads(res.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, Skip):
            pass
    return samples.parent.name.replace("__", "/")


def _lmeval_first(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            line = fh.readline()
        obj = json.loads(line)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: line 1 is not a JSON record ({exc.__class__.__name__}); is it an lm-eval samples file?"
        ) from None
    if not isinstance(obj, dict) or "doc_id" not in obj:
        raise InputError(f"{path}: line 1 has no 'doc_id': not an lm-eval samples file")
    return obj


def _lmeval_parts(files: list[Path], metric: str | None) -> tuple[list[str], list[str]]:
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
        files_sql = "[" + ", ".join(_sql_str(f) for _, _, f in entries) + "]"
        mapping = " ".join(f"WHEN {_sql_str(f)} THEN {_sql_str(t)}" for _, t, f in entries)
        models = " ".join(f"WHEN {_sql_str(f)} THEN {_sql_str(m)}" for m, _, f in entries)
        col = '"' + met.replace('"', '""') + '"'
        parts.append(
            f"SELECT CASE filename {mapping} END AS benchmark, CASE filename {models} END AS model, "
            f"CAST(doc_id AS VARCHAR) AS item, TRY_CAST({col} AS DOUBLE) AS score, filename AS src, "
            f"(TRY_CAST({col} AS DOUBLE) IS NULL) AS bad "
            f"FROM read_json({files_sql}, format='newline_delimited', filename=true, "
            f"columns={{'doc_id': 'VARCHAR', 'filter': 'VARCHAR', {_sql_str(met)}: 'VARCHAR'}}) "
            f"WHERE coalesce(filter, 'none') = {_sql_str(filt)}"
        )
        if filt != "none":
            notes.append(f"lm-eval filter {filt!r} and metric {met!r} used for {', '.join(sorted({t for _, t, _ in entries}))}")
    return parts, notes


# --- long tables -----------------------------------------------------------------------------------


def _long_part(con: Any, path: Path) -> tuple[str, str, dict[str, str]]:
    low = path.name.lower()
    if low.endswith((".parquet", ".pq")):
        src = f"read_parquet({_sql_str(path)})"
    else:
        delim = "\\t" if low.endswith(".tsv") else ","
        src = f"read_csv({_sql_str(path)}, header=true, all_varchar=true, delim=E'{delim}')"
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    except Exception as exc:  # duckdb raises its own error types
        raise InputError(f"{path}: cannot be read as a table ({str(exc).splitlines()[0][:200]})") from None
    lower = {c.strip().lower(): c for c in cols}
    need = [c for c in ("model", "item", "score") if c not in lower]
    if need:
        raise InputError(
            f"{path}: missing column(s) {', '.join(need)} (have: {', '.join(cols[:12])}); "
            "a long table needs model,item,score (and optionally benchmark)"
        )

    def q(c: str) -> str:
        return '"' + lower[c].replace('"', '""') + '"'

    bench = f"CAST({q('benchmark')} AS VARCHAR)" if "benchmark" in lower else _sql_str(path.stem)
    sc = f"TRY_CAST({q('score')} AS DOUBLE)"
    raw = f"CAST({q('score')} AS VARCHAR)"
    return (
        (
            f"SELECT {bench} AS benchmark, CAST({q('model')} AS VARCHAR) AS model, CAST({q('item')} AS VARCHAR) AS item, "
            f"{sc} AS score, {_sql_str(path)} AS src, "
            f"({raw} IS NOT NULL AND {sc} IS NULL AND {raw} NOT IN ('NA', 'nan', 'NaN', ' ')) AS bad "
            f"FROM {src}"
        ),
        src,
        lower,
    )


def _locate_bad_long(con: Any, path: Path, src: str, lower: dict[str, str]) -> str:
    def q(c: str) -> str:
        return '"' + lower[c].replace('"', '""') + '"'

    sc = f"TRY_CAST({q('score')} AS DOUBLE)"
    row = con.execute(
        f"SELECT rn, m, i, s FROM (SELECT row_number() OVER () AS rn, CAST({q('model')} AS VARCHAR) AS m, "
        f"CAST({q('item')} AS VARCHAR) AS i, CAST({q('score')} AS VARCHAR) AS s, {sc} AS v FROM {src}) "
        f"WHERE (v IS NULL AND trim(coalesce(s, '')) NOT IN ('', 'NA', 'nan', 'NaN')) OR v < 0 OR v > 1 "
        f"OR trim(coalesce(m, '')) = '' OR trim(coalesce(i, '')) = '' LIMIT 1"
    ).fetchone()
    if row is None:
        return f"{path}: a row has an invalid score"
    rn, m, i, s = row
    where = f"line {rn + 1}" if not path.name.lower().endswith((".parquet", ".pq")) else f"row {rn}"
    if not (m or "").strip():
        return f"{path}, {where}, column model: empty model name"
    if not (i or "").strip():
        return f"{path}, {where}, column item: empty item id"
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
    """
    duckdb = _duckdb()
    srcs = collect_sources(paths)
    _record_inputs(srcs)
    notes: list[str] = []
    sources = tuple(str(p) for v in srcs.values() for p in v)
    with tempfile.TemporaryDirectory(prefix="sw-items-") as spill:
        con = duckdb.connect(
            config={"memory_limit": DUCKDB_MEMORY, "temp_directory": spill, "threads": max(1, os.cpu_count() or 1)}
        )
        parts, long_meta = _source_parts(con, srcs, metric, notes)
        _load_responses(con, parts, benchmark)
        _refuse_bad_responses(con, long_meta)
        out = [_item_matrix(con, b, sources, notes) for b in _benchmarks(con, benchmark)]
        con.close()
    return out, notes


def _record_inputs(srcs: dict[str, list[Path]]) -> None:
    """Record every file the command reads (a HELM run's ``run_spec.json`` too): an --output may never replace one."""
    from .._util.io import record_input

    for files in srcs.values():
        for f in files:
            record_input(f)
            if f.name == "per_instance_stats.json":
                record_input(f.parent / "run_spec.json")


def _source_parts(
    con: Any, srcs: dict[str, list[Path]], metric: str | None, notes: list[str]
) -> tuple[list[str], list[tuple[Path, str, dict[str, str]]]]:
    """One SQL SELECT (benchmark, model, item, score, src, bad) per group of sources; and each long table's reader.

    Long tables and lm-eval files are scanned by DuckDB; Inspect and HELM
    rows are read in Python and registered as the ``small_rows`` view.
    """
    parts: list[str] = []
    long_meta = []
    for p in srcs["long"]:
        sql, src, lower = _long_part(con, p)
        parts.append(sql)
        long_meta.append((p, src, lower))
    if srcs["lm-eval"]:
        lp, ln = _lmeval_parts(srcs["lm-eval"], metric)
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


def _load_responses(con: Any, parts: list[str], benchmark: str | None) -> None:
    """Materialise the responses as the temp table ``resp`` (benchmark, model, item, score, bad).

    Missing scores are left out; ``bad`` marks an unreadable score, one
    outside [0, 1] or an empty model / item id.
    """
    union = " UNION ALL ".join(f"({p})" for p in parts)
    where = "WHERE ((score IS NOT NULL AND NOT isnan(score)) OR bad)"
    if benchmark is not None:
        where += f" AND benchmark = {_sql_str(benchmark)}"
    try:
        con.execute(
            f"CREATE TEMP TABLE resp AS SELECT benchmark, model, item, score::FLOAT AS score, bad FROM ({union}) {where}"
        )
        # range and empty-id checks on the materialised table (cheap column predicates)
        con.execute(
            "UPDATE resp SET bad = true WHERE score < 0 OR score > 1 OR model IS NULL OR trim(model) = '' "
            "OR item IS NULL OR trim(item) = ''"
        )
    except Exception as exc:
        msg = str(exc).splitlines()[0][:240]
        raise InputError(f"per-sample sources could not be read ({msg})") from None


def _refuse_bad_responses(con: Any, long_meta: list[tuple[Path, str, dict[str, str]]]) -> None:
    """An error for the first bad response: by file, line and column when a long table holds it."""
    if not con.execute("SELECT count(*) FROM resp WHERE bad").fetchone()[0]:
        return
    for p, src, lower in long_meta:
        msg = _locate_bad_long(con, p, src, lower)
        if "a row has an invalid score" not in msg:
            raise InputError(msg)
    row = con.execute("SELECT model, item FROM resp WHERE bad LIMIT 1").fetchone()
    raise InputError(f"model {row[0]!r}, item {row[1]!r}: a per-sample score is missing or not in [0, 1]; check --metric")


def _benchmarks(con: Any, benchmark: str | None) -> list[str]:
    """The benchmarks with responses, sorted; an error when there are none."""
    benches = [r[0] for r in con.execute("SELECT DISTINCT benchmark FROM resp ORDER BY benchmark").fetchall()]
    if not benches:
        if benchmark is not None:
            raise InputError(f"--benchmark {benchmark!r}: no responses of that benchmark in the sources")
        raise InputError("no per-sample responses found in the sources")
    return benches


def _item_matrix(con: Any, b: str, sources: tuple[str, ...], notes: list[str]) -> ItemMatrix:
    """Benchmark ``b``'s dense models x items matrix (models sorted; items numerically, then as text)."""
    bq = _sql_str(b)
    models = [r[0] for r in con.execute(f"SELECT DISTINCT model FROM resp WHERE benchmark = {bq} ORDER BY model").fetchall()]
    items = [
        r[0]
        for r in con.execute(
            f"SELECT item FROM (SELECT DISTINCT item FROM resp WHERE benchmark = {bq}) "
            "ORDER BY TRY_CAST(item AS BIGINT) NULLS LAST, item"
        ).fetchall()
    ]
    if len(models) * len(items) > MAX_CELLS:
        raise InputError(
            f"{b}: {len(models)} models x {len(items)} items exceed {MAX_CELLS:,} cells; "
            "split the benchmark (e.g. with --benchmark or a benchmark column)"
        )
    mi, ii, sc = _coded_responses(con, bq, models, items)
    y = _dense(b, mi, ii, sc, (len(models), len(items)), notes)
    return ItemMatrix(b, tuple(models), tuple(items), y, sources)


def _coded_responses(con: Any, bq: str, models: list[str], items: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each response of benchmark ``bq`` (an SQL literal) as ``(model index, item index, float32 score)`` arrays."""
    mdf = pd.DataFrame({"model": models, "mi": np.arange(len(models), dtype=np.int32)})
    idf = pd.DataFrame({"item": items, "ii": np.arange(len(items), dtype=np.int32)})
    con.register("mk", mdf)
    con.register("ik", idf)
    arr = con.execute(
        f"SELECT mk.mi, ik.ii, resp.score FROM resp JOIN mk USING (model) JOIN ik USING (item) WHERE benchmark = {bq}"
    ).fetchnumpy()
    con.unregister("mk")
    con.unregister("ik")
    mi, ii = np.asarray(arr["mi"], dtype=np.int64), np.asarray(arr["ii"], dtype=np.int64)
    sc = np.asarray(arr["score"], dtype=np.float32)
    return mi, ii, sc


def _dense(
    b: str, mi: np.ndarray, ii: np.ndarray, sc: np.ndarray, shape: tuple[int, int], notes: list[str]
) -> np.ndarray:
    """The float32 ``shape`` matrix of scores (NaN = not run); repeated responses (epochs, re-runs) averaged, with a note."""
    y = np.full(shape, np.nan, dtype=np.float32)
    y[mi, ii] = sc
    filled = int(np.count_nonzero(~np.isnan(y)))
    if filled < len(sc):  # repeated responses (epochs, re-runs): average them
        lin = mi * shape[1] + ii
        tot = np.bincount(lin, weights=sc, minlength=y.size)
        cnt = np.bincount(lin, minlength=y.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan).astype(np.float32).reshape(y.shape)
        notes.append(
            f"{b}: {int((cnt > 1).sum())} model x item pair(s) have several responses (epochs, repeats): "
            "their mean score is used"
        )
    return y
