"""The embedded panels of the Safetywashing paper (Ren et al., 2024; MIT)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ._errors import UnknownIdError
from ._io import data_path
from ._matrix import ScoreMatrix
from ._registry import apply_value_corrections, benchmark_metadata

PANELS: dict[str, str] = {
    "base": "benchmarks_base_models.csv",
    "chat": "benchmarks_chat_models.csv",
}
_META = {"model_size": "params", "FLOP": "flop", "name": "name", "type": "type"}


@lru_cache(maxsize=8)
def _read(panel: str, as_published: bool = False) -> ScoreMatrix:
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


@lru_cache(maxsize=1)
def _families() -> dict[tuple[str, str], str]:
    """Model -> family (developer) of the panels' models, from ``data/panels/families.csv``."""
    df = pd.read_csv(data_path("panels", "families.csv"), dtype=str, keep_default_na=False)
    return {(p, m): f for p, m, f in zip(df["panel"], df["model"], df["family"])}


def load_panel(panel: str, as_published: bool = False) -> ScoreMatrix:
    """Load an embedded panel: ``"base"`` (27 pre-trained models) or ``"chat"`` (26 chat models).

    Scores are as published by the paper, every column oriented higher = better
    (safer / more capable); fractions and percentages are mixed across columns
    (see ``benchmarks["scale"]``). By default the registry's corrections apply
    (``safetywashing.corrections()``): signed group differences
    (``discrim_eval_*``) become ``-|x|`` (distance from parity, higher = fairer)
    and bookkeeping counts get role ``other``; ``as_published=True`` gives the
    paper's values and roles exactly (its published figures are reproduced
    from it).
    """
    if panel not in PANELS:
        raise UnknownIdError(f"unknown panel {panel!r}; choose one of: {', '.join(PANELS)}")
    m = _read(panel, bool(as_published))
    return ScoreMatrix(m.name, m.scores.copy(), m.models.copy(), m.benchmarks.copy(), m.notes, m.source)


def panel_names() -> list[str]:
    """Names of the embedded panels."""
    return list(PANELS)
