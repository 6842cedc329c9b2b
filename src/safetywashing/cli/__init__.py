"""The command-line interface: a thin typer shell over the Python API, one module per command."""

# Each command lives in its own module under this package and registers itself on :data:`app`. Errors of the
# project's own types become one line on stderr and exit code 2, never a traceback.

from __future__ import annotations

import errno
import importlib
import os
import sys
import warnings

import typer

from .._util.errors import SafetywashingError, SafetywashingWarning
from .._util.io import StdoutClosed, discard_stdout, forget_inputs
from .._util.process import resume_collector

app = typer.Typer(
    name="safetywashing",
    help=(
        "Does a safety benchmark measure safety, or just general capabilities?\n\n"
        "Example:\n\n\b\n  safetywashing analyze --panel chat"
    ),
    no_args_is_help=True,
    add_completion=True,
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
    "plan": "_plan",
    "report": "_report",
    "run": "_run",
    "figures": "_report",
}


def load_commands(names: list[str] | None = None) -> None:
    """Register the commands ``names`` on :data:`app` (all of them when ``names`` is None)."""
    modules = sorted(set(COMMANDS.values())) if names is None else sorted({COMMANDS[n] for n in names})
    for module in modules:
        importlib.import_module(f"{__name__}.{module}")
    if modules:
        from ._common import use_shell_conventions

        use_shell_conventions(app)  # readable value names in every --help (cli/_common.py)


_CLICK: dict[tuple, object] = {}  # the click command built from `app`, per set of registered commands


def _click_command() -> typer.core.TyperGroup:
    """``app`` as a click command, built once per set of registered commands (building it takes ~25 ms: a process
    that calls :func:`main` many times, such as a notebook or the test suite, pays it once)."""
    key = tuple((id(c), c.cls) for c in app.registered_commands)
    if key not in _CLICK:
        _CLICK.clear()
        _CLICK[key] = typer.main.get_command(app)
    return _CLICK[key]  # type: ignore[return-value]


def _commands_for(args: list[str]) -> list[str] | None:
    """The commands a run with ``args`` needs: its own, none for ``--version``, all (None) otherwise."""
    if any(key.endswith("_COMPLETE") for key in os.environ if key.startswith("_SAFETYWASHING")):
        return None  # shell completion lists every command
    first = next((a for a in args if not a.startswith("-")), None)
    if first is None:
        return [] if "--version" in args else None
    return [first] if first in COMMANDS else None


INTERRUPTED = 130  # 128 + SIGINT, the shell's convention for a run ended by Ctrl-C
PIPE_CLOSED = 141  # 128 + SIGPIPE: the reader of standard output went away (`| head`); quiet, as the shell's tools
_FILE_OUTPUTS = ("-o", "--output")


def _interrupted() -> int:
    """One line on stderr for Ctrl-C (outputs are atomic: nothing partial was written)."""
    try:
        print("safetywashing: interrupted", file=sys.stderr)
    except (OSError, ValueError, AttributeError):
        pass
    return INTERRUPTED


def _check_file_outputs(argv: list[str]) -> None:
    """An ``--output``/``-o`` value written with a trailing ``/`` names a folder: refused before anything runs.

    (The option reaches the commands as a ``Path``, which drops the slash.)
    """
    names = _FILE_OUTPUTS + (("--provenance",) if argv[:1] == ["ingest"] else ())  # place reads --provenance
    for i, arg in enumerate(argv):
        value = None
        if arg in names and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(tuple(f"{n}=" for n in names if n.startswith("--"))):
            value = arg.split("=", 1)[1]
        if value is not None and value.endswith(("/", os.sep)):
            raise SafetywashingError(f"{value}: names a folder (it ends with '/'); give the path of a file to write")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``safetywashing`` console script.

    The exit code: 0 ok, 2 bad input or environment (one line on stderr), 130 interrupted (Ctrl-C, one line, no
    partial output), 141 standard output closed by its reader (``| head``: quiet, as the shell's own tools).
    """
    forget_inputs()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _check_file_outputs(args)
        load_commands(_commands_for(args))
        resume_collector()  # (a no-op unless the console script paused it)
        with warnings.catch_warnings():  # the commands print their own warning lines: not Python's as well
            warnings.simplefilter("ignore", SafetywashingWarning)
            rv = _click_command()(args=args, prog_name="safetywashing", standalone_mode=False)
    except typer.Exit as exc:
        code = int(getattr(exc, "exit_code", 0) or 0)
        return _interrupted() if code == INTERRUPTED else code
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted()
    except SafetywashingError as exc:
        from ._common import shown_message

        print(f"safetywashing: error: {shown_message(str(exc))}", file=sys.stderr)
        return 2
    except StdoutClosed:
        discard_stdout()
        return PIPE_CLOSED
    except MemoryError:
        print("safetywashing: error: out of memory; use smaller inputs or fewer resamples", file=sys.stderr)
        return 2
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
    finally:
        if f"{__name__}._common" in sys.modules:  # a command ran: remove any spooled copy of stdin
            sys.modules[f"{__name__}._common"].forget_stdin()
    # typer turns a KeyboardInterrupt inside a command into the return value 130 (standalone_mode=False)
    return _interrupted() if rv == INTERRUPTED else 0


def _usage_error(exc: Exception) -> int:
    """``safetywashing: error: Missing option '--benchmark' (see safetywashing claim --help)``."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") or "safetywashing"
    msg = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    print(f"safetywashing: error: {msg} (see {path} --help)", file=sys.stderr)
    code = getattr(exc, "exit_code", 2)
    return code if isinstance(code, int) and code else 2


def _run_code() -> int:
    """:func:`main` on ``sys.argv``, then the final flush of stdout: the exit code (its failure is one line too)."""
    if sys.argv[1:2] and not sys.argv[1].startswith("-"):  # a command runs (not --version or --help)
        from .._util.process import keep_freed_memory

        keep_freed_memory()
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C between typer's handler and ours
        code = _interrupted()
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        discard_stdout()
        if not (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"safetywashing: error: standard output: cannot write ({why})", file=sys.stderr)
            code = code or 2
    return code


def run() -> None:
    """Run the command line in ``sys.argv`` and exit with :func:`main`'s code (``SystemExit``)."""
    sys.exit(_run_code())


def console() -> None:
    """The ``safetywashing`` console script and ``python -m safetywashing``: :func:`run` for a process of its own.

    The garbage collector pauses while the command's modules are imported and the process ends without the
    interpreter's teardown (:mod:`safetywashing._util.process`; about 0.1 s of a 0.85 s ``analyze``).
    """
    from .._util.process import end_process, pause_collector

    pause_collector()
    end_process(_run_code())
