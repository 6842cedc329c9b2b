#!/usr/bin/env python3
"""Type mutations of harness files: how many make ``ingest`` fail with something other than a one-line error.

Every key of the test fixtures (an lm-eval results file, a HELM run's run_spec.json and stats.json), up to four
levels deep, is replaced in turn by a list, text, null, a 400-digit integer, an object, true, NaN and a nested
object; each mutated file is ingested alone. Prints the number of mutations and how many raised anything but the
project's own errors (a traceback at the command line). Run from the repository root:

    python benchmarks/harness_shapes.py
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from safetywashing._util.errors import SafetywashingError
from safetywashing.sources.ingest import ingest

HARNESS = Path(__file__).parent.parent / "tests" / "data" / "harness"
SUBSTITUTES = [[1], "text", None, 10**400, {}, True, float("nan"), {"a": [1]}]


def paths(obj, prefix=(), depth=0):
    """Key paths of a parsed JSON document (the first two items of each list)."""
    if depth > 3:
        return
    items = obj.items() if isinstance(obj, dict) else enumerate(obj[:2]) if isinstance(obj, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from paths(v, (*prefix, k), depth + 1)


def mutated(doc, path, value):
    out = copy.deepcopy(doc)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


def outcome(files: dict[str, object]) -> str:
    """'ok', 'refused' (one-line error) or the exception's type (a traceback at the command line)."""
    d = Path(tempfile.mkdtemp())
    try:
        for name, doc in files.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_text(json.dumps(doc))
        ingest([str(d)])
        return "ok"
    except SafetywashingError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - counting exactly these
        return type(exc).__name__
    finally:
        shutil.rmtree(d)


def main() -> None:
    lm = json.loads(next((HARNESS / "lm_eval" / "org__model-a").glob("results_*.json")).read_text())
    run = next(p for p in (HARNESS / "helm").iterdir() if p.is_dir())
    spec, stats = (json.loads((run / n).read_text()) for n in ("run_spec.json", "stats.json"))
    counts: Counter[str] = Counter()
    for p in paths(lm):
        for v in SUBSTITUTES:
            counts[outcome({"results_2026-01-01T00-00-00.json": mutated(lm, p, v)})] += 1
    for which, doc in (("spec", spec), ("stats", stats)):
        for p in paths(doc):
            for v in SUBSTITUTES:
                s, t = (mutated(doc, p, v), stats) if which == "spec" else (spec, mutated(doc, p, v))
                counts[outcome({"r/run_spec.json": s, "r/stats.json": t})] += 1
    bad = sum(n for k, n in counts.items() if k not in ("ok", "refused"))
    print(f"{sum(counts.values())} mutations: {counts['ok']} read, {counts['refused']} refused in one line, "
          f"{bad} other exceptions (tracebacks){': ' + str(dict(counts)) if bad else ''}")


if __name__ == "__main__":
    main()
