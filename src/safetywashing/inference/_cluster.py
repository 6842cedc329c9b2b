"""Resampling model families instead of models (cluster bootstrap).

Models of one family (one developer's series: Qwen1.5 is 8 of the 26 chat
models) share training data and recipes, so they are not independent draws.
A cluster bootstrap draws whole families with replacement; each model then
appears as many times as its family was drawn. The result is a count vector
per resample, the same ``(B, n)`` form the analysis engine takes for a
bootstrap of models; the jackknife for BCa leaves one family out at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._util.errors import InputError

CLUSTER_CHOICES = ("family",)
MIN_FAMILIES = 5


def family_codes(models: pd.DataFrame, column: str = "family", source: str = "") -> tuple[np.ndarray, list[str]]:
    """Integer family code per model (``(n,)``) and the family names, from ``models[column]``.

    A model with an empty family is its own family (named after the model).
    Raises :class:`InputError` when the column is missing or gives fewer than
    :data:`MIN_FAMILIES` families.
    """
    where = f"{source}: " if source else ""
    if column not in models.columns:
        raise InputError(
            f"{where}--cluster {column}: no {column!r} column in the model metadata "
            f"(add a text column named {column!r} to your table, one family per model)"
        )
    fam = [
        str(f).strip() if isinstance(f, str) and str(f).strip() else f"(model) {m}" for m, f in zip(models.index, models[column])
    ]
    names = list(dict.fromkeys(fam))
    if len(names) < MIN_FAMILIES:
        raise InputError(
            f"{where}--cluster {column}: only {len(names)} famil{'y' if len(names) == 1 else 'ies'}; "
            f"at least {MIN_FAMILIES} are needed to resample families"
        )
    index = {f: i for i, f in enumerate(names)}
    return np.array([index[f] for f in fam], dtype=int), names


def cluster_bootstrap_counts(codes: np.ndarray, n_resamples: int, seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """Count vectors ``(B, n)``: ``G`` families drawn with replacement per resample, each model counted per draw.

    Draws are ``numpy.random.default_rng(seed).integers(0, G, (B, G))``;
    model ``i`` gets the number of times its family was drawn.
    """
    codes = np.asarray(codes, dtype=int)
    g = int(codes.max()) + 1
    idx = np.random.default_rng(seed).integers(0, g, (n_resamples, g))
    fam_counts = np.bincount((idx + g * np.arange(n_resamples)[:, None]).ravel(), minlength=g * n_resamples)
    return fam_counts.reshape(n_resamples, g)[:, codes].astype(float)


def leave_one_cluster_out_counts(codes: np.ndarray) -> np.ndarray:
    """Weight vectors ``(G, n)`` leaving each family out in turn (the jackknife for BCa)."""
    codes = np.asarray(codes, dtype=int)
    g = int(codes.max()) + 1
    return (codes[None, :] != np.arange(g)[:, None]).astype(float)
