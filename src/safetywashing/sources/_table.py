"""Read a user's own score table (CSV/TSV, wide or long) into a :class:`ScoreMatrix`.

Real tables are messy: this reader accepts wide tables (one row per model, one
column per benchmark) and long ones (``model,benchmark,score``), detects the
delimiter, keeps whole text columns as model metadata, reads percent strings
("45.2%" -> 45.2) and empty / ``NA`` cells as missing, and flips
lower-is-better columns. Everything it cannot read is an :class:`InputError`
that names the file, the line and the column, and says how to fix it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._util import limits
from .._util.errors import InputError, UnknownIdError
from .._util.io import open_regular
from ._matrix import EMPTY_COLUMNS_NOTE, ScoreMatrix
from ._registry import registry

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MODEL_COLUMN_NAMES = ("model", "name")
LONG_BENCHMARK_NAMES = ("benchmark", "task")
LONG_SCORE_NAMES = ("score", "value")
MAX_BYTES = limits.MAX_TABLE_BYTES
MAX_ABS = 1e100  # larger magnitudes are no score (and overflow squares in the statistics)
_NONFINITE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)


def parse_cell(text: str) -> tuple[float, bool] | None:
    """Parse one cell: ``(value, was_percent)``, NaN for a missing cell, None if not a number.

    ``"45.2%"`` -> ``(45.2, True)``: percent strings keep their 0-100 scale.
    """
    s = text.strip()
    if s.lower() in MISSING:
        return math.nan, False
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    if not _NUMBER.match(s):
        return None
    return float(s), pct


def _display(path: str | os.PathLike[str]) -> str:
    return str(path)


def _load_text(path: Path) -> str:
    """The file's text, after refusing what is not a regular file of a sensible size (read at most MAX_BYTES + 1)."""
    src = _display(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{src}: no such file; check the path (a CSV or TSV with one row per model)") from None
    except OSError as exc:
        raise InputError(f"{src}: cannot read the file ({exc.strerror}); check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{src}: is a folder, not a file; give the path of a CSV or TSV file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{src}: not a regular file (a device, pipe or socket); save the table to a file and give its path")
    if st.st_size > MAX_BYTES:
        raise InputError(
            f"{src}: file is larger than {MAX_BYTES // 2**20} MiB; a score table should be far smaller - is this the right file?"
        )
    raw = open_regular(path, max_bytes=MAX_BYTES)  # never blocks: a FIFO swapped in after the check is refused too
    if len(raw) > MAX_BYTES:
        raise InputError(
            f"{src}: file is larger than {MAX_BYTES // 2**20} MiB; a score table should be far smaller - is this the right file?"
        )
    if not raw.strip():
        raise InputError(f"{src}: file is empty; expected a header row (model, benchmark columns) and one row per model")
    if b"\x00" in raw[:65536]:
        raise InputError(f"{src}: binary content (NUL bytes), not a CSV/TSV text table; export the table as CSV")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{src}: line {line}: not UTF-8 text (byte {exc.start}); save the table as UTF-8 CSV"
        ) from None


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    header = text.lstrip().splitlines()[0]
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _Grid:
    """A table's cells: ``header``, one pandas Series per column (positional) and each row's line in the file.

    Columns that pandas' C reader recognised as numbers arrive as floats; every
    other column holds the cells' text. :meth:`text` gives any column as
    stripped strings (re-reading a numeric column as text when asked).
    """

    def __init__(self, header: list[str], cols: list[pd.Series], lines: np.ndarray, reread: Any = None) -> None:
        self.header = header
        self.cols = cols
        self.lines = lines
        self._reread = reread

    def __len__(self) -> int:
        return len(self.lines)

    def text(self, j: int) -> np.ndarray:
        """Column ``j`` as an object array of stripped strings ("" for an empty cell), as written in the file."""
        col = self.cols[j] if self._reread is None else self._reread(j)
        return _stripped(col)

    def drop(self, keep: list[int]) -> None:
        self.header = [self.header[i] for i in keep]
        self.cols = [self.cols[i] for i in keep]
        reread = self._reread
        self._reread = None if reread is None else (lambda j: reread(keep[j]))

    def rows(self) -> list[list[str]]:
        """Every row as a list of stripped strings (the slow, general form: long tables only)."""
        texts = [self.text(j) for j in range(len(self.header))]
        return [list(r) for r in zip(*texts)] if texts else []


