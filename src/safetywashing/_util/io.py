"""Small I/O helpers: safe atomic writes, the inputs a command read, package data paths.

Every file a command writes goes through :func:`atomic_write`, which refuses
to replace a file the command read (:func:`record_input`, or its ``inputs``)
and to write over anything that is not a regular file (a folder, FIFO,
device or socket), and writes through a temporary file renamed over the
target. A new file gets the mode the umask gives (0644 at umask 022); a
replaced file keeps its mode.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from .errors import InputError

_READ: dict[tuple[int, int], str] = {}


def data_path(*parts: str) -> Path:
    """Path of a file shipped inside the package's ``data`` folder."""
    return Path(str(resources.files("safetywashing").joinpath("data", *parts)))


def record_input(path: str | os.PathLike[str]) -> None:
    """Remember that this run reads ``path``: :func:`atomic_write` will refuse to replace it."""
    try:
        st = os.stat(path)
    except OSError:
        return
    _READ[(st.st_dev, st.st_ino)] = str(path)


def forget_inputs() -> None:
    """Start a new command: forget the files recorded by :func:`record_input`."""
    _READ.clear()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _umask_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Refuse an output path that is empty, names a read input, or exists and is not a regular file."""
    if not str(path).strip():
        raise InputError("--output: empty file name; give the path of the file to write")
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise InputError(f"{target}: cannot use as output ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{target}: is {_kind(st.st_mode)}; refusing to write over it: give the path of a file")
    same = (st.st_dev, st.st_ino) in _READ
    for inp in inputs:
        try:
            si = os.stat(inp)
        except OSError:
            continue
        same = same or (si.st_dev, si.st_ino) == (st.st_dev, st.st_ino)
    if same:
        raise InputError(f"{target}: refusing to overwrite an input file (this command reads it); choose another output path")
    return target


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Refused (:class:`InputError`, nothing written): a path naming a file this
    run read (``inputs``, or recorded with :func:`record_input`), an existing
    folder, FIFO, device or socket, a missing or unwritable folder. A full
    disk or another write error is an :class:`InputError` too; the temporary
    file is removed and the target left as it was.
    """
    target = check_output(path, inputs=inputs)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{target}: output folder {parent} does not exist")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = _umask_mode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(f"{target}: cannot write in {parent} ({exc.strerror})") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            fh.flush()
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"{target}: cannot write ({exc.strerror or exc}); nothing written") from None
        raise
    return target


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output; a full disk or closed pipe is an :class:`InputError`, not a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        discard_stdout()
        if exc.errno == errno.EPIPE:
            raise BrokenPipeError(errno.EPIPE, "standard output closed") from None
        raise InputError(f"standard output: cannot write ({exc.strerror or exc})") from None


def discard_stdout() -> None:
    """After a failed write to the real stdout, point it at /dev/null so the interpreter's exit flush is quiet."""
    if sys.stdout is not sys.__stdout__ or sys.__stdout__ is None:
        return
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.__stdout__.fileno())
        os.close(fd)
    except (OSError, ValueError):
        pass
