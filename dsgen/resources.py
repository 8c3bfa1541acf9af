"""Locate the data shipped with dsgen (Jinja templates, kernel libraries, Verilog).

In a wheel they live in ``dsgen/_data/``; in a source checkout (editable install) they are the
top-level ``templates/`` and ``hw/`` folders.  Everything else asks this module, never a path.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"dsgen data folder '{name}' is missing from the installation")


def templates_dir() -> Path:
    return _find("templates")


def hw_dir() -> Path:
    return _find("hw")
