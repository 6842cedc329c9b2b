"""Presentation: terminal tables, JSON/CSV/Markdown, the self-contained HTML report and publication figures; no analysis here."""

from ._figures import render_figures
from ._report import build_report

__all__ = ["build_report", "render_figures"]
