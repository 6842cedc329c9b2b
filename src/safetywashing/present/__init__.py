"""Presentation: terminal tables, JSON/CSV/Markdown, the self-contained HTML report and publication figures; no analysis here."""

from ._figures import plot, render_figures
from ._report import build_report

__all__ = ["build_report", "plot", "render_figures"]
