"""Lazy re-exports for package ``__init__`` modules (PEP 562): a name's module is imported on first use.

``import safetywashing`` then costs almost nothing, and a command imports only the modules it runs (``analyze`` never
loads the items statistics, the report's plotting or DuckDB).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` that import ``exports[name]`` (a module name relative to ``package``).

    The value is cached in the package's namespace on first access, so later lookups are plain attribute reads.
    """

    def __getattr__(name: str) -> object:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
