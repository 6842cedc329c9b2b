"""Input integrity of user tables (issue 12): what used to be read silently with another meaning is an error or a named note."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.sources._table import read_table

HEAD = "model,cap_a,cap_b,cap_c,safety\n"
ROWS = [f"m{i},{0.1 * i + 0.01 * (i % 3):.2f},{i * 3 + (i % 2)},{50 + 2 * i - (i % 4)},{(i * 7) % 5}" for i in range(6)]


def _write(tmp_path, text: str, name: str = "t.csv"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_stray_quote_merging_rows_is_an_error_naming_the_line(tmp_path):
    rows = list(ROWS)
    rows[2] = 'm2,"0.22,6,53,4'  # an opening quote never closed on its line swallows the next rows
    f = _write(tmp_path, HEAD + "\n".join(rows) + "\n")
    with pytest.raises(sw.InputError, match=r"t\.csv: line 4, column 'cap_a': a quoted cell runs over several lines"):
        read_table(f)


def test_quoted_cells_on_one_line_still_read(tmp_path):
    f = _write(tmp_path, 'model,x,y\n"a, the first",1,2\n"b ""quoted""",3,4\nc,"5",6\n')
    m = read_table(f)
    assert list(m.scores.index) == ["a, the first", 'b "quoted"', "c"]
    assert m.scores["x"].tolist() == [1.0, 3.0, 5.0]


@pytest.mark.parametrize("quoted", [False, True])
def test_short_row_is_an_error(tmp_path, quoted):
    rows = list(ROWS)
    rows[3] = "m3,0.3,9"  # two cells short: the old reader padded them as missing
    if quoted:
        rows[0] = '"m0",0.00,0,50,0'
    f = _write(tmp_path, HEAD + "\n".join(rows) + "\n")
    with pytest.raises(sw.InputError, match=r"line 5: only 3 cell\(s\) but the header has 5 columns \(first missing: 'cap_c'\)"):
        read_table(f)


def test_trailing_empty_cells_are_still_fine(tmp_path):
    f = _write(tmp_path, HEAD + "\n".join(r + ",," for r in ROWS) + "\n")
    assert read_table(f).scores.shape == (6, 4)


def test_column_mixing_percent_strings_and_fractions_is_an_error(tmp_path):
    rows = [r.split(",") for r in ROWS]
    for i, r in enumerate(rows):
        r[4] = f"{20 + i}.0%" if i % 2 else f"0.{18 + i}"
    f = _write(tmp_path, HEAD + "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(sw.InputError, match=r"column 'safety' mixes percent strings \('21\.0%' at line 3\) and plain numbers "
                                            r"\('0\.18' at line 2\)"):
        read_table(f)


@pytest.mark.parametrize("cell", ["1e308", "-1e300", "inf", "-Infinity", "1e400"])
def test_non_finite_or_absurd_values_are_errors(tmp_path, cell):
    rows = [r.split(",") for r in ROWS]
    rows[4][2] = cell
    f = _write(tmp_path, HEAD + "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(sw.InputError, match=rf"line 6, column 'cap_b': '{cell}' is not a finite number of sensible size"):
        read_table(f)


def test_empty_capability_column_is_called_empty_not_unknown(cli, tmp_path):
    rows = [r.split(",") for r in ROWS]
    for r in rows:
        r[3] = ""
    f = _write(tmp_path, HEAD + "\n".join(",".join(r) for r in rows) + "\n")
    proc = cli("analyze", "--data", str(f), "--capabilities", "cap_a,cap_b,cap_c", "--bootstrap", "0")
    assert proc.returncode == 2
    assert "'cap_c' are empty (no value in any row)" in proc.stderr and "unknown" not in proc.stderr
    proc = cli("analyze", "--data", str(f), "--capabilities", "cap_a,cap_b", "--lower-is-better", "cap_c")
    assert proc.returncode == 2 and "'cap_c' is empty" in proc.stderr


def test_data_from_a_device_is_refused_without_reading_it(cli):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    t0 = time.perf_counter()
    proc = cli("analyze", "--data", "/dev/zero", "--capabilities", "a,b,c")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
    assert time.perf_counter() - t0 < 10


def test_fifo_input_is_refused_without_blocking(cli, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    proc = cli("audit", str(fifo), "--panel", "chat")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_vectorised_reader_equals_pandas_on_a_large_messy_table(tmp_path):
    """Values read column-wise equal pandas' own parse, cell for cell, with missing tokens in every column."""
    rng = np.random.default_rng(3)
    n, k = 3000, 12
    vals = rng.normal(0, 1e3, (n, k)).round(6)
    df = pd.DataFrame(vals, columns=[f"b{j}" for j in range(k)]).astype(object)
    tokens = ["", "NA", "n/a", "-", "NaN", " null "]
    for j in range(k):
        hole = rng.random(n) < 0.1
        df.loc[hole, f"b{j}"] = [tokens[(i + j) % len(tokens)] for i in range(int(hole.sum()))]
    df.insert(0, "model", [f'org/model "{i}", v' if i % 50 == 0 else f"m{i}" for i in range(n)])
    f = tmp_path / "big.csv"
    df.to_csv(f, index=False)
    m = read_table(f)
    expected = pd.DataFrame(vals, columns=df.columns[1:]).where(~df.iloc[:, 1:].isin(tokens).to_numpy())
    assert list(m.scores.index) == df["model"].tolist()
    np.testing.assert_array_equal(m.scores.to_numpy(), expected.to_numpy(dtype=float))


@pytest.mark.parametrize("quoted", [False, True])
def test_line_separators_inside_cells_do_not_shift_rows(tmp_path, quoted):
    """A form feed or U+2028 inside a model name is part of the cell, not a line break (rows stay aligned)."""
    odd = "m\x0cone" if not quoted else '"m\u2028one, v2"'
    text = "model,x,y\n" + f"{odd},1,2\n" + "m2,3,4\nm3,5,6\n"
    f = tmp_path / "odd.csv"
    f.write_text(text, encoding="utf-8")
    m = read_table(f)
    assert m.scores["x"].tolist() == [1.0, 3.0, 5.0] and m.scores["y"].tolist() == [2.0, 4.0, 6.0]
    assert list(m.scores.index)[1:] == ["m2", "m3"]
