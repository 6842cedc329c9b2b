"""Inference: estimates, intervals, multiplicity, verdicts and annotations (reliability, compute, power)."""

from ._power import interval_width, models_needed, separation_power
from ._reliability import Reliability, disattenuated, reliability_from_counts
from ._reliability_fields import item_counts
from ._verdict import band, verdict, verdict_bands

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
