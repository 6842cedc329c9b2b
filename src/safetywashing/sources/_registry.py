"""The benchmark registry: metadata kept as data files.

``data/registry/benchmarks.csv`` holds one row per benchmark id with its
display name, metric text, direction (``higher_is_better``), role
(``capability`` / ``safety`` / ``other``), safety area, the scale of its
published values (``fraction`` 0-1, ``percent`` 0-100, ``score`` other) and the
embedded panels that carry it, as the paper published them.

``data/registry/corrections.csv`` lists where this package departs from the
published metadata (applied unless ``as_published=True``): signed group
differences analysed as distance from parity (``transform`` ``neg_abs``:
``-|x|``, higher = fairer) and bookkeeping counts given role ``other``, each
with its metric text and reason.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from .._util.io import data_path

ROLES = ("capability", "safety", "other")

AREA_LABELS: dict[str, str] = {
    "capabilities": "Capabilities",
    "alignment": "Alignment",
    "machine_ethics": "Machine ethics",
    "power_seeking": "Power seeking",
    "bias": "Bias",
    "toxicity": "Toxicity",
    "calibration": "Calibration",
    "adversarial_robustness": "Adversarial robustness",
    "jailbreak_robustness": "Jailbreak robustness",
    "weaponization": "Weaponization (lower hazardous knowledge)",
    "truthfulness": "Truthfulness",
    "sycophancy": "Sycophancy",
    "rationality": "Rationality",
    "scalable_oversight": "Scalable oversight",
    "safety_knowledge": "Safety knowledge",
    "general_capability_other": "Other capability benchmarks",
    "": "Unassigned",
}

REGISTRY_COLUMNS = ["name", "metric", "higher_is_better", "role", "area", "scale", "in_panels"]


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    df = pd.read_csv(data_path("registry", "benchmarks.csv"), dtype=str, keep_default_na=False)
    df["higher_is_better"] = df["higher_is_better"].str.lower().map({"true": True, "false": False})
    return df.set_index("id")


@lru_cache(maxsize=1)
def corrections() -> pd.DataFrame:
    """Corrections to the published registry, indexed by id: ``transform``, ``role``, ``metric``, ``reason``."""
    return pd.read_csv(data_path("registry", "corrections.csv"), dtype=str, keep_default_na=False).set_index("id")


@lru_cache(maxsize=2)
def _corrected(as_published: bool) -> pd.DataFrame:
    df = _load()
    if as_published:
        return df
    df = df.copy()
    for bid, c in corrections().iterrows():
        if bid not in df.index:
            continue
        if c["role"]:
            df.loc[bid, "role"] = c["role"]
        if c["metric"]:
            df.loc[bid, "metric"] = c["metric"]
    return df


def registry(as_published: bool = False) -> pd.DataFrame:
    """The benchmark registry as a DataFrame indexed by benchmark id (a copy).

    With ``as_published=True`` the paper's metadata exactly, else with
    :func:`corrections` applied (roles and metric texts).
    """
    return _corrected(as_published).copy()


def area_label(area: str) -> str:
    """Human label of a safety area id (``machine_ethics`` -> ``Machine ethics``)."""
    return AREA_LABELS.get(area, area.replace("_", " ").capitalize())


def default_capability_ids() -> list[str]:
    """The paper's 12 capability benchmarks (registry role ``capability`` in the paper's panels).

    The ``frontier`` panel's benchmarks (``in_panels`` ``frontier``) are capability
    benchmarks too, but not part of the paper's default set.
    """
    reg = _load()
    paper = reg["in_panels"].str.split(";").map(lambda ps: bool({"base", "chat"} & set(ps)))
    return sorted(reg.index[(reg["role"] == "capability") & paper])


def benchmark_metadata(ids: list[str], as_published: bool = False) -> pd.DataFrame:
    """Registry rows for ``ids``; ids unknown to the registry get neutral defaults.

    Unknown ids (a user's own benchmark) get name = id, role ``other`` (or
    ``safety`` when the caller overrides it), area ``""``, higher_is_better True.
    Roles and metric texts are corrected (:func:`corrections`) unless
    ``as_published``; a value transform's metric text is only used where the
    values were transformed (see :func:`apply_value_corrections`).
    """
    reg = _corrected(True) if as_published else _corrected(False)
    if not as_published:
        transformed = {b for b, c in corrections().iterrows() if c["transform"]}
        if transformed & set(ids):
            reg = reg.copy()
            for b in transformed & set(ids) & set(reg.index):
                reg.loc[b, "metric"] = _load().loc[b, "metric"]
    ids = [str(b) for b in ids]
    known = reg.index.intersection(pd.Index(ids))
    out = reg.loc[known, REGISTRY_COLUMNS].reindex(pd.Index(ids, name="id"))  # one lookup for every id, not per row
    unknown = ~out.index.isin(known)
    if unknown.any():
        defaults = {"metric": "", "higher_is_better": True, "role": "other", "area": "", "scale": "", "in_panels": ""}
        out = out.astype(object)
        for col, value in defaults.items():
            out.loc[unknown, col] = value
        out.loc[unknown, "name"] = out.index[unknown]
    out["registered"] = ~unknown
    out.index.name = "id"
    return out


TRANSFORMS = {"neg_abs": ("-|x|", lambda v: -v.abs())}


def apply_value_corrections(scores: pd.DataFrame, benchmarks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Apply the registry's value transforms to the columns of ``scores`` that have one.

    Returns ``(scores, benchmarks, transformed ids)``: new frames, the
    transformed columns' metric text replaced by the correction's. Inputs are
    not modified.
    """
    cor = corrections()
    scores = scores.copy()
    benchmarks = benchmarks.copy()
    done = []
    for bid in scores.columns:
        if bid in cor.index and cor.loc[bid, "transform"]:
            _, fn = TRANSFORMS[cor.loc[bid, "transform"]]
            scores[bid] = fn(scores[bid])
            if cor.loc[bid, "metric"]:
                benchmarks.loc[bid, "metric"] = cor.loc[bid, "metric"]
            done.append(str(bid))
    return scores, benchmarks, done


