"""safetywashing: does a safety benchmark measure safety, or just capabilities?

Public API::

    import safetywashing as sw
    panel = sw.load_panel("chat")           # embedded panel of the paper (26 chat models)
    res = sw.analyze(panel)                 # capabilities correlation of every benchmark
    res.to_frame()                          # tidy pandas table
"""

from ._analysis import (
    AnalysisResult,
    BenchmarkResult,
    CapabilityDirection,
    analyze,
    capability_direction,
)
from ._audit import AuditResult, audit
from ._capability import SCORE_METHODS, CapabilityFit, CapabilityModel, fit_capability_model
from ._claim import ClaimResult, claim
from ._errors import InputError, InsufficientDataError, SafetywashingError, UnknownIdError
from ._figures import render_figures
from ._ingest import IngestResult, ingest
from ._leaderboard import LeaderboardEntry, LeaderboardResult, leaderboard
from ._match import ModelMatch, match_models, match_to_panel, normalise_model_name
from ._matrix import ScoreMatrix
from ._panels import load_panel, panel_names
from ._place import PlacementResult, place
from ._power import interval_width, models_needed, separation_power
from ._read import read_table
from ._registry import corrections, registry
from ._reliability import Reliability, disattenuated, reliability_from_counts
from ._reliability_fields import item_counts
from ._report import build_report
from ._verdict import band, verdict, verdict_bands

__version__ = "0.1.0"

__all__ = [
    "AnalysisResult",
    "AuditResult",
    "BenchmarkResult",
    "CapabilityFit",
    "CapabilityModel",
    "CapabilityDirection",
    "ClaimResult",
    "IngestResult",
    "InputError",
    "InsufficientDataError",
    "LeaderboardEntry",
    "LeaderboardResult",
    "ModelMatch",
    "PlacementResult",
    "Reliability",
    "SafetywashingError",
    "SCORE_METHODS",
    "ScoreMatrix",
    "UnknownIdError",
    "__version__",
    "analyze",
    "audit",
    "band",
    "build_report",
    "capability_direction",
    "claim",
    "fit_capability_model",
    "corrections",
    "disattenuated",
    "ingest",
    "interval_width",
    "item_counts",
    "leaderboard",
    "load_panel",
    "match_models",
    "match_to_panel",
    "models_needed",
    "normalise_model_name",
    "panel_names",
    "place",
    "read_table",
    "registry",
    "reliability_from_counts",
    "render_figures",
    "separation_power",
    "verdict",
    "verdict_bands",
]
