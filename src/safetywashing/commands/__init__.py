"""Commands: analyze, audit, claim, place, leaderboard and items, each a pure function returning a frozen result."""

from typing import TYPE_CHECKING

from .._util.lazy import lazy_exports

if TYPE_CHECKING:
    from ._analyze import AnalysisResult, BenchmarkResult, analyze
    from ._audit import AuditResult, audit
    from ._claim import ClaimResult, claim
    from ._items import ItemsReport, ItemsResult, items
    from ._leaderboard import LeaderboardEntry, LeaderboardResult, leaderboard
    from ._place import PlacementResult, place

_EXPORTS = {
    "AnalysisResult": "._analyze",
    "AuditResult": "._audit",
    "BenchmarkResult": "._analyze",
    "ClaimResult": "._claim",
    "ItemsReport": "._items",
    "ItemsResult": "._items",
    "LeaderboardEntry": "._leaderboard",
    "LeaderboardResult": "._leaderboard",
    "PlacementResult": "._place",
    "analyze": "._analyze",
    "audit": "._audit",
    "claim": "._claim",
    "items": "._items",
    "leaderboard": "._leaderboard",
    "place": "._place",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "AnalysisResult",
    "AuditResult",
    "BenchmarkResult",
    "ClaimResult",
    "ItemsReport",
    "ItemsResult",
    "LeaderboardEntry",
    "LeaderboardResult",
    "PlacementResult",
    "analyze",
    "audit",
    "claim",
    "items",
    "leaderboard",
    "place",
]
