"""Commands: analyze, audit, claim, place, leaderboard and items, each a pure function returning a frozen result."""

from ._analyze import AnalysisResult, BenchmarkResult, analyze
from ._audit import AuditResult, audit
from ._claim import ClaimResult, claim
from ._items import ItemsReport, ItemsResult, items
from ._leaderboard import LeaderboardEntry, LeaderboardResult, leaderboard
from ._place import PlacementResult, place

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
