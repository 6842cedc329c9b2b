"""The documented schema of a result row: every per-benchmark field a stage may add, its type, stage and meaning.

A benchmark's row (:class:`~safetywashing.BenchmarkResult`) carries the
contract keys (``benchmark``, ``name``, ``role``, ``area``, ``correlation``,
``n``, ``verdict``, ``metric``) and a :class:`RowFields`: an immutable mapping
that admits only the columns listed here, each converted to its declared type
(``float`` and ``int`` become ``None`` where not finite). A field is present
only when the stage that computes it ran (``ci_low`` only with a bootstrap,
``compute_correlation`` only with ``compute``); present-but-``None`` means
computed and undefined for that benchmark. Fields keep the order of the
schema, which is the order of the stages, so JSON and CSV columns are stable.

Correlations are with the capabilities score (higher = the benchmark rises
with capabilities); every benchmark is oriented higher = better.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Column:
    """One documented row field: ``name``, Python ``kind`` (float, int, bool, str, list, dict), ``stage``, ``doc``."""

    name: str
    kind: type
    stage: str
    doc: str


ANALYSIS_COLUMNS: tuple[Column, ...] = (
    Column("slope", float, "estimate", "benchmark units per 1 SD of the capabilities score (OLS over the row's models)"),
    Column("slope_sd", float, "estimate", "benchmark SDs per 1 SD of the capabilities score (= r under Pearson)"),
    Column("spread", float, "estimate", "SD of the benchmark over the row's models (ddof 0), benchmark units"),
    Column("compute_correlation", float, "compute", "correlation with log10 training compute (FLOP or parameters)"),
    Column("compute_n", int, "compute", "models behind compute_correlation"),
    Column("partial_compute_correlation", float, "compute", "correlation with the score controlling for log10 compute"),
    Column("partial_compute_n", int, "compute", "models behind partial_compute_correlation"),
    Column("partial_compute_ci_low", float, "compute",
           "lower end of partial_compute_correlation's percentile bootstrap interval (scores fixed; unadjusted, at ci)"),
    Column("partial_compute_ci_high", float, "compute", "upper end of partial_compute_correlation's bootstrap interval"),
    Column("score_compute_correlation", float, "compute", "correlation of the score with log10 compute over the row's models"),
    Column("loo_model_min", float, "sensitivity", "smallest correlation when one model (or group) is left out"),
    Column("loo_model_max", float, "sensitivity", "largest correlation when one model (or group) is left out"),
    Column("loo_benchmark_min", float, "sensitivity", "smallest correlation when one capability benchmark is left out"),
    Column("loo_benchmark_max", float, "sensitivity", "largest correlation when one capability benchmark is left out"),
    Column("ci_low", float, "interval", "lower end of the interval behind the verdict (adjusted when adjust != none)"),
    Column("ci_high", float, "interval", "upper end of the interval behind the verdict"),
    Column("n_boot_used", int, "interval", "bootstrap resamples with a defined correlation"),
    Column("ci_level", float, "adjustment", "confidence level of this row's interval (below ci when adjusted)"),
    Column("ci_low_unadjusted", float, "adjustment", "lower end before the multiplicity adjustment"),
    Column("ci_high_unadjusted", float, "adjustment", "upper end before the multiplicity adjustment"),
    Column("p_value", float, "permutation", "two-sided permutation p-value (non-capability benchmarks)"),
    Column("q_value", float, "permutation", "Benjamini-Hochberg q-value of p_value"),
    Column("n_items", int, "reliability", "items of the benchmark (registry or --n-items)"),
    Column("reliability", float, "reliability", "split-free reliability of a 0-1 accuracy from its item count"),
    Column("noise_ceiling", float, "reliability", "largest |r| item noise allows: sqrt(reliability)"),
    Column("disattenuated_correlation", float, "reliability", "r / noise_ceiling (clipped to [-1, 1])"),
    Column("verdict_bands", list, "verdict", "bands the interval overlaps, negative to positive"),
    Column("noise_limited", bool, "verdict", "the verdict includes 'low' on a benchmark whose noise ceiling is < 0.7"),
)

AUDIT_COLUMNS: tuple[Column, ...] = (
    Column("ci_low", float, "interval", "lower end of the fixed-model bootstrap interval"),
    Column("ci_high", float, "interval", "upper end of the fixed-model bootstrap interval"),
    Column("ci_level", float, "interval", "confidence level"),
    Column("n_boot", int, "interval", "bootstrap resamples drawn"),
    Column("n_boot_valid", int, "interval", "resamples with a defined correlation"),
    Column("interval_method", str, "interval", "how the interval was computed (the capability model's resampling)"),
    Column("verdict_bands", list, "verdict", "bands the interval overlaps, negative to positive"),
    Column("capability_sd_ratio", float, "annotation", "SD of this row's models' scores / SD over the panel (ddof 0)"),
    Column("capability_correlations", dict, "annotation",
           "correlation with each capability benchmark over the models with both (None below 5 such models)"),
    Column("capability_correlations_n", dict, "annotation", "models behind each capability_correlations entry"),
)

_SCHEMAS = {"analysis": ANALYSIS_COLUMNS, "audit": AUDIT_COLUMNS}
_BY_NAME = {k: {c.name: (i, c) for i, c in enumerate(cols)} for k, cols in _SCHEMAS.items()}


def _convert(kind: type, v: Any) -> Any:
    if v is None:
        return None
    if kind is float:
        f = float(v)
        return f if math.isfinite(f) else None
    if kind is int:
        f = float(v)
        return int(f) if math.isfinite(f) else None
    if kind is bool:
        return bool(v)
    if kind is list:
        return list(v)
    if kind is dict:
        return dict(v)
    return kind(v)


class RowFields(Mapping[str, Any]):
    """Typed, ordered, immutable per-benchmark fields of one result row (see the module docstring).

    Build with :meth:`analysis` or :meth:`audit`; read like a dict
    (``fields["ci_low"]``, ``fields.get("p_value")``) or as attributes
    (``fields.ci_low``).
    """

    __slots__ = ("_data", "_schema")

    def __init__(self, values: Mapping[str, Any] | None = None, schema: str = "analysis") -> None:
        names = _BY_NAME[schema]
        unknown = [k for k in (values or {}) if k not in names]
        if unknown:
            raise KeyError(f"undocumented {schema} row field(s): {', '.join(unknown)} (add them to inference/_schema.py)")
        items = sorted((values or {}).items(), key=lambda kv: names[kv[0]][0])
        object.__setattr__(self, "_data", {k: _convert(names[k][1].kind, v) for k, v in items})
        object.__setattr__(self, "_schema", schema)

    @classmethod
    def analysis(cls, values: Mapping[str, Any] | None = None) -> RowFields:
        """Fields of an ``analyze`` row."""
        return cls(values, "analysis")

    @classmethod
    def audit(cls, values: Mapping[str, Any] | None = None) -> RowFields:
        """Fields of an ``audit`` row."""
        return cls(values, "audit")

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> RowFields:
        """Fields of an ``analyze`` row, or of an ``audit`` row when the keys fit only that schema (KeyError if neither)."""
        keys = set(values or {})
        if keys <= set(_BY_NAME["analysis"]) or not keys <= set(_BY_NAME["audit"]):
            return cls(values, "analysis")
        return cls(values, "audit")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RowFields is immutable")

    def __repr__(self) -> str:
        return f"RowFields({self._data!r})"



class _Absent:
    """Marks a field that a stage leaves out of one row (the row has no such key, unlike ``None``)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def row_values(columns: Mapping[str, np.ndarray], j: int) -> dict[str, Any]:
    """The ``j``-th entry of every per-benchmark array in ``columns`` (a stage table), leaving out :data:`ABSENT`."""
    return {k: v[j] for k, v in columns.items() if v[j] is not ABSENT}


def describe_schema(schema: str = "analysis") -> str:
    """The schema as Markdown table rows: field | type | stage | meaning."""
    return "\n".join(f"| `{c.name}` | {c.kind.__name__} | {c.stage} | {c.doc} |" for c in _SCHEMAS[schema])
