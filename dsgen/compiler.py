"""From a model file to the verified, optimised IR: frontend, then the pass PIPELINE."""

from __future__ import annotations

from pathlib import Path

from dsgen import frontend
from dsgen.errors import DsgenError
from dsgen.ir.graph import Graph
from dsgen.ir.verify import IRError, verify
from dsgen.passes import run_pipeline


def load_ir(path: str | Path, input_shape: tuple[int, ...] | None = None) -> Graph:
    g = frontend.load(path, input_shape)
    try:
        run_pipeline(g)
    except DsgenError as exc:
        if exc.path is None:
            exc.path = str(path)
            exc.args = (exc.format(),)
        raise
    try:
        verify(g, final=True)
    except IRError as exc:
        raise DsgenError(f"unsupported graph structure: {exc}", path=str(path)) from None
    return g
