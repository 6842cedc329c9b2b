"""EleutherAI lm-evaluation-harness ``results_*.json`` files."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ._common import TRANSFORMS, Record, Skip, iso_date, lm_eval_mapping, load_json
from ._shapes import kind, mapping, number, short

_NON_METRIC = {"alias", "name", "sample_len", "sample_count", "samples", " ", ""}
_FILE_DATE = re.compile(r"results_(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}(?:\.\d+)?)")


def looks_like_lmeval(obj: Any) -> bool:
    """True when a parsed JSON object has the shape of an lm-eval results file."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("results"), dict)
        and ("config" in obj or "versions" in obj or "n-shot" in obj)
    )


def _model_name(d: dict[str, Any]) -> str:
    name = d.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    args = mapping(d, "config", "lm-eval").get("model_args")
    if isinstance(args, dict):
        p = args.get("pretrained") or args.get("model") or args.get("path")
        if isinstance(p, str) and p.strip():
            return p.strip()
    elif isinstance(args, str):
        for part in args.split(","):
            k, _, v = part.partition("=")
            if k.strip() in ("pretrained", "model", "path") and v.strip():
                return v.strip()
    raise Skip(
        "no model name: neither 'model_name' nor 'pretrained=' in config.model_args; "
        "re-run lm_eval with --model_args pretrained=NAME"
    )


def lmeval_model_name(results_path: Path) -> str:
    """The model name of an lm-eval ``results_*.json`` (read with the bounds of :func:`load_json`, so a FIFO or an
    oversized file is :class:`Skip`, never waited on); shared with the items reader."""
    d = load_json(results_path)
    if not looks_like_lmeval(d):
        raise Skip("JSON without lm-eval's 'results' and 'config' keys: not an lm-eval results file")
    return _model_name(d)


def _date(d: dict[str, Any], path: Path) -> str:
    if isinstance(d.get("date"), (int, float)):
        return iso_date(d["date"])
    m = _FILE_DATE.search(path.name)
    if m:
        return iso_date(f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4)}")
    return ""


