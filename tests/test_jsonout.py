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
