"""Small I/O helpers: safe atomic writes, the inputs a command read, package data paths.

Every file a command writes goes through :func:`atomic_write`, which refuses
to replace a file the command read (:func:`record_input`, or its ``inputs``)
and to write over anything that is not a regular file (a folder, FIFO,
device or socket), and writes through a temporary file renamed over the
target. A new file gets the mode the umask gives (0644 at umask 022); a
replaced file keeps its mode.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

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


def file_kind(mode: int) -> str:
    """What a non-regular file is, for one-line errors: a folder, a named pipe (FIFO), a device, a socket."""
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
    """Refuse an output path that is empty, names a read input, or exists and is not a regular file.

    A path written with a trailing ``/`` names a folder, never a file (``out/`` does not write a file ``out``).
    """
    if not str(path).strip():
        raise InputError("--output: empty file name; give the path of the file to write")
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise InputError(f"{path}: names a folder (it ends with '/'); give the path of a file, e.g. {path}result.txt")
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise InputError(f"{target}: cannot use as output ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{target}: is {file_kind(st.st_mode)}; refusing to write over it: give the path of a file")
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
    tmp = _write_temp(target, data)
    try:
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


def _write_temp(target: Path, data: str | bytes, note: str = "") -> str:
    """Write ``data`` in full to a new temporary file beside ``target`` with ``target``'s mode (or the umask's); its path.

    A missing folder or a write error is an :class:`InputError` (``note`` appended to the folder message); a
    partly written temporary file is removed.
    """
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
        raise InputError(f"{target}: cannot write in {parent} ({exc.strerror}){note}") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            fh.flush()
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"{target}: cannot write ({exc.strerror or exc}); nothing written") from None
        raise
    return tmp


def atomic_write_many(files: Iterable[tuple[str | os.PathLike[str], str | bytes]], *,
                      inputs: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Write several files together or not at all (``ingest``'s matrix and its provenance).

    Every target is checked (:func:`check_output`) and every temporary file written in full before the first
    rename, so a refused target, a full disk or an interrupt leaves all targets as they were. Returns the paths.
    """
    files = list(files)
    inputs = tuple(inputs)
    targets = [check_output(p, inputs=inputs) for p, _ in files]
    temps: list[str] = []
    try:
        for target, (_, data) in zip(targets, files):
            temps.append(_write_temp(target, data, note="; nothing written"))
        for target in targets:  # all checked again: nothing may have appeared in the meantime
            check_output(target, inputs=inputs)
        with _no_interrupt():  # Ctrl-C waits for the last rename: all files or none
            for tmp, target in zip(temps, targets):
                os.replace(tmp, target)
            temps = []
    except BaseException:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    return targets


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold SIGINT back (delivered when the block ends) while a few renames run, when this is the main thread."""
    import signal
    import threading

    block = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if block else None
    try:
        yield
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def open_regular(path: str | os.PathLike[str], *, max_bytes: int, what: str = "") -> bytes:
    """The bytes of ``path`` after refusing what is not a regular file no larger than ``max_bytes`` (InputError).

    Opened without blocking and checked on the open descriptor, so a FIFO (even one swapped in after a check) is
    refused instead of waited on, and a device is never read; at most ``max_bytes + 1`` bytes are read.
    """
    label = f"{what} {path}" if what else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{label}: is {file_kind(st.st_mode)}, not a file; give the path of a regular file")
        if st.st_size > max_bytes:
            raise InputError(f"{label}: {st.st_size / 2**20:,.0f} MiB is larger than the {max_bytes / 2**20:,.0f} MiB accepted")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > max_bytes:
        raise InputError(f"{label}: larger than the {max_bytes / 2**20:,.0f} MiB accepted")
    record_input(path)
    return raw


def check_regular(path: str | os.PathLike[str], *, max_bytes: int, what: str = "") -> os.stat_result:
    """Refuse (InputError) a missing path, anything but a regular file, or a file above ``max_bytes``; its stat."""
    label = f"{what} {path}" if what else str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label}: is {file_kind(st.st_mode)}, not a file; give the path of a regular file")
    if st.st_size > max_bytes:
        raise InputError(f"{label}: {st.st_size / 2**20:,.0f} MiB is larger than the {max_bytes / 2**20:,.0f} MiB accepted")
    return st


def load_json_file(path: str | os.PathLike[str], *, max_bytes: int, what: str = "") -> Any:
    """Parse a JSON file read with :func:`open_regular`; InputError when it is not UTF-8 JSON of sensible shape.

    Nesting deeper than the parser allows (:data:`~safetywashing._util.limits.MAX_JSON_DEPTH`) and integers of more
    than 4,300 digits are refused, not tracebacks. ``NaN``/``Infinity`` tokens parse as floats: callers name them.
    """
    raw = open_regular(path, max_bytes=max_bytes, what=what)
    label = f"{what} {path}" if what else str(path)
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InputError(f"{label}: not readable JSON (nested too deeply)") from None
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: not readable JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{label}: not readable JSON ({str(exc).splitlines()[0][:120]})") from None


def check_zip(path: str | os.PathLike[str], *, max_entries: int, max_total: int, max_member: int,
              member: str | None = None, what: str = "") -> None:
    """Refuse (InputError) a zip archive with too many entries or too many declared uncompressed bytes.

    ``member``, when given, is an entry that will be read whole: its declared size must stay under ``max_member``.
    Python's zip reader never inflates an entry beyond its declared size, so these bounds hold while reading.
    """
    import zipfile

    label = f"{what} {path}" if what else str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise InputError(f"{label}: not a readable zip archive ({exc.__class__.__name__})") from None
    if len(infos) > max_entries:
        raise InputError(f"{label}: {len(infos):,} entries in the archive, more than the {max_entries:,} accepted")
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise InputError(f"{label}: {total / 2**20:,.0f} MiB uncompressed, more than the {max_total / 2**20:,.0f} MiB accepted")
    big = [i for i in infos if (member is None or i.filename == member) and i.file_size > max_member]
    if big:
        raise InputError(
            f"{label}: entry {big[0].filename!r} is {big[0].file_size / 2**20:,.0f} MiB uncompressed, more than the "
            f"{max_member / 2**20:,.0f} MiB accepted"
        )


class StdoutClosed(Exception):
    """The reader of standard output went away (EPIPE, ``| head``): the CLI stops quietly with exit code 141.

    Deliberately not an :class:`OSError`, so no layer in between (typer, click) turns it into another exit code.
    """


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output.

    A closed pipe (EPIPE: ``| head``) raises :class:`StdoutClosed`; a closed or unwritable standard output (no
    descriptor, full disk) is an :class:`InputError`, not a traceback.
    """
    if sys.stdout is None:
        raise InputError("standard output is closed; give --output FILE or open standard output")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        discard_stdout()
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            raise StdoutClosed("standard output closed") from None
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"standard output: cannot write ({why})") from None


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
