"""QONNX quantizers (`Quant`, `BipolarQuant`, `Trunc`): what Brevitas, qonnx and FINN write.

A quantizer on a constant (a weight or a bias) is evaluated here, with qonnx's own arithmetic, into
the float value (for the float path) and its integers (`QConst`, for the quantized path).  On an
activation a `Quant` says how the tensor is quantized: its scale, zero point and integer range
become the tensor's `QParams` (stored in int8, or int16 above 8 bits), and the node is otherwise
an identity.  The model's scales are used as they are; nothing is recalibrated.

Semantics (qonnx.custom_op.general.intquant): q = round(clamp(x / scale + zeropt, min, max)),
real = (q − zeropt) · scale, where [min, max] is the signed/unsigned (narrow) range of the bit
width, and a 1-bit signed Quant is bipolar (±1) like `BipolarQuant`: q = x ≥ 0 ? 1 : −1.
"""

from __future__ import annotations

import numpy as np

from dsgen.frontend.context import Ctx, QConst, Value
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import QParams

# The domains Brevitas, qonnx and FINN write these ops in (`frontend.__init__` accepts them).
DOMAINS = frozenset({"qonnx.custom_op.general", "onnx.brevitas", "finn.custom_op.general"})
OPS = frozenset({"Quant", "BipolarQuant", "Trunc"})

# QONNX rounding modes -> QParams.rounding (qonnx's resolve_rounding_mode; Brevitas writes
# ROUND_TO_ZERO for what qonnx calls DOWN).
ROUNDING = {
    "ROUND": "half_even",
    "HALF_EVEN": "half_even",
    "FLOOR": "floor",
    "CEIL": "ceil",
    "ROUND_TO_ZERO": "to_zero",
    "DOWN": "to_zero",
}
_NP_ROUND = {"half_even": np.round, "floor": np.floor, "ceil": np.ceil, "to_zero": np.trunc}

MAX_ACT_BITS = 16  # activations: int8 storage up to 8 bits, int16 (symmetric) up to 16
MAX_CONST_BITS = 32  # constants: weights (int8 storage, checked by the layer) and int32 biases


def int_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """qonnx's min_int / max_int."""
    if signed:
        return -(1 << (bits - 1)) + (1 if narrow else 0), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - (2 if narrow else 1)


def _rounding(ctx: Ctx) -> str:
    mode = ctx.attr("rounding_mode", "ROUND")
    mode = (mode.decode() if isinstance(mode, bytes) else str(mode)).upper()
    if mode not in ROUNDING:
        raise ctx.error(f"rounding_mode '{mode}' is not supported ({', '.join(sorted(ROUNDING))})")
    return ROUNDING[mode]


def _bits(ctx: Ctx, name: str, limit: int) -> int:
    bw = np.asarray(ctx.const(name, "bit width"), np.float64)
    if bw.size != 1 or bw.reshape(-1)[0] != round(float(bw.reshape(-1)[0])):
        raise ctx.error(f"bit width {bw.reshape(-1).tolist()} must be one integer")
    bits = int(bw.reshape(-1)[0])
    if not 1 <= bits <= limit:
        raise ctx.error(f"bit width {bits} is not supported (1..{limit})")
    return bits


def _scale(ctx: Ctx, name: str) -> np.ndarray:
    s = np.asarray(ctx.const(name, "scale"), np.float32)
    if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ctx.error("scales must be positive and finite")
    return s


def _qconst(ctx: Ctx, q: np.ndarray, scale: np.ndarray, zp: np.ndarray) -> QConst:
    """The integers of a quantized constant; the one axis scale/zero point vary along (if any)
    is the channel axis."""
    try:
        shape = np.broadcast_shapes(q.shape, scale.shape, zp.shape)
    except ValueError:
        shape = None
    if shape != q.shape:
        raise ctx.error(f"scale {list(scale.shape)} does not broadcast onto {list(q.shape)}")
    axes = sorted(
        {i for a in (scale, zp) for i, n in enumerate((1,) * (q.ndim - a.ndim) + a.shape) if n > 1}
    )
    if len(axes) > 1:
        raise ctx.error("a scale or zero point that varies along more than one axis")
    if not axes:
        scalar = scale.reshape(-1)[:1].astype(np.float64)
        return QConst(q.astype(np.int64), scalar, zp.reshape(-1)[:1], 0)

    def per_channel(a: np.ndarray) -> np.ndarray:
        full = np.broadcast_to(a, shape)
        return np.moveaxis(full, axes[0], 0).reshape(shape[axes[0]], -1)[:, 0]

    return QConst(
        q.astype(np.int64), per_channel(scale).astype(np.float64), per_channel(zp), axes[0]
    )


