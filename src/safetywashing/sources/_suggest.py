"""Name suggestions for unknown ids and names: fuzzy, and only ever suggested, never applied."""

from __future__ import annotations


def close_matches(name: str, choices: list[str], limit: int = 3, cutoff: float = 60.0) -> list[str]:
    """Up to ``limit`` choices similar to ``name`` (rapidfuzz WRatio >= ``cutoff``)."""
    try:
        from rapidfuzz import fuzz, process
    except ImportError:  # pragma: no cover - rapidfuzz is a dependency
        import difflib

        return difflib.get_close_matches(name, choices, n=limit)
    hits = process.extract(name, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff)
    return [h[0] for h in hits]


def suggest(name: str, choices: list[str]) -> str:
    """A ``" (did you mean: a, b?)"`` suffix, or ``""`` when nothing is close."""
    hits = close_matches(name, choices)
    return f" (did you mean: {', '.join(hits)}?)" if hits else ""