# --------------------------------------------------------------------------- scales
# How a registry benchmark's stored (panel) value relates to the harness's raw accuracy. Identity for every id not
# listed in ``data/registry/scales.csv``; ``chance_normalised_error``: stored = 1 - (acc - chance) / (1 - chance)
# (1 = nothing known beyond chance, higher = safer; WMDP).
SCALE_KINDS = ("chance_normalised_error",)


@lru_cache(maxsize=1)
def scales() -> pd.DataFrame:
    """Registry benchmarks stored on a rescaled accuracy, indexed by id: ``stored_as``, ``chance``, ``note``."""
    df = pd.read_csv(data_path("registry", "scales.csv"), dtype={"chance": float}, keep_default_na=False).set_index("id")
    unknown = sorted(set(df["stored_as"]) - set(SCALE_KINDS))
    if unknown:  # pragma: no cover - a data-file error
        raise ValueError(f"scales.csv: unknown stored_as {unknown}")
    return df


def stored_from_accuracy(benchmark: str, acc: Any) -> Any:
    """A raw accuracy (fraction 0-1, as a harness reports it) on the registry's stored scale of ``benchmark``.

    WMDP: ``1 - (acc - 0.25) / 0.75`` (chance-normalised error, higher = less hazardous knowledge = safer); any id
    without a registry scale: ``acc`` unchanged. Works on floats and numpy / pandas arrays.
    """
    sc = scales()
    if benchmark not in sc.index:
        return acc
    c = float(sc.loc[benchmark, "chance"])
    return 1.0 - (acc - c) / (1.0 - c)


def accuracy_from_stored(benchmark: str, value: Any) -> Any:
    """The inverse of :func:`stored_from_accuracy`: the raw accuracy (fraction 0-1) behind a stored value.

    WMDP: ``acc = chance + (1 - value) (1 - chance)`` (``1 - 0.75 value``); other ids: ``value`` unchanged.
    """
    sc = scales()
    if benchmark not in sc.index:
        return value
    c = float(sc.loc[benchmark, "chance"])
    return c + (1.0 - value) * (1.0 - c)


def scale_slope(benchmark: str) -> float:
    """d stored / d accuracy of ``benchmark``'s registry scale (``-1 / 0.75`` for WMDP, 1 otherwise): scales SEs."""
    sc = scales()
    return -1.0 / (1.0 - float(sc.loc[benchmark, "chance"])) if benchmark in sc.index else 1.0


