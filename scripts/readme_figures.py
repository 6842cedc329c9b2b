#!/usr/bin/env python3
"""Draw the figures shown in the README into ``docs/img/`` (PNG), exactly as ``safetywashing figures`` draws them.

Usage (from the repository root)::

    python scripts/readme_figures.py            # write docs/img/*.png
    python scripts/readme_figures.py --check    # exit 1 if a figure has clipped or overprinted text

Each figure is made by the package's own plotting functions (``sw.plot``) from an analysis with the ``figures``
command's defaults (2000 bootstrap resamples, seed 0, fcr-adjusted intervals, the panel's default capability model),
at one column (3.4 in) or two (7 in), and checked with ``layout_problems`` (no text leaves the canvas, no two texts
overlap) before it is written. Nothing here is edited by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import safetywashing as sw
from safetywashing.capability._model import score_method_for
from safetywashing.present._figures import figure_bytes, layout_problems

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
DPI = 150
# (file name, panel, kind, options): the README's figures
FIGURES = [
    ("chat_correlations.png", "chat", "correlations", {}),
    ("chat_scatter_halueval_dialogue.png", "chat", "scatter", {"benchmark": "halueval_dialogue"}),
    ("chat_heatmap.png", "chat", "heatmap", {}),
    ("frontier_ranking.png", "frontier", "ranking", {}),
    ("frontier_over_time.png", "frontier", "over_time", {"width": "page"}),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check the figures; write nothing")
    args = ap.parse_args(argv)
    results = {}
    bad = 0
    for name, panel, kind, options in FIGURES:
        if panel not in results:
            m = sw.load_panel(panel)
            results[panel] = (sw.analyze(m, bootstrap=2000, seed=0, adjust="fcr", score_method=score_method_for(None, panel)), m)
        res, m = results[panel]
        fig = sw.plot(res, kind, matrix=m, **options)
        problems = layout_problems(fig)
        for p in problems:
            print(f"{name}: {p}", file=sys.stderr)
        bad += bool(problems)
        if not args.check:
            OUT.mkdir(parents=True, exist_ok=True)
            data = figure_bytes(fig, "png", dpi=DPI)
            (OUT / name).write_bytes(data)
            w, h = (round(v * DPI) for v in fig.get_size_inches())
            print(f"wrote {(OUT / name).relative_to(ROOT)} ({w}x{h} px, {len(data) / 1e3:.0f} kB)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
