"""The plotting hook: how a result object draws itself without importing the presentation layer.

Result classes live in ``commands/``, their figures in ``present/`` (a higher layer), and a layer may import only
from the layers below it (``tests/test_architecture.py``). So ``result.plot(...)`` (the :class:`Plottable` mixin)
asks this hook for the plotting backend: a module, named here by a string and loaded with
:func:`importlib.import_module` on the first call, that provides ``plot(result, kind=None, **options)`` returning a
:class:`matplotlib.figure.Figure`. The default backend is ``safetywashing.present._figures``; :func:`set_backend`
swaps in another module with the same ``plot`` function (as pandas' ``plotting.backend`` option does).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

DEFAULT_BACKEND = "safetywashing.present._figures"
_backend = {"name": DEFAULT_BACKEND}


def set_backend(module: str) -> None:
    """Draw ``result.plot(...)`` with ``module`` (an importable name whose ``plot(result, kind, **options)`` returns a
    Figure); ``set_backend(DEFAULT_BACKEND)`` restores the package's own figures."""
    backend = importlib.import_module(module)
    if not callable(getattr(backend, "plot", None)):
        raise TypeError(f"plotting backend {module!r} has no plot(result, kind, **options) function")
    _backend["name"] = module


def get_backend() -> ModuleType:
    """The plotting backend module (imported on first use)."""
    return importlib.import_module(_backend["name"])


class Plottable:
    """Mixin of the result classes that have static figures: ``result.plot(kind, **options)``."""

    def plot(self, kind: str | None = None, **options: Any) -> Any:
        """One static figure of this result as a :class:`matplotlib.figure.Figure` (nothing shown or written).

        ``kind`` and ``options`` as :func:`safetywashing.plot` (the backend's ``plot``): an analysis takes
        ``"correlations"`` (default), ``"scatter"`` (with ``benchmark=``), ``"scree"``, ``"heatmap"``, ``"ranking"``
        or ``"over_time"``, and ``matrix=`` for the last four (an embedded panel's is found by its name); an audit
        draws one audited benchmark (``benchmark=``, default the first), a claim its claim view. ``width``: inches,
        ``"column"`` (3.4 in, default) or ``"page"`` (7 in). In a notebook the returned Figure displays itself.
        """
        return get_backend().plot(self, kind, **options)
