"""From a model file to the verified, optimised IR: frontend, then the pass PIPELINE."""

from __future__ import annotations

from pathlib import Path

from dsgen import frontend
from dsgen.errors import DsgenError
from dsgen.ir.graph import Graph
from dsgen.ir.verify import IRError, verify
from dsgen.passes import run_pipeline
from dsgen.passes.structure import check_outputs


def load_ir(path: str | Path, input_shape: tuple[int, ...] | None = None) -> Graph:
    g = frontend.load(path, input_shape)
    try:
        run_pipeline(g)
        check_outputs(g)
    except DsgenError as exc:
        if exc.path is None:
            exc.path = str(path)
            exc.args = (exc.format(),)
        raise
    try:
        verify(g, final=True)
    except IRError as exc:
        raise DsgenError(f"unsupported graph structure: {exc}", path=str(path)) from None
    check_sizes(g, str(path))
    return g


# Every kernel indexes a tensor with 32-bit integers and no target has gigabytes of memory:
# beyond these sizes a model cannot fit any target, and saying so beats a crash later.
MAX_TENSOR_ELEMENTS = 1 << 28
MAX_WEIGHTS = 1 << 28


def check_sizes(g: Graph, path: str) -> None:
    for layer in g.layers:
        n = g.tensors[layer.output].size
        if n > MAX_TENSOR_ELEMENTS:
            raise DsgenError(
                f"activation '{layer.output}' has {n} elements, more than any target "
                f"can hold ({MAX_TENSOR_ELEMENTS})",
                path=path,
                node=layer.name,
                op=layer.kind,
            )
    total = sum(l.weight.size for l in g.layers if hasattr(l, "weight"))
    if total > MAX_WEIGHTS:
        raise DsgenError(f"{total} weights: more than any target can hold", path=path)
