"""Model-name matching against both panels: exact rules match, fuzzy candidates are only suggested."""

from __future__ import annotations

import pytest

import safetywashing as sw
from safetywashing.sources._match import match_models, normalise_model_name


def _models(panel: str) -> dict[str, str]:
    m = sw.load_panel(panel)
    return {i: m.display_name(i) for i in m.scores.index}


CASES = [
    ("chat", "Llama-2-7b-chat-hf", "Llama-2-7b-chat-hf", "exact"),
    ("chat", "meta-llama/Llama-2-7b-chat-hf", "Llama-2-7b-chat-hf", "normalised"),
    ("chat", "hf/meta-llama/Meta-Llama-3-8B-Instruct", "Meta-Llama-3-8B-Instruct", "normalised"),
    ("chat", "Qwen/Qwen1.5-72B-Chat", "Qwen1.5-72B-Chat", "normalised"),
    ("chat", "QWEN1.5-7B-CHAT", "Qwen1.5-7B-Chat", "case-insensitive"),
    ("chat", "mistralai/Mistral-7B-Instruct-v0.2", "Mistral-7B-Instruct-v0.2", "normalised"),
    ("chat", "google/gemma-1.1-2b-it", "gemma-1.1-2b-it", "normalised"),
    ("chat", "DBRX Chat", "dbrx-instruct", "display name"),
    ("chat", "dbrx chat", "dbrx-instruct", "display name"),
    ("chat", "Falcon 40B Instruct", "falcon-40b-instruct", "normalised"),
    ("base", "meta-llama/Llama-2-13b-hf", "Llama-2-13b-hf", "normalised"),
    ("base", "meta-llama/Llama-2-13b", "Llama-2-13b-hf", "normalised"),
    ("base", "hf/Qwen/Qwen1.5-14B", "Qwen1.5-14B", "normalised"),
    ("base", "TIIUAE/FALCON-180B", "falcon-180B", "normalised"),
    ("base", "falcon-7B", "falcon-7b", "case-insensitive"),
    ("base", "DBRX Base", "dbrx-base", "normalised"),
    ("base", "Llama 2 13B", "Llama-2-13b-hf", "normalised"),
    ("base", "Qwen 1.5 72B", "Qwen1.5-72B", "normalised"),
    ("base", "Deepseek LLM 67B Base", "deepseek-llm-67b-base", "normalised"),
    ("base", "mistralai/Mixtral-8x7B-v0.1", "Mixtral-8x7B-v0.1", "normalised"),
]


@pytest.mark.parametrize("panel,name,model,rule", CASES)
def test_matches(panel, name, model, rule):
    mm = match_models([name], _models(panel))
    assert mm.matched == {name: model}
    assert mm.rule[name] == rule
    assert mm.unmatched == ()


def test_chat_model_does_not_match_base_panel():
    mm = match_models(["meta-llama/Llama-2-7b-chat-hf"], _models("base"))
    assert mm.matched == {} and mm.unmatched == ("meta-llama/Llama-2-7b-chat-hf",)


def test_fuzzy_is_only_suggested():
    names = ["meta-llama/Llama-2-7b-chat", "gpt-4o", "Qwen1.5-72B-Chatt"]
    mm = match_models(names, _models("chat"))
    assert "Qwen1.5-72B-Chatt" not in mm.matched and "Qwen1.5-72B-Chatt" in mm.unmatched
    assert "Qwen1.5-72B-Chat" in mm.suggestions["Qwen1.5-72B-Chatt"]
    assert "gpt-4o" in mm.unmatched
    assert "did you mean" in mm.describe_unmatched()


def test_ambiguous_display_names_are_not_matched():
    mm = match_models(["Same Name"], {"a-1": "Same Name", "a-2": "Same Name"})
    assert mm.matched == {} and mm.ambiguous == {"Same Name": ["a-1", "a-2"]}


def test_normalise():
    assert normalise_model_name("hf/meta-llama/Llama-2-7b-chat-hf") == "llama27bchat"
    assert normalise_model_name("Qwen1.5 7B Chat") == normalise_model_name("Qwen/Qwen1.5-7B-Chat")


@pytest.mark.parametrize("panel", ["base", "chat"])
def test_panel_normal_forms_are_unique(panel):
    ids = list(_models(panel))
    assert len({normalise_model_name(i) for i in ids}) == len(ids)


# --- Current model ids against the frontier panel (Epoch AI version ids) ---

FRONTIER_CASES = [
    # Epoch version ids, with reasoning effort / thinking budget suffixes
    ("gpt-5-2025-08-07_medium", "gpt-5-2025-08-07_medium", "exact"),
    ("claude-sonnet-4-5-20250929_32K", "claude-sonnet-4-5-20250929_32K", "exact"),
    ("DeepSeek-R1-0528", "DeepSeek-R1-0528", "exact"),
    ("claude-3-7-sonnet-20250219_16k", "claude-3-7-sonnet-20250219_16K", "case-insensitive"),
    # display names
    ("GPT-5 (medium)", "gpt-5-2025-08-07_medium", "display name"),
    ("gpt-5 (High)", "gpt-5-2025-08-07_high", "display name"),
    ("Claude Sonnet 4.5 (32k thinking)", "claude-sonnet-4-5-20250929_32K", "display name"),
    ("DeepSeek-R1 (May 2025)", "DeepSeek-R1-0528", "display name"),
    # Hugging Face ids (the panel's hf_id column), with or without Inspect's hf/ provider prefix
    ("meta-llama/Llama-3.3-70B-Instruct", "Llama-3.3-70B-Instruct", "hugging face id"),
    ("hf/meta-llama/Llama-3.3-70B-Instruct", "Llama-3.3-70B-Instruct", "hugging face id"),
    ("Qwen/Qwen2.5-72B-Instruct", "qwen2.5-72b-instruct", "hugging face id"),
    ("deepseek-ai/DeepSeek-R1", "DeepSeek-R1", "hugging face id"),
    # Inspect provider ids
    ("openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "normalised"),
    ("anthropic/claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022", "normalised"),
    ("google/gemini-1.5-pro-002", "gemini-1.5-pro-002", "normalised"),
    ("grok/grok-4-0709", "grok-4-0709", "normalised"),
    ("mistral/mistral-large-2411", "mistral-large-2411", "normalised"),
    ("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022", "normalised"),
    # an Anthropic id without a thinking suffix is the model without extended thinking (its own Epoch id)
    ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "normalised"),
    # variant written out in words
    ("claude-sonnet-4-5-20250929 (32k thinking)", "claude-sonnet-4-5-20250929_32K", "normalised"),
    # loose rules: what the input leaves out is filled in only when one panel model fits
    ("openai/gpt-4o-mini", "gpt-4o-mini-2024-07-18", "undated alias"),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "undated alias"),
    ("GPT-5 (high reasoning)", "gpt-5-2025-08-07_high", "undated alias"),
]


