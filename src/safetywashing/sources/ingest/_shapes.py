"""Type checks of harness JSON, shared by ``ingest`` and the items reader: a wrong shape is a named reason, never a
traceback, and a score that is not a number is named, never read as 0 or silently missing."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._common import Skip


def mapping(obj: dict[str, Any], key: str, fmt: str, *, required: bool = False) -> dict[str, Any]:
    """``obj[key]`` when it is a JSON object; ``{}`` when absent or null; :class:`Skip` naming the key otherwise."""
    val = obj.get(key)
    if val is None and not required:
        return {}
    if not isinstance(val, dict):
        raise Skip(f"{key!r} is {kind(val)}; {fmt} writes an object (mapping) there")
    return val


def kind(val: Any) -> str:
    """``a list``, ``text``, ``a number``, ... for messages."""
    if val is None:
        return "null"
    if isinstance(val, bool):
        return "true/false"
    if isinstance(val, numbers.Number):
        return "a number"
    if isinstance(val, str):
        return "text"
    if isinstance(val, list):
        return "a list"
    if isinstance(val, dict):
        return "an object"
    return type(val).__name__


def number(val: Any) -> float | None:
    """A JSON number as a float (NaN kept, an integer too large for a float -> +-inf); None for anything else
    (text, null, true/false, lists, objects): the caller names it."""
    if isinstance(val, bool) or not isinstance(val, numbers.Real):
        return None
    try:
        return float(val)
    except OverflowError:
        return math.inf if val > 0 else -math.inf


def score(val: Any, where: str) -> float:
    """A score read from a harness file: a finite float, else :class:`Skip` naming ``where`` and the value."""
    v = number(val)
    if v is None:
        raise Skip(f"{where}: value {short(val)} is {kind(val)}, not a number")
    if not math.isfinite(v):
        raise Skip(f"{where}: value {short(val)} is not a finite number")
    return v


def short(val: Any, limit: int = 60) -> str:
    """``repr`` of a value cut to ``limit`` characters (a huge integer or text stays one line)."""
    if isinstance(val, int) and not isinstance(val, bool) and abs(val) > 10**30:
        return f"an integer of about {int(val.bit_length() * 0.30103) + 1} digits"
    text = repr(val)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Inspect's letter and word scores (``inspect_ai.scorer.value_to_float``'s defaults): correct, incorrect, partial, no
#: answer, and yes/no/true/false.
_INSPECT_WORDS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}


def inspect_value(val: Any, where: str) -> float:
    """An Inspect score value as a float: a number, or one of Inspect's score letters/words; anything else (other
    text, a dict, a list, NaN, inf) is :class:`Skip` naming ``where`` and the value, never 0."""
    if isinstance(val, bool):
        return float(val)
    if isinstance(val, str):
        key = val.strip()
        word = _INSPECT_WORDS.get(key, _INSPECT_WORDS.get(key.lower()))
        if word is not None:
            return word
        try:
            v = float(key)
        except ValueError:
            raise Skip(f"{where}: value {short(val)} is text, not a number or an Inspect score letter (C, I, P, N)") from None
        val = v
    return score(val, where)
