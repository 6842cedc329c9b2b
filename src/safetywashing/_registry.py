"""The benchmark registry: metadata kept as data files.

``data/registry/benchmarks.csv`` holds one row per benchmark id with its
display name, metric text, direction (``higher_is_better``), role
(``capability`` / ``safety`` / ``other``), safety area, the scale of its
published values (``fraction`` 0-1, ``percent`` 0-100, ``score`` other) and the
embedded panels that carry it.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ._io import data_path

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


def registry() -> pd.DataFrame:
    """The benchmark registry as a DataFrame indexed by benchmark id (a copy)."""
    return _load().copy()


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


def benchmark_metadata(ids: list[str]) -> pd.DataFrame:
    """Registry rows for ``ids``; ids unknown to the registry get neutral defaults.

    Unknown ids (a user's own benchmark) get name = id, role ``other`` (or
    ``safety`` when the caller overrides it), area ``""``, higher_is_better True.
    """
    reg = _load()
    rows = []
    for bid in ids:
        if bid in reg.index:
            r = reg.loc[bid]
            rows.append({"id": bid, **{c: r[c] for c in REGISTRY_COLUMNS}, "registered": True})
        else:
            rows.append(
                {
                    "id": bid,
                    "name": bid,
                    "metric": "",
                    "higher_is_better": True,
                    "role": "other",
                    "area": "",
                    "scale": "",
                    "in_panels": "",
                    "registered": False,
                }
            )
    return pd.DataFrame(rows, columns=["id", *REGISTRY_COLUMNS, "registered"]).set_index("id")
