"""How the console script runs its process: the C allocator, the cyclic garbage collector, and the exit.

Console script only (``safetywashing`` and ``python -m safetywashing``): a library does not tune its host's
allocator or collector, so :func:`safetywashing.cli.main` and the Python API never call these, except
:func:`reuse_mid_blocks`, which the ``items`` command applies wherever it runs (it only restores what glibc's own
sliding threshold would reach).

Measured on ``safetywashing analyze --bootstrap 10000`` (both panels, idle 2-core machine; ``benchmarks/goals.py``):
collecting garbage while modules are imported and ending the process without tearing the interpreter down cost
0.05 s and 0.07 s of its ~0.85 s.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

ALLOCATOR_TOP_PAD = 128 * 1024**2  # bytes the C heap keeps beyond its top instead of returning them to the system

_PAUSED = {"collector": False}


def keep_freed_memory() -> bool:
    """Let the C allocator (glibc) reuse freed memory instead of handing it back and faulting it in again.

    A command's numpy temporaries (a bootstrap chunk's arrays, a block of
    items) are freed and allocated again hundreds of times; by default glibc
    returns the heap's top to the system after each and every new array's
    pages fault in afresh (``analyze --bootstrap 10000``: 130,000 page
    faults, 0.3 s of system time on two threads). ``M_TOP_PAD`` keeps up to
    :data:`ALLOCATOR_TOP_PAD` at the top for reuse: peak memory is unchanged
    (memory is kept, not taken). A no-op off glibc. Returns whether it applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(-2, ALLOCATOR_TOP_PAD))  # M_TOP_PAD = -2 in malloc.h
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False


ITEMS_MMAP_THRESHOLD = 32 * 1024**2  # bytes: blocks below this come from the heap (glibc's ceiling for its own threshold)


def reuse_mid_blocks(threshold: int = ITEMS_MMAP_THRESHOLD) -> bool:
    """Serve blocks below ``threshold`` bytes from the C heap, where the console script keeps freed memory for reuse.

    The console script's ``M_TOP_PAD`` (:func:`keep_freed_memory`) also switches off
    glibc's sliding mmap threshold, which would otherwise rise to the size of
    the blocks freed: every block above 128 KB then gets a fresh ``mmap`` whose
    pages fault in on each use. ``items`` allocates and frees megabyte blocks
    thousands of times (the per-item fits on 1,000 x 20,000: a million page
    faults, 1 s of system time); this sets ``M_MMAP_THRESHOLD`` to the ceiling
    the sliding threshold would have reached. Called by the ``items`` command
    (also when :func:`safetywashing.cli.main` runs it in a host process, where
    glibc's own sliding threshold would reach the same); a no-op off glibc.
    Returns whether it applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return bool(ctypes.CDLL(None).mallopt(-3, int(threshold)))  # M_MMAP_THRESHOLD = -3 in malloc.h
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False


def pause_collector() -> None:
    """Stop the cyclic garbage collector while the command's modules are imported (:func:`resume_collector` after).

    Importing pandas, numpy and typer creates hundreds of thousands of objects
    and none of them is garbage, but every few thousand allocations the
    collector walks them all again.
    """
    if gc.isenabled():
        gc.disable()
        _PAUSED["collector"] = True


def resume_collector() -> None:
    """Restart the collector paused by :func:`pause_collector`, leaving the objects alive now out of its walks.

    ``gc.freeze()`` moves every object that exists at this point (modules,
    functions, classes: they live until the process ends) to a generation the
    collector never scans, so the command's own garbage is still collected
    but each collection costs only what the command allocated. A no-op unless
    :func:`pause_collector` paused it.
    """
    if _PAUSED["collector"]:
        _PAUSED["collector"] = False
        gc.freeze()
        gc.enable()


def end_process(code: int) -> NoReturn:
    """End the console script's process with exit code ``code``, skipping the interpreter's teardown when it is safe.

    The teardown frees every module, object and array one by one before the
    process ends (0.07 s after ``analyze``); the operating system reclaims all
    of it at once anyway. Safe means: only this thread is alive (otherwise
    ``sys.exit`` waits for the others as usual). Before ending, the
    ``atexit`` handlers run (temporary folders and files are removed, logs
    flushed) and standard output and error are flushed; every output file of
    the commands is written and closed before they return.
    """
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # the reader went away: nothing more can be said
            pass
    os._exit(code)
