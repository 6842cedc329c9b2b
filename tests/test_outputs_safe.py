"""Outputs never replace an input or a special file; every failure is one line; CSV/Markdown are spreadsheet-safe (issue 12)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

HARNESS = Path(__file__).parent / "data" / "harness"
LMEVAL = HARNESS / "lm_eval"
EXAMPLES = Path(__file__).parent.parent / "examples"
SIX = [f"m{i},{0.1 * i + 0.01 * (i % 3):.2f},{i * 3 + (i % 2)},{50 + 2 * i - (i % 4)},{(i * 7) % 5}" for i in range(6)]
TABLE = "model,cap_a,cap_b,cap_c,safety\n" + "\n".join(SIX) + "\n"
CAPS = ("--capabilities", "cap_a,cap_b,cap_c")


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _one_line_error(proc, needle: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-300:], proc.stderr)
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("safetywashing: error: ") and needle in err, err


# -- never replace an input ------------------------------------------------------------------------------------------


def test_ingest_output_onto_a_file_found_inside_the_input_folder_is_refused(cli, tmp_path):
    d = tmp_path / "runs"
    shutil.copytree(LMEVAL, d)
    victim = next(d.rglob("results_*.json"))
    before = _digest(victim)
    _one_line_error(cli("ingest", str(d), "--output", str(victim)), "refusing to overwrite an input file")
    assert _digest(victim) == before
    out = tmp_path / "m.csv"
    _one_line_error(cli("ingest", str(d), "--output", str(out), "--provenance", str(victim)), "refusing to overwrite")
    assert _digest(victim) == before and not out.exists()


def test_ingest_output_inside_the_input_folder_is_fine_when_not_an_input(cli, tmp_path):
    d = tmp_path / "runs"
    shutil.copytree(LMEVAL, d)
    for _ in range(2):  # the second run finds matrix.csv in the folder: not a harness file, so not an input
        proc = cli("ingest", str(d), "--output", str(d / "matrix.csv"))
        assert proc.returncode == 0, proc.stderr


def test_output_through_a_hard_link_to_the_input_is_refused(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(TABLE)
    os.link(f, tmp_path / "alias.json")
    alias = str(tmp_path / "alias.json")
    proc = cli("analyze", "--data", str(f), *CAPS, "--bootstrap", "0", "--format", "json", "--output", alias)
    _one_line_error(proc, "refusing to overwrite an input file")
    assert f.read_text() == TABLE


# -- never replace a special file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "folder", "socket"])
def test_output_onto_a_special_file_is_refused(cli, tmp_path, kind):
    target = tmp_path / "special"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        import socket

        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(str(target))
        except OSError:
            pytest.skip("cannot bind a unix socket here")
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0", "--output", str(target))
    _one_line_error(proc, "refusing to write over it")
    mode = os.stat(target).st_mode
    assert {"fifo": stat.S_ISFIFO, "folder": stat.S_ISDIR, "socket": stat.S_ISSOCK}[kind](mode)


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    """A character device node in tmp_path (1,3 = null; 1,7 = full), so that a regression cannot replace the system's."""
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here (needs root)")
    return node


@pytest.mark.parametrize("name,minor", [("null", 3), ("full", 7)])
def test_output_onto_a_device_is_refused(cli, tmp_path, name, minor):
    device = _device(tmp_path, name, minor)
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0", "--output", str(device))
    _one_line_error(proc, f"{device}: is a device")
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_new_files_take_the_umask_and_replaced_files_keep_their_mode(cli, tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        assert cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "json", "-o", str(new)).returncode == 0
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o644
        kept = tmp_path / "kept.json"
        kept.write_text("old")
        os.chmod(kept, 0o640)
        assert cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "json", "-o", str(kept)).returncode == 0
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640 and kept.read_text() != "old"
        os.umask(0o077)
        private = tmp_path / "private.json"
        assert cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "json", "-o", str(private)).returncode == 0
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    finally:
        os.umask(old)


# -- every failure one line ------------------------------------------------------------------------------------------


