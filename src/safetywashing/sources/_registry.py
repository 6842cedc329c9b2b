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
