"""QuantizeLinear / DequantizeLinear: the QDQ form of pre-quantized models.

Weights arrive as DequantizeLinear(integer constant): the float value is kept for the float path and
the integers for the quantized path.  On activations a Q/DQ pair marks the tensor's quantization
parameters and is otherwise an identity.  QCDQ exports (QuantizeLinear -> Clip ->
DequantizeLinear) quantize weights in the graph (folded here with onnxruntime's rounding) and
narrow integer ranges below 8 bits with the Clip; uint8 and opset-21 int4/uint4 are stored in int8.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dsgen.frontend.context import Ctx, QConst, Value
from dsgen.frontend.ops import elementwise  # noqa: F401  (its Clip handler is wrapped below)
from dsgen.frontend.ops.registry import HANDLERS, handler
from dsgen.ir.graph import QParams

# zero-point type -> (bits of the model's integers, signed); the activation storage is int8 up to
# 8 bits (uint8 with an offset of -128), int16 for int16.  int4/uint4 are opset 21's.
_TYPES = {
    "int8": (8, True),
    "uint8": (8, False),
    "int16": (16, True),
    "int32": (32, True),
    "int4": (4, True),
    "uint4": (4, False),
}


def _params(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, str]:
    node = ctx.node
    scale = ctx.const(node.input[1], "scale").astype(np.float64)
    zp = (
        ctx.const(node.input[2], "zero_point")
        if len(node.input) > 2 and node.input[2]
        else np.zeros(scale.shape, np.int8)
    )
    kind = np.asarray(zp).dtype.name
    if kind not in _TYPES:
        raise ctx.error(f"zero point type {kind} is not supported ({', '.join(_TYPES)})")
    if scale.size == 0 or np.any(~(scale > 0)):  # also NaN
        raise ctx.error(f"scale {scale.reshape(-1)[:4].tolist()} must be positive")
    if np.asarray(zp).size != scale.size:
        raise ctx.error(f"zero point of {np.asarray(zp).size} values for a scale of {scale.size}")
    return scale, np.asarray(zp).astype(np.int64), kind


def _offset(kind: str) -> int:
    """Stored int8 value − the model's integer (uint8 is stored shifted into int8)."""
    return -128 if kind == "uint8" else 0


def _activation_qparams(ctx: Ctx, scale: np.ndarray, zp: np.ndarray, kind: str) -> QParams:
    if scale.size != 1:
        raise ctx.error("per-channel quantization of activations is not supported")
    s, z = float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0])
    bits, signed = _TYPES[kind]
    if bits == 32:
        raise ctx.error("32-bit quantized activations are not supported (int8 or int16)")
    if kind in ("int8", "int16"):  # onnxruntime's QuantizeLinear rounds half to even
        return QParams(s, z, bits, rounding="half_even")
    # uint8, int4, uint4 (QCDQ exports): stored in int8; onnxruntime rounds half to even
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    off = _offset(kind)
    return QParams(s, z + off, 8, lo + off, hi + off, "half_even")


def _record(ctx: Ctx, v: Value, qp: QParams) -> None:
    t = ctx.graph.tensors[v.ir]
    if t.quant is not None and t.quant != qp:
        raise ctx.error(f"tensor '{v.ir}' is quantized twice with different parameters")
    t.quant = qp
    ctx.graph.prequantized = True


@handler("DequantizeLinear")
def dequantize(ctx: Ctx) -> None:
    node = ctx.node
    scale, zp, kind = _params(ctx)
    x = ctx.get(node.input[0])
    if x.const is not None:
        q = np.asarray(x.const).astype(np.int64)
        axis = int(ctx.attr("axis", 1)) % max(q.ndim, 1)
        shape = [1] * q.ndim
        if scale.size > 1:  # the axis means something only for per-axis scales (the spec)
            axis = ctx.axes([ctx.attr("axis", 1)], q.ndim, "axis")[0]
            if scale.size != q.shape[axis]:
                raise ctx.error(f"{scale.size} scales for axis {axis} of shape {list(q.shape)}")
            shape[axis] = -1
        real = (q.astype(np.float64) - zp.reshape(shape)) * scale.reshape(shape)
        ctx.set_const(node.output[0], real.astype(np.float32), QConst(q, scale, zp, axis))
        return
    ctx.activation(node.input[0])
    qp = _activation_qparams(ctx, scale, zp, kind)
    if x.quantized is not None:  # after QuantizeLinear (and a Clip): the same scale, zero point
        if (x.quantized.scale, x.quantized.zero_point) != (qp.scale, qp.zero_point):
            raise ctx.error("DequantizeLinear's parameters differ from its QuantizeLinear's")
        qp = x.quantized
    _record(ctx, x, qp)
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src))


@handler("QuantizeLinear")
def quantize(ctx: Ctx) -> None:
    node = ctx.node
    scale, zp, kind = _params(ctx)
    x = ctx.get(node.input[0])
    if x.const is not None:  # a weight of a QCDQ export: its integers (onnxruntime's rounding)
        _fold_const(ctx)
        return
    x = ctx.activation(node.input[0])
    qp = _activation_qparams(ctx, scale, zp, kind)
    _record(ctx, x, qp)
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src, quantized=qp))


def _fold_const(ctx: Ctx) -> None:
    from onnx.reference import ReferenceEvaluator

    node = ctx.node
    feeds = {n: ctx.values[n].const for n in node.input if n}
    try:
        (out,) = ReferenceEvaluator(node).run(None, feeds)
    except Exception as exc:
        raise ctx.error(f"cannot quantize the constant: {type(exc).__name__}: {exc}") from None
    ctx.set_const(node.output[0], np.asarray(out))


def clip_quantized(ctx: Ctx, x: Value) -> None:
    """Clip between QuantizeLinear and DequantizeLinear (QCDQ): it narrows the integer range."""
    node = ctx.node
    qp = x.quantized
    lo, hi = qp.int_range()
    for i, pick in ((1, max), (2, min)):
        if len(node.input) > i and node.input[i]:
            c = np.asarray(ctx.const(node.input[i], "clip bound"))
            bound = int(c.astype(np.int64).reshape(-1)[0]) + _offset(c.dtype.name)
            lo, hi = (pick(lo, bound), hi) if i == 1 else (lo, pick(hi, bound))
    if lo > hi:
        raise ctx.error(f"Clip leaves no integer ({lo} > {hi})")
    narrowed = replace(qp, qmin=lo, qmax=hi, rounding="half_even")
    ctx.graph.tensors[x.ir].quant = narrowed
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src, quantized=narrowed))


_float_clip = HANDLERS["Clip"]


@handler("Clip")
def clip(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    if x.quantized is not None:
        clip_quantized(ctx, x)
    else:
        _float_clip(ctx)
