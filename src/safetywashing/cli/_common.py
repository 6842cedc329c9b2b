"""Helpers shared by the CLI commands: output writing, option parsing, the shell's conventions.

Conventions every command follows (tests/test_shell.py checks them):

- ``--output FILE`` picks the format from FILE's extension (``.json``, ``.csv``, ``.md``, ``.html``; anything
  else: the text table) unless ``--format`` says otherwise (:func:`output_format`);
- ``-`` is standard input where a command reads a table and standard output where it writes one (never a file
  named ``-``: :func:`emit`, :func:`stdin_input`);
- ``--help`` lists the choices of every option that has them and a readable name for every value
  (:func:`choice`, :class:`ShellCommand`);
- text tables are rich tables in one style that fit the terminal (``COLUMNS``; :func:`rich_text`).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
import typer.core

from .._util.errors import InputError
from .._util.io import atomic_write, write_stdout
from .._util.jsonout import dumps
from ..present._sheet import markdown_safe, to_csv

STDIO = "-"  # stands for standard input (inputs) or standard output (outputs)
EXTENSION_FORMATS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".html": "html",
                     ".htm": "html", ".txt": "table"}
FORMATS_HELP = "Output format (default: from --output's extension: .json, .csv, .md, .html; else table)."


def choice(default: Any, *decls: str, choices: Sequence[str], help: str, **kw: Any) -> Any:
    """A ``typer.Option`` whose value is one of ``choices``: listed in ``--help`` (``[a|b|c]``), completed by the
    shell, and checked with the package's one-line error (a comma-separated list may give several, see ``multi``)."""
    options = tuple(choices)
    name = max(decls, key=len)
    multi = kw.pop("multi", False)

    def check(value: Any) -> Any:
        if value is None:
            return value
        for part in (str(value).split(",") if multi else [value]):
            check_choice(part.strip() if multi else part, options, name)
        return value

    return typer.Option(default, *decls, metavar="[" + "|".join(options) + "]", callback=check, help=help,
                        autocompletion=lambda incomplete: [c for c in options if c.startswith(incomplete)], **kw)


def output_format(fmt: str | None, output: Path | None, formats: Sequence[str]) -> str:
    """``--format`` if given, else the format ``--output``'s extension names (``table`` for stdout or another
    extension); a format this command cannot write is an :class:`InputError` naming the ones it can."""
    if fmt is not None:
        return check_choice(fmt, tuple(formats), "--format")
    if output is None or str(output) == STDIO:
        return "table"
    inferred = EXTENSION_FORMATS.get(output.suffix.lower(), "table")
    if inferred not in formats:
        raise InputError(f"--output {output}: a {output.suffix} file means {inferred}, which this command does not "
                         f"write; give --format ({', '.join(formats)}) or another extension")
    return inferred


_SPOOLED: list[tempfile.TemporaryDirectory] = []
STDIN_NAMES: dict[str, str] = {}  # spooled file -> how messages name it


def stdin_input(path: Path | None, *, suffix: str = ".csv", max_bytes: int = 200 * 2**20) -> Path | None:
    """``path``, or for ``-`` a temporary copy of standard input (named ``<stdin>`` in messages; removed by
    :func:`forget_stdin`). Standard input can be read once: a second ``-`` in one command is refused."""
    if path is None or str(path) != STDIO:
        return path
    if _SPOOLED:
        raise InputError("-: standard input can be read only once per command")
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read(max_bytes + 1) if stream is not None else sys.stdin.read(max_bytes + 1).encode("utf-8")
    if len(data) > max_bytes:
        raise InputError(f"<stdin>: more than {max_bytes // 2**20} MiB; write it to a file first")
    if not data.strip():
        raise InputError("<stdin>: empty; pipe a table into the command (e.g. cat scores.csv | safetywashing ... -)")
    if suffix == ".csv" and b"\t" in data.split(b"\n", 1)[0] and b"," not in data.split(b"\n", 1)[0]:
        suffix = ".tsv"
    tmp = tempfile.TemporaryDirectory(prefix="safetywashing-stdin-")
    _SPOOLED.append(tmp)
    target = Path(tmp.name) / f"stdin{suffix}"
    target.write_bytes(data)
    STDIN_NAMES[str(target)] = "<stdin>"
    return target


def forget_stdin() -> None:
    """Remove the spooled copies of standard input (end of a command)."""
    while _SPOOLED:
        _SPOOLED.pop().cleanup()
    STDIN_NAMES.clear()


def shown_message(text: str) -> str:
    """An error message with spooled standard input named ``<stdin>``."""
    for path, name in STDIN_NAMES.items():
        text = text.replace(path, name)
    return text


def rich_text(*items: Any, width: int | None = None) -> str:
    """Rich tables and plain strings as text that fits the terminal (:func:`..present._render.render_rich`)."""
    from ..present._render import render_rich

    return render_rich(*items, width=width)


def strip_lines(text: str) -> str:
    """``text`` without the spaces rich pads its lines with."""
    return "\n".join(line.rstrip() for line in text.split("\n"))


def table(title: str | None = None, **kw: Any) -> Any:
    """A rich table in the one style of every command (:func:`..present._render.styled_table`)."""
    from ..present._render import styled_table

    return styled_table(title, **kw)


