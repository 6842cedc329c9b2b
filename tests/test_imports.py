"""Imports on demand (issue 23): the package and the CLI load only what a command runs.

``import safetywashing`` must not pull in the heavy optional parts (scipy.special, plotly, matplotlib, DuckDB), and
``safetywashing analyze`` must not load the items statistics, plotting or DuckDB. Each check runs in a fresh
interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "safetywashing"
HEAVY = ("scipy.special", "scipy.stats", "plotly", "matplotlib", "duckdb", "jinja2", "rapidfuzz")


def _loaded_after(code: str) -> dict[str, bool]:
    """Which of HEAVY (and pandas) are in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {list(HEAVY) + ['pandas']!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_package_loads_nothing_heavy():
    loaded = _loaded_after("import safetywashing")
    assert not any(loaded.values()), loaded  # not even pandas: every public name loads on first use


def test_version_loads_no_pandas():
    loaded = _loaded_after("from safetywashing.cli import main\nassert main(['--version']) == 0")
    assert not any(loaded.values()), loaded


def test_analyze_loads_only_what_it_runs():
    loaded = _loaded_after(
        "import contextlib, io\nfrom safetywashing.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['analyze', '--panel', 'chat', '--bootstrap', '0']) == 0"
    )
    assert loaded.pop("pandas")
    assert not any(loaded.values()), loaded


def _lazy_packages() -> list[str]:
    return ["safetywashing"] + [f"safetywashing.{p.parent.name}" for p in sorted(PKG.glob("*/__init__.py"))
                                if "_EXPORTS" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("name", _lazy_packages())
def test_every_public_name_resolves(name):
    """``__all__`` = the lazy map (+ eager names) = the TYPE_CHECKING imports, and every name loads."""
    module = importlib.import_module(name)
    exports = module._EXPORTS
    eager = {n for n in module.__all__ if n not in exports}
    assert set(module.__all__) == set(exports) | eager
    assert all(n in vars(module) for n in eager), eager  # eager names are the light ones defined at import
    path = PKG / "__init__.py" if name == "safetywashing" else PKG / name.split(".")[1] / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typed = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.If)
             for sub in node.body if isinstance(sub, ast.ImportFrom) for a in sub.names}
    assert typed == set(exports)  # what type checkers see is what runs
    for n in module.__all__:
        assert getattr(module, n) is not None
        assert n in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_ingest_is_the_function_even_after_its_module_loads():
    import safetywashing as sw
    import safetywashing.sources.ingest as ingest_module

    assert callable(sw.ingest) and sw.ingest is ingest_module.ingest


def test_command_map_names_every_command_and_its_module():
    import typer.main

    from safetywashing.cli import COMMANDS, app, load_commands

    load_commands()
    group = typer.main.get_command(app)
    registered = {name: cmd.callback.__module__.rsplit(".", 1)[-1] for name, cmd in group.commands.items()}
    assert registered == COMMANDS
