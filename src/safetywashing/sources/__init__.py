"""Sources: panels, registry, user tables, harness outputs and name matching, read into validated matrices."""

from ._items import ItemMatrix, read_items
from ._match import ModelMatch, match_models, match_to_panel, normalise_model_name
from ._matrix import ScoreMatrix
from ._panels import load_panel, panel_names
from ._registry import corrections, registry
from ._table import read_table
from .ingest import IngestResult, ingest

__all__ = [
    "IngestResult",
    "ItemMatrix",
    "ModelMatch",
    "ScoreMatrix",
    "corrections",
    "ingest",
    "load_panel",
    "match_models",
    "match_to_panel",
    "normalise_model_name",
    "panel_names",
    "read_items",
    "read_table",
    "registry",
]