_METAVARS = {
    "--capabilities": "IDS", "--lower-is-better": "IDS", "--benchmarks": "IDS", "--benchmark": "ID",
    "--model-column": "COLUMN", "--flop-column": "COLUMN", "--params-column": "COLUMN", "--area": "AREA",
    "--before": "MODEL", "--after": "MODEL", "--seed": "SEED", "--ci": "LEVEL", "--level": "LEVEL",
    "--output-dir": "DIR", "--metric": "METRIC", "--n-items": "ID=N,...", "--title": "TEXT",
    "--max-correlation": "R",
}
_TYPE_METAVARS = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "FILE"}


class ShellCommand(typer.core.TyperCommand):
    """A typer command whose help names values readably: ``--seed SEED``, ``--output FILE``, ``SCORES`` (not
    ``<int>``, ``<path>``, ``{SCORES}``); choices come from :func:`choice`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for p in self.params:
            if p.param_type_name == "argument":
                p.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                p._usage_display_name = _argument_usage(p)  # type: ignore[attr-defined]
            elif p.metavar is None and not getattr(p, "is_flag", False):
                long = max(p.opts, key=len)
                bare = getattr(p, "bare_type", lambda: "")()
                p.metavar = _METAVARS.get(long) or _TYPE_METAVARS.get(bare.replace("list[", "").rstrip("]"), "VALUE")


def _argument_usage(p: Any) -> Callable[[], str]:
    name = p.metavar or p.name.upper()
    return lambda: (name if p.required else f"[{name}]") + ("..." if p.nargs != 1 else "")


def use_shell_conventions(app: typer.Typer) -> None:
    """Every command of ``app`` built as a :class:`ShellCommand` (unless it names its own class)."""
    for info in app.registered_commands:
        if info.cls in (None, typer.core.TyperCommand):
            info.cls = ShellCommand


def split_ids(value: str | None) -> list[str] | None:
    """``"a,b, c"`` -> ``["a", "b", "c"]``; None stays None."""
    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise InputError("empty id list; give comma-separated ids, e.g. --capabilities mmlu,gsm8k,bbh")
    return ids


def emit(text: str, output: Path | None, *, inputs: tuple = ()) -> None:
    """Print ``text`` to stdout (no ``output``, or ``-``), or write it atomically to ``output``."""
    if output is None or str(output) == STDIO:
        write_stdout(text)
    else:
        atomic_write(output, text, inputs=inputs)
        print(f"wrote {output}", file=sys.stderr)


def check_choice(value: str, choices: tuple[str, ...] | list[str], option: str) -> str:
    """Validate an option value against its choices."""
    if value not in choices:
        raise InputError(f"{option}: {value!r} is not one of: {', '.join(choices)}")
    return value


@contextmanager
def bootstrap_progress(total: int, label: str = "bootstrap") -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr when stderr is a terminal and the job is large; otherwise a callback
    that prints one line with the expected remaining time once a run proves long (see :func:`eta_notice`).

    Yields a ``tick(k)`` callback (or None when there is nothing to count).
    """
    if total <= 0:
        yield None
        return
    if total < 20000 or not sys.stderr.isatty():
        yield eta_notice(total, label)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{label} resamples", total=total)
        yield lambda k: bar.advance(task, k)


def eta_notice(total: int, label: str = "bootstrap", after: float = 5.0, long: float = 20.0) -> Callable[[int], None]:
    """``tick(k)`` that prints ``label: D of N resamples in T s; about R s more`` on stderr, once, when ``after``
    seconds have passed since the first tick and the projected remaining time exceeds ``long`` seconds."""
    import time

    state = {"t0": None, "done": 0, "first": 0, "said": False}

    def tick(k: int) -> None:
        now = time.perf_counter()
        state["done"] += k
        if state["t0"] is None:
            state["t0"], state["first"] = now, state["done"]
            return
        spent, done = now - state["t0"], state["done"] - state["first"]
        if state["said"] or spent < after or done <= 0:
            return
        left = spent / done * (total - state["done"])
        if left > long:
            state["said"] = True
            print(f"{label}: {state['done']:,} of {total:,} resamples in {spent:.0f} s; about {left:.0f} s more",
                  file=sys.stderr, flush=True)  # fmt: skip

    return tick


def render_result(res: Any, fmt: str, *, table: Callable[[Any], str], markdown: Callable[[Any], str] | None = None) -> str:
    """A result object as ``json`` (its ``to_dict``), ``csv`` (its ``to_frame``), ``markdown``, ``html`` (its
    notebook summary and every row) or ``table``."""
    if fmt == "html":
        from ..present._render import html_page

        return html_page([res])
    if fmt == "json":
        return dumps(res.to_dict())
    if fmt == "csv":
        return to_csv(res.to_frame(), index=False)
    if fmt == "markdown" and markdown is not None:
        return markdown_safe(markdown(res))
    return table(res)


SCORE_METHOD_HELP = (
    "Capability model: pca (the paper's PC1; a model needs every capability benchmark) or irt (logistic model for "
    "sparse tables: any 3 benchmarks, each score with a standard error). Default: irt for the frontier panel, else pca."
)


def score_method_for(value: str | None, panel: str | None) -> str:
    """The ``--score-method`` value, or the panel's default when not given (the capability model decides)."""
    from ..capability._model import score_method_for as decide

    return decide(value, panel)
