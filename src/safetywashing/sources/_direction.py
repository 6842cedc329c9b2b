"""What a user's column means: its direction (known or asked, never assumed for a harm rate) and model metadata.

Direction of a numeric column, in this order:

1. a suffix on the header, ``jailbreak_asr:lower`` or ``refusal_rate:higher`` (stripped from the id), or the
   options ``--lower-is-better`` / ``--higher-is-better`` (both for one column is an error);
2. the registry, for a known benchmark id (stored higher = better; ``safetywashing benchmarks``);
3. otherwise, a column whose name says it measures harm or failure (:data:`HARM_WORDS`, :data:`HARM_STEMS`) is
   refused: the reader cannot know whether 0.3 is good or bad;
4. any other column is read higher = better, and every output says that this was assumed.

Model metadata (:data:`METADATA_NAMES`: parameter counts, training compute, release dates, organisation, family,
...) is never a benchmark: numeric ones are kept as model metadata (``params`` and ``flop`` feed the compute
correlation) and named in a note.
"""

from __future__ import annotations

import re

from .._util.errors import InputError

SUFFIXES = {"lower": "lower", "higher": "higher"}  # header "name:lower" / "name:higher"

# whole name tokens that say "harm or failure" (lower is safer, or the direction is unclear)
HARM_WORDS = frozenset({
    "asr", "attack", "attacks", "jailbreak", "jailbreaks", "jailbroken", "harm", "harms", "harmful", "harmfulness",
    "unsafe", "violation", "violations", "tox", "error", "errors", "err", "failure", "failures", "fail", "fails",
    "hallucination", "hallucinations", "bias", "biased", "leak", "leakage", "misuse", "hazard", "hazardous",
    "dangerous", "danger", "incorrect", "wrong", "mistakes", "loss", "perplexity", "ppl", "ece", "brier", "rmsce",
    "risk", "unfaithful", "sycophancy", "deception", "deceptive",
})
# token prefixes with the same meaning (toxicity, violates, hallucinated, ...)
HARM_STEMS = ("toxic", "violat", "hallucinat", "jailbr", "harmful", "deceiv")

_PARAMS = frozenset({
    "params", "parameters", "n_params", "num_params", "n_parameters", "num_parameters", "param_count",
    "parameter_count", "size", "model_size", "params_b", "parameters_b", "size_b", "params_billions",
})
_FLOP = frozenset({
    "flop", "flops", "training_flop", "training_flops", "compute", "training_compute", "train_compute", "train_flop",
    "train_flops", "compute_flop", "training_compute_flop", "pretraining_compute",
})
_OTHER = frozenset({
    "date", "release_date", "released", "release", "publication_date", "year", "release_year", "organisation",
    "organization", "org", "developer", "provider", "lab", "company", "family", "model_family", "open_weights",
    "open_source", "openweights", "license", "licence", "type", "model_type", "architecture", "country",
    "context_length", "context_window", "hf_id", "hugging_face_id", "url", "link", "notes", "note", "version",
    "tokens", "training_tokens", "log_flop", "log10_flop", "log_params", "log10_params",
})
METADATA_NAMES = _PARAMS | _FLOP | _OTHER


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # AttackSuccessRate -> Attack_Success_Rate
    return [t for t in _norm(spaced).split("_") if t]


def metadata_kind(name: str) -> str | None:
    """``"params"``, ``"flop"``, ``"meta"`` for a column named as model metadata, else None."""
    n = _norm(name)
    if n in _PARAMS:
        return "params"
    if n in _FLOP:
        return "flop"
    return "meta" if n in _OTHER else None


def harm_word(name: str) -> str | None:
    """The word of ``name`` that says it measures harm or failure (``"asr"``, ``"toxicity"``), else None."""
    for t in _tokens(name):
        if t in HARM_WORDS or t.startswith(HARM_STEMS):
            return t
    return None


def split_suffix(header: str) -> tuple[str, str | None]:
    """``"jailbreak_asr:lower"`` -> ``("jailbreak_asr", "lower")``; a header without a direction suffix as it is."""
    base, sep, suf = header.rpartition(":")
    if sep and base.strip() and suf.strip().lower() in SUFFIXES:
        return base.strip(), SUFFIXES[suf.strip().lower()]
    return header, None


def merge_directions(
    src: str, suffixed: dict[str, str], lower: list[str] | None, higher: list[str] | None
) -> dict[str, str]:
    """Column -> ``"lower"`` / ``"higher"`` from header suffixes and the two options; a column given both ways is an error."""
    out: dict[str, str] = dict(suffixed)
    for opt, cols, d in (("--lower-is-better", lower, "lower"), ("--higher-is-better", higher, "higher")):
        for c in dict.fromkeys(x.strip() for x in (cols or []) if x.strip()):
            if out.get(c, d) != d:
                raise InputError(
                    f"{src}: column {c!r} is given as both lower-is-better and higher-is-better ({opt} and the other "
                    "option or its header suffix); say one"
                )
            out[c] = d
    return out


def refuse_harm_columns(src: str, columns: list[str], known: set[str], given: dict[str, str]) -> None:
    """A harm- or failure-named column with no direction (not a registry id, not given) is an :class:`InputError`."""
    for c in columns:
        if c in known or c in given:
            continue
        w = harm_word(c)
        if w is not None:
            raise InputError(
                f"{src}: column {c!r} reads as a harm or failure measure ({w!r}) and its direction is not given; "
                f"say which way is safer: --lower-is-better {c} (or --higher-is-better {c}), or write the header as "
                f"'{c}:lower' / '{c}:higher'"
            )


DIRECTION_TEXT = {
    "registry": "higher = better (registry)",
    "lower": "lower = better in the file (negated: higher = better)",
    "higher": "higher = better (given)",
    "assumed": "higher = better (assumed: no direction given)",
    "accuracy": "accuracy given, lower = safer (put on the panels' scale, higher = safer)",
}


def direction_label(kind: str) -> str:
    """Short tag for a display name: ``"lower better, negated"``, ``"assumed higher better"``, ..."""
    return {
        "lower": "lower better, negated",
        "higher": "higher better",
        "assumed": "assumed higher better",
        "accuracy": "from accuracy",
    }.get(kind, "")
