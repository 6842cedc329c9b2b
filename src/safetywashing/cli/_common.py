"""Helpers shared by the CLI commands: output writing, option parsing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._util.errors import InputError
from .._util.io import atomic_write, write_stdout
from ..present._sheet import markdown_safe, to_csv


def split_ids(value: str | None) -> list[str] | None:
    """``"a,b, c"`` -> ``["a", "b", "c"]``; None stays None."""
    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise InputError("empty id list; give comma-separated ids, e.g. --capabilities mmlu,gsm8k,bbh")
    return ids


def emit(text: str, output: Path | None, *, inputs: tuple = ()) -> None:
    """Print ``text`` to stdout, or write it atomically to ``output``."""
    if output is None:
        write_stdout(text)
    else:
        atomic_write(output, text, inputs=inputs)
        print(f"wrote {output}", file=sys.stderr)


def table_text(table: Any, width: int = 140) -> str:
    """A rich table as text for :func:`emit` (so a closed standard output is handled once, there); styled when
    standard output is a terminal."""
    import io

    from rich.console import Console

    tty = bool(sys.stdout is not None and hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
    con = Console(file=io.StringIO(), width=width, force_terminal=tty, color_system="auto" if tty else None)
    con.print(table)
    return con.file.getvalue()  # type: ignore[attr-defined]


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


def render_result(res: Any, fmt: str, *, table: Callable[[Any], str], markdown: Callable[[Any], str]) -> str:
    """A result object as ``json`` (its ``to_dict``), ``csv`` (its ``to_frame``), ``markdown`` or ``table``."""
    if fmt == "json":
        return json.dumps(res.to_dict(), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return to_csv(res.to_frame(), index=False)
    if fmt == "markdown":
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
