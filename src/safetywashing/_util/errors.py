"""The project's own error types.

Every error a user can cause (bad file, unknown id, too few models) is a
:class:`SafetywashingError`. The CLI turns these into one line on stderr and
exit code 2; the Python API lets them propagate.
"""

from __future__ import annotations


class SafetywashingError(ValueError):
    """Base class for every error caused by input (data, options, ids)."""


class InputError(SafetywashingError):
    """A file or table cannot be read or fails validation.

    The message says what is wrong and where (file, row, column) and, where
    possible, how to fix it.
    """


class UnknownIdError(SafetywashingError):
    """A benchmark id, model name or panel name that does not exist."""


class InsufficientDataError(SafetywashingError):
    """Too few models or too few complete rows for the requested computation."""
