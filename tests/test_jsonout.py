"""The JSON writer: the same value as json.dumps, rows on one line, NaN refused."""

import json
import math

import numpy as np
import pytest

from safetywashing._util.jsonout import dumps


def test_same_value_as_json_dumps_and_one_line_per_row():
    doc = {
        "panels": [{"panel": "base", "n": 27, "benchmarks": [{"id": "a", "r": 0.5, "ci": [0.1, 0.9]}, {"id": "b", "r": None}]}],
        "empty": {}, "none": [], "nested": [[1, 2], [3]], 7: "int key", "scalars": [1, "x", None, True],
    }
    text = dumps(doc)
    assert json.loads(text) == json.loads(json.dumps(doc))
    assert text.endswith("}\n")
    lines = text.splitlines()
    assert '        {"id": "a", "r": 0.5, "ci": [0.1, 0.9]},' in lines  # a flat row: one line, indented by depth
    assert '        {"id": "b", "r": null}' in lines
    assert '  "scalars": [1, "x", null, true]' in lines  # the last key: no comma
    assert '  "7": "int key",' in lines


def test_default_converts_numpy_scalars_and_nan_is_refused():
    assert json.loads(dumps({"x": np.float64(0.25), "n": np.int64(3)}, default=lambda o: o.item())) == {"x": 0.25, "n": 3}
    with pytest.raises(ValueError):
        dumps({"rows": [{"r": math.nan}]})
    with pytest.raises(TypeError):
        dumps({"x": object()})


def _row_by_row(obj):
    """The writer without the one-call path for lists of rows (every row encoded on its own)."""
    from safetywashing._util import jsonout

    real = jsonout._rows_at_once
    jsonout._rows_at_once = lambda *a: None
    try:
        return dumps(obj)
    finally:
        jsonout._rows_at_once = real


def test_list_of_rows_in_one_call_is_the_row_by_row_text():
    """Rows whose strings hold the boundary text, quotes, backslashes and braces: split only between rows."""
    tricky = ['}, {"item": 1', 'a\\\\', '"}, {"', "{", "}", 'x\\\\"}, {"y', "\u00e9\n"]
    rows = [{"item": t, "n": i, "r": None if i % 3 else 0.5, "ci": [0.1, i], "ok": bool(i % 2)} for i, t in enumerate(tricky)]
    doc = {"items": rows, "nested": {"more": rows[:2]}, "single": [rows[0]], "mixed": [rows[0], {}]}
    text = dumps(doc)
    assert text == _row_by_row(doc)
    assert json.loads(text) == json.loads(json.dumps(doc))
    assert sum(line.lstrip().startswith('{"item"') for line in text.splitlines()) == len(rows) + 2 + 1 + 1


def test_rows_with_objects_made_by_default_fall_back_to_row_by_row():
    class Pair:
        pass

    doc = {"rows": [{"a": Pair()}, {"a": Pair()}]}
    conv = lambda o: [{"x": 1}, {"y": 2}]  # noqa: E731 - objects inside a row: the boundaries no longer count up
    row = '{"a": [{"x": 1}, {"y": 2}]}'
    assert dumps(doc, default=conv) == '{\n  "rows": [\n    ' + row + ',\n    ' + row + '\n  ]\n}\n'