def _is_number_dtype(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)


def _stripped(col: pd.Series) -> np.ndarray:
    arr = col.to_numpy(dtype=object, na_value="")
    if _is_number_dtype(col):
        return np.array([repr(float(x)) if x == x else "" for x in arr], dtype=object)
    return pd.Series(arr, dtype=object).astype(str).str.strip().to_numpy(dtype=object)


def _merged_rows_error(src: str, first_line: int, col: int, header: list[str]) -> InputError:
    name = header[col] if col < len(header) and header[col] else f"column {col + 1}"
    return InputError(
        f"{src}: line {first_line}, column {name!r}: a quoted cell runs over several lines, merging rows "
        "(a stray '\"'?); remove the stray quote or close it on the same line"
    )


def _na_tokens() -> list[str]:
    """The missing-cell spellings as pandas' reader matches them (exact tokens, a few cases of each)."""
    out: set[str] = set()
    for t in MISSING:
        out.update((t, t.upper(), t.title()))
    out.update(("NaN", "N/a"))
    return sorted(out)


# a table's rows before parsing: (header, body line indices, cells per body row, cells_of(k) -> row k's stripped cells)
_Rows = tuple[list[str], list[int], np.ndarray, Callable[[int], list[str]]]


def _physical_lines(text: str) -> list[str]:
    """The file's lines as csv and pandas see them: split at "\\n" only, a trailing "\\r" dropped.

    (str.splitlines would also split at form feeds, U+2028 and other
    characters a cell may hold, and shift every row after them.)
    """
    lines_text = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    if lines_text and lines_text[-1] == "":
        lines_text.pop()
    return lines_text


def _plain_rows(src: str, lines_text: list[str], sep: str) -> _Rows:
    """Rows of a file without quote characters: ``(header, body line indices, cells per row, cells_of)``.

    Blank lines (only whitespace and delimiters) are skipped; ``cells_of(k)``
    splits body row ``k`` into stripped cells (used only to word errors).
    """
    blank_chars = " \t\r\f\v" + sep
    kept = [i for i, ln in enumerate(lines_text) if ln.strip(blank_chars)]
    if not kept:
        raise InputError(f"{src}: file is empty; expected a header row (model, benchmark columns) and one row per model")
    header = [c.strip() for c in lines_text[kept[0]].split(sep)]
    body = kept[1:]
    counts = np.fromiter((lines_text[i].count(sep) + 1 for i in body), dtype=np.int64, count=len(body))

    def cells_of(k: int) -> list[str]:
        return [c.strip() for c in lines_text[body[k]].split(sep)]

    return header, body, counts, cells_of


def _quoted_rows(src: str, text: str, lines_text: list[str], sep: str) -> _Rows:
    """Rows of a file with quote characters, counted by Python's csv module (a quoted cell may hold the delimiter).

    Same result as :func:`_plain_rows`. A quoted cell spanning lines (a
    stray quote) is an error naming the line where it starts.
    """
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    kept, widths = [], []
    header_row: list[str] | None = None
    start = 0
    try:
        for rec in reader:
            for j, c in enumerate(rec):
                if "\n" in c or "\r" in c:
                    raise _merged_rows_error(src, start + 1, j, header_row or rec)
            if any(c.strip() for c in rec):
                if header_row is None:
                    header_row = [c.strip() for c in rec]
                kept.append(start)
                widths.append(len(rec))
            start = reader.line_num
    except csv.Error as exc:
        raise InputError(
            f"{src}: line {reader.line_num}: cannot parse the table ({exc}); check quotes and delimiters"
        ) from None
    if header_row is None:
        raise InputError(f"{src}: file is empty; expected a header row (model, benchmark columns) and one row per model")
    body = kept[1:]
    counts = np.asarray(widths[1:], dtype=np.int64)

    def cells_of(k: int) -> list[str]:
        return [c.strip() for c in next(csv.reader([lines_text[body[k]]], delimiter=sep))]

    return header_row, body, counts, cells_of


