"""Shared pieces of the harness readers: the record shape and option parsing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..._util import limits
from ..._util.errors import InputError
from ..._util.io import data_path, load_json_file

#: Columns of the provenance table, one row per (model, benchmark) value.
PROVENANCE_COLUMNS = [
    "model",
    "benchmark",
    "value",
    "harness",
    "source",
    "task",
    "metric",
    "filter",
    "n_shot",
    "stderr",
    "date",
    "provider",
    "raw_value",
    "transform",
    "note",
]


MAX_JSON_BYTES = limits.MAX_JSON_BYTES  # lm-eval results and HELM run files are kilobytes to a few megabytes
MAX_LOG_BYTES = limits.MAX_LOG_BYTES  # an Inspect .json log may carry every sample


class Skip(Exception):
    """A file that cannot be used; the message says why (the run goes on)."""


@dataclass(frozen=True)
class Record:
    """One score read from a harness file (a future cell of the matrix)."""

    model: str
    benchmark: str
    value: float
    harness: str
    source: str
    task: str
    metric: str
    filter: str = ""
    n_shot: float = math.nan
    stderr: float = math.nan
    date: str = ""
    provider: str = ""
    raw_value: float = math.nan
    transform: str = "identity"
    note: str = ""


def to_float(x: Any) -> float:
    """float(x), NaN for None / 'N/A' / anything non-numeric; an integer too large for a float is +-inf."""
    try:
        v = float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf
    except (TypeError, ValueError):
        return math.nan
    return v


def load_json(path: Path, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file; :class:`Skip` (with the reason) when it is not a readable, sensible JSON file.

    Anything but a regular file (a FIFO is refused, never waited on), a file larger than ``max_bytes``, nesting too
    deep for the parser and integers beyond Python's digit limit are skipped, not fatal. The file is recorded as
    read (no output may replace it).
    """
    try:
        return load_json_file(path, max_bytes=max_bytes)
    except InputError as exc:
        raise Skip(str(exc).removeprefix(f"{path}: ")) from None


def iso_date(x: Any) -> str:
    """ISO-8601 UTC text for a POSIX timestamp or an ISO string; '' if unknown or out of range."""
    if x is None or x == "":
        return ""
    if isinstance(x, (int, float)):
        try:
            return datetime.fromtimestamp(float(x), tz=timezone.utc).isoformat(timespec="seconds")
        except (OverflowError, ValueError, OSError):
            return ""
    try:
        d = pd.Timestamp(str(x))
    except (ValueError, TypeError, OverflowError):
        return str(x)
    if d.tzinfo is None:
        d = d.tz_localize("UTC")
    return d.tz_convert("UTC").isoformat(timespec="seconds") if hasattr(d, "tz_convert") else str(x)


def parse_metric_overrides(items: list[str] | None) -> dict[str, str]:
    """``["mmlu=acc_norm", "gsm8k=exact_match,flexible-extract"]`` -> dict task -> metric."""
    out: dict[str, str] = {}
    for item in items or []:
        task, sep, metric = item.partition("=")
        if not sep or not task.strip() or not metric.strip():
            raise InputError(
                f"--metric {item!r}: expected TASK=METRIC, e.g. --metric mmlu=acc_norm or gsm8k=exact_match,flexible-extract"
            )
        out[task.strip()] = metric.strip()
    return out


@lru_cache(maxsize=1)
def _lm_eval_map() -> pd.DataFrame:
    df = pd.read_csv(data_path("registry", "lm_eval_tasks.csv"), dtype=str, keep_default_na=False)
    df["n_shot"] = pd.to_numeric(df["n_shot"], errors="coerce")
    return df


def lm_eval_mapping() -> pd.DataFrame:
    """The lm-eval task mapping (``data/registry/lm_eval_tasks.csv``), a copy.

    Columns: ``task``, ``metric``, ``filter`` (lm-eval's own names), ``benchmark``
    (registry id), ``n_shot`` (the setting the panels' values correspond to),
    ``transform`` (``identity`` or ``one_minus``: how the harness value becomes
    the panel's higher-is-safer value) and ``note``.
    """
    return _lm_eval_map().copy()


TRANSFORMS = {"identity": lambda v: v, "one_minus": lambda v: 1.0 - v}


@lru_cache(maxsize=1)
def _inspect_map() -> dict[str, tuple[str, str]]:
    df = pd.read_csv(data_path("registry", "inspect_tasks.csv"), dtype=str, keep_default_na=False)
    return {r.task: (r.benchmark, r.transform) for r in df.itertuples()}


def inspect_task_benchmark(task: str) -> tuple[str, str]:
    """Registry id and transform for an Inspect task name (``data/registry/inspect_tasks.csv``).

    ``inspect_evals/wmdp_bio`` -> ``("wmdp_bio", "one_minus")``; a task the
    mapping does not know keeps its own name with ``identity``.
    """
    return _inspect_map().get(task, (task, "identity"))
