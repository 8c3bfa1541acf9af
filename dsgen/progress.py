"""Progress display for long work (calibration, builds, simulations, emulator runs, samples).

Bars go to stderr through rich, only when stderr is a terminal and the command is neither
`--quiet` nor `--json`; otherwise every call here is a no-op, so library code can always use it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_enabled = sys.stderr.isatty() or os.environ.get("DSGEN_PROGRESS") == "1"


def set_enabled(on: bool) -> None:
    global _enabled
    _enabled = on and (sys.stderr.isatty() or os.environ.get("DSGEN_PROGRESS") == "1")


def enabled() -> bool:
    return _enabled


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    if not _enabled:
        yield from items
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    yield from rich_track(
        items, description=description, total=total, console=Console(stderr=True), transient=True
    )


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner for one long step of unknown length (a Verilator build, a qemu run)."""
    if not _enabled:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def note(message: str) -> None:
    """A one-line message on stderr, suppressed with --quiet/--json."""
    if _enabled:
        print(message, file=sys.stderr)
