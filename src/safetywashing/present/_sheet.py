"""Spreadsheet-safe text outputs (CSV and Markdown): no cell can run as a formula.

A spreadsheet that opens a CSV runs a cell beginning with ``=``, ``+``, ``-``,
``@``, tab or carriage return as a formula (``=HYPERLINK(...)`` in a model
name). As OWASP advises for CSV injection, such *text* cells are prefixed with
a single quote, which spreadsheets show as text. Numbers are left alone: a
numeric column's ``-0.12`` stays a number, and so does a text cell that is
just a number. JSON outputs keep the raw values.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")
# a Markdown cell that is a number, optionally with one bracketed interval or count: "+0.96 [+0.91, +1.00]"; anything
# after the number that could continue a formula ("-1+HYPERLINK(...)") makes it text, neutralised as CSV does
_MD_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?(\s*[\[(][^A-Za-z=@*/&^\[\]()]*[\])])?$")


def neutralise(text: str) -> str:
    """``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``; numbers, a lone ``-`` and other text unchanged."""
    if not text or not text.startswith(TRIGGERS) or text == "-" or _PLAIN_NUMBER.match(text):
        return text
    return "'" + text


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names are neutralised (numeric columns untouched)."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            continue
        out[c] = col.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.name is not None or not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


LIST_SEPARATOR = ";"  # a list cell in CSV: ``moderate;high`` (JSON keeps real lists)


def flat_lists(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose list and tuple cells are joined with :data:`LIST_SEPARATOR` (every command's CSV encoding)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, (list, tuple))).any():
            out[c] = out[c].map(lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out


def to_csv(df: pd.DataFrame, **kw: Any) -> str:
    """``df.to_csv(**kw)`` with list cells joined by ``;`` (:func:`flat_lists`) and text cells neutralised
    (:func:`safe_frame`)."""
    return safe_frame(flat_lists(df)).to_csv(**kw)


def _md_cell(cell: str) -> str:
    s = cell.strip()
    if not s or s == "-" or _MD_NUMERIC.match(s) or not s.startswith(TRIGGERS):
        return cell
    lead = cell[: len(cell) - len(cell.lstrip(" "))]
    return lead + "'" + cell.lstrip(" ")


def markdown_safe(text: str) -> str:
    """Neutralise the text cells of every Markdown table row (``| a | b |``) in ``text``.

    Cells that read as numbers (``-0.12``, ``+3.1 [1.0, 5.2]``) are left alone.
    """
    out = []
    for line in text.split("\n"):
        if line.startswith("|") and line.rstrip().endswith("|") and not set(line) <= set("|-: "):
            inner = line.rstrip()[1:-1]
            line = "|" + "|".join(_md_cell(c) for c in inner.split("|")) + "|"
        out.append(line)
    return "\n".join(out)
