"""Sources: panels, registry, user tables, harness outputs and name matching, read into validated matrices."""

from typing import TYPE_CHECKING

from .._util.lazy import lazy_exports

if TYPE_CHECKING:
    from ._items import ItemMatrix, read_items
    from ._match import ModelMatch, match_models, match_to_panel, normalise_model_name
    from ._matrix import ScoreMatrix
    from ._panels import load_panel, panel_names
    from ._registry import corrections, registry
    from ._table import read_table
    from .ingest import IngestResult, ingest

_EXPORTS = {
    "IngestResult": ".ingest",
    "ItemMatrix": "._items",
    "ModelMatch": "._match",
    "ScoreMatrix": "._matrix",
    "corrections": "._registry",
    "ingest": ".ingest",
    "load_panel": "._panels",
    "match_models": "._match",
    "match_to_panel": "._match",
    "normalise_model_name": "._match",
    "panel_names": "._panels",
    "read_items": "._items",
    "read_table": "._table",
    "registry": "._registry",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
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
