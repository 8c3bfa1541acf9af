"""ONNX → dsgen IR.  `load(path)` is the whole frontend."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from dsgen.errors import DsgenError
from dsgen.frontend.context import Ctx, Value, VKind, node_label
from dsgen.frontend.loader import onnx_opset, read_model
from dsgen.frontend.ops import HANDLERS
from dsgen.frontend.ops.qonnx import DOMAINS as QONNX_DOMAINS
from dsgen.frontend.ops.qonnx import OPS as QONNX_OPS
from dsgen.frontend.schema import check_node
from dsgen.ir.graph import Graph, TensorInfo

_NO_FOLD = {"DequantizeLinear", "QuantizeLinear", "Constant", "Shape"} | QONNX_OPS
_INT_TYPES = {onnx.TensorProto.INT8: "int8", onnx.TensorProto.INT16: "int16"}


def supported_ops() -> list[str]:
    return sorted(HANDLERS)


def load(path: str | Path, input_shape: tuple[int, ...] | None = None) -> Graph:
    model = read_model(path, input_shape)
    name = re.sub(r"\W+", "_", Path(path).stem).strip("_") or "model"
    graph = Graph(name=name, input="", outputs=[])
    ctx = Ctx(model, str(path), graph)
    for init in model.graph.initializer:
        ctx.set_const(init.name, numpy_helper.to_array(init))
    _add_input(ctx)
    opset = onnx_opset(model)
    for node in model.graph.node:
        ctx.node = node
        _convert_node(ctx, node, opset)
    ctx.node = None
    _add_outputs(ctx)
    return graph


def _add_input(ctx: Ctx) -> None:
    inits = {i.name for i in ctx.model.graph.initializer}
    inp = next(i for i in ctx.model.graph.input if i.name not in inits)
    tt = inp.type.tensor_type
    dims = tuple(d.dim_value for d in tt.shape.dim)
    if tt.elem_type in _INT_TYPES:
        ctx.graph.input_dtype = _INT_TYPES[tt.elem_type]
    elif tt.elem_type != onnx.TensorProto.FLOAT:
        raise DsgenError(
            f"input '{inp.name}' has element type "
            f"{onnx.TensorProto.DataType.Name(tt.elem_type)}; float32, int8 or int16 "
            "expected",
            path=ctx.path,
        )
    if len(dims) == 4 and dims[0] == 1:
        shape, kind = (dims[2], dims[3], dims[1]), VKind.SPATIAL
    elif len(dims) == 2 and dims[0] == 1:
        shape, kind = (dims[1],), VKind.FLAT
    else:
        raise DsgenError(
            f"input '{inp.name}' of shape {list(dims)}: dsgen expects [1,C,H,W] (NCHW)",
            path=ctx.path,
        )
    ir_name = ctx.unique(inp.name)
    ctx.graph.input = ir_name
    ctx.graph.onnx_input_name, ctx.graph.onnx_input_shape = inp.name, dims
    ctx.graph.tensors[ir_name] = TensorInfo(ir_name, shape)
    ctx.values[inp.name] = Value(kind, ir=ir_name)


def _convert_node(ctx: Ctx, node: onnx.NodeProto, opset: int) -> None:
    qonnx_op = node.domain in QONNX_DOMAINS and node.op_type in QONNX_OPS
    if node.domain not in ("", "ai.onnx") and not qonnx_op:
        raise ctx.error(f"is not supported (custom domain '{node.domain}')")
    if not qonnx_op:  # QONNX ops are checked by their own handlers
        check_node(ctx, node, opset)
    inputs = [ctx.get(n) for n in node.input if n]
    if node.op_type not in _NO_FOLD and inputs and all(v.kind is VKind.CONST for v in inputs):
        _fold(ctx, node)
        return
    handler = HANDLERS.get(node.op_type)
    if handler is None:
        raise ctx.error(f"is not supported; supported ops: {', '.join(supported_ops())}")
    try:
        handler(ctx)
    except DsgenError:
        raise
    except Exception as exc:  # malformed attributes or inputs the spec forbids
        raise ctx.error(f"cannot convert ({type(exc).__name__}: {exc})") from None


MAX_CONST_ELEMENTS = 1 << 26  # a folded constant larger than this is no real model's


def _inferred_size(ctx: Ctx, name: str) -> int | None:
    for vi in ctx.model.graph.value_info:
        if vi.name == name and vi.type.tensor_type.HasField("shape"):
            dims = [
                d.dim_value if d.HasField("dim_value") else 0 for d in vi.type.tensor_type.shape.dim
            ]
            return int(np.prod(dims, dtype=np.float64)) if dims else 1
    return None


def _fold(ctx: Ctx, node: onnx.NodeProto) -> None:
    """Evaluate a node whose inputs are all constant (ONNX's own reference implementation)."""
    from onnx.reference import ReferenceEvaluator

    for out in node.output:  # refuse before allocating: shape inference knows the size
        n = _inferred_size(ctx, out)
        if n is not None and n > MAX_CONST_ELEMENTS:
            raise ctx.error(f"constant '{out}' would have {n} elements: too large for any target")

    feeds = {n: ctx.values[n].const for n in node.input if n}
    try:
        outs = ReferenceEvaluator(node).run(None, feeds)
    except Exception as exc:
        raise ctx.error(f"cannot fold constant node: {type(exc).__name__}: {exc}") from None
    for name, value in zip(node.output, outs, strict=False):
        if name:
            ctx.set_const(name, np.asarray(value))


def _add_outputs(ctx: Ctx) -> None:
    g = ctx.graph
    for out in ctx.model.graph.output:
        v = ctx.values.get(out.name)
        if v is None or v.kind not in (VKind.SPATIAL, VKind.FLAT):
            raise DsgenError(
                f"graph output '{out.name}' is not an activation tensor", path=ctx.path
            )
        if v.ir == g.input:
            raise DsgenError(
                f"graph output '{out.name}' is the graph input (no layer computes it)",
                path=ctx.path,
            )
        if v.ir in g.outputs:
            other = g.onnx_output_names[g.outputs.index(v.ir)]
            what = (
                f"graph output '{out.name}' is listed twice"
                if other == out.name
                else f"graph outputs '{other}' and '{out.name}' are the same tensor"
            )
            raise DsgenError(f"{what} (dsgen needs one computed tensor per output)", path=ctx.path)
        g.outputs.append(v.ir)
        g.onnx_output_names.append(out.name)
        g.output_nchw_src.append(v.nchw_src)
        if v.quantized is not None:
            g.output_dtype = f"int{v.quantized.bits}"


__all__ = ["load", "supported_ops", "node_label"]
