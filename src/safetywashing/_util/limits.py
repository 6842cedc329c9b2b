"""The bounds every reader and every work-scaling option is held to, in one place.

Readers: every input file is checked to be a regular file (never a FIFO, device, socket or folder, so nothing waits
on a pipe or reads a device without end) and no larger than its cap before it is opened; zip archives (Inspect
``.eval`` logs) are checked for their entry count and declared uncompressed size before anything is extracted.

Work: an option that scales the work (``--bootstrap``, ``--permutations``) is checked up front, in every command,
against an estimate of the memory and the time it needs on the data at hand (:func:`check_work`); a refusal is one
line naming the largest value allowed there. The estimates are deliberately simple and conservative:

- memory (bytes) = ``value * 8 * (3 * rows + 4 * columns)``: a resample's row indices, resampled values and ranks,
  and its per-column results; must stay under :data:`MEMORY_BUDGET`;
- time (s) = ``value * (SECONDS_PER_RESAMPLE + rows * columns * SECONDS_PER_CELL)``; must stay under
  :data:`TIME_BUDGET` (measured on a 2-core machine: ``analyze --panel frontier`` takes about 2e-3 s per resample,
  ``audit --panel frontier`` about 5e-5 s; the constants sit above both).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .errors import InputError

#: Largest score table (``--data``, ``audit``/``claim``/``place`` inputs, ``--model-scores``, ``--provenance``).
MAX_TABLE_BYTES = 200 * 1024**2
#: Largest harness JSON file read whole (lm-eval results, HELM run files, ``report --items`` JSON).
MAX_JSON_BYTES = 256 * 1024**2
#: Largest Inspect ``.json`` log (it may carry every sample; only its header is used).
MAX_LOG_BYTES = 1024**3
#: Largest Inspect ``.eval`` archive on disk.
MAX_ZIP_BYTES = 4 * 1024**3
#: At most this many entries in a zip archive (an Inspect log has one per sample and epoch, plus a few).
MAX_ZIP_ENTRIES = 200_000
#: At most this many uncompressed bytes, summed over a zip archive's entries as its directory declares them.
MAX_ZIP_UNCOMPRESSED = 8 * 1024**3
#: At most this many uncompressed bytes in one zip entry read whole (an Inspect log's ``header.json``).
MAX_ZIP_MEMBER = MAX_JSON_BYTES
#: Deepest JSON nesting accepted, for the record: it is not checked separately but is Python's recursion limit
#: (1000 by default), where the parser stops; the readers report that as "nested too deeply" (harness files nest
#: fewer than 20 levels).
MAX_JSON_DEPTH = 1000
#: Longest line a line-based reader (the items reader's JSONL samples) should accept; score tables are bounded by
#: :data:`MAX_TABLE_BYTES` as a whole.
MAX_LINE_BYTES = 64 * 1024**2
#: Most models a figure draws (a ranking of more cannot be read, and drawing it needs gigabytes).
MAX_FIGURE_MODELS = 5_000

#: Upper bound on ``--bootstrap`` and ``--permutations`` whatever the data: beyond it the Monte Carlo error of an
#: interval end or p-value is far below anything the data can support.
MAX_RESAMPLES = 1_000_000
#: Working memory a command may plan for (bytes).
MEMORY_BUDGET = 2 * 1024**3
#: Time a command may plan for (seconds).
TIME_BUDGET = 3600.0
#: Fixed cost of one resample (s), whatever the data's size.
SECONDS_PER_RESAMPLE = 1e-4
#: Cost of one model x column cell inside one resample (s).
SECONDS_PER_CELL = 5e-7


def largest_work(rows: int, columns: int) -> int:
    """The largest resample count whose estimated memory and time fit the budgets for ``rows`` x ``columns``."""
    rows, columns = max(int(rows), 1), max(int(columns), 1)
    by_memory = MEMORY_BUDGET // (8 * (3 * rows + 4 * columns))
    by_time = TIME_BUDGET / (SECONDS_PER_RESAMPLE + rows * columns * SECONDS_PER_CELL)
    return int(max(0, min(MAX_RESAMPLES, by_memory, math.floor(by_time))))


def check_work(option: str, value: Any, *, rows: int, columns: int, what: str = "models x benchmarks") -> None:
    """Refuse ``value`` resamples of ``option`` that would exceed the memory or time budget (one-line InputError).

    ``rows`` (models) and ``columns`` (benchmarks or items) are the sizes each resample works on; 0 when not known yet
    (then only :data:`MAX_RESAMPLES` is checked).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{option}: {value!r} must be a whole number >= 0")
    value = int(value)
    if value < 0:
        raise InputError(f"{option}: {value} must be a whole number >= 0")
    if rows <= 0 or columns <= 0:  # sizes not known yet: the ceiling only (checked again once they are)
        if value > MAX_RESAMPLES:
            raise InputError(f"{option} {value}: more resamples than anything needs; the largest allowed is "
                             f"{option} {MAX_RESAMPLES}")
        return
    top = largest_work(rows, columns)
    if value > top:
        mem = value * 8 * (3 * max(rows, 1) + 4 * max(columns, 1))
        secs = value * (SECONDS_PER_RESAMPLE + max(rows, 1) * max(columns, 1) * SECONDS_PER_CELL)
        unit = "permutations" if "permut" in option else "resamples"
        raise InputError(
            f"{option} {value}: {value:,} {unit} of {rows:,} x {columns:,} {what} are too much work (about "
            f"{mem / 2**30:,.1f} GiB and {secs / 60:,.0f} min); the largest allowed here is {option} {top}"
        )


def check_seed(value: Any, option: str = "--seed") -> None:
    """A seed is None (fresh entropy) or a whole number >= 0 (numpy's rule); anything else is a one-line InputError."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InputError(f"{option}: {value!r} must be a whole number >= 0 (e.g. {option} 0)")
