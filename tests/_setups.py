"""Setup steps shared by the hostile-input suites: each returns a function that prepares the case's scratch folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path


def write(name: str, text: str | bytes) -> Callable[[Path], None]:
    """Write ``text`` to ``name`` (folders created)."""

    def go(d: Path) -> None:
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())

    return go


def fifo(name: str) -> Callable[[Path], None]:
    """A named pipe at ``name`` (replacing a file a previous step put there)."""

    def go(d: Path) -> None:
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists():
            p.unlink()
        os.mkfifo(p)

    return go


def copy(src: Path, name: str) -> Callable[[Path], None]:
    """A copy of the file or folder ``src`` at ``name``."""

    def go(d: Path) -> None:
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, d / name)

    return go
