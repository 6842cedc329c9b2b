"""The embedded panels: the Safetywashing paper's (Ren et al., 2024; MIT) and ``frontier`` (Epoch AI; MIT)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .._util.errors import InputError, UnknownIdError
from .._util.io import data_path
from ._matrix import ScoreMatrix
from ._registry import apply_value_corrections, benchmark_metadata

PANELS: dict[str, str] = {
    "base": "benchmarks_base_models.csv",
    "chat": "benchmarks_chat_models.csv",
    "frontier": "frontier",
}
# The paper's panels: complete (every model has every capability benchmark), analysed by PC1.
COMPLETE_PANELS: tuple[str, ...] = ("base", "chat")
# Sparse panels: most cells missing; need a capability model for sparse tables.
SPARSE_PANELS: tuple[str, ...] = ("frontier",)
FRONTIER_MODEL_COLUMNS = ["family", "organisation", "release_date", "open_weights", "hf_id", "n_benchmarks"]
_META = {"model_size": "params", "FLOP": "flop", "name": "name", "type": "type"}


@lru_cache(maxsize=8)
def _read(panel: str, as_published: bool = False) -> ScoreMatrix:
    if panel == "frontier":
        return _read_frontier()
    raw = pd.read_csv(data_path("panels", PANELS[panel]))
    raw["model"] = raw["model"].astype(str)
    raw = raw.set_index("model")
    models = pd.DataFrame(index=raw.index)
    for src, dst in _META.items():
        models[dst] = raw[src]
    models["name"] = models["name"].astype(object).fillna(pd.Series(raw.index, index=raw.index))
    models["type"] = models["type"].astype(object).fillna(panel)
    models["params"] = models["params"].astype(float)
    models["flop"] = models["flop"].astype(float)
    fam = _families()
    models["family"] = [fam.get((panel, m), "") for m in models.index]
    scores = raw.drop(columns=list(_META)).astype(float)
    scores.columns.name = None
    scores.index.name = "model"
    models.index.name = "model"
    meta = benchmark_metadata(list(scores.columns), as_published=as_published)
    notes: tuple[str, ...] = ()
    if not as_published:
        scores, meta, done = apply_value_corrections(scores, meta)
        if done:
            notes = (
                f"{len(done)} signed group difference(s) analysed as distance from parity, -|x| (higher = fairer): "
                f"{', '.join(done)}; --as-published for the paper's values",
            )
    return ScoreMatrix(
        name=panel,
        scores=scores,
        models=models,
        benchmarks=meta,
        notes=notes,
        source=f"embedded panel {panel!r}",
    )


def _read_frontier() -> ScoreMatrix:
    folder = ("panels", "frontier")
    scores = pd.read_csv(data_path(*folder, "scores.csv"), dtype={"model": str}).set_index("model").astype(float)
    scores.columns.name = None
    meta = pd.read_csv(
        data_path(*folder, "models.csv"),
        dtype={c: str for c in ("model", "name", "family", "organisation", "release_date", "open_weights", "hf_id")},
        keep_default_na=False,
    ).set_index("model")
    models = pd.DataFrame(index=scores.index)
    models["name"] = meta["name"].reindex(scores.index)
    models["type"] = ""
    models["params"] = np.nan
    models["flop"] = np.nan
    for c in FRONTIER_MODEL_COLUMNS:
        models[c] = meta[c].reindex(scores.index)
    ow = models["open_weights"].map({"True": True, "False": False})
    if ow.isna().any():  # pragma: no cover - the shipped file is checked by the tests
        raise InputError(f"panels/frontier/models.csv: open_weights must be True or False ({ow.index[ow.isna()][0]!r})")
    models["open_weights"] = ow.astype(bool)
    models["n_benchmarks"] = models["n_benchmarks"].astype(int)
    models.index.name = "model"
    return ScoreMatrix(
        name="frontier",
        scores=scores,
        models=models,
        benchmarks=benchmark_metadata(list(scores.columns)),
        notes=(
            f"sparse panel: {int(scores.notna().to_numpy().sum())} of {scores.size} cells have a score "
            f"(each model {int(models['n_benchmarks'].min())}-{int(models['n_benchmarks'].max())} of {scores.shape[1]} "
            "benchmarks); every benchmark is a capability benchmark, scores are fractions on [0, 1]",
        ),
        source="embedded panel 'frontier' (Epoch AI benchmark data, MIT)",
    )


@lru_cache(maxsize=1)
def _families() -> dict[tuple[str, str], str]:
    """Model -> family (developer) of the panels' models, from ``data/panels/families.csv``."""
    df = pd.read_csv(data_path("panels", "families.csv"), dtype=str, keep_default_na=False)
    return {(p, m): f for p, m, f in zip(df["panel"], df["model"], df["family"])}


def load_panel(panel: str, as_published: bool = False) -> ScoreMatrix:
    """Load an embedded panel: ``"base"`` (27 pre-trained models), ``"chat"`` (26 chat models) or ``"frontier"``.

    ``base`` and ``chat``: scores as published by the paper, every column
    oriented higher = better (safer / more capable); fractions and percentages
    are mixed across columns (see ``benchmarks["scale"]``). Every model has
    every capability benchmark. By default the registry's corrections apply
    (``safetywashing.corrections()``): signed group differences
    (``discrim_eval_*``) become ``-|x|`` (distance from parity, higher =
    fairer) and bookkeeping counts get role ``other``; ``as_published=True``
    gives the paper's values and roles exactly (its published figures are
    reproduced from it). ``models["family"]`` holds each model's family
    (developer), for ``analyze(..., cluster="family")``.

    ``frontier``: current models (2023-2025) from Epoch AI's public benchmark
    data; index = Epoch's model version id (``gpt-5-2025-08-07_medium``). Sparse:
    NaN = no published score (most cells). Every column is a capability
    benchmark (registry id ``epoch_...``) with its score as a fraction on
    [0, 1], higher = more capable (percentages / 100, 0-10 ratings / 10, METR's
    average task success; see the panel's ``SOURCE.md``). ``models`` adds
    ``family``, ``organisation``, ``release_date`` (ISO date string),
    ``open_weights`` (bool), ``hf_id`` (Hugging Face ``owner/name`` or ``""``)
    and ``n_benchmarks``; ``params`` and ``flop`` are unknown (NaN).
    """
    if panel not in PANELS:
        raise UnknownIdError(f"unknown panel {panel!r}; choose one of: {', '.join(PANELS)}")
    m = _read(panel, bool(as_published))
    return ScoreMatrix(m.name, m.scores.copy(), m.models.copy(), m.benchmarks.copy(), m.notes, m.source)


def panel_names() -> list[str]:
    """Names of the embedded panels."""
    return list(PANELS)


def is_sparse_panel(panel: str) -> bool:
    """True for an embedded panel whose models lack many scores (``frontier``)."""
    return panel in SPARSE_PANELS
