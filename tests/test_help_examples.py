"""Every example printed by ``--help`` runs as printed from the repository root (issue 12).

Examples are discovered from the help text itself, not listed here: any line
whose text starts with ``safetywashing `` (a trailing backslash continues it on
the next line) in the help of the program or of any command, including
commands added later. They run in order, per command, in a scratch copy of
the repository's ``examples/`` and ``tests/data/`` folders (so outputs land
in the scratch folder, and one example may read what the previous one wrote).
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import typer.main

from safetywashing.cli import app, load_commands

load_commands()

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def help_examples(help_text: str) -> list[str]:
    """The example command lines of a help text's description (continuation lines joined; option help ignored)."""
    out: list[str] = []
    lines = help_text.split("\nOptions:")[0].split("\nArguments:")[0].splitlines()
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith("safetywashing ") and not lines[i].lstrip().startswith("Usage:"):
            cmd = s
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1].rstrip() + " " + lines[i].strip()
            out.append(cmd)
        i += 1
    return out


def _help(cli, *cmd: str) -> str:
    proc = cli(*cmd, "--help")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_command_help_has_an_example(cli):
    missing = [c for c in COMMANDS if not help_examples(_help(cli, c))]
    assert not missing, f"commands whose --help shows no example: {missing}"
    assert help_examples(_help(cli))  # the program's own help


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_examples_run_as_printed(cli, tmp_path, command):
    for folder in ("examples", "tests/data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    examples = help_examples(_help(cli, *([command] if command else [])))
    if command:
        assert examples, f"{command} --help shows no example"
    for ex in examples:
        args = shlex.split(ex)
        assert args[0] == "safetywashing"
        proc = cli(*args[1:], cwd=tmp_path)
        assert proc.returncode == 0, f"{ex}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr


def readme_examples() -> list[str]:
    """``safetywashing ...`` lines of the README's ```bash blocks (continuations joined), install lines excluded."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out: list[str] = []
    for block in text.split("```bash\n")[1:]:
        out += help_examples(block.split("```")[0])
    return out


def test_readme_examples_run_as_printed(cli, tmp_path):
    """The README's command examples run in order, as printed, from (a copy of) the repository root.

    Lines identical to a --help example are covered by that test (which runs each help's lines in order) and
    skipped here; a README line that reads another's output must then be such a duplicate too.
    """
    for folder in ("examples", "tests/data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    seen = set(help_examples(_help(cli)))
    for c in COMMANDS:
        seen.update(help_examples(_help(cli, c)))
    examples = readme_examples()
    assert len(examples) >= 8
    for ex in examples:
        if ex in seen:
            continue
        proc = cli(*shlex.split(ex)[1:], cwd=tmp_path)
        assert proc.returncode == 0, f"{ex}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr


def test_readme_installs_extras_from_the_clone():
    """The package is not on PyPI: extras install from the repository (``pip install '.[inspect]'``)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install 'safetywashing[" not in text and 'pip install "safetywashing[' not in text
    assert "pip install '.[inspect]'" in text
