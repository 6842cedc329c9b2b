"""The capability-over-time figure: scores against release date, with the scores' intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import safetywashing as sw
from safetywashing._figures import figure_bytes, over_time_frame, plot_over_time


@pytest.fixture(scope="module")
def frontier() -> sw.ScoreMatrix:
    return sw.load_panel("frontier")


def test_frame_joins_scores_to_release_dates(frontier):
    scores = {"gpt-5-2025-08-07_medium": 1.5, "gpt-4-0314": -0.5, "claude-3-opus-20240229": 0.25, "not-a-model": 9.0}
    se = {"gpt-5-2025-08-07_medium": 0.1}
    df = over_time_frame(scores, frontier, se)
    # sorted by release date (2023-03-14, 2024-02-29, 2025-08-07); ids the panel lacks are left out
    assert df["model"].tolist() == ["gpt-4-0314", "claude-3-opus-20240229", "gpt-5-2025-08-07_medium"]
    assert df["release_date"].tolist() == [pd.Timestamp("2023-03-14"), pd.Timestamp("2024-02-29"), pd.Timestamp("2025-08-07")]
    assert df["capabilities_score_se"].iloc[2] == 0.1 and np.isnan(df["capabilities_score_se"].iloc[0])
    assert df["organisation"].tolist() == ["OpenAI", "Anthropic", "OpenAI"]
    assert df["name"].iloc[2] == "GPT-5 (medium)"


def test_figure_labels_axes_n_and_interval(frontier):
    ids = list(frontier.scores.index[:40])
    scores = {m: float(i) / 10 for i, m in enumerate(ids)}
    se = {m: 0.2 for m in ids[:10]}
    fig = plot_over_time(scores, frontier, se)
    ax = fig.axes[0]
    assert "Release date" in ax.get_xlabel() and "higher = more capable" in ax.get_ylabel()
    title = ax.get_title(loc="left")
    assert "n = 40" in title and "95% interval" in title and "10 models" in title
    assert figure_bytes(fig, "png", dpi=50)[:4] == b"\x89PNG"


def test_paper_panels_have_no_release_dates():
    chat = sw.load_panel("chat")
    with pytest.raises(sw.InputError, match="release dates"):
        plot_over_time({chat.scores.index[0]: 0.0}, chat)
