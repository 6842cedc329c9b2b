"""Reading a user's own table: a messy table equals a hand computation (issue 5)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import safetywashing as sw
from safetywashing.sources._table import parse_cell, read_table

CAPS = ["cap_a", "cap_b", "cap_c"]


def _clean() -> pd.DataFrame:
    """The true numbers behind the messy file (NaN = gap); ``asr`` is lower-is-better as stored."""
    rng = np.random.default_rng(11)
    n = 9
    g = np.linspace(-1.5, 1.5, n) + rng.normal(0, 0.3, n)
    df = pd.DataFrame(
        {
            "cap_a": np.round(50 + 10 * g + rng.normal(0, 3, n), 1),  # written as percent strings
            "cap_b": np.round(0.5 + 0.1 * g + rng.normal(0, 0.04, n), 3),
            "cap_c": np.round(30 + 5 * g + rng.normal(0, 4, n), 2),
            "asr": np.round(0.6 - 0.1 * g + rng.normal(0, 0.1, n), 3),  # attack success: lower is better
            "tox": np.round(rng.normal(0, 1, n), 3),  # a harm-named column: its direction must be given
        },
        index=[f"org/model-{i}" for i in range(n)],
    )
    df.loc["org/model-2", "cap_b"] = np.nan  # incomplete capability row: dropped from the direction
    df.loc["org/model-5", "tox"] = np.nan  # gap in a safety column: pairwise deletion
    df.loc["org/model-7", "asr"] = np.nan
    return df


def _write_messy(path, df: pd.DataFrame) -> None:
    lines = ["Family,Model,cap_a,cap_b,License,cap_c,asr,tox"]
    fams = ["llama", "qwen", "yi"]
    for i, (m, r) in enumerate(df.iterrows()):
        def cell(v, pct=False, i=i):
            if np.isnan(v):
                return ["", "NA", "n/a"][i % 3]
            return f" {v}%" if pct else str(v)

        lines.append(
            f"{fams[i % 3]},{m},{cell(r.cap_a, True)},{cell(r.cap_b)},\"apache-2.0, custom\",{cell(r.cap_c)},"
            f"{cell(r.asr)},{cell(r.tox)}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _hand(df: pd.DataFrame) -> tuple[dict[str, float], dict[str, tuple[float, int]]]:
    """The paper's method written out with scipy, independent of the package."""
    x = df.copy()
    x["asr"] = -x["asr"]
    z = (x - x.mean()) / x.std(ddof=0)
    complete = z[CAPS].notna().all(axis=1)
    c = stats.spearmanr(z.loc[complete, CAPS].to_numpy()).statistic
    vals, vecs = np.linalg.eigh(c)
    w = vecs[:, -1]
    w = w * np.sign(w[np.argmax(np.abs(w))])
    s = z.loc[complete, CAPS].to_numpy() @ w
    scores = dict(zip(z.index[complete], s))
    sser = pd.Series(scores)
    corr = {}
    for col in x.columns:
        both = x[col].notna() & x.index.isin(sser.index)
        v = x.loc[both, col]
        corr[col] = (float(stats.spearmanr(v.to_numpy(), sser[v.index].to_numpy()).statistic), int(both.sum()))
    return scores, corr


def test_messy_table_equals_hand_computation(tmp_path):
    df = _clean()
    f = tmp_path / "messy_lab.csv"
    _write_messy(f, df)
    before = f.read_bytes()
    m = read_table(f, lower_is_better=["asr"], higher_is_better=["tox"])
    assert list(m.scores.columns) == ["cap_a", "cap_b", "cap_c", "asr", "tox"]
    assert m.scores.loc["org/model-0", "cap_a"] == df.loc["org/model-0", "cap_a"]  # "45.2%" -> 45.2
    assert m.models.loc["org/model-1", "License"] == "apache-2.0, custom"
    assert m.models.loc["org/model-1", "Family"] == "qwen"
    res = sw.analyze(m, capabilities=CAPS, bootstrap=0)
    scores, corr = _hand(df)
    assert set(res.model_scores) == set(scores)
    for k, v in scores.items():
        assert res.model_scores[k] == pytest.approx(v, abs=1e-10)
    for col, (r, n) in corr.items():
        row = res.result(col)
        assert row.n == n
        assert row.correlation == pytest.approx(r, abs=1e-10)
    assert res.dropped_models == ("org/model-2",)
    assert any("asr" in n and "negated" in n for n in res.notes)
    assert any("Family" in n and "License" in n for n in res.notes)
    assert f.read_bytes() == before


