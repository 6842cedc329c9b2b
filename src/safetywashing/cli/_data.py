"""``analyze --data``: read a user's table for the analyze command."""

from __future__ import annotations

from pathlib import Path

from .._util.errors import InputError
from ..sources._matrix import ScoreMatrix
from ..sources._registry import default_capability_ids
from ..sources._table import read_table
from ._common import split_ids


def data_matrices(
    data: Path | None,
    *,
    panel: str = "all",
    capabilities: list[str] | None = None,
    model_column: str | None = None,
    lower_is_better: str | None = None,
    higher_is_better: str | None = None,
    flop_column: str | None = None,
    params_column: str | None = None,
) -> list[ScoreMatrix]:
    """The ``--data`` table as a one-element list (the options without ``--data`` are an error)."""
    if data is None:
        raise InputError(
            "--model-column, --lower-is-better, --higher-is-better, --flop-column and --params-column apply to a user table: "
            "add --data FILE"
        )
    if panel != "all":
        raise InputError(f"--panel {panel} and --data exclude each other: analyze either an embedded panel or your table")
    m = read_table(
        data,
        model_column=model_column,
        lower_is_better=split_ids(lower_is_better),
        higher_is_better=split_ids(higher_is_better),
        flop_column=flop_column,
        params_column=params_column,
    )
    return [with_default_capabilities(m) if capabilities is None else m]


def with_default_capabilities(m: ScoreMatrix, minimum: int = 3) -> ScoreMatrix:
    """Without ``--capabilities``, a user table needs >= ``minimum`` registry capability columns; say which are used."""
    found = m.capability_benchmarks
    if len(found) < minimum:
        have = f"only {', '.join(found)} match" if found else "no column matches"
        raise InputError(
            f"{m.source}: {have} the registry's capability benchmark ids ({', '.join(default_capability_ids())}); "
            "name your capability columns with --capabilities a,b,c"
        )
    note = f"capability benchmarks recognised from the registry ids: {', '.join(found)} (override with --capabilities)"
    return ScoreMatrix(m.name, m.scores, m.models, m.benchmarks, (*m.notes, note), m.source)