def _grid(path: Path) -> _Grid:
    """Split the file into header, columns and line numbers, checking its shape row by row.

    Rows are counted line by line (:func:`_plain_rows`, or :func:`_quoted_rows`
    when the file has quote characters); then the cells are parsed by pandas'
    C reader: a column of numbers and missing-cell tokens arrives as floats;
    any other column as text, which :func:`_numeric_column` parses column-wise.
    """
    src = _display(path)
    text = _load_text(path)
    sep = _delimiter(path, text)
    lines_text = _physical_lines(text)
    if '"' not in text:
        header, body, counts, cells_of = _plain_rows(src, lines_text, sep)
        quoting = csv.QUOTE_NONE
    else:
        header, body, counts, cells_of = _quoted_rows(src, text, lines_text, sep)
        quoting = csv.QUOTE_MINIMAL
    lines = np.asarray(body, dtype=np.int64) + 1
    _check_widths(src, header, counts, lines, cells_of)
    width = len(header)
    if not body:
        return _Grid(header, [], lines)
    ncols = int(max(counts.max(), width))
    body_text = "\n".join(lines_text[i] for i in body)

    def read(**kw: Any) -> pd.DataFrame:
        return pd.read_csv(
            io.StringIO(body_text), sep=sep, header=None, names=list(range(ncols)), skip_blank_lines=False,
            quoting=quoting, engine="c", **kw,
        )

    try:
        frame = read(na_values=_na_tokens(), keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:  # pragma: no cover - shapes were checked above
        raise InputError(f"{src}: cannot parse the table ({exc}); check quotes and delimiters") from None
    if len(frame) != len(body):  # pragma: no cover - a quoting case the two readers see differently
        raise InputError(f"{src}: cannot split the table into rows consistently; check quotes and delimiters")
    cols = [frame[j] for j in range(width)]
    return _Grid(header, cols, lines, reread=lambda j: read(usecols=[j], dtype=str, na_filter=False)[j])


def _check_widths(src: str, header: list[str], counts: np.ndarray, lines: np.ndarray, cells_of: Any) -> None:
    """Rows must have the header's number of cells (extra cells only if empty: spreadsheets pad rows with delimiters)."""
    width = len(header)
    if len(header) < 2:
        raise InputError(
            f"{src}: line 1: only one column ({header[0]!r}); expected a model column and at least one score column "
            "separated by commas or tabs"
        )
    for k in np.flatnonzero(counts != width):
        cells = cells_of(int(k))
        if len(cells) > width and any(cells[width:]):
            raise InputError(
                f"{src}: line {lines[k]}: {len(cells)} cells but the header has {width} columns; "
                "check for an unquoted delimiter inside a cell"
            )
        if len(cells) < width:
            raise InputError(
                f"{src}: line {lines[k]}: only {len(cells)} cell(s) but the header has {width} columns "
                f"(first missing: {header[len(cells)]!r}); a short row shifts or loses values: "
                "add the missing delimiters (an empty cell is a missing score)"
            )


def _table(path: Path) -> _Grid:
    """Header, columns and line numbers of a table, with the header checked (names present and unique)."""
    src = _display(path)
    g = _grid(path)
    header = g.header
    if not len(g):
        raise InputError(f"{src}: header only, no data rows; add one row per model below the header")
    # Spreadsheet exports often end rows with empty, unnamed columns: drop those.
    blank = [i for i, h in enumerate(header) if not h and i > 0 and not any(g.text(i))]
    if blank:
        g.drop([i for i in range(len(header)) if i not in blank])
        header = g.header
    empty = [i + 1 for i, h in enumerate(header) if not h]
    if empty and empty != [1]:
        raise InputError(f"{src}: line 1: column {empty[-1]} has no name but holds values; give every column a header")
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            raise InputError(
                f"{src}: line 1: duplicate column name {h!r} (columns {seen[h] + 1} and {i + 1}); rename or remove one"
            )
        seen[h] = i
    return g


def _lookup(header: list[str], names: tuple[str, ...]) -> str | None:
    low = {h.lower(): h for h in reversed(header)}
    for n in names:
        if n in low:
            return low[n]
    return None


def _cell_error(src: str, col: str, line: int, cell: str, more: int) -> InputError:
    """The message for the first unreadable cell of a numeric column (built with the per-cell parser)."""
    extra = f" (and {more} more cell(s))" if more else ""
    parsed = parse_cell(cell)
    if parsed is not None or _NONFINITE.match(cell):
        return InputError(
            f"{src}: line {line}, column {col!r}: {cell!r} is not a finite number of sensible size (|x| <= {MAX_ABS:g}){extra}; "
            "fix the cell, or leave it empty for a missing score"
        )
    return InputError(
        f"{src}: line {line}, column {col!r}: {cell!r} is not a number{extra} in an otherwise numeric column; "
        "fix the cell, or leave it empty for a missing score"
    )


def _numeric_column(
    src: str, col: str, series: pd.Series, lines: np.ndarray, *, known: bool = False, raw: Any = None
) -> tuple[np.ndarray, bool] | None:
    """Parse a column: ``(values, had_percent)``; None when it is a text (metadata) column.

    A column is numeric when more of its non-missing cells are numbers than
    text, or when its header is a registry benchmark id (``known``) and it has
    a number; then every text cell is an error (a stray cell). Values are
    parsed column-wise (pandas); :func:`parse_cell` only words the error.
    Non-finite values and magnitudes above ``MAX_ABS`` are errors; a column
    mixing percent strings with plain numbers is an error (two scales).
    """
    if _is_number_dtype(series):
        vals = series.to_numpy(dtype=float, copy=True)
        cells = None
        pct = np.zeros(len(vals), dtype=bool)
        bad = np.zeros(len(vals), dtype=bool)
    else:
        cells = _stripped(series)
        s = pd.Series(cells, dtype=object)
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, copy=True)
        todo = np.isnan(vals)
        low = s[todo].str.lower()
        missing = np.zeros(len(vals), dtype=bool)
        missing[todo] = low.isin(MISSING).to_numpy()
        rest = todo & ~missing
        pct = np.zeros(len(vals), dtype=bool)
        if rest.any():
            sub = s[rest]
            is_pct = sub.str.endswith("%").to_numpy()
            pv = pd.to_numeric(sub.str[:-1].str.strip(), errors="coerce").to_numpy(dtype=float)
            ok = is_pct & ~np.isnan(pv)
            idx = np.flatnonzero(rest)
            vals[idx[ok]] = pv[ok]
            pct[idx[ok]] = True
        bad = ~missing & np.isnan(vals)
    finite = np.isfinite(vals)
    good = finite & (np.abs(np.where(finite, vals, 0.0)) <= MAX_ABS)
    number = ~np.isnan(vals)  # numbers, including inf and huge ones (errors below when the column is numeric)
    n_bad, n_number = int(bad.sum()), int(number.sum())
    if not n_number or (n_bad >= n_number and not known):
        return None if n_bad else (np.full(len(vals), np.nan), False)
    wrong = bad | (number & ~good)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        if cells is None:
            cells = raw() if raw is not None else np.array([repr(float(v)) for v in vals], dtype=object)
        cell = cells[i]
        raise _cell_error(src, col, int(lines[i]), str(cell), int(wrong.sum()) - 1)
    if pct.any() and (number & ~pct).any():
        i, k = int(np.flatnonzero(pct)[0]), int(np.flatnonzero(number & ~pct)[0])
        raise InputError(
            f"{src}: column {col!r} mixes percent strings ({cells[i]!r} at line {lines[i]}) and plain numbers "  # type: ignore[index]
            f"({cells[k]!r} at line {lines[k]}): the two may be on different scales (45% vs 0.45); "  # type: ignore[index]
            "write every cell of the column the same way"
        )
    return np.where(number, vals, np.nan), bool(pct.any())


