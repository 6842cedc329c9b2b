"""Hostile input, table-driven (issue 21): every command, as a careful attacker and a clumsy user would try it.

A new case joins with one line in CASES: ``Case(id, args, exit code, stderr regex, setup..., checks...)``.

- ``args``: the command line, ``{d}`` standing for the case's scratch folder (the working directory too);
- ``setup``: helpers run on that folder first (:func:`write`, :func:`fifo`, :func:`copy`, :func:`lmeval`, ...);
- ``code`` and ``err``: the exit code and a regex the stderr must match (for exit code 2: exactly one line, no traceback);
- checks: ``unchanged`` (files whose bytes must not change), ``absent`` (files that must not exist afterwards),
  ``within`` (seconds the command may take: the hang cases), ``out`` (a regex stdout must match), ``interrupt`` (a
  dotted function replaced by one raising KeyboardInterrupt, as Ctrl-C would), ``stdout`` (what standard output is:
  ``"epipe"`` a reader that went away, ``"closed"`` no standard output), ``limits`` (smaller bounds for the run, so a
  hostile file can stay small).

Commands run in-process (``main(argv)``); a FIFO case has a helper thread that, after ``within`` seconds, opens the
FIFO's other end and closes it, so a reader that waits on it ends (late) instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from _setups import copy, fifo, write

ROOT = Path(__file__).parent.parent
HARNESS = Path(__file__).parent / "data" / "harness"
LMEVAL_FILE = HARNESS / "lm_eval" / "org__model-a" / "results_2026-11-23T17-05-36.423449.json"
HELM_RUN = HARNESS / "helm" / "simple_mcqa:model=simple_model1"
INSPECT_JSON = HARNESS / "inspect" / "model-a_hellaswag.json"
INSPECT_EVAL = HARNESS / "inspect" / "model-a_arc_challenge.eval"
ITEMS = ("items", str(ROOT / "examples" / "items_long.csv"))
MS = str(ROOT / "examples" / "items_model_scores.csv")
CLAIM = ("claim", str(ROOT / "examples" / "claim_release.csv"), "--panel", "chat", "--benchmark", "ethics_all")
ASR = ("--lower-is-better", "jailbreak_asr")  # the examples' attack success rate: its direction must be given
AUDIT_CHAT = ("audit", str(ROOT / "examples" / "my_benchmark.csv"), "--panel", "chat", *ASR)
AUDIT_FRONTIER = ("audit", str(ROOT / "examples" / "frontier_benchmark.csv"), "--panel", "frontier", *ASR)
SIX = "model,cap_a,cap_b,cap_c,safety\n" + "".join(
    f"m{i},{0.1 * i + 0.01 * (i % 3):.2f},{i * 3 + (i % 2)},{50 + 2 * i - (i % 4)},{(i * 7) % 5}\n" for i in range(6)
)
CAPS = ("--capabilities", "cap_a,cap_b,cap_c")
ONE_LINE = "one line"


# -- setup helpers: each returns a function of the scratch folder ---------------------------------------------------




def sparse(name: str, size: int) -> Callable[[Path], None]:
    """A file of ``size`` bytes that takes no disk space (all zeros)."""

    def go(d: Path) -> None:
        with open(d / name, "wb") as fh:
            fh.truncate(size)

    return go



def lmeval(change: Callable[[dict], None], name: str = "runs/results_2026-01-01T00-00-00.json") -> Callable[[Path], None]:
    """An lm-eval results file (the fixture's) after ``change`` edits its parsed JSON."""
    doc = json.loads(LMEVAL_FILE.read_text())
    change(doc)
    return write(name, json.dumps(doc))


def helm(change: Callable[[dict, list], None]) -> Callable[[Path], None]:
    """A HELM run folder (the fixture's) after ``change`` edits run_spec and stats."""
    spec = json.loads((HELM_RUN / "run_spec.json").read_text())
    stats = json.loads((HELM_RUN / "stats.json").read_text())
    change(spec, stats)

    def go(d: Path) -> None:
        write("runs/run1/run_spec.json", json.dumps(spec))(d)
        write("runs/run1/stats.json", json.dumps(stats))(d)

    return go


def inspect_log(value: object) -> Callable[[Path], None]:
    """The fixture's Inspect JSON log with its accuracy value replaced by ``value``."""
    doc = json.loads(INSPECT_JSON.read_text())
    doc["results"]["scores"][0]["metrics"]["accuracy"]["value"] = value
    return write("runs/log.json", json.dumps(doc))


def zip_bomb(name: str, size: int) -> Callable[[Path], None]:
    """A real Inspect .eval log whose header.json is padded to inflate to ``size`` bytes (a few KiB on disk)."""

    def go(d: Path) -> None:
        pytest.importorskip("zipfile_zstd")  # teaches zipfile the zstd entries Inspect writes (inspect-ai's dependency)
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(INSPECT_EVAL) as src, zipfile.ZipFile(d / name, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "header.json":
                    data = data.rstrip()[:-1] + b" " * size + b"}"
                dst.writestr(info.filename, data)

    return go


def wide(name: str, n: int, cols: int = 3) -> Callable[[Path], None]:
    """A score table of ``n`` models: capability columns cap_a.. and one more column, values from a fixed pattern."""

    def go(d: Path) -> None:
        head = "model," + ",".join(f"cap_{chr(97 + j)}" for j in range(cols)) + ",safety\n"
        rows = "".join(
            f"m{i}," + ",".join(str((i * (7 + j)) % 101) for j in range(cols)) + f",{(i * 13) % 17}\n" for i in range(n)
        )
        (d / name).write_text(head + rows)

    return go


def panel_rows(name: str, n: int) -> Callable[[Path], None]:
    """An audit table of ``n`` new models with the chat panel's 12 capability columns and one new benchmark."""

    def go(d: Path) -> None:
        caps = ["arc_challenge", "bbh", "superglue_copa", "gsm8k", "hellaswag", "lambada_openai", "logiqa", "minerva_math",
                "medqa_4options", "mmlu", "piqa", "winogrande"]  # fmt: skip
        lines = ["model,new_bench," + ",".join(caps)]
        lines += [f"x{i},{(i * 7) % 13 / 13:.3f}," + ",".join(f"{(i * (k + 3)) % 97 / 100:.2f}" for k in range(12))
                  for i in range(n)]  # fmt: skip
        (d / name).write_text("\n".join(lines) + "\n")

    return go


def _set(path: str, value: object) -> Callable[[dict], None]:
    """Edit of a parsed JSON document: set the key at ``a.b.c`` to ``value``."""

    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        for k in parents:
            doc = doc[k]
        doc[last] = value

    return change


def _first_metric(value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        for entry in doc["results"].values():
            for k in list(entry):
                if k.startswith("acc,"):
                    entry[k] = value

    return change


def _raw_int(digits: int) -> Callable[[Path], None]:
    """An lm-eval file whose accuracies are integers of ``digits`` digits (written as raw JSON text)."""
    doc = json.loads(LMEVAL_FILE.read_text())
    _first_metric("@@BIG@@")(doc)
    return write("runs/results_2026-01-01T00-00-00.json", json.dumps(doc).replace('"@@BIG@@"', "9" * digits))


def _stat_mean(value: object) -> Callable[[dict, list], None]:
    def change(spec: dict, stats: list) -> None:
        for s in stats:
            s["mean"] = value

    return change


# -- the cases -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    err: str
    setup: tuple[Callable[[Path], None], ...] = ()
    unchanged: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    within: float | None = None
    out: str | None = None
    interrupt: str | None = None
    stdout: str | None = None
    limits: dict = field(default_factory=dict)


def C(id: str, args: str | tuple, code: int, err: str, *setup: Callable[[Path], None], **checks) -> Case:  # noqa: N802
    return Case(id, tuple(args.split()) if isinstance(args, str) else tuple(args), code, err, tuple(setup), **checks)


MODEL_SCORES = "model,capabilities_score\n" + "".join(f"model-{i:02d},{i / 10 - 1:.2f}\n" for i in range(20))
FIFO_WAIT = 8.0  # only code that waits on a FIFO waits this long; refusing code returns at once

CASES = [
    # never wait on a special file, never read without bound
    C("model-scores-fifo", (*ITEMS, "--model-scores", "{d}/ms.csv"), 2, r"ms\.csv: is a named pipe", fifo("ms.csv"),
      within=FIFO_WAIT),
    C("provenance-fifo", "place {d}/m.csv --panel chat --lower-is-better jailbreak_asr --provenance {d}/p.csv", 2,
      r"p\.csv: is a named pipe",
      copy(ROOT / "examples" / "my_benchmark.csv", "m.csv"), fifo("p.csv"), within=FIFO_WAIT),
    C("report-items-fifo", "report --items {d}/i.json -o {d}/r.html", 2, r"i\.json: is a named pipe", fifo("i.json"),
      within=FIFO_WAIT, absent=("r.html",)),
    C("ingest-fifo-argument", "ingest {d}/f.json -o {d}/m.csv", 2, r"f\.json: is a named pipe", fifo("f.json"),
      within=FIFO_WAIT, absent=("m.csv",)),
    C("claim-file-fifo", ("claim", "{d}/c.csv", *CLAIM[2:]), 2, r"c\.csv: is a named pipe", fifo("c.csv"), within=FIFO_WAIT),
    C("claim-file-device", ("claim", "/dev/zero", *CLAIM[2:]), 2, r"/dev/zero: is a device", within=5),
    C("ingest-helm-run-spec-fifo", "ingest {d}/runs -o {d}/m.csv", 2, r"run_spec\.json: is a named pipe",
      copy(HELM_RUN / "stats.json", "runs/run1/stats.json"), fifo("runs/run1/run_spec.json"), within=FIFO_WAIT),
    C("model-scores-dev-zero", (*ITEMS, "--model-scores", "/dev/zero"), 2, r"/dev/zero: is a device", within=5),
    C("model-scores-too-large", (*ITEMS, "--model-scores", "{d}/big.csv"), 2, r"big\.csv: .*larger than",
      sparse("big.csv", 300 * 2**20), within=5),
    C("inspect-zip-bomb", "ingest {d}/runs -o {d}/m.csv", 2, r"'header\.json' is \d+ MiB uncompressed, more than",
      zip_bomb("runs/log.eval", 3 * 2**20), limits={"MAX_ZIP_MEMBER": 2**20}, within=10, absent=("m.csv",)),
    C("report-items-deep-json", "report --items {d}/i.json -o {d}/r.html", 2, r"i\.json: not readable JSON \(nested too",
      write("i.json", "[" * 100_000 + "]" * 100_000), absent=("r.html",)),
    # work-scaling options: checked up front, one line naming the largest allowed value
    C("permutations-1e12", "analyze --panel chat --permutations 1000000000000", 2,
      r"1,000,000,000,000 permutations .* too much work.*the largest allowed here is --permutations \d+", within=20),
    C("audit-frontier-bootstrap-1e8", (*AUDIT_FRONTIER, "--bootstrap", "100000000"), 2,
      r"the largest allowed here is --bootstrap \d+", within=20),
    C("analyze-frontier-bootstrap-1e8", "analyze --panel frontier --bootstrap 100000000", 2,
      r"the largest allowed here is --bootstrap \d+", within=30),
    C("audit-bootstrap-1e12", (*AUDIT_CHAT, "--bootstrap", "1000000000000"), 2, r"the largest allowed here is --bootstrap \d+",
      within=20),
    C("claim-bootstrap-1e12", (*CLAIM, "--bootstrap", "1000000000000"), 2, r"the largest allowed (here )?is --bootstrap \d+",
      within=20),
    C("items-bootstrap-1e12", (*ITEMS, "--model-scores", MS, "--bootstrap", "1000000000000"), 2,
      r"the largest allowed (here )?is --bootstrap \d+", within=20),
    C("audit-1e5-rows", ("audit", "{d}/many.csv", "--panel", "chat"), 2,
      r"of 100,026 x 13 .*the largest allowed here is --bootstrap \d+", panel_rows("many.csv", 100_000), within=60),
    C("figures-too-many-models", ("figures", "--data", "{d}/w.csv", *CAPS, "--bootstrap", "0", "-d", "{d}/figs"), 2,
      r"6,000 models: more than a figure can show", wide("w.csv", 6000), absent=("figs",), within=60),
    C("audit-seed-negative", (*AUDIT_CHAT, "--seed", "-3"), 2, r"--seed: -3 must be a whole number >= 0"),
    C("claim-seed-negative", (*CLAIM, "--seed", "-3"), 2, r"--seed: -3 must be a whole number >= 0"),
    C("items-seed-negative", (*ITEMS, "--model-scores", MS, "--seed", "-3"), 2, r"--seed: -3 must be a whole number >= 0"),
    C("n-items-infinite", "analyze --panel chat --bootstrap 0 --n-items mmlu=1e400", 2, r"--n-items: 'mmlu=1e400' is not"),
    # malformed harness shapes: one line, exit 2, naming what is wrong
    C("lmeval-n-shot-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'n-shot' is a list; lm-eval writes an object",
      lmeval(_set("n-shot", [1, 2])), absent=("m.csv",)),
    C("lmeval-group-subtasks-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'group_subtasks' is a list",
      lmeval(_set("group_subtasks", ["mmlu"]))),
    C("lmeval-config-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'config' is a list", lmeval(_set("config", [1]))),
    C("lmeval-configs-text", "ingest {d}/runs -o {d}/m.csv", 2, r"'configs' is text", lmeval(_set("configs", "x"))),
    C("lmeval-groups-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'groups' is a list", lmeval(_set("groups", [{}]))),
    C("lmeval-higher-is-better-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'higher_is_better' is a list",
      lmeval(_set("higher_is_better", []))),
    C("lmeval-huge-integer", "ingest {d}/runs -o {d}/m.csv", 0, r"metric 'acc': value inf is not a finite score", _raw_int(400)),
    C("lmeval-integer-beyond-digit-limit", "ingest {d}/runs -o {d}/m.csv", 2, r"not readable JSON \(Exceeds the limit",
      _raw_int(5000)),
    C("lmeval-text-score", "ingest {d}/runs -o {d}/m.csv", 0, r"value 'banana' is text, not a number; not used",
      lmeval(_first_metric("banana"))),
    C("lmeval-null-score", "ingest {d}/runs -o {d}/m.csv", 0, r"value None is null, not a number; not used",
      lmeval(_first_metric(None))),
    C("helm-adapter-spec-list", "ingest {d}/runs -o {d}/m.csv", 2, r"'adapter_spec' is a list; HELM writes an object",
      helm(lambda spec, stats: spec.update(adapter_spec=[]))),
    C("helm-groups-object", "ingest {d}/runs -o {d}/m.csv", 2, r"'groups' is an object; HELM writes a list",
      helm(lambda spec, stats: spec.update(groups={"a": 1}))),
    C("helm-huge-mean", "ingest {d}/runs -o {d}/m.csv", 2, r"exact_match=inf", helm(_stat_mean(10**400))),
    C("helm-text-mean", "ingest {d}/runs -o {d}/m.csv", 2, r"mean 'banana' is text, not a number", helm(_stat_mean("banana"))),
    C("inspect-text-score", "ingest {d}/runs -o {d}/m.csv", 2, r"value 'banana' is text, not a number",
      inspect_log("banana")),
    C("inspect-dict-score", "ingest {d}/runs -o {d}/m.csv", 2, r"is an object, not a number", inspect_log({"a": 1})),
    C("provenance-n-shot-inf", "place {d}/m.csv --panel chat --lower-is-better jailbreak_asr --provenance {d}/p.csv", 2,
      r"p\.csv, line 2, column n_shot: 'inf' is not a finite number",
      copy(ROOT / "examples" / "my_benchmark.csv", "m.csv"),
      write("p.csv", "model,benchmark,harness,metric,filter,n_shot\nx,mmlu,lm-eval,acc,none,inf\n")),
    C("model-scores-inf", (*ITEMS, "--model-scores", "{d}/ms.csv"), 2,
      r"ms\.csv, line 4, column capabilities_score: 'inf' is not a finite number",
      write("ms.csv", MODEL_SCORES.replace("model-02,-0.80", "model-02,inf"))),
    C("model-scores-1e400", (*ITEMS, "--model-scores", "{d}/ms.csv"), 2,
      r"ms\.csv, line 5, column capabilities_score: '1e400' is not a finite number",
      write("ms.csv", MODEL_SCORES.replace("model-03,-0.70", "model-03,1e400"))),
    # outputs: a trailing / is a folder; several files are written together or not at all
    C("ingest-output-onto-a-sniffed-json", "ingest {d}/runs -o {d}/runs/other.json", 2, r"refusing to overwrite an input file",
      copy(LMEVAL_FILE, "runs/results_2026-01-01T00-00-00.json"), write("runs/other.json", '{"a": 1}'),
      unchanged=("runs/other.json",)),
    C("output-trailing-slash", "analyze --panel chat --bootstrap 0 -o {d}/out/", 2, r"names a folder", absent=("out",)),
    C("ingest-provenance-trailing-slash", ("ingest", str(HARNESS / "lm_eval"), "-o", "{d}/m.csv", "--provenance", "{d}/p/"),
      2, r"p/: names a folder", absent=("m.csv", "p")),
    C("ingest-provenance-in-missing-folder", ("ingest", str(HARNESS / "lm_eval"), "-o", "{d}/m.csv", "--provenance",
      "{d}/nope/p.csv"), 2, r"output folder .*nope does not exist", absent=("m.csv",)),
    C("markdown-formula-cell", ("analyze", "--data", "{d}/t.csv", *CAPS, "--bootstrap", "0", "--format", "markdown"), 0, r"",
      write("t.csv", SIX.replace(",safety", ",-1+HYPERLINK(1)")), out=r"\| '-1\+HYPERLINK\(1\) \(assumed higher better\) \|"),
    # signals and standard output
    C("ctrl-c-analyze", "analyze --panel chat", 130, r"^safetywashing: interrupted", interrupt="numpy.random.default_rng",
      out=r"^$"),
    C("ctrl-c-figures-drawing", "figures --panel chat --bootstrap 0 -d {d}/figs", 130, r"^safetywashing: interrupted",
      interrupt="safetywashing.present._figures.figure_bytes@2", absent=("figs",)),
    C("ctrl-c-ingest-writing", ("ingest", str(HARNESS / "lm_eval"), "-o", "{d}/m.csv"), 130, r"^safetywashing: interrupted",
      interrupt="os.replace", absent=("m.csv", "m.provenance.csv")),
    C("stdout-reader-gone", "benchmarks", 141, r"^$", stdout="epipe"),
    C("stdout-closed", "benchmarks", 2, r"standard output is closed", stdout="closed"),
]


# -- the runner ------------------------------------------------------------------------------------------------------


class _EPipe(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def _unblock_fifos(d: Path, after: float, stop: threading.Event) -> None:
    """After ``after`` s, open and close the write end of every FIFO in ``d`` (a waiting reader then sees EOF)."""
    if stop.wait(after):
        return
    fifos = [p for p in d.rglob("*") if p.is_fifo()]
    while not stop.is_set():
        for p in fifos:
            try:
                os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        stop.wait(0.05)


def _interrupting(spec: str, monkeypatch) -> None:
    """Replace ``module.function`` (``@k``: from its k-th call on) by one raising KeyboardInterrupt."""
    target, _, nth = spec.partition("@")
    mod_name, _, fn = target.rpartition(".")
    mod = importlib.import_module(mod_name)
    real = getattr(mod, fn)
    calls = {"n": 0}

    def boom(*a, **k):
        calls["n"] += 1
        if calls["n"] >= int(nth or 1):
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(mod, fn, boom)


def _run(case: Case, d: Path, monkeypatch) -> tuple[int, str, str, float]:
    from safetywashing.cli import main

    if case.limits:  # smaller bounds, so a hostile file can stay small (a code without the module runs unbounded)
        try:
            limits = importlib.import_module("safetywashing._util.limits")
        except ImportError:
            limits = None
        for name, value in case.limits.items():
            monkeypatch.setattr(limits, name, value) if limits is not None else None
    if case.interrupt:
        _interrupting(case.interrupt, monkeypatch)
    args = [a.replace("{d}", str(d)) for a in case.args]
    out, err = io.StringIO(), io.StringIO()
    stdout = {"epipe": _EPipe(), "closed": None}.get(case.stdout or "", out)
    stop = threading.Event()
    helper = threading.Thread(target=_unblock_fifos, args=(d, case.within or FIFO_WAIT, stop), daemon=True)
    helper.start()
    old = os.getcwd()
    t0 = time.perf_counter()
    try:
        os.chdir(d)
        with contextlib.redirect_stderr(err):
            monkeypatch.setattr("sys.stdout", stdout)
            code = main(args)
    finally:
        elapsed = time.perf_counter() - t0
        os.chdir(old)
        stop.set()
        helper.join()
    return code, out.getvalue(), err.getvalue(), elapsed


def _digests(d: Path, names: tuple[str, ...]) -> dict[str, str]:
    return {n: hashlib.sha256((d / n).read_bytes()).hexdigest() for n in names}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile(case: Case, tmp_path, monkeypatch):
    d = tmp_path / "case"
    d.mkdir()
    for step in case.setup:
        step(d)
    before = _digests(d, case.unchanged)
    code, out, err, elapsed = _run(case, d, monkeypatch)
    assert code == case.code, (code, err[-500:], out[-300:])
    assert "Traceback" not in err, err
    if case.code in (2, 130):
        assert len(err.strip().splitlines()) == 1, err
    assert re.search(case.err, err.strip()), err
    if case.out is not None:
        assert re.search(case.out, out), out[-500:]
    assert _digests(d, case.unchanged) == before
    for name in case.absent:
        assert not (d / name).exists(), f"{name} exists"
    if case.within is not None:
        assert elapsed < case.within, f"took {elapsed:.1f} s (bound {case.within} s)"


def test_every_case_id_is_unique():
    assert len({c.id for c in CASES}) == len(CASES)


def test_run_exits_with_the_interrupt_code(monkeypatch):
    """The console script's wrapper passes 130 on (it dropped typer's 130 and exited 0)."""
    import sys

    from safetywashing import cli

    _interrupting("numpy.random.default_rng", monkeypatch)
    monkeypatch.setattr(sys, "argv", ["safetywashing", "analyze", "--panel", "chat"])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as exc:
        cli.run()
    assert exc.value.code == 130 and err.getvalue().startswith("safetywashing: interrupted"), err.getvalue()


def test_shared_harness_checks_name_what_is_not_a_score(tmp_path):
    """The checks the items reader shares with ingest: Inspect's letters are scores, other text and objects are named."""
    from safetywashing.sources.ingest._common import Skip
    from safetywashing.sources.ingest._helm import read_run_spec
    from safetywashing.sources.ingest._lmeval import lmeval_model_name
    from safetywashing.sources.ingest._shapes import inspect_value

    assert [inspect_value(v, "s") for v in ("C", "I", 0.25, "1")] == [1, 0, 0.25, 1]
    for bad, why in (("banana", "'banana' is text"), ({"a": 1}, "is an object"), (float("nan"), "not a finite number")):
        with pytest.raises(Skip, match=re.escape(why)):
            inspect_value(bad, "sample 3")
    os.mkfifo(tmp_path / "results_x.json")
    with pytest.raises(Skip, match="is a named pipe"):
        lmeval_model_name(tmp_path / "results_x.json")
    (tmp_path / "run_spec.json").write_text(json.dumps({"name": "mmlu:x", "adapter_spec": {"model": 3}}))
    with pytest.raises(Skip, match="adapter_spec.model is a number"):
        read_run_spec(tmp_path / "run_spec.json")
