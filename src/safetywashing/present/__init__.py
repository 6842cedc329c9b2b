"""Presentation: terminal tables, JSON/CSV/Markdown, the self-contained HTML report and publication figures; no analysis here."""

from typing import TYPE_CHECKING

from .._util.lazy import lazy_exports

if TYPE_CHECKING:
    from ._figures import plot, render_figures
    from ._report import build_report

_EXPORTS = {
    "build_report": "._report",
    "plot": "._figures",
    "render_figures": "._figures",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "build_report",
    "plot",
    "render_figures",
]
