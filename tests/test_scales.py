"""One scale per benchmark id (issue 18, item 3): ingest gives the panels' own scale, reliability uses raw accuracy.

The panels store WMDP as the chance-normalised error 1 - (acc - 0.25) / 0.75. Checked from the data: with each
split's item count, count x raw accuracy is a whole number for nearly every panel model only under that reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing.inference._reliability_fields import item_counts

LMEVAL = Path(__file__).parent / "data" / "harness" / "lm_eval"

# Panel models whose WMDP values are not a whole count of the split's items under any reading (they were scored on
# another item set: gemma 2b/7b on base, falcon-7b-instruct on chat; e.g. base gemma-2b wmdp_bio 0.79210526 = 301/380).
WMDP_OTHER_ITEM_SET = {("base", "gemma-2b"), ("base", "gemma-7b"), ("chat", "falcon-7b-instruct")}


def _whole(values: np.ndarray, k: float) -> np.ndarray:
    x = values * k
    return np.abs(x - np.round(x)) < 0.02


@pytest.mark.parametrize("panel", ["base", "chat"])
def test_count_times_raw_accuracy_is_whole_on_the_panels(panel):
    """For every benchmark with an item count, count x raw accuracy is (nearly) a whole number on the panel."""
    from safetywashing.sources._registry import accuracy_from_stored

    m = sw.load_panel(panel, as_published=True)
    found = {}
    for bid, row in item_counts().iterrows():
        if bid not in m.scores.columns:
            continue
        v = m.scores[bid].dropna()
        acc = accuracy_from_stored(bid, v.to_numpy(dtype=float))
        ok = _whole(acc, row["n_items"])
        found[bid] = ok.mean()
        if bid.startswith("wmdp"):
            off = {mid for mid, good in zip(v.index, ok) if not good}
            assert off <= {mid for p, mid in WMDP_OTHER_ITEM_SET if p == panel}, (bid, off)
            # under the old reading (1 - acc) far fewer are whole: the scale was wrong
            assert _whole(1 - v.to_numpy(dtype=float), row["n_items"]).mean() < 0.65
        else:
            assert ok.all(), (bid, list(v.index[~ok]))
    assert len(found) == 29


def test_wmdp_chance_normalisation_round_trip():
    from safetywashing.sources._registry import accuracy_from_stored, scales, stored_from_accuracy

    assert set(scales().index) == {"wmdp", "wmdp_bio", "wmdp_chem", "wmdp_cyber"}
    assert stored_from_accuracy("wmdp_bio", 0.55) == pytest.approx(0.60)
    assert stored_from_accuracy("wmdp_bio", 0.25) == pytest.approx(1.0)
    assert accuracy_from_stored("wmdp_chem", 0.6) == pytest.approx(0.55)
    assert stored_from_accuracy("mmlu", 0.55) == 0.55


def test_lmeval_wmdp_accuracy_lands_on_the_panel_scale(tmp_path):
    """An lm-eval WMDP-bio accuracy of 0.55 is 0.60 on the panels' scale (it was 0.45 = 1 - acc)."""
    src = sorted(LMEVAL.rglob("results_*.json"))[0]
    d = json.loads(src.read_text())
    entry = d["results"].pop("sw_local_mc")
    entry["acc,none"], entry["acc_stderr,none"] = 0.55, 0.015
    d["results"]["wmdp_bio"] = entry
    (tmp_path / "results_2024-01-01T00-00-00.json").write_text(json.dumps(d))
    res = sw.ingest([tmp_path])
    model = res.scores.index[0]
    assert res.scores.loc[model, "wmdp_bio"] == pytest.approx(0.60, abs=1e-12)
    prov = res.provenance.set_index("benchmark").loc["wmdp_bio"]
    assert prov["transform"] == "panel_scale" and prov["raw_value"] == 0.55
    assert prov["stderr"] == pytest.approx(0.015 / 0.75)


def test_wmdp_reliability_uses_raw_accuracy():
    """wmdp_chem on chat: 1 - mean acc (1 - acc) / 408 / var(acc) over the 26 models = 0.936 (0.971 on the stored scale)."""
    chat = sw.load_panel("chat")
    res = sw.analyze(chat, bootstrap=0, adjust="none", sensitivity=False, compute=None)
    acc = 1 - 0.75 * chat.scores["wmdp_chem"].dropna().to_numpy()
    want = 1 - np.mean(acc * (1 - acc)) / 408 / np.var(acc, ddof=1)
    assert want == pytest.approx(0.936, abs=5e-4)
    assert res.result("wmdp_chem").extra["reliability"] == pytest.approx(want, abs=1e-12)
    v = chat.scores["wmdp_chem"].dropna().to_numpy()
    wrong = 1 - np.mean(v * (1 - v)) / 408 / np.var(v, ddof=1)  # the formula on the rescaled value
    assert wrong == pytest.approx(0.971, abs=5e-4)


def test_ingest_mappings_have_one_scale_per_id():
    """Every lm-eval / Inspect mapping of a rescaled registry id goes through the registry's scale."""
    from safetywashing.sources._registry import scales
    from safetywashing.sources.ingest._common import _inspect_map, lm_eval_mapping

    lm = lm_eval_mapping()
    for _, r in lm.iterrows():
        want = "panel_scale" if r["benchmark"] in scales().index else "identity"
        assert r["transform"] == want, r["task"]
    for task, (bench, tr) in _inspect_map().items():
        assert tr == ("panel_scale" if bench in scales().index else "identity"), task
    assert isinstance(lm, pd.DataFrame)


def test_same_model_claim_noise_on_wmdp_is_the_raw_accuracys():
    """--pair same-model: WMDP's binomial noise is acc (1 - acc) / k carried to the stored scale (/ 0.75^2), not
    v (1 - v) / k of the stored value v."""
    chat = sw.load_panel("chat")
    before = chat.scores.loc["Llama-2-7b-chat-hf"].copy()
    after = before.copy()
    after["wmdp_bio"] -= 0.02
    res = sw.claim(chat, before, after, "wmdp_bio", pair="same-model", bootstrap=0).to_dict()
    v = before["wmdp_bio"]
    acc = 1 - 0.75 * v
    assert res["noise"]["benchmark_se_before"] == pytest.approx(np.sqrt(acc * (1 - acc) / 1273) / 0.75, rel=1e-12)
    assert res["noise"]["benchmark_se_before"] != pytest.approx(np.sqrt(v * (1 - v) / 1273), rel=1e-3)