def _long_to_wide(src: str, header: list[str], rows: list[list[str]], lines: list[int], model_col: str) -> tuple[
    list[str], list[list[str]], list[int]
]:
    bcol = _lookup(header, LONG_BENCHMARK_NAMES)
    scol = _lookup(header, LONG_SCORE_NAMES)
    assert bcol is not None and scol is not None
    mi, bi, si = header.index(model_col), header.index(bcol), header.index(scol)
    models: dict[str, int] = {}
    benches: dict[str, int] = {}
    where: dict[tuple[str, str], int] = {}
    cells: dict[tuple[str, str], str] = {}
    for r, ln in zip(rows, lines):
        m, b = r[mi], r[bi]
        if not m:
            raise InputError(f"{src}: line {ln}, column {model_col!r}: empty model name; every row needs a model")
        if not b:
            raise InputError(f"{src}: line {ln}, column {bcol!r}: empty benchmark name; every row needs a benchmark")
        if (m, b) in where:
            raise InputError(
                f"{src}: line {ln}: duplicate score for model {m!r} on benchmark {b!r} (first at line {where[(m, b)]}); "
                "keep one row per model and benchmark"
            )
        if b == model_col:
            raise InputError(f"{src}: line {ln}, column {bcol!r}: a benchmark may not be called {b!r} (the model column)")
        where[(m, b)] = ln
        cells[(m, b)] = r[si]
        models.setdefault(m, ln)
        benches.setdefault(b, len(benches))
    # A long table's score cells are checked here, with their own line numbers.
    for (m, b), v in cells.items():
        if parse_cell(v) is None:
            raise InputError(
                f"{src}: line {where[(m, b)]}, column {scol!r}: {v!r} is not a number; "
                "fix the cell, or leave it empty for a missing score"
            )
    wide_header = [model_col, *benches]
    wide_rows = [[m, *(cells.get((m, b), "") for b in benches)] for m in models]
    # Lines of a pivoted cell are reported through the long table; the model's first line stands for the row.
    return wide_header, wide_rows, list(models.values())


