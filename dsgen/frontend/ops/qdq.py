"""QuantizeLinear / DequantizeLinear: the QDQ form of pre-quantized models.

Weights arrive as DequantizeLinear(integer constant): the float value is kept for the float path and
the integers for the quantized path.  On activations a Q/DQ pair marks the tensor's quantization
parameters and is otherwise an identity.
"""

from __future__ import annotations

import numpy as np

from dsgen.frontend.context import Ctx, QConst, Value
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import QParams

_BITS = {np.dtype(np.int8): 8, np.dtype(np.int16): 16, np.dtype(np.int32): 32}


def _params(ctx: Ctx) -> tuple[np.ndarray, np.ndarray]:
    node = ctx.node
    scale = ctx.const(node.input[1], "scale").astype(np.float64)
    zp = (
        ctx.const(node.input[2], "zero_point")
        if len(node.input) > 2 and node.input[2]
        else np.zeros(scale.shape, np.int8)
    )
    if zp.dtype not in _BITS:
        raise ctx.error(f"zero point type {zp.dtype} is not supported (int8, int16 or int32)")
    if scale.size == 0 or np.any(~(scale > 0)):  # also NaN
        raise ctx.error(f"scale {scale.reshape(-1)[:4].tolist()} must be positive")
    if zp.size != scale.size:
        raise ctx.error(f"zero point of {zp.size} values for a scale of {scale.size}")
    return scale, zp


def _activation_qparams(ctx: Ctx, scale: np.ndarray, zp: np.ndarray) -> QParams:
    if scale.size != 1:
        raise ctx.error("per-channel quantization of activations is not supported")
    if _BITS[zp.dtype] == 32:
        raise ctx.error("32-bit quantized activations are not supported (int8 or int16)")
    return QParams(float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0]), _BITS[zp.dtype])


def _record(ctx: Ctx, v: Value, qp: QParams) -> None:
    t = ctx.graph.tensors[v.ir]
    if t.quant is not None and t.quant != qp:
        raise ctx.error(f"tensor '{v.ir}' is quantized twice with different parameters")
    t.quant = qp


@handler("DequantizeLinear")
def dequantize(ctx: Ctx) -> None:
    node = ctx.node
    scale, zp = _params(ctx)
    x = ctx.get(node.input[0])
    if x.const is not None:
        q = x.const
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
    _record(ctx, x, _activation_qparams(ctx, scale, zp))
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src))


@handler("QuantizeLinear")
def quantize(ctx: Ctx) -> None:
    node = ctx.node
    scale, zp = _params(ctx)
    x = ctx.activation(node.input[0])
    qp = _activation_qparams(ctx, scale, zp)
    _record(ctx, x, qp)
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src, quantized=qp))
