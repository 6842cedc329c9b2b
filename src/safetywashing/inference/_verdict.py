"""Verdict bands for a capabilities correlation, and verdicts as tests against them.

Signed bands: ``high negative`` (r <= -0.7), ``moderate negative``
(-0.7 < r <= -0.4), ``low`` (-0.4 < r < 0.4), ``moderate`` (0.4 <= r < 0.7),
``high`` (r >= 0.7). A negative high or moderate correlation means capability
gains work *against* the property.

With an interval, the verdict names only what the interval supports: the bands
it overlaps (:func:`verdict_bands`), one band when one remains, otherwise a
range such as ``low to high`` (:func:`verdict`).
"""

from __future__ import annotations

import math

HIGH = 0.7
MODERATE = 0.4

BANDS: tuple[str, ...] = ("high negative", "moderate negative", "low", "moderate", "high")
_ORDER = BANDS

VERDICT_TEXT: dict[str, str] = {
    "high": "mostly tracks capabilities",
    "moderate": "partly tracks capabilities",
    "low": "largely distinct from capabilities",
    "moderate negative": "capabilities partly work against this property",
    "high negative": "capabilities work against this property",
    "undefined": "no correlation (constant column or too few models)",
}


BANDS_SENTENCE = (
    f"Verdict bands: high negative <= -{HIGH:.2f} < moderate negative <= -{MODERATE:.2f} < low < {MODERATE:.2f} "
    f"<= moderate < {HIGH:.2f} <= high"
)
"""The five signed bands in one sentence (no final stop), for legends and methods text."""


def band(r: float | None) -> str:
    """Band of a point correlation: ``high``, ``moderate``, ``low``, ``... negative`` or ``undefined``."""
    if r is None or (isinstance(r, float) and math.isnan(r)):
        return "undefined"
    if r >= HIGH:
        return "high"
    if r >= MODERATE:
        return "moderate"
    if r <= -HIGH:
        return "high negative"
    if r <= -MODERATE:
        return "moderate negative"
    return "low"


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def verdict_bands(ci_low: float | None, ci_high: float | None) -> list[str]:
    """The bands the closed interval ``[ci_low, ci_high]`` overlaps, ordered from negative to positive.

    Empty when the interval is missing. The bands partition the line, so these
    are the bands from ``band(ci_low)`` to ``band(ci_high)``.
    """
    if _missing(ci_low) or _missing(ci_high):
        return []
    lo, hi = sorted((float(ci_low), float(ci_high)))
    return list(BANDS[BANDS.index(band(lo)) : BANDS.index(band(hi)) + 1])


def range_label(bands: list[str]) -> str:
    """``"low"`` for one band, ``"low to high"`` for several (first to last, negative to positive)."""
    if not bands:
        return "undefined"
    return bands[0] if len(bands) == 1 else f"{bands[0]} to {bands[-1]}"


def verdict(r: float | None, ci_low: float | None = None, ci_high: float | None = None) -> str:
    """Verdict of a correlation, using its interval when one is given.

    Without an interval this is the point estimate's :func:`band` (the
    paper's reading). With one, the verdict is a test against the bands: it
    names one band only when the interval lies inside that band, otherwise
    the range of bands the interval overlaps (``"moderate to high"``,
    ``"low to high"``): every band outside that range is ruled out at the
    interval's level, none inside it is.
    """
    if band(r) == "undefined":
        return "undefined"
    if _missing(ci_low) or _missing(ci_high):
        return band(r)
    return range_label(verdict_bands(ci_low, ci_high))


def is_single_band(v: str) -> bool:
    """True when a verdict names exactly one band."""
    return v in BANDS


def verdict_text(v: str) -> str:
    """Plain-language meaning of a verdict (a range verdict: what it rules in)."""
    if v in VERDICT_TEXT:
        return VERDICT_TEXT[v]
    if " to " in v:
        a, b = v.split(" to ", 1)
        return f"anything from {a} to {b}: the interval rules out only the bands beyond"
    return v