def read_table(
    path: str | os.PathLike[str],
    *,
    model_column: str | None = None,
    lower_is_better: list[str] | None = None,
    flop_column: str | None = None,
    params_column: str | None = None,
    name: str | None = None,
) -> ScoreMatrix:
    """Read a user's score table into a :class:`ScoreMatrix`.

    Parameters
    ----------
    path:
        CSV or TSV file (delimiter detected: ``.tsv`` suffix, else the header's
        most frequent of comma, tab, semicolon). Wide: one row per model, one
        column per benchmark. Long: columns ``model``, ``benchmark`` (or
        ``task``) and ``score`` (or ``value``), one row per model and benchmark.
    model_column:
        Column holding model names. Default: a column named ``model`` (any
        case), else ``name``, else the first text column.
    lower_is_better:
        Benchmark columns where lower is better (error rate, attack success
        rate); their values are negated so that every column reads higher =
        better (safer / more capable). Correlations keep their size and change
        sign.
    flop_column, params_column:
        Numeric columns holding training compute (FLOP) and parameter counts:
        kept as model metadata instead of being analysed as benchmarks.
    name:
        Name of the matrix (the JSON ``panel`` field); default the file stem.

    Returns
    -------
    ScoreMatrix
        Scores as floats (NaN = missing; percent strings keep their 0-100
        scale), text columns kept in ``models`` as metadata, and ``notes``
        saying what was kept, flipped or ignored.

    Raises
    ------
    InputError
        Missing, empty, binary or header-only file; duplicate model names; a
        stray text cell in a numeric column (named by line and column).
    UnknownIdError
        A named column (``model_column``, ``lower_is_better``, ...) that the
        table does not have.
    """
    p = Path(path)
    src = _display(p)
    g = _table(p)
    if g.header[0] == "":
        g.header[0] = "model"  # an index column exported without a name (pandas' to_csv)
    notes: list[str] = []
    model_col = _model_column(src, g, model_column)
    g = _long_as_wide(src, g, model_col, notes)
    mi = g.header.index(model_col)
    names = _model_names(src, g, mi, model_col)
    cols = _columns(src, g, mi)
    _check_metadata_options(src, g.header, cols, flop_column, params_column)
    index = pd.Index(names, name="model")
    models = _models_frame(index, cols, model_col, flop_column, params_column, notes)
    _column_notes(src, cols, notes)
    _flip_lower_is_better(src, g.header, cols, lower_is_better, notes)
    scores = pd.DataFrame(cols.numeric, index=index)
    stem = name or p.stem
    return _with_models(ScoreMatrix.from_frame(scores, name=stem, models=models, notes=tuple(notes), source=src), models)