def _activation_qparams(
    ctx: Ctx, scale: np.ndarray, zp: float, lo: int, hi: int, bits: int, rounding: str
) -> QParams:
    """Map the model's integer range [lo, hi] (zero point zp) onto int8 or int16 storage."""
    if scale.size != 1:
        raise ctx.error("per-channel quantization of activations is not supported")
    if bits <= 8:
        store, off = 8, (-128 if hi > 127 else 0)
    else:
        store, off = 16, 0
        if hi > 32767 or zp != 0:
            raise ctx.error(f"{bits}-bit activations must be signed with zero point 0 (int16)")
    z = int(zp) + off
    if not -(1 << (store - 1)) <= z < (1 << (store - 1)):
        raise ctx.error(f"zero point {int(zp)} does not fit the {store}-bit storage")
    return QParams(float(scale.reshape(-1)[0]), z, store, lo + off, hi + off, rounding)


def _record(ctx: Ctx, v: Value, qp: QParams) -> None:
    t = ctx.graph.tensors[v.ir]
    if t.quant is not None and t.quant != qp:
        raise ctx.error(f"tensor '{v.ir}' is quantized twice with different parameters")
    t.quant = qp
    ctx.graph.prequantized = True


def _mark_activation(ctx: Ctx, x: Value, qp: QParams) -> None:
    _record(ctx, x, qp)
    ctx.alias(ctx.node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src))


@handler("Quant")
def quant(ctx: Ctx) -> None:
    node = ctx.node
    if len(node.input) != 4:
        raise ctx.error(f"Quant takes 4 inputs (x, scale, zeropt, bitwidth), got {len(node.input)}")
    signed, narrow = bool(ctx.attr("signed", 1)), bool(ctx.attr("narrow", 0))
    rounding = _rounding(ctx)
    scale = _scale(ctx, node.input[1])
    zp = np.asarray(ctx.const(node.input[2], "zero point"), np.float32)
    if np.any(zp != np.round(zp)):
        raise ctx.error("a non-integer zero point is not supported")
    x = ctx.get(node.input[0])
    if x.const is not None:
        bits = _bits(ctx, node.input[3], MAX_CONST_BITS)
        _quant_const(ctx, x.const, scale, zp, bits, signed, narrow, rounding)
        return
    bits = _bits(ctx, node.input[3], MAX_ACT_BITS)
    x = ctx.activation(node.input[0])
    if bits == 1 and signed:
        raise ctx.error("bipolar (1-bit signed) activations are not supported")
    if zp.size != 1:
        raise ctx.error("per-channel zero points of activations are not supported")
    lo, hi = int_range(bits, signed, narrow)
    z = float(zp.reshape(-1)[0])
    _mark_activation(ctx, x, _activation_qparams(ctx, scale, z, lo, hi, bits, rounding))


def _quant_const(ctx, w, scale, zp, bits, signed, narrow, rounding) -> None:
    """qonnx's int_quant on a constant, in float32 as qonnx computes it."""
    y = np.asarray(w, np.float32) / scale + zp
    if bits == 1 and signed:
        q = np.where(y >= 0, 1.0, -1.0)
    else:
        lo, hi = int_range(bits, signed, narrow)
        q = _NP_ROUND[rounding](np.clip(y, lo, hi))
    real = ((q - zp) * scale).astype(np.float32)
    ctx.set_const(ctx.node.output[0], real, _qconst(ctx, q, scale, zp))


@handler("BipolarQuant")
def bipolar_quant(ctx: Ctx) -> None:
    node = ctx.node
    scale = _scale(ctx, node.input[1])
    x = ctx.get(node.input[0])
    if x.const is None:
        raise ctx.error("bipolar (±1) activations are not supported (weights only)")
    q = np.where(np.asarray(x.const, np.float32) >= 0, 1.0, -1.0)
    real = (q * scale).astype(np.float32)
    ctx.set_const(node.output[0], real, _qconst(ctx, q, scale, np.zeros(1, np.float32)))


@handler("Trunc")
def trunc(ctx: Ctx) -> None:
    """Trunc keeps the zero point and divides the integers by 2^(in_bits − out_bits).  On an
    activation whose scale is the Trunc's and whose truncation drops no bits it is the identity;
    other truncations are not supported yet."""
    node = ctx.node
    if len(node.input) != 5:
        raise ctx.error("only Trunc version 1 (x, scale, zeropt, in_bits, out_bits) is supported")
    x = ctx.activation(node.input[0])
    scale = _scale(ctx, node.input[1])
    in_bits = _bits(ctx, node.input[3], 32)
    out_bits = _bits(ctx, node.input[4], 32)
    q = ctx.graph.tensors[x.ir].quant
    same_scale = q is not None and scale.size == 1 and float(scale.reshape(-1)[0]) == q.scale
    if in_bits != out_bits or not same_scale:
        raise ctx.error(
            f"Trunc from {in_bits} to {out_bits} bits is not supported (only an identity Trunc)"
        )
    ctx.alias(node.output[0], Value(x.kind, ir=x.ir, nchw_src=x.nchw_src))
