"""The capability model: one interface (fit, score rows with SEs, draw scores in a resample), PCA and logistic."""

from ._model import SCORE_METHODS, CapabilityFit, CapabilityModel, fit_capability_model
from ._pca import CapabilityDirection, capability_direction

__all__ = [
    "SCORE_METHODS",
    "CapabilityDirection",
    "CapabilityFit",
    "CapabilityModel",
    "capability_direction",
    "fit_capability_model",
]
