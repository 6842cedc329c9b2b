"""safetywashing: does a safety benchmark measure safety, or just capabilities?

Public API::

    import safetywashing as sw
    panel = sw.load_panel("chat")           # embedded panel of the paper (26 chat models)
    res = sw.analyze(panel)                 # capabilities correlation of every benchmark
    res.to_frame()                          # tidy pandas table
"""

from typing import TYPE_CHECKING

from ._util.errors import InputError, InsufficientDataError, SafetywashingError, SafetywashingWarning, UnknownIdError
from ._util.lazy import lazy_exports
from ._util.version import __version__

if TYPE_CHECKING:
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
        load_panel,
        match_models,
        match_to_panel,
        normalise_model_name,
        panel_names,
        read_items,
        read_table,
        registry,
    )
    from .sources.ingest import ingest

# Each public name and the room it lives in; the module loads on first use (PEP 562), so `import safetywashing`
# stays cheap and a command imports only what it runs.
_EXPORTS = {
    "AnalysisResult": ".commands",
    "AuditResult": ".commands",
    "BenchmarkResult": ".commands",
    "CapabilityFit": ".capability",
    "CapabilityModel": ".capability",
    "CapabilityDirection": ".capability",
    "ClaimResult": ".commands",
    "IngestResult": ".sources",
    "ItemMatrix": ".sources",
    "ItemsReport": ".commands",
    "ItemsResult": ".commands",
    "LeaderboardEntry": ".commands",
    "LeaderboardResult": ".commands",
    "ModelMatch": ".sources",
    "PlacementResult": ".commands",
    "Reliability": ".inference",
    "SCORE_METHODS": ".capability",
    "ScoreMatrix": ".sources",
    "analyze": ".commands",
    "audit": ".commands",
    "band": ".inference",
    "build_report": ".present",
    "capability_direction": ".capability",
    "claim": ".commands",
    "fit_capability_model": ".capability",
    "corrections": ".sources",
    "disattenuated": ".inference",
    "ingest": ".sources.ingest",
    "items": ".commands",
    "interval_width": ".inference",
    "item_counts": ".inference",
    "leaderboard": ".commands",
    "load_panel": ".sources",
    "match_models": ".sources",
    "match_to_panel": ".sources",
    "models_needed": ".inference",
    "normalise_model_name": ".sources",
    "panel_names": ".sources",
    "place": ".commands",
    "plot": ".present",
    "read_items": ".sources",
    "read_table": ".sources",
    "registry": ".sources",
    "reliability_from_counts": ".inference",
    "render_figures": ".present",
    "separation_power": ".inference",
    "verdict": ".inference",
    "verdict_bands": ".inference",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
    "SafetywashingWarning",
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
