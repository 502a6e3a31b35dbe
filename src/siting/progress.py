"""Progress bars that appear only when someone is watching.

A bar is shown when ``verbose`` is True, or when ``verbose`` is None and standard error is a terminal.
``--quiet`` on the CLI sets ``verbose=False``. Logging, not printing, carries everything else.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def show_progress(verbose: bool | None) -> bool:
    """Whether to draw progress bars for this ``verbose`` setting."""
    if verbose is None:
        return sys.stderr.isatty()
    return bool(verbose)


def progress(
    iterable: Iterable[T], *, desc: str, total: int | None = None, verbose: bool | None = None
) -> Iterable[T]:
    """Wrap ``iterable`` in a progress bar when :func:`show_progress` says so."""
    if not show_progress(verbose):
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)
