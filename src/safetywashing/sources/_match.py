"""Model-name matching against a panel (exact rules only; fuzzy hits are only ever suggested)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._suggest import close_matches

if TYPE_CHECKING:
    from ._matrix import ScoreMatrix


# --- Model-name matching against a panel (exact rules only; fuzzy hits are suggestions) ---

MATCH_RULES = (
    "exact",
    "case-insensitive",
    "hugging face id",
    "normalised",
    "display name",
    "only reasoning variant",
    "undated alias",
    "undated alias, only reasoning variant",
    "display name, only variant",
)
# Rules that fill in something the input did not say (a snapshot date, a reasoning effort or thinking
# budget): they match only when exactly one panel model fits, and results list them in a note.
LOOSE_RULES = frozenset(MATCH_RULES[5:])
# At most this many distinct unmatched names get fuzzy suggestions (bounds the time on huge inputs).
SUGGEST_LIMIT = 1000
_HF_SUFFIX = re.compile(r"[-_ .]hf$", re.IGNORECASE)
_PUNCT = re.compile(r"[^0-9a-z]+")
# Reasoning effort (``_high``) or thinking budget (``_32K``) at the end of an id such as Epoch's.
_VARIANT = re.compile(r"_(?:minimal|low|medium|high|xhigh|\d+k)$", re.IGNORECASE)
# A snapshot date inside an id: 2025-08-07 or 20250929.
_DATE = re.compile(r"[-_ .]?(?:20\d{2}-\d{2}-\d{2}|20\d{6})(?=$|[-_ .])")
# Words that name a variant in free text ("32k thinking", "high reasoning effort"), dropped before comparing.
_VARIANT_WORDS = re.compile(r"\b(?:thinking|reasoning|effort|budget|tokens?)\b", re.IGNORECASE)
# Amazon Bedrock ids: ``anthropic.claude-3-5-sonnet-20241022-v2:0`` -> ``claude-3-5-sonnet-20241022``.
_BEDROCK = re.compile(
    r"^(?:us\.|eu\.|apac\.)?(?:anthropic|meta|mistral|cohere|ai21|deepseek|openai|qwen)\.(.+?)(?:-v\d+(?::\d+)?)?$"
)
_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
# Inspect AI's model providers (``provider/model``); the ones in _SERVICE_PROVIDERS put a service name next
# (``openai-api/<service>/<model>``). https://inspect.aisi.org.uk/providers.html
INSPECT_PROVIDERS = frozenset(
    {
        "openai", "anthropic", "google", "grok", "mistral", "deepseek", "together", "groq", "fireworks", "bedrock",
        "azureai", "vertex", "cloudflare", "perplexity", "sambanova", "openrouter", "hf", "vllm", "sglang", "ollama",
        "llama-cpp-python", "transformer_lens", "openai-api", "mockllm", "hf-inference-providers", "litellm", "moonshot",
        "nnterp", "sagemaker",
    }
)
_SERVICE_PROVIDERS = frozenset({"openai-api", "litellm"})


def strip_inspect_provider(name: str) -> str:
    """The model part of an Inspect model string: ``"vllm/meta-llama/Llama-3.1-70B-Instruct"`` ->
    ``"meta-llama/Llama-3.1-70B-Instruct"``, ``"openai-api/local/gpt-4o-2024-11-20"`` -> ``"gpt-4o-2024-11-20"``.

    Only a known Inspect provider (:data:`INSPECT_PROVIDERS`) is dropped, with the service segment of the
    providers that take one (``openai-api/<service>/``); any other name is returned unchanged (stripped).
    """
    s = name.strip()
    head, sep, rest = s.partition("/")
    if not sep or head.lower() not in INSPECT_PROVIDERS or not rest:
        return s
    if head.lower() in _SERVICE_PROVIDERS:
        _, sep2, rest2 = rest.partition("/")
        return rest2 if sep2 and rest2 else rest
    return rest


def normalise_model_name(name: str) -> str:
    """A model name reduced for matching: ``"hf/meta-llama/Llama-2-7b-chat-hf"`` -> ``"llama27bchat"``.

    Drops organisation and provider prefixes (everything up to the last ``/``,
    e.g. ``meta-llama/``, ``Qwen/``, ``hf/``, ``openai/``, ``together/...``), a trailing
    ``-hf``, letter case and all punctuation and spaces.
    """
    s = name.strip().rsplit("/", 1)[-1].strip()
    s = _HF_SUFFIX.sub("", s)
    return _PUNCT.sub("", s.lower())


def _provider_free(name: str) -> str:
    """The model part of a provider id: after the last ``/``, without a Bedrock vendor prefix or ``-latest``."""
    s = name.strip().rsplit("/", 1)[-1].strip()
    m = _BEDROCK.match(s)
    if m:
        s = m.group(1)
    return re.sub(r"[-_ .]latest$", "", s, flags=re.IGNORECASE)


def _variant_free(model_id: str) -> str:
    return _VARIANT.sub("", model_id.strip())


def _undated(model_id: str) -> str:
    return _DATE.sub("", model_id.strip())


@dataclass(frozen=True)
class ModelMatch:
    """Result of :func:`match_models`.

    ``matched`` maps each matched input name to a panel model id and ``rule``
    says which rule matched it (one of :data:`MATCH_RULES`); ``unmatched``
    keeps the input order; ``suggestions`` holds up to three fuzzy candidates
    per unmatched name (never applied); ``ambiguous`` maps an input to the
    several panel models one rule found (never chosen among).
    """

    matched: dict[str, str]
    rule: dict[str, str]
    unmatched: tuple[str, ...]
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def describe_unmatched(self, names: tuple[str, ...] | list[str] | None = None, limit: int = 8) -> str:
        """``"a (did you mean: x?), b (ambiguous: y, z; name one)"``: unmatched names with their candidates."""
        names = tuple(self.unmatched if names is None else names)
        parts = []
        for u in names[:limit]:
            if u in self.ambiguous:
                parts.append(f"{u!r} (ambiguous: {', '.join(self.ambiguous[u])}; name one)")
            elif self.suggestions.get(u):
                parts.append(f"{u!r} (did you mean: {', '.join(self.suggestions[u])}?)")
            else:
                parts.append(repr(u))
        more = f" and {len(names) - limit} more" if len(names) > limit else ""
        return ", ".join(parts) + more

    @property
    def loose(self) -> dict[str, str]:
        """Input name -> panel id for matches made by a rule of :data:`LOOSE_RULES`."""
        return {k: v for k, v in self.matched.items() if self.rule.get(k) in LOOSE_RULES}

    def describe_loose(self, limit: int = 8) -> str:
        """``"'gpt-4o-mini' -> gpt-4o-mini-2024-07-18 (undated alias)"``, or ``""`` when none."""
        items = list(self.loose.items())
        parts = [f"{k!r} -> {v} ({self.rule[k]})" for k, v in items[:limit]]
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return ", ".join(parts) + more


def _index(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, mid in pairs:
        if key:
            lst = out.setdefault(key, [])
            if mid not in lst:
                lst.append(mid)
    return out


def match_models(
    names: list[str],
    models: dict[str, str],
    *,
    hf_ids: Mapping[str, str] | None = None,
) -> ModelMatch:
    """Match input model names to a panel's models.

    ``models`` maps panel model id -> display name; ``hf_ids`` (optional) maps
    panel model id -> Hugging Face id (``owner/name``). Rules, in order; the
    first rule that finds any panel model decides: one model is a match,
    several are *ambiguous* (listed, never chosen among):

    1. ``exact`` id; 2. id ignoring ``case``; 3. ``hugging face id`` (any case,
       also after an Inspect provider prefix: :func:`strip_inspect_provider`,
       ``vllm/``, ``hf/``, ``openai-api/<service>/``, ...);
    4. ``normalised`` id (:func:`normalise_model_name`: organisation/provider
       prefixes such as ``openai/`` or ``anthropic/``, a Bedrock vendor prefix and
       version, ``-latest``, ``-hf``, case and punctuation dropped; also with the
       words "thinking"/"reasoning"/"effort" dropped, so ``"GPT-5 (high reasoning)"``
       finds ``gpt-5-2025-08-07_high``);
    5. ``display name`` (exact, any case, or normalised);
    6. ``only reasoning variant``: the input names an id without its effort or
       thinking-budget suffix (``_high``, ``_32K``) and the panel has exactly
       one such variant;
    7. ``undated alias``: the input omits the snapshot date (``gpt-4o-mini``
       for ``gpt-4o-mini-2024-07-18``); 8. both date and variant omitted;
    9. ``display name, only variant``: the display name without its trailing
       ``(...)`` (``"Claude Sonnet 4.5"``).

    Rules 6-9 (:data:`LOOSE_RULES`) fill in what the input did not say, so
    they match only when exactly one panel model fits and :attr:`ModelMatch.loose`
    lists them. Names no rule matches are unmatched, with fuzzy (rapidfuzz)
    candidates as suggestions only (for the first :data:`SUGGEST_LIMIT` distinct ones).
    """
    ids = list(models)
    idset = set(ids)
    lower = _index([(m.lower(), m) for m in ids])
    norm = _index([(normalise_model_name(m), m) for m in ids])
    hf = _index([(str(h).strip().lower(), m) for m, h in (hf_ids or {}).items() if m in idset and isinstance(h, str)])
    disp = _index([(str(d).strip().lower(), m) for m, d in models.items() if d])
    disp_norm = _index([(normalise_model_name(str(d)), m) for m, d in models.items() if d])
    variant = _index([(normalise_model_name(_variant_free(m)), m) for m in ids if _variant_free(m) != m.strip()])
    undated = _index([(normalise_model_name(_undated(m)), m) for m in ids if _undated(m) != m.strip()])
    undated_variant = _index(
        [(normalise_model_name(_undated(_variant_free(m))), m) for m in ids if _undated(_variant_free(m)) != m.strip()]
    )
    disp_stem = _index(
        [(normalise_model_name(_PAREN.sub("", str(d))), m) for m, d in models.items() if d and _PAREN.search(str(d))]
    )
    matched: dict[str, str] = {}
    rule: dict[str, str] = {}
    unmatched: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    for name in names:
        key = str(name).strip()
        bare = strip_inspect_provider(key)  # an Inspect model string's model part (else the name itself)
        base = _provider_free(key)
        n = normalise_model_name(base)
        n_words = normalise_model_name(_VARIANT_WORDS.sub(" ", base))
        hf_key = bare.lower()
        candidates = [
            ("exact", [key] if key in idset else []),
            ("case-insensitive", lower.get(key.lower(), [])),
            ("hugging face id", hf.get(key.lower(), []) or hf.get(hf_key, [])),
            ("normalised", ([bare] if bare in idset else lower.get(bare.lower(), []))
             or norm.get(n, []) or norm.get(n_words, [])),
            ("display name", disp.get(key.lower(), []) or disp_norm.get(normalise_model_name(key), [])),
            ("only reasoning variant", variant.get(n, [])),
            ("undated alias", undated.get(n, []) or undated.get(n_words, [])),
            ("undated alias, only reasoning variant", undated_variant.get(n, [])),
            ("display name, only variant", disp_stem.get(normalise_model_name(key), [])),
        ]
        for r, hits in candidates:
            hits = list(dict.fromkeys(hits))
            if len(hits) == 1:
                matched[name] = hits[0]
                rule[name] = r
                break
            if len(hits) > 1:
                ambiguous[name] = hits
                unmatched.append(name)
                break
        else:
            unmatched.append(name)
    suggestions: dict[str, list[str]] = {}
    if unmatched:
        by_norm: dict[str, str] = {}
        for mid in ids:
            by_norm.setdefault(normalise_model_name(mid), mid)
        # Fuzzy look-ups dominate the time; the first SUGGEST_LIMIT distinct unmatched names get them.
        todo = [u for u in dict.fromkeys(unmatched) if u not in ambiguous][:SUGGEST_LIMIT]
        for u in todo:
            hits = close_matches(normalise_model_name(_provider_free(u)), list(by_norm), limit=3, cutoff=70.0)
            if hits:
                suggestions[u] = [by_norm[h] for h in hits]
    return ModelMatch(matched, rule, tuple(unmatched), suggestions, ambiguous)


def match_to_panel(names: list[str], panel: ScoreMatrix) -> ModelMatch:
    """:func:`match_models` against a :class:`ScoreMatrix`: its ids, display names and (if any) Hugging Face ids."""
    hf = panel.models["hf_id"] if "hf_id" in panel.models.columns else None
    return match_models(
        names,
        {m: panel.display_name(m) for m in panel.scores.index},
        hf_ids=None if hf is None else {m: h for m, h in hf.items() if isinstance(h, str) and h},
    )


# --- Panel model -> Inspect model string (what `plan --format inspect` prints and `run` evaluates) ---

# Organisation (the frontier panel's ``organisation`` column) -> Inspect provider of its own API.
_API_PROVIDERS = {"OpenAI": "openai", "Anthropic": "anthropic", "Google": "google", "xAI": "grok", "Mistral AI": "mistral",
                  "Amazon": "bedrock"}
# Ids an organisation's API serves (others of the organisation, such as Google's PaLM 2 or Gemma, are not).
_API_IDS = {"google": re.compile(r"^gemini-", re.IGNORECASE)}
_EFFORT = re.compile(r"_(minimal|low|medium|high|xhigh)$", re.IGNORECASE)
_BUDGET = re.compile(r"_(\d+)k$", re.IGNORECASE)


def inspect_model_for(model_id: str, organisation: str = "", hf_id: str = "") -> tuple[str, dict[str, object]]:
    """The Inspect model string that evaluates a panel model, and the generate settings its id implies.

    Open-weights models with a Hugging Face id: ``vllm/<hf id>`` (Inspect's vLLM provider; any
    OpenAI-compatible server works as ``openai-api/<service>/<hf id>``). Others: the organisation's own API
    provider (``openai/``, ``anthropic/``, ``google/`` for Gemini ids, ``grok/``, ``mistral/``, ``bedrock/``)
    with the id less its reasoning suffix; ``""`` when no Inspect provider is known (PaLM 2, API-only models of
    other organisations, open models without a Hugging Face id). Settings: Epoch's suffix ``_high`` (reasoning
    effort) -> ``{"reasoning_effort": "high"}``; ``_32K`` (thinking budget, thousand tokens) ->
    ``{"reasoning_tokens": 32000}``; none otherwise (the provider's default).
    """
    if hf_id:
        return f"vllm/{hf_id}", {}
    provider = _API_PROVIDERS.get(organisation, "")
    pat = _API_IDS.get(provider)
    if not provider or (pat is not None and not pat.search(model_id)):
        return "", {}
    config: dict[str, object] = {}
    base = model_id
    m = _EFFORT.search(base)
    if m:
        config["reasoning_effort"] = m.group(1).lower()
        base = base[: m.start()]
    m = _BUDGET.search(base)
    if m:
        config["reasoning_tokens"] = int(m.group(1)) * 1000
        base = base[: m.start()]
    return f"{provider}/{base}", config