def test_empty_output_name_and_missing_or_unwritable_folder(cli, tmp_path, monkeypatch):
    _one_line_error(cli("analyze", "--panel", "chat", "--bootstrap", "0", "--output", ""), "is a folder")
    _one_line_error(cli("analyze", "--panel", "chat", "--bootstrap", "0", "-o", str(tmp_path / "no" / "x.csv")), "does not exist")
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        if os.geteuid() == 0:  # root writes into read-only folders: make the folder refuse as it would a user
            import errno
            import tempfile

            def refuse(*a, **k):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        _one_line_error(cli("analyze", "--panel", "chat", "--bootstrap", "0", "-o", str(ro / "x.csv")),
                        "cannot write in " + str(ro) + " (Permission denied)")
    finally:
        os.chmod(ro, 0o700)


def test_full_disk_on_stdout_is_one_line(tmp_path):
    """ENOSPC on stdout (``> /dev/full``): one line on stderr, exit 2, no 'Exception ignored' at exit."""
    import subprocess

    full_dev = Path("/dev/full")
    if not (full_dev.exists() and stat.S_ISCHR(full_dev.stat().st_mode)):
        full_dev = _device(tmp_path, "full", 7)
    with open(full_dev, "w") as full:
        proc = subprocess.run([sys.executable, "-m", "safetywashing", "analyze", "--panel", "chat", "--bootstrap", "0"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.splitlines() == ["safetywashing: error: standard output: cannot write (No space left on device)"], err


def test_full_disk_on_output_file_is_one_line(tmp_path, monkeypatch, cli):
    """A write that fails with ENOSPC leaves no temporary file and the old target intact."""
    import errno

    import safetywashing._util.io as io_mod

    target = tmp_path / "r.json"
    target.write_text("previous")
    real = os.fdopen

    def full_fdopen(fd, *a, **k):
        fh = real(fd, *a, **k)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def write(self, _data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def flush(self):
                pass

        return Full()

    monkeypatch.setattr(io_mod.os, "fdopen", full_fdopen)
    proc = cli("analyze", "--panel", "chat", "--bootstrap", "0", "--format", "json", "-o", str(target))
    _one_line_error(proc, "cannot write (No space left on device); nothing written")
    assert target.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def _lmeval_doc() -> dict:
    return json.loads(next(LMEVAL.rglob("results_*.json")).read_text())


def test_lmeval_json_nested_100000_deep_is_skipped_with_a_reason(cli, tmp_path):
    d = tmp_path / "runs"
    d.mkdir()
    (d / "results_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "results_ok.json").write_text(json.dumps(_lmeval_doc()))
    proc = cli("ingest", str(d), "--output", str(tmp_path / "m.csv"))
    assert proc.returncode == 0, proc.stderr
    assert "results_deep.json: not readable JSON (nested too deeply)" in proc.stderr and "Traceback" not in proc.stderr


def test_lmeval_date_1e300_is_a_note_not_a_crash(cli, tmp_path):
    doc = _lmeval_doc()
    doc["date"] = 1e300
    d = tmp_path / "runs"
    d.mkdir()
    (d / "results_x.json").write_text(json.dumps(doc))
    proc = cli("ingest", str(d), "--output", str(tmp_path / "m.csv"))
    assert proc.returncode == 0, proc.stderr
    assert "'date' 1e+300 is not a valid timestamp; date left unknown" in proc.stderr


@pytest.mark.parametrize("bad,shown", [(float("inf"), "inf"), (1e308, "1e+308")])
def test_non_finite_or_absurd_harness_values_are_named_and_not_used(cli, tmp_path, bad, shown):
    doc = _lmeval_doc()
    task = next(iter(doc["results"]))
    metric_key = next(k for k, v in doc["results"][task].items() if isinstance(v, float) and "stderr" not in k)
    doc["results"][task][metric_key] = bad
    d = tmp_path / "runs"
    d.mkdir()
    (d / "results_x.json").write_text(json.dumps(doc))  # json writes Infinity, as Python harnesses do
    out = tmp_path / "m.csv"
    proc = cli("ingest", str(d), "--output", str(out))
    assert f"task {task!r}" in proc.stderr and f"value {shown} is not a finite score of sensible size" in proc.stderr
    if proc.returncode == 0:
        text = out.read_text().lower()
        assert "inf" not in text and "e+308" not in text


def _helm(root: Path, mean) -> None:
    root.mkdir(parents=True)
    spec = {"name": "mmlu:model=a/b", "adapter_spec": {"model": "a/b", "max_train_instances": 5}, "groups": ["mmlu"]}
    (root / "run_spec.json").write_text(json.dumps(spec))
    (root / "stats.json").write_text(json.dumps([{"name": {"name": "exact_match", "split": "test"}, "count": 0, "mean": mean}]))


def test_helm_nan_means_are_an_error_not_an_empty_matrix(cli, tmp_path):
    _helm(tmp_path / "runs" / "r1", float("nan"))
    out = tmp_path / "m.csv"
    proc = cli("ingest", str(tmp_path / "runs"), "--output", str(out))
    _one_line_error(proc, "no finite value (exact_match=nan)")
    assert not out.exists()


# -- spreadsheet safety ----------------------------------------------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example/x","y")'


@pytest.mark.parametrize(
    "cell,expected",
    [(EVIL, "'" + EVIL), ("+cmd", "'+cmd"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("-0.25", "-0.25"), ("+3", "+3"), ("-", "-"), ("gpt-4", "gpt-4"), ("", "")],
)
def test_neutralise(cell, expected):
    from safetywashing.present._sheet import neutralise

    assert neutralise(cell) == expected


def test_markdown_cells_neutralised_numbers_kept():
    from safetywashing.present._sheet import markdown_safe

    md = "| model | r |\n|---|---|\n| =cmd() | -0.12 |\n| @x | +0.3 [0.1, 0.5] |\n"
    assert markdown_safe(md) == "| model | r |\n|---|---|\n| '=cmd() | -0.12 |\n| '@x | +0.3 [0.1, 0.5] |\n"


def _evil_table(tmp_path: Path) -> Path:
    rows = [r.split(",") for r in SIX]
    rows[0][0] = '"' + EVIL.replace('"', '""') + '"'
    f = tmp_path / "evil.csv"
    f.write_text('model,cap_a,cap_b,cap_c,"@evil"\n' + "\n".join(",".join(r) for r in rows) + "\n")
    return f


def test_analyze_csv_and_markdown_neutralise_text_keep_negative_numbers(cli, tmp_path):
    f = _evil_table(tmp_path)
    proc = cli("analyze", "--data", str(f), *CAPS, "--bootstrap", "0", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(__import__("io").StringIO(proc.stdout))
    assert "'@evil" in set(df["benchmark"]) and "@evil" not in set(df["benchmark"])
    assert pd.api.types.is_float_dtype(df["slope"]) and (df["slope"] < 0).any()  # negative numbers stay numbers
    md = cli("analyze", "--data", str(f), *CAPS, "--bootstrap", "0", "--format", "markdown").stdout
    assert "| '@evil (assumed higher better) |" in md and "| @evil" not in md  # the display name says its direction
    doc = json.loads(cli("analyze", "--data", str(f), *CAPS, "--bootstrap", "0", "--format", "json").stdout)
    assert "@evil" in {r["benchmark"] for r in doc["panels"][0]["results"]}  # JSON keeps raw values


def test_ingest_matrix_csv_neutralises_model_names(cli, tmp_path):
    doc = _lmeval_doc()
    doc["model_name"] = EVIL
    d = tmp_path / "runs"
    d.mkdir()
    (d / "results_x.json").write_text(json.dumps(doc))
    out = tmp_path / "m.csv"
    assert cli("ingest", str(d), "--output", str(out)).returncode == 0
    models = pd.read_csv(out)["model"].tolist()
    assert models == ["'" + EVIL]
    assert pd.read_csv(tmp_path / "m.provenance.csv")["model"].tolist()[0] == "'" + EVIL


@pytest.mark.parametrize(
    "args,needle",
    [
        (["claim", "examples/claim_release.csv", "--panel", "chat"], "Missing option '--benchmark'"),
        (["analyze", "--bogus"], "No such option: --bogus (see safetywashing analyze --help)"),
        (["nocommand"], "No such command 'nocommand'"),
        (["analyze", "--bootstrap", "x"], "Invalid value for '--bootstrap'"),
        (["ingest"], "Missing argument"),
    ],
)
def test_usage_errors_are_one_line(cli, args, needle):
    _one_line_error(cli(*args, cwd=EXAMPLES.parent), needle)