def _need(src: str, header: list[str], col: str, option: str) -> str:
    """``col`` when the header has it; else an :class:`UnknownIdError` for ``option`` suggesting near names."""
    from ._suggest import suggest

    if col not in header:
        raise UnknownIdError(f"{src}: {option}: no column {col!r} in the header{suggest(col, header)}")
    return col


def _model_column(src: str, g: _Grid, model_column: str | None) -> str:
    """The column naming the models: ``--model-column``, else one named ``model`` / ``name``, else the first text column."""
    if model_column is not None:
        return _need(src, g.header, model_column, "--model-column")
    found = _lookup(g.header, MODEL_COLUMN_NAMES)
    if found:
        return found
    for j, h in enumerate(g.header):
        if _numeric_column(src, h, g.cols[j], g.lines, raw=lambda j=j: g.text(j)) is None:
            return h
    raise InputError(
        f"{src}: line 1: no model column (a column named 'model' or 'name', or any text column); "
        "add one or name it with --model-column"
    )


def _long_as_wide(src: str, g: _Grid, model_col: str, notes: list[str]) -> _Grid:
    """A long table (``model, benchmark, score`` rows) pivoted to the wide grid it describes; a wide table as it is.

    The pivoted grid's line of a model is its first line in the file. Notes
    say that the table was read as long and which of its columns were ignored.
    """
    bcol, scol = _lookup(g.header, LONG_BENCHMARK_NAMES), _lookup(g.header, LONG_SCORE_NAMES)
    if bcol is None or scol is None:
        return g
    if model_col in (bcol, scol):
        raise InputError(f"{src}: long table: the model column cannot be {model_col!r}; name it with --model-column")
    other = [h for h in g.header if h not in (model_col, bcol, scol)]
    header, rows, line_list = _long_to_wide(src, g.header, g.rows(), [int(x) for x in g.lines], model_col)
    lines = np.asarray(line_list, dtype=np.int64)
    wide = _Grid(header, [pd.Series(c, dtype=object) for c in zip(*rows)], lines)
    if other:
        notes.append(f"long table: column(s) {', '.join(other)} ignored")
    notes.append(f"read as a long table ({len(rows)} models x {len(header) - 1} benchmarks)")
    return wide


def _model_names(src: str, g: _Grid, mi: int, model_col: str) -> list[str]:
    """The model names (column ``mi``), refusing an empty or repeated name by its line."""
    names = [str(x) for x in g.text(mi)]
    first: dict[str, int] = {}
    for nm, ln in zip(names, g.lines):
        if not nm:
            raise InputError(f"{src}: line {ln}, column {model_col!r}: empty model name; every row needs a model")
        if nm in first:
            raise InputError(
                f"{src}: line {ln}, column {model_col!r}: duplicate model name {nm!r} (first at line {first[nm]}); "
                "each model must appear once: rename or remove one row"
            )
        first[nm] = ln
    return names


@dataclass
class _Columns:
    """The non-model columns by kind, in header order.

    ``numeric``: benchmark (or flop / params) values; ``text``: metadata
    columns' cells; ``percent``: numeric columns written as percent strings
    (0-100 scale); ``empty``: columns without a value in any row.
    """

    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, list[str]] = field(default_factory=dict)
    percent: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


