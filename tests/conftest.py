"""Shared fixtures: the reference figures (the tests' own copy), CLI runners and the headless browser."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def reference() -> dict:
    """reference_results.json: figures printed by the paper's own analysis code."""
    return json.loads((HERE / "data" / "reference_results.json").read_text())


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess (as a user would): for true end-to-end tests."""
    return subprocess.run(
        [sys.executable, "-m", "safetywashing", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=600,
    )


def run_cli_inprocess(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run ``safetywashing ARGS`` in this process through ``main(argv)``, stdout/stderr captured.

    Same result shape as :func:`run_cli` (``returncode``, ``stdout``, ``stderr``) without the cost of
    starting an interpreter; an exception that escapes ``main`` propagates (a traceback fails the test).
    """
    from safetywashing.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd = os.getcwd()
    old_stdin = sys.stdin
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
    return subprocess.CompletedProcess(["safetywashing", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of this test process (starting one costs about a second of
    CPU); each test opens its pages in tabs of their own (``browser.page(...)``)."""
    from _browser import Browser, find_chromium

    exe = find_chromium()
    if exe is None:
        pytest.fail("SW_REQUIRE_BROWSER=1 but no chromium executable on PATH")
    with Browser(exe) as b:
        yield b


@pytest.fixture
def cli():
    """Callable running ``safetywashing ARGS`` (in-process) and returning a CompletedProcess-like result."""
    return run_cli_inprocess


@pytest.fixture
def cli_subprocess():
    """Callable running ``safetywashing ARGS`` in a real subprocess (end-to-end: entry point, exit code, streams)."""
    return run_cli
