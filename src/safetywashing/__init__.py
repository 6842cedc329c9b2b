"""safetywashing: does a safety benchmark measure safety, or just capabilities?

Public API::

    import safetywashing as sw
    panel = sw.load_panel("chat")           # embedded panel of the paper (26 chat models)
    res = sw.analyze(panel)                 # capabilities correlation of every benchmark
    res.to_frame()                          # tidy pandas table
"""

from ._util.errors import InputError, InsufficientDataError, SafetywashingError, UnknownIdError
from ._util.version import __version__
from .capability import (
    SCORE_METHODS,
    CapabilityDirection,
    CapabilityFit,
    CapabilityModel,
    capability_direction,
    fit_capability_model,
)
from .commands import (
    AnalysisResult,
    AuditResult,
    BenchmarkResult,
    ClaimResult,
    ItemsReport,
    ItemsResult,
    LeaderboardEntry,
    LeaderboardResult,
    PlacementResult,
    analyze,
    audit,
    claim,
    items,
    leaderboard,
    place,
)
from .inference import (
    Reliability,
    band,
    disattenuated,
    interval_width,
    item_counts,
    models_needed,
    reliability_from_counts,
    separation_power,
    verdict,
    verdict_bands,
)
from .present import build_report, plot, render_figures
from .sources import (
    IngestResult,
    ItemMatrix,
    ModelMatch,
    ScoreMatrix,
    corrections,
    ingest,
    load_panel,
    match_models,
    match_to_panel,
    normalise_model_name,
    panel_names,
    read_items,
    read_table,
    registry,
)

__all__ = [
    "AnalysisResult",
    "AuditResult",
    "BenchmarkResult",
    "CapabilityFit",
    "CapabilityModel",
    "CapabilityDirection",
    "ClaimResult",
    "IngestResult",
    "ItemMatrix",
    "ItemsReport",
    "ItemsResult",
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
    "items",
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
    "plot",
    "read_items",
    "read_table",
    "registry",
    "reliability_from_counts",
    "render_figures",
    "separation_power",
    "verdict",
    "verdict_bands",
]
