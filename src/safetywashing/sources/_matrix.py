"""The validated score matrix every source becomes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._util.errors import InputError, UnknownIdError
from .._util.notebook import MAX_ROWS, NotebookRepr, Summary, more
from ._registry import benchmark_metadata, default_capability_ids

MODEL_META_COLUMNS = ["name", "type", "params", "flop"]
EMPTY_COLUMNS_NOTE = "column(s) with no values ignored: "  # a reader's note; its ids are named as empty, not unknown


def empty_columns(notes: tuple[str, ...]) -> list[str]:
    """Columns a reader dropped because every cell was missing (from its note)."""
    out: list[str] = []
    for n in notes:
        if n.startswith(EMPTY_COLUMNS_NOTE):
            out.extend(c.strip() for c in n[len(EMPTY_COLUMNS_NOTE):].split(","))
    return out


@dataclass(frozen=True, repr=False)
class ScoreMatrix(NotebookRepr):
    """Models x benchmarks scores plus model and benchmark metadata.

    Attributes
    ----------
    name:
        Panel name (``"base"``, ``"chat"``) or the stem of the user's file.
    scores:
        Float DataFrame, index = model ids, columns = benchmark ids, NaN where
        a model has no score. Every column is oriented so that **higher is
        better** (safer or more capable).
    models:
        DataFrame indexed like ``scores`` with columns ``name`` (display name),
        ``type`` (``base``/``chat``/``""``), ``params`` (parameters) and
        ``flop`` (training compute in FLOP; NaN when unknown).
    benchmarks:
        Registry metadata for each column: ``name``, ``metric``,
        ``higher_is_better``, ``role``, ``area``, ``scale``, ``in_panels``,
        ``registered``.
    notes:
        What happened while reading (flipped columns, metadata columns kept,
        ...), in plain language.
    """

    name: str
    scores: pd.DataFrame
    models: pd.DataFrame
    benchmarks: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""

    def __post_init__(self) -> None:
        validate_scores(self.scores, source=self.source or self.name)

    def _summary(self) -> Summary:
        """Size, how full, the roles of the columns and the first models' capability scores."""
        filled = float(self.scores.notna().to_numpy().mean()) if self.scores.size else 0.0
        roles = self.benchmarks["role"].value_counts() if len(self.benchmarks) else {}
        facts = (
            ("models x benchmarks", f"{self.n_models} x {self.scores.shape[1]}"),
            ("filled", f"{filled:.0%}"),
            ("roles", ", ".join(f"{n} {r}" for r, n in dict(roles).items()) or "-"),
        )
        cols = list(self.scores.columns[:6])
        rows = tuple((self.display_name(m), *("-" if v != v else f"{v:.3g}" for v in self.scores.loc[m, cols]))
                     for m in self.scores.index[: MAX_ROWS + 1])
        extra = f"; {self.scores.shape[1] - len(cols)} more columns" if self.scores.shape[1] > len(cols) else ""
        tail = more(self.n_models, "models", ".scores") or (f"(all: .scores{extra})" if extra else "")
        return Summary(repr(self.name) + (f" from {self.source}" if self.source else ""), facts, ("model", *cols),
                       rows, tuple(cols), tail + (extra if tail.startswith("...") else ""))

    @classmethod
    def from_frame(
        cls,
        scores: pd.DataFrame,
        *,
        name: str = "data",
        models: pd.DataFrame | None = None,
        roles: dict[str, str] | None = None,
        notes: tuple[str, ...] = (),
        source: str = "",
    ) -> ScoreMatrix:
        """Build a matrix from a models x benchmarks DataFrame (index = model ids).

        ``roles`` overrides registry roles (e.g. ``{"my_bench": "capability"}``).
        """
        scores = scores.copy()
        scores.index = scores.index.map(str)
        scores.columns = scores.columns.map(str)
        scores = scores.astype(float)
        meta = benchmark_metadata(list(scores.columns))
        for bid, role in (roles or {}).items():
            if bid in meta.index:
                meta.loc[bid, "role"] = role
        mm = pd.DataFrame(index=scores.index)
        mm["name"] = scores.index
        mm["type"] = ""
        mm["params"] = np.nan
        mm["flop"] = np.nan
        if models is not None:
            for c in MODEL_META_COLUMNS:
                if c in models.columns:
                    mm[c] = models[c].reindex(scores.index).where(lambda s: s.notna(), mm[c])
        return cls(name=name, scores=scores, models=mm, benchmarks=meta, notes=tuple(notes), source=source)

    @property
    def n_models(self) -> int:
        """Number of models (rows)."""
        return int(self.scores.shape[0])

    @property
    def capability_benchmarks(self) -> list[str]:
        """Columns whose role is ``capability`` (the default capability set)."""
        roles = self.benchmarks["role"].reindex(self.scores.columns).to_numpy()
        return [b for b, role in zip(self.scores.columns, roles) if role == "capability"]

    def resolve_capabilities(self, capabilities: list[str] | None = None) -> list[str]:
        """Validate a capability set (default: registry capability columns present here)."""
        if capabilities is None:
            caps = self.capability_benchmarks
            if not caps:
                raise InputError(
                    f"{self.source or self.name}: no column is a registry capability benchmark "
                    f"({', '.join(default_capability_ids())}); name the capability columns with --capabilities a,b,c"
                )
            return caps
        caps = list(dict.fromkeys(c.strip() for c in capabilities if c.strip()))
        missing = [c for c in caps if c not in self.scores.columns]
        empty = [c for c in missing if c in empty_columns(self.notes)]
        if empty:
            raise InputError(
                f"{self.source or self.name}: capability column(s) {', '.join(map(repr, empty))} are empty "
                "(no value in any row); fill them or choose other --capabilities"
            )
        if missing:
            from ._suggest import suggest

            hints = "; ".join(f"{m!r}{suggest(m, list(self.scores.columns))}" for m in missing)
            raise UnknownIdError(f"{self.source or self.name}: unknown capability benchmark id(s): {hints}")
        if len(caps) < 2:
            raise InputError("at least 2 capability benchmarks are needed to extract a capabilities score")
        return caps

    def with_capabilities(self, capabilities: list[str]) -> ScoreMatrix:
        """A copy whose roles mark exactly ``capabilities`` as the capability set."""
        meta = self.benchmarks.copy()
        was = meta["role"] == "capability"
        meta.loc[was & ~meta.index.isin(capabilities), "role"] = "other"
        meta.loc[meta.index.isin(capabilities), "role"] = "capability"
        return ScoreMatrix(self.name, self.scores, self.models, meta, self.notes, self.source)

    def display_name(self, model: str) -> str:
        """Display name of a model id."""
        n = self.models.loc[model, "name"] if model in self.models.index else ""
        return str(n) if isinstance(n, str) and n else model


def validate_scores(scores: pd.DataFrame, *, source: str) -> None:
    """Check the invariants of a score matrix; raise :class:`InputError` if broken."""
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()].unique().tolist()
        raise InputError(f"{source}: duplicate model name(s): {', '.join(map(str, dup[:5]))}")
    if scores.columns.has_duplicates:
        dup = scores.columns[scores.columns.duplicated()].unique().tolist()
        raise InputError(f"{source}: duplicate benchmark column(s): {', '.join(map(str, dup[:5]))}")
    bad = [c for c, dt in zip(scores.columns, scores.dtypes) if not np.issubdtype(dt, np.floating)]
    if bad:
        raise InputError(f"{source}: non-float column(s) in score matrix: {', '.join(bad[:5])}")
    vals = scores.to_numpy()
    if np.isinf(vals).any():
        r, c = np.argwhere(np.isinf(vals))[0]
        raise InputError(f"{source}: infinite value at model {scores.index[r]!r}, column {scores.columns[c]!r}")