def test_frontier_cases_cover_each_id_style():
    rules = {r for _, _, r in FRONTIER_CASES}
    assert {"exact", "display name", "hugging face id", "normalised", "undated alias"} <= rules


@pytest.mark.parametrize("name,model,rule", FRONTIER_CASES)
def test_frontier_matches(name, model, rule):
    from safetywashing.sources._match import match_to_panel

    mm = match_to_panel([name], sw.load_panel("frontier"))
    assert mm.matched == {name: model}, (mm.ambiguous, mm.suggestions)
    assert mm.rule[name] == rule
    assert mm.unmatched == ()


@pytest.mark.parametrize(
    "name,candidates",
    [
        # reasoning effort left out: Epoch has both efforts, so neither is chosen
        ("openai/gpt-5-2025-08-07", ["gpt-5-2025-08-07_high", "gpt-5-2025-08-07_medium"]),
        ("openai/o3-2025-04-16", ["o3-2025-04-16_high", "o3-2025-04-16_medium"]),
        ("grok-3-mini-beta", ["grok-3-mini-beta_high", "grok-3-mini-beta_low"]),
        # date and effort left out
        ("openai/gpt-5", ["gpt-5-2025-08-07_high", "gpt-5-2025-08-07_medium"]),
        # snapshot left out: three GPT-4o snapshots
        ("openai/gpt-4o", ["gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]),
        # a moving alias is never resolved to a snapshot
        ("anthropic/claude-3-5-sonnet-latest", ["claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"]),
        # Epoch gives two snapshots the same display name
        ("Gemini 2.5 Pro Preview (Jun 2025)", ["gemini-2.5-pro-preview-05-06", "gemini-2.5-pro-preview-06-05"]),
    ],
)
def test_frontier_ambiguous_names_list_the_candidates(name, candidates):
    from safetywashing.sources._match import match_to_panel

    mm = match_to_panel([name], sw.load_panel("frontier"))
    assert mm.matched == {} and mm.unmatched == (name,)
    assert mm.ambiguous[name] == candidates
    line = mm.describe_unmatched()
    assert "\n" not in line and "ambiguous" in line and all(c in line for c in candidates)


def test_only_variant_is_matched_and_reported_as_loose():
    # a panel with a single thinking-budget variant: the suffix is filled in, and the match says so
    mm = match_models(["claude-x-20250101"], {"claude-x-20250101_16K": "Claude X (16k thinking)", "other": "Other"})
    assert mm.matched == {"claude-x-20250101": "claude-x-20250101_16K"}
    assert mm.rule["claude-x-20250101"] == "only reasoning variant"
    assert mm.loose == mm.matched
    assert "only reasoning variant" in mm.describe_loose()


def test_strict_matches_are_not_loose():
    mm = match_models(["a-1"], {"a-1": "A"})
    assert mm.loose == {} and mm.describe_loose() == ""


def test_models_missing_from_the_frontier_are_unmatched_with_suggestions_only():
    from safetywashing.sources._match import match_to_panel

    # gpt-oss-120b has fewer than 4 benchmarks under any one Epoch id, so it is not in the panel
    mm = match_to_panel(["openai/gpt-oss-120b", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo"], sw.load_panel("frontier"))
    assert mm.matched == {}
    assert "Llama-3.3-70B-Instruct" in mm.suggestions["together/meta-llama/Llama-3.3-70B-Instruct-Turbo"]


def test_hf_link_to_another_model_does_not_mislead():
    from safetywashing.sources._match import match_to_panel

    # Epoch links Llama-2-70b-hf to the meta-llama/Llama-2-7b repository; the panel drops that link,
    # so the 7B repository id finds the 7B model, not the 70B one
    mm = match_to_panel(["meta-llama/Llama-2-7b"], sw.load_panel("frontier"))
    assert mm.matched == {"meta-llama/Llama-2-7b": "Llama-2-7b"}


def test_frontier_normal_forms_are_unique():
    ids = list(_models("frontier"))
    assert len({normalise_model_name(i) for i in ids}) == len(ids)


@pytest.mark.parametrize("name", ["gpt-5-2025-08-07_low", "claude-sonnet-4-5-20250929_64K", "GPT-5 (minimal)"])
def test_an_effort_or_budget_the_panel_lacks_is_never_swapped_for_another(name):
    from safetywashing.sources._match import match_to_panel

    mm = match_to_panel([name], sw.load_panel("frontier"))
    assert mm.matched == {} and mm.unmatched == (name,)
    assert name not in mm.ambiguous  # only fuzzy suggestions, never applied
