"""The command-line interface: a thin typer shell over the Python API, one module per command."""

# Each command lives in its own module under this package and registers itself on :data:`app`. Errors of the
# project's own types become one line on stderr and exit code 2, never a traceback.

from __future__ import annotations

import errno
import importlib
import os
import sys

import typer

from .._util.errors import SafetywashingError
from .._util.io import discard_stdout, forget_inputs

app = typer.Typer(
    name="safetywashing",
    help=(
        "Does a safety benchmark measure safety, or just general capabilities?\n\n"
        "Example:\n\n\b\n  safetywashing analyze --panel chat"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from .._util.version import __version__

        print(f"safetywashing {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
) -> None:
    """Does a safety benchmark measure safety, or just general capabilities?"""


# Each command and the module that registers it on `app` when imported. A run imports only the module of the
# command it runs (click's "lazily loading subcommands" pattern): `--version` imports none, `analyze` never loads
# the items statistics, plotting or DuckDB. `--help`, an unknown command and shell completion load them all.
COMMANDS = {
    "analyze": "_analyze",
    "benchmarks": "_analyze",
    "models": "_analyze",
    "audit": "_audit",
    "claim": "_claim",
    "leaderboard": "_claim",
    "ingest": "_ingest",
    "items": "_items",
    "place": "_place",
    "report": "_report",
    "figures": "_report",
}


def load_commands(names: list[str] | None = None) -> None:
    """Register the commands ``names`` on :data:`app` (all of them when ``names`` is None)."""
    modules = sorted(set(COMMANDS.values())) if names is None else sorted({COMMANDS[n] for n in names})
    for module in modules:
        importlib.import_module(f"{__name__}.{module}")


def _commands_for(args: list[str]) -> list[str] | None:
    """The commands a run with ``args`` needs: its own, none for ``--version``, all (None) otherwise."""
    if any(key.endswith("_COMPLETE") for key in os.environ if key.startswith("_SAFETYWASHING")):
        return None  # shell completion lists every command
    first = next((a for a in args if not a.startswith("-")), None)
    if first is None:
        return [] if "--version" in args else None
    return [first] if first in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``safetywashing`` console script: the exit code (0 ok, 2 bad input or environment)."""
    forget_inputs()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        load_commands(_commands_for(args))
        rv = app(args=args, prog_name="safetywashing", standalone_mode=False)
        if rv == 130:  # typer turns Ctrl-C (KeyboardInterrupt) into the return value 130
            print("safetywashing: interrupted", file=sys.stderr)
            return 130
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        print("safetywashing: interrupted", file=sys.stderr)
        return 130
    except SafetywashingError as exc:
        print(f"safetywashing: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, as the shell's own tools do
        discard_stdout()
        return 141
    except OSError as exc:  # the environment, not the input: full disk, permissions, ...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"safetywashing: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # click's usage errors (typer may vendor its own click): one line, exit 2
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `safetywashing`: the help, as click prints it
            print(exc.format_message(), file=sys.stderr)
            return 2
        return _usage_error(exc)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        print("safetywashing: interrupted", file=sys.stderr)
        return 130
    return 0


def _usage_error(exc: Exception) -> int:
    """``safetywashing: error: Missing option '--benchmark' (see safetywashing claim --help)``."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") or "safetywashing"
    msg = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    print(f"safetywashing: error: {msg} (see {path} --help)", file=sys.stderr)
    code = getattr(exc, "exit_code", 2)
    return code if isinstance(code, int) and code else 2


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s code (a failed final flush of stdout is one line too)."""
    code = main()
    try:
        sys.stdout.flush()
    except OSError as exc:
        discard_stdout()
        if exc.errno != errno.EPIPE:
            print(f"safetywashing: error: standard output: cannot write ({exc.strerror or exc})", file=sys.stderr)
            code = code or 2
    sys.exit(code)