def _metrics(entry: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(metric, filter, value) in file order, stderr entries excluded.

    A metric whose value is not a number (text, null, a list) is kept with value NaN, so a chosen metric that is not
    a number is named in a note rather than mistaken for a missing one.
    """
    out = []
    for key, val in entry.items():
        if key in _NON_METRIC or not isinstance(key, str):
            continue
        metric, _, filt = key.partition(",")
        if metric.endswith("_stderr"):
            continue
        v = number(val)
        if v is None and not isinstance(val, (str, type(None), list, dict)):
            continue
        out.append((metric, filt or "none", math.nan if v is None else v))
    return out


def _n_shot(val: Any) -> float:
    """The n-shot setting: a whole number >= 0, else NaN (unknown)."""
    v = number(val)
    return v if v is not None and math.isfinite(v) and v >= 0 else math.nan


def _stderr(entry: dict[str, Any], metric: str, filt: str) -> float:
    for key in (f"{metric}_stderr,{filt}", f"{metric}_stderr"):
        if key in entry:
            v = number(entry[key])
            return v if v is not None and math.isfinite(v) else math.nan
    return math.nan


def _subtasks(d: dict[str, Any]) -> set[str]:
    """Tasks that are members of a group also reported in the file (folded into the group)."""
    gs = mapping(d, "group_subtasks", "lm-eval")
    # a group without an aggregate (older lm-eval: bbh, minerva_math) keeps its subtasks as columns
    reported = {t for t, e in d.get("results", {}).items() if isinstance(e, dict) and _metrics(e)}
    out: set[str] = set()
    for group, members in gs.items():
        if group in reported and isinstance(members, list):
            out.update(m for m in members if isinstance(m, str) and m != group)
    return out


def read_lmeval(path: Path, overrides: dict[str, str], source: str) -> tuple[list[Record], list[str]]:
    """Records of one lm-eval results file, and notes about what was chosen.

    Metric per task: the ``--metric`` override, else the mapping row(s) of
    ``data/registry/lm_eval_tasks.csv``, else the first reported metric with
    filter ``none`` (for multiple-choice tasks that is ``acc``).
    """
    d = load_json(path)
    if not looks_like_lmeval(d):
        raise Skip("JSON without lm-eval's 'results' and 'config' keys: not an lm-eval results file")
    model = _model_name(d)
    for group, entry in mapping(d, "groups", "lm-eval").items():  # aggregates some versions report only under "groups"
        if isinstance(entry, dict) and not (isinstance(d["results"].get(group), dict) and _metrics(d["results"][group])):
            d["results"][group] = entry
    date = _date(d, path)
    bad_date = isinstance(d.get("date"), (int, float)) and not date
    nshot = mapping(d, "n-shot", "lm-eval")
    configs = mapping(d, "configs", "lm-eval")
    hib = mapping(d, "higher_is_better", "lm-eval")
    folded = _subtasks(d)
    task_map = lm_eval_mapping()
    records: list[Record] = []
    notes: list[str] = []
    if bad_date:
        notes.append(f"{source}: 'date' {d['date']!r} is not a valid timestamp; date left unknown")
    if folded:
        groups = sorted(g for g in (d.get("group_subtasks") or {}) if g in d["results"])
        notes.append(f"{source}: {len(folded)} subtask(s) of group(s) {', '.join(groups)} folded into the group aggregate")
    for task, entry in d["results"].items():
        if task in folded:
            continue
        if not isinstance(entry, dict):
            notes.append(f"{source}: task {task!r} is {kind(entry)} in 'results' (lm-eval writes an object); skipped")
            continue
        found = _metrics(entry)
        if not found:
            notes.append(f"{source}: task {task!r} reports no numeric metric; skipped")
            continue
        cfg = configs.get(task)
        ns = _n_shot(nshot.get(task, cfg.get("num_fewshot") if isinstance(cfg, dict) else None))
        rows = task_map[task_map["task"] == task]
        wanted: list[tuple[str, str, str, str, str]] = []  # metric, filter, benchmark, transform, note
        if task in overrides:
            metric, _, filt = overrides[task].partition(",")
            bench = rows["benchmark"].iloc[0] if len(rows) else task
            tr = rows["transform"].iloc[0] if len(rows) else "identity"
            wanted.append((metric, filt, bench, tr, "metric chosen with --metric"))
        elif len(rows):
            for _, r in rows.iterrows():
                wanted.append((r["metric"], r["filter"], r["benchmark"], r["transform"], ""))
        else:
            found = [f for f in found if math.isfinite(f[2])] or found
            nones = [f for f in found if f[1] == "none"]
            m0, f0, _ = (nones or found)[0]
            note = (
                "task not in the mapping: first metric with filter none"
                if nones
                else "task not in the mapping and no filter none: its first metric"
            )
            if isinstance(hib.get(task), dict) and hib[task].get(m0) is False:
                note += "; lower is better in the source (not flipped: use --lower-is-better when analysing)"
            wanted.append((m0, f0, task, "identity", note))
        for metric, filt, bench, tr, note in wanted:
            hit = [f for f in found if f[0] == metric and (not filt or f[1] == filt)]
            if not hit:
                have = ", ".join(f"{m},{f}" for m, f, _ in found)
                notes.append(
                    f"{source}: task {task!r} has no metric {metric}{',' + filt if filt else ''} (it has: {have}); skipped"
                )
                continue
            m, f, raw = hit[0]
            val = entry.get(f"{m},{f}", entry.get(m))
            if number(val) is None:  # text, null, a list: named here (NaN and inf are named by ingest)
                what = f"value {short(val)} is {kind(val)}, not a number"
                notes.append(f"{source}: task {task!r}, metric {m},{f}: {what}; not used")
                continue
            records.append(
                Record(
                    model=model,
                    benchmark=bench,
                    value=float(TRANSFORMS[tr](raw)),
                    harness="lm-eval",
                    source=source,
                    task=task,
                    metric=m,
                    filter=f,
                    n_shot=ns,
                    stderr=_stderr(entry, m, f),
                    date=date,
                    provider=str(mapping(d, "config", "lm-eval").get("model", "")),
                    raw_value=raw,
                    transform=tr,
                    note=note,
                )
            )
    return records, notes