def _columns(src: str, g: _Grid, mi: int) -> _Columns:
    """Every column but the model column parsed as numbers or kept as text (a registry id counts as numeric)."""
    out = _Columns()
    known_ids = set(registry().index)
    for j, h in enumerate(g.header):
        if j == mi:
            continue
        got = _numeric_column(src, h, g.cols[j], g.lines, known=h in known_ids, raw=lambda j=j: g.text(j))
        if got is None:
            out.text[h] = [str(x) for x in g.text(j)]
        elif np.isnan(got[0]).all():
            out.empty.append(h)
        else:
            out.numeric[h] = got[0]
            if got[1]:
                out.percent.append(h)
    return out


def _check_metadata_options(
    src: str, header: list[str], cols: _Columns, flop_column: str | None, params_column: str | None
) -> None:
    """``--flop-column`` / ``--params-column`` must name columns of the table that hold numbers."""
    for opt, col in (("--flop-column", flop_column), ("--params-column", params_column)):
        if col is not None:
            _need(src, header, col, opt)
            if col in cols.text:
                raise InputError(f"{src}: {opt}: column {col!r} is text, not numbers; name a numeric column")


def _models_frame(
    index: pd.Index, cols: _Columns, model_col: str, flop_column: str | None, params_column: str | None, notes: list[str]
) -> pd.DataFrame:
    """Model metadata: ``name``, ``flop`` / ``params`` (taken out of the numeric columns), then the other text columns."""
    models = pd.DataFrame(index=index)
    if "name" in cols.text and model_col != "name":
        models["name"] = cols.text["name"]
    for col, key in ((flop_column, "flop"), (params_column, "params")):
        if col is not None and col in cols.numeric:
            models[key] = cols.numeric.pop(col)
            notes.append(f"column {col!r} read as model metadata ({key}), not analysed")
    for h, values in cols.text.items():
        if h != "name" or model_col == "name":
            models[h] = values
    return models


def _column_notes(src: str, cols: _Columns, notes: list[str]) -> None:
    """Notes on text, empty and percent columns; an error when no numeric score column is left."""
    if cols.text:
        notes.append(f"text column(s) kept as model metadata, not analysed: {', '.join(cols.text)}")
    if cols.empty:
        notes.append(EMPTY_COLUMNS_NOTE + ", ".join(cols.empty))
    if cols.percent:
        notes.append(f"percent strings read on the 0-100 scale in: {', '.join(cols.percent)}")
    if not cols.numeric:
        raise InputError(
            f"{src}: no numeric score column (text columns: {', '.join(cols.text) or 'none'}); "
            "the table needs one column of numbers per benchmark"
        )


def _flip_lower_is_better(
    src: str, header: list[str], cols: _Columns, lower_is_better: list[str] | None, notes: list[str]
) -> None:
    """Negate the ``--lower-is-better`` columns in place, so that every column reads higher = better."""
    from ._suggest import suggest

    flips = list(dict.fromkeys(c.strip() for c in (lower_is_better or []) if c.strip()))
    numeric = cols.numeric
    for c in flips:
        if c not in numeric:
            if c in cols.empty:
                raise InputError(f"{src}: --lower-is-better: column {c!r} is empty (no value in any row)")
            if c in header:
                raise InputError(f"{src}: --lower-is-better: column {c!r} is not a numeric benchmark column")
            raise UnknownIdError(f"{src}: --lower-is-better: no column {c!r}{suggest(c, list(numeric))}")
        numeric[c] = -numeric[c]
    if flips:
        notes.append(
            f"lower is better in {', '.join(flips)}: values negated so that higher = better (safer / more capable)"
        )


def _with_models(m: ScoreMatrix, models: pd.DataFrame) -> ScoreMatrix:
    """Keep the table's extra metadata columns (family, licence, ...) beside the standard ones."""
    extra = [c for c in models.columns if c not in m.models.columns]
    if not extra:
        return m
    mm = m.models.join(models[extra])
    return ScoreMatrix(m.name, m.scores, mm, m.benchmarks, m.notes, m.source)
