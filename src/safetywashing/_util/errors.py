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


class SafetywashingWarning(UserWarning):
    """A result is computed but deserves care (restricted capability range, models left out, ...).

    Raised through :func:`warnings.warn` by the commands as well as kept in the result's ``warnings``; filter it
    with ``warnings.simplefilter("ignore", safetywashing.SafetywashingWarning)``. The CLI prints its own lines.
    """


def warn_all(messages: tuple[str, ...] | list[str], *, stacklevel: int = 3) -> None:
    """Raise each message as a :class:`SafetywashingWarning` (``stacklevel`` 3: the caller of the command)."""
    import warnings

    for text in messages:
        warnings.warn(text, SafetywashingWarning, stacklevel=stacklevel)


def renamed_keywords(**renames: str):  # noqa: ANN201
    """Decorator: accept old keyword names (``old="new"``) with a :class:`DeprecationWarning`.

    Giving both the old and the new name is a :class:`TypeError`, as Python gives for a repeated keyword.
    """
    import functools
    import warnings

    def wrap(fn):  # noqa: ANN001, ANN202
        @functools.wraps(fn)
        def inner(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old!r} (deprecated) and {new!r}; give {new!r} only")
                    warnings.warn(f"{fn.__name__}(): the keyword {old!r} is deprecated; use {new!r}",
                                  DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return inner

    return wrap
