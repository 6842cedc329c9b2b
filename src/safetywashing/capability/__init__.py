"""The capability model: one interface (fit, score rows with SEs, draw scores in a resample), PCA and logistic."""

from typing import TYPE_CHECKING

from .._util.lazy import lazy_exports

if TYPE_CHECKING:
    from ._model import SCORE_METHODS, CapabilityFit, CapabilityModel, fit_capability_model
    from ._pca import CapabilityDirection, capability_direction

_EXPORTS = {
    "SCORE_METHODS": "._model",
    "CapabilityDirection": "._pca",
    "CapabilityFit": "._model",
    "CapabilityModel": "._model",
    "capability_direction": "._pca",
    "fit_capability_model": "._model",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "SCORE_METHODS",
    "CapabilityDirection",
    "CapabilityFit",
    "CapabilityModel",
    "capability_direction",
    "fit_capability_model",
]