def scale_formula(benchmark: str) -> str:
    """The stored scale in words (``"1 - (acc - 0.25)/0.75"``), or ``""`` for an id stored as it is measured."""
    sc = scales()
    if benchmark not in sc.index:
        return ""
    c = float(sc.loc[benchmark, "chance"])
    return f"1 - (acc - {c:g})/{1 - c:g}"


# --------------------------------------------------------------------------- users' rows
def registry_conventions(scores: pd.DataFrame, *, scale_notes: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """A user's rows put on the registry's conventions, for every column that is a registry benchmark id.

    The one function every command that reads a user's values of registry benchmarks goes through (``analyze``,
    ``audit``, ``claim``, ``place``, ``leaderboard --data``; ``items`` reads per-item 0/1 scores, which no
    registry correction concerns). Applies the registry's value corrections (``discrim_eval_*``:
    ``-|x|``, distance from parity; idempotent, so a value already corrected stays as it is) and returns one note
    per correction applied. With ``scale_notes`` (rows that did not come through
    :func:`safetywashing.sources._table.read_table`, which says it itself) a note also names the columns on a
    rescaled registry scale (WMDP, taken as the panels store it: ``1 - (acc - 0.25)/0.75``). ``scores`` is not
    modified.
    """
    cor = corrections()
    out = scores.copy()
    notes: list[str] = []
    done = []
    for bid in out.columns:
        if bid in cor.index and cor.loc[bid, "transform"]:
            text, fn = TRANSFORMS[cor.loc[bid, "transform"]]
            out[bid] = fn(out[bid].astype(float))
            done.append((str(bid), text))
    for text in dict.fromkeys(t for _, t in done):
        cols = [b for b, t in done if t == text]
        notes.append(f"{', '.join(cols)}: registry correction {text} applied to your rows (as to the panel's)")
    if scale_notes:
        notes += [scale_note(str(b), hint=False) for b in out.columns if b in scales().index]
    return out, notes


def scale_note(benchmark: str, *, hint: bool = True) -> str:
    """One line on a rescaled registry column of a user's table (the values are taken on the panels' scale)."""
    text = (f"{benchmark}: values taken on the panels' scale {scale_formula(benchmark)} (higher = safer; what ingest "
            "writes), not as accuracies")
    if hint:
        text += f"; for raw accuracies mark the column {benchmark}:lower (or --lower-is-better {benchmark}) to convert them"
    return text


def conform_to_registry(matrix: Any) -> tuple[Any, list[str]]:
    """A user's :class:`~safetywashing.sources.ScoreMatrix` with :func:`registry_conventions` applied, and its notes.

    Called by ``analyze``, ``audit``, ``place`` and ``leaderboard`` on the user's rows before they meet a panel
    (``claim`` calls :func:`registry_conventions` on its two rows): the registry's value corrections apply to them as
    to the panels (``discrim_eval_*`` as ``-|x|``), and the corrected columns' metric text says so. An embedded panel
    (already corrected when loaded, or deliberately ``as_published``) is returned as it is, with no note.
    """
    if str(getattr(matrix, "source", "")).startswith("embedded panel"):
        return matrix, []
    scores, notes = registry_conventions(matrix.scores)
    if not notes:
        return matrix, []
    meta = matrix.benchmarks.copy()
    cor = corrections()
    for b in scores.columns:
        if b in cor.index and cor.loc[b, "transform"] and cor.loc[b, "metric"] and b in meta.index:
            meta.loc[b, "metric"] = cor.loc[b, "metric"]
    return type(matrix)(matrix.name, scores, matrix.models, meta, matrix.notes, matrix.source), notes


@lru_cache(maxsize=1)
def _chance_table() -> dict[str, float]:
    df = pd.read_csv(data_path("registry", "chance_levels.csv"), dtype={"id": str, "chance": float}, keep_default_na=False)
    return dict(zip(df["id"], df["chance"].astype(float)))


def chance_levels(ids: list[str]) -> list[float]:
    """Each benchmark's chance level (the score of random guessing, 0-1 scale; 0 when unknown or not multiple choice).

    From ``registry/chance_levels.csv`` (multiple-choice benchmarks with a fixed number of options).
    """
    table = _chance_table()
    return [float(table.get(str(i), 0.0)) for i in ids]
