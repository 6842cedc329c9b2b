"""Shared foundations: the project's error types, safe file input/output, and numeric kernels (ranks, z-scores, correlations)."""

from .errors import InputError, InsufficientDataError, SafetywashingError, UnknownIdError

__all__ = ["InputError", "InsufficientDataError", "SafetywashingError", "UnknownIdError"]
