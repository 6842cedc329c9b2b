"""The console script's process handling (``_util/process.py``): collector pause, fast exit that loses nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from safetywashing._util.process import end_process


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, timeout=60)


def test_end_process_runs_atexit_handlers_and_flushes_streams(tmp_path):
    marker = tmp_path / "atexit.txt"
    done = _python(
        """
        import atexit, sys, tempfile
        from pathlib import Path
        from safetywashing._util.process import end_process
        spill = tempfile.TemporaryDirectory()  # removed by its finalizer, which atexit runs
        Path(sys.argv[2]).write_text(spill.name)
        atexit.register(lambda: Path(sys.argv[1]).write_text("ran"))
        sys.stdout.write("no newline, still buffered")
        sys.stderr.write("err line")
        end_process(3)
        print("never printed")
        """,
        str(marker),
        str(tmp_path / "spill.txt"),
    )
    assert done.returncode == 3
    assert done.stdout == "no newline, still buffered" and done.stderr == "err line"
    assert marker.read_text() == "ran"
    from pathlib import Path

    assert not Path((tmp_path / "spill.txt").read_text()).exists()


def test_end_process_exits_normally_while_another_thread_runs():
    release = threading.Event()
    t = threading.Thread(target=release.wait, daemon=True)
    t.start()
    try:
        with pytest.raises(SystemExit) as exc:
            end_process(4)
        assert exc.value.code == 4
    finally:
        release.set()
        t.join()


def test_collector_paused_during_imports_then_frozen_and_running():
    done = _python(
        """
        import gc
        from safetywashing._util.process import pause_collector, resume_collector
        resume_collector()  # not paused: nothing happens
        assert gc.isenabled() and gc.get_freeze_count() == 0
        pause_collector()
        assert not gc.isenabled()
        import pandas  # noqa
        resume_collector()
        assert gc.isenabled() and gc.get_freeze_count() > 10000, gc.get_freeze_count()
        class Cycle: pass
        a = Cycle(); a.self = a; del a
        assert gc.collect() >= 1  # the command's own garbage is still collected
        print("ok")
        """
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_console_script_output_is_complete_when_piped(tmp_path):
    """The fast exit keeps every byte of a large stdout (the process ends only after the flush)."""
    done = subprocess.run(
        [sys.executable, "-m", "safetywashing", "analyze", "--panel", "chat", "--bootstrap", "0", "--format", "csv"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("panel,method,benchmark,")
    assert len(lines) == 1 + 178 and done.stdout.endswith("\n")