def test_messy_table_cli_json(cli, tmp_path):
    df = _clean()
    f = tmp_path / "messy_lab.csv"
    _write_messy(f, df)
    proc = cli("analyze", "--data", str(f), "--capabilities", ",".join(CAPS), "--lower-is-better", "asr",
               "--higher-is-better", "tox",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["panels"][0]
    assert p["panel"] == "messy_lab" and p["n_models"] == 9
    _, corr = _hand(df)
    got = {r["benchmark"]: (r["correlation"], r["n"]) for r in p["results"]}
    for col, (r, n) in corr.items():
        assert got[col][0] == pytest.approx(r, abs=1e-10) and got[col][1] == n
    assert any("lower is better in asr" in n for n in p["notes"])


def test_long_format_and_tsv_equal_wide(tmp_path):
    df = _clean()
    wide = tmp_path / "w.csv"
    _write_messy(wide, df)
    long = tmp_path / "l.tsv"
    rows = ["model\tbenchmark\tscore"]
    for m, r in df.iterrows():
        for b, v in r.items():
            if not np.isnan(v):
                rows.append(f"{m}\t{b}\t{v}")
    long.write_text("\n".join(rows) + "\n")
    a = read_table(wide, lower_is_better=["asr"], higher_is_better=["tox"]).scores
    b = read_table(long, lower_is_better=["asr"], higher_is_better=["tox"]).scores
    pd.testing.assert_frame_equal(a, b[a.columns], check_names=False)


def test_flop_and_params_columns_are_metadata(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("name,params,flop,x,y\na,7e9,1e23,1,2\nb,13e9,2e23,2,3\n")
    m = read_table(f, flop_column="flop", params_column="params")
    assert list(m.scores.columns) == ["x", "y"]
    assert m.models.loc["b", "flop"] == 2e23 and m.models.loc["a", "params"] == 7e9
    m2 = read_table(f)  # named as metadata: recognised without the options
    assert list(m2.scores.columns) == ["x", "y"]
    assert m2.models.loc["b", "flop"] == 2e23 and m2.models.loc["a", "params"] == 7e9


def test_first_text_column_is_model_column(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("score_a,llm,score_b\n1,alpha,2\n3,beta,4\n")
    m = read_table(f)
    assert list(m.scores.index) == ["alpha", "beta"] and list(m.scores.columns) == ["score_a", "score_b"]


@pytest.mark.parametrize(
    "cell,expected",
    [("45.2%", (45.2, True)), (" 0.5 ", (0.5, False)), ("1e-3", (0.001, False)), ("-2", (-2.0, False)), ("abc", None)],
)
def test_parse_cell(cell, expected):
    assert parse_cell(cell) == expected


@pytest.mark.parametrize("cell", ["", "NA", "n/a", "nan", "-"])
def test_parse_cell_missing(cell):
    v = parse_cell(cell)
    assert v is not None and np.isnan(v[0])


def test_long_table_with_extra_column(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("Model,Task,Value,stderr\na,x,1,0.1\na,y,2%,0.1\nb,x,3,0.2\nb,y,5%,0.2\n")
    m = read_table(f)
    assert m.scores.loc["b", "y"] == 5.0 and m.scores.loc["a", "x"] == 1.0
    assert any("stderr" in n for n in m.notes)


def test_long_table_duplicate_pair_names_lines(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("model,benchmark,score\na,x,1\nb,x,2\na,x,3\n")
    with pytest.raises(sw.InputError, match=r"line 4: duplicate score for model 'a' on benchmark 'x' \(first at line 2\)"):
        read_table(f)


def test_spreadsheet_export_quirks(tmp_path):
    """BOM, CRLF line ends, trailing empty unnamed columns, semicolons, blank lines, quoted cells."""
    f = tmp_path / "excel.csv"
    f.write_bytes("\ufeffModel;x;y;;\r\n\"a, the first\";1;2;;\r\n\r\nb;3;4,5;;\r\n".replace("4,5", "4.5").encode("utf-8"))
    m = read_table(f)
    assert list(m.scores.columns) == ["x", "y"]
    assert list(m.scores.index) == ["a, the first", "b"] and m.scores.loc["b", "y"] == 4.5


def test_unnamed_column_with_values_is_an_error(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("model,x,,y\na,1,2,3\n")
    with pytest.raises(sw.InputError, match="column 3 has no name"):
        read_table(f)


def test_pandas_index_export_reads_first_column_as_model(tmp_path):
    f = tmp_path / "t.csv"
    pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}, index=["a", "b"]).to_csv(f)
    assert list(read_table(f).scores.index) == ["a", "b"]


def test_unknown_model_column_suggests(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("model_name,x\na,1\n")
    with pytest.raises(sw.UnknownIdError, match=r"--model-column: no column 'model_nme'.*did you mean: model_name"):
        read_table(f, model_column="model_nme")
