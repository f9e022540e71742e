"""The errors of reading inputs and writing outputs: each names the file (and the record) and
the cause, so that a failed run says what to fix.
"""

from __future__ import annotations

import errno
import os


class InputError(ValueError):
    """A record that cannot be read; the message names the file, the line and the problem."""


class OutputError(OSError):
    """A file or folder that neardup must write and cannot (disk full, file size limit, no
    permission, the output folder removed during the run); the message names it. Nothing is
    left half-written: see :class:`AtomicOutputDir`."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def explain(error: OSError) -> str:
    """``strerror [ENAME]`` of an OS error, e.g. ``No space left on device [ENOSPC]``."""
    name = errno.errorcode.get(error.errno) if error.errno is not None else None
    text = error.strerror or str(error)
    return f"{text} [{name}]" if name else text


def output_error(path: str | os.PathLike[str], error: OSError, doing: str = "cannot write") -> OutputError:
    """An :class:`OutputError` saying that ``path`` could not be written, and why."""
    if isinstance(error, OutputError):
        return error
    return OutputError(error.errno, f"{doing} {os.fspath(path)}: {explain(error)}")
