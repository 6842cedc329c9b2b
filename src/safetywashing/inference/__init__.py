"""Inference: estimates, intervals, multiplicity, verdicts and annotations (reliability, compute, power)."""

from typing import TYPE_CHECKING

from .._util.lazy import lazy_exports

if TYPE_CHECKING:
    from ._power import interval_width, models_needed, separation_power
    from ._reliability import Reliability, disattenuated, reliability_from_counts
    from ._reliability_fields import item_counts
    from ._verdict import band, verdict, verdict_bands

_EXPORTS = {
    "Reliability": "._reliability",
    "band": "._verdict",
    "disattenuated": "._reliability",
    "interval_width": "._power",
    "item_counts": "._reliability_fields",
    "models_needed": "._power",
    "reliability_from_counts": "._reliability",
    "separation_power": "._power",
    "verdict": "._verdict",
    "verdict_bands": "._verdict",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "Reliability",
    "band",
    "disattenuated",
    "interval_width",
    "item_counts",
    "models_needed",
    "reliability_from_counts",
    "separation_power",
    "verdict",
    "verdict_bands",
]
