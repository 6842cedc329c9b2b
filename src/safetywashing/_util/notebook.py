"""Short ``repr`` and compact ``_repr_html_`` for result objects (Jupyter shows the HTML when a cell ends with one).

A result describes itself as a :class:`Summary` (a title, a few facts, a small table, warnings); the mixin
:class:`NotebookRepr` turns it into one line of text or a few kB of escaped HTML. Every user string (model and
benchmark names, notes) goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 10  # table rows a notebook summary shows
MAX_TEXT = 160  # characters of one cell, fact or warning
_STYLE = (
    "<style>.sw-r{font-family:system-ui,sans-serif;font-size:13px;line-height:1.35}"
    ".sw-r table{border-collapse:collapse;margin:4px 0}.sw-r th,.sw-r td{padding:2px 8px;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}.sw-r .n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    ".sw-r .m,.sw-r .w{max-width:60em}.sw-r .m{color:#666}.sw-r .w{color:#8a4b00}</style>"
)


@dataclass(frozen=True)
class Summary:
    """What a result shows in a notebook: ``title``, ``facts`` (label, value), a small table and its warnings.

    ``numeric`` names the columns (by header) aligned right; ``more`` says how to get the rows not shown."""

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    numeric: tuple[str, ...] = ()
    more: str = ""
    warnings: tuple[str, ...] = ()


def clip(text: Any, width: int = MAX_TEXT) -> str:
    """``str(text)`` cut to ``width`` characters (``...`` marks a cut)."""
    s = str(text)
    return s if len(s) <= width else s[: width - 3] + "..."


def num(x: Any, spec: str = "+.2f") -> str:
    """A number for a summary cell (``-`` for None / NaN)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return format(x, spec)


def interval(lo: Any, hi: Any, spec: str = "+.2f") -> str:
    """``[lo, hi]`` or ``-`` when either end is missing."""
    if lo is None or hi is None:
        return "-"
    return f"[{num(lo, spec)}, {num(hi, spec)}]"


def text_repr(kind: str, s: Summary) -> str:
    """``<Kind title: fact value; ...>`` on one line."""
    facts = "; ".join(f"{k} {v}" for k, v in s.facts[:4])
    warn = f"; {len(s.warnings)} warning(s)" if s.warnings else ""
    return f"<{kind} {clip(s.title, 100)}" + (f": {facts}" if facts else "") + warn + ">"


def html_repr(kind: str, s: Summary) -> str:
    """A compact, escaped HTML block: title, facts, a table of at most :data:`MAX_ROWS` rows, warnings."""
    e = html.escape
    out = [_STYLE, '<div class="sw-r">', f"<div><b>{e(kind)}</b> {e(clip(s.title, 200))}</div>"]
    if s.facts:
        out.append('<div class="m">' + " &middot; ".join(f"{e(k)}: {e(clip(v))}" for k, v in s.facts) + "</div>")
    if s.header:
        right = [h in s.numeric for h in s.header]
        out.append("<table><thead><tr>" + "".join(f'<th class="n">{e(h)}</th>' if r else f"<th>{e(h)}</th>"
                                                  for h, r in zip(s.header, right)) + "</tr></thead><tbody>")
        for row in s.rows[:MAX_ROWS]:
            cells = "".join(f'<td class="n">{e(clip(c, 60))}</td>' if r else f"<td>{e(clip(c, 60))}</td>"
                            for c, r in zip(row, right))
            out.append(f"<tr>{cells}</tr>")
        out.append("</tbody></table>")
    if s.more:
        out.append(f'<div class="m">{e(clip(s.more, 300))}</div>')
    for w in s.warnings[:3]:
        out.append(f'<div class="w">warning: {e(clip(w, 300))}</div>')
    if len(s.warnings) > 3:
        out.append(f'<div class="w">... {len(s.warnings) - 3} more warning(s) in .warnings</div>')
    out.append("</div>")
    return "".join(out)


class NotebookRepr:
    """Mixin: ``repr`` on one line and ``_repr_html_`` (a few kB) from the class's :meth:`_summary`.

    A dataclass using it needs ``repr=False`` (else the dataclass writes its own, field by field)."""

    def _summary(self) -> Summary:  # pragma: no cover - each result defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        return text_repr(type(self).__name__, self._summary())

    def _repr_html_(self) -> str:
        return html_repr(type(self).__name__, self._summary())


def more(n_rows: int, what: str, how: str = ".to_frame()") -> str:
    """``... 12 more benchmarks (all: .to_frame())`` when ``n_rows`` exceeds :data:`MAX_ROWS`, else ``""``."""
    extra = n_rows - MAX_ROWS
    return f"... {extra} more {what} (all: {how})" if extra > 0 else ""
