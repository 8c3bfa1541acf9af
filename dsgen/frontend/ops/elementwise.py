"""Activations, per-channel arithmetic, residual Add, Mul of two activations, Concat, Softmax,
Identity/Dropout."""

from __future__ import annotations

import math

import numpy as np

from dsgen.frontend.context import Ctx, Value, VKind
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import (
    Act,
    Activation,
    ActKind,
    Add,
    Affine,
    ChannelScale,
    Concat,
    Identity,
    Mul,
    Softmax,
)


def _passthrough(ctx: Ctx, layer, x: Value) -> None:
    ctx.emit(layer, ctx.node.output[0], ctx.shape(x), x.kind, nchw_src=x.nchw_src)


def _act(ctx: Ctx, act: Activation) -> None:
    x = ctx.activation(ctx.node.input[0])
    layer = Act(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(ctx.node.output[0]),
        act=act,
    )
    _passthrough(ctx, layer, x)


@handler("Relu")
def relu(ctx: Ctx) -> None:
    _act(ctx, Activation(ActKind.RELU, lo=0.0))


@handler("LeakyRelu")
def leaky_relu(ctx: Ctx) -> None:
    alpha = ctx.float_attr("alpha", 0.01)
    if not 0.0 <= alpha < 1.0:
        raise ctx.error(f"LeakyRelu alpha={alpha} is not supported (needs 0 <= alpha < 1)")
    _act(ctx, Activation(ActKind.LEAKY, alpha=alpha))


@handler("HardSwish")
def hard_swish(ctx: Ctx) -> None:
    _act(ctx, Activation(ActKind.HARDSWISH, alpha=1 / 6, beta=0.5))


@handler("HardSigmoid")
def hard_sigmoid(ctx: Ctx) -> None:
    alpha = ctx.float_attr("alpha", 0.2)  # the spec's defaults (Keras'); PyTorch writes 1/6
    beta = ctx.float_attr("beta", 0.5)
    _act(ctx, Activation(ActKind.HARDSIGMOID, alpha=alpha, beta=beta))


@handler("Sigmoid")
def sigmoid(ctx: Ctx) -> None:
    _act(ctx, Activation(ActKind.SIGMOID))


@handler("Tanh")
def tanh(ctx: Ctx) -> None:
    _act(ctx, Activation(ActKind.TANH))


@handler("Clip")
def clip(ctx: Ctx) -> None:
    node = ctx.node
    lo = ctx.float_attr("min", -math.inf, allow_inf=True)  # opset < 11
    hi = ctx.float_attr("max", math.inf, allow_inf=True)
    if len(node.input) > 1 and node.input[1]:
        lo = _scalar(ctx, node.input[1], "min")
    if len(node.input) > 2 and node.input[2]:
        hi = _scalar(ctx, node.input[2], "max")
    if lo > hi:
        raise ctx.error(f"min {lo} > max {hi}")
    if lo > 0 or hi <= 0:
        raise ctx.error(f"Clip({lo}, {hi}) must contain 0 (a fused activation range)")
    _act(ctx, Activation(ActKind.CLIP, lo=float(lo), hi=float(hi)))


def _scalar(ctx: Ctx, name: str, what: str) -> float:
    c = ctx.const(name, what)
    if c.size != 1:
        raise ctx.error(f"{what} must be a scalar, got shape {list(c.shape)}")
    return float(c.reshape(-1)[0])


def _onnx_shape(ctx: Ctx, v: Value) -> tuple[int, ...]:
    s = ctx.shape(v)
    return (1, s[2], s[0], s[1]) if v.kind is VKind.SPATIAL else (1, s[0])


def _per_channel(ctx: Ctx, c: np.ndarray, x: Value) -> np.ndarray:
    """The constant as one value per channel, or an error if it varies along another axis."""
    target = _onnx_shape(ctx, x)
    c = np.asarray(c, dtype=np.float64)
    try:
        if np.broadcast_shapes(c.shape, target) != target:
            raise ValueError
    except ValueError:
        raise ctx.error(
            f"constant of shape {list(c.shape)} does not broadcast per channel onto {list(target)}"
        ) from None
    full = np.broadcast_to(c, target)
    per = full[(0, slice(None)) + (0,) * (len(target) - 2)]
    if not np.array_equal(
        full, np.broadcast_to(per.reshape((1, -1) + (1,) * (len(target) - 2)), target)
    ):
        raise ctx.error("only per-channel constants are supported in elementwise arithmetic")
    return per.copy()


def _affine(ctx: Ctx, x: Value, mul: np.ndarray, add: np.ndarray, add_q=None) -> None:
    layer = Affine(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(ctx.node.output[0]),
        mul=mul,
        add=add,
        add_q=add_q,
    )
    _passthrough(ctx, layer, x)


@handler("Add", "Sub", "Mul", "Div")
def arith(ctx: Ctx) -> None:
    node, op = ctx.node, ctx.node.op_type
    a, b = ctx.get(node.input[0]), ctx.get(node.input[1])
    if a.kind is not VKind.CONST and b.kind is not VKind.CONST:
        if op == "Mul":
            _mul(ctx, a, b)
            return
        if op != "Add":
            raise ctx.error(f"{op} of two activations is not supported")
        _residual_add(ctx, a, b)
        return
    if a.kind is VKind.CONST and b.kind is VKind.CONST:
        raise ctx.error("constant arithmetic should have been folded")
    const_first = a.kind is VKind.CONST
    x, cv = (b, a) if const_first else (a, b)
    ctx.activation(node.input[1] if const_first else node.input[0])
    c = _per_channel(ctx, cv.const, x)
    ones, zeros = np.ones_like(c), np.zeros_like(c)
    if op == "Add":
        add_q = cv.qconst.q.reshape(-1).astype(np.int64) if cv.qconst is not None else None
        _affine(ctx, x, ones, c, add_q)
    elif op == "Mul":
        _affine(ctx, x, c, zeros)
    elif op == "Sub":
        _affine(ctx, x, -ones, c) if const_first else _affine(ctx, x, ones, -c)
    else:
        if const_first or np.any(c == 0):
            raise ctx.error("Div is supported only by a non-zero per-channel constant")
        _affine(ctx, x, 1.0 / c, zeros)


def _mul(ctx: Ctx, a: Value, b: Value) -> None:
    """Same shapes: a gated activation (the passes recognise it); a map times a [1, C, 1, 1]
    vector: the run-time channel scale of squeeze-and-excitation."""
    ctx.activation(ctx.node.input[0])
    ctx.activation(ctx.node.input[1])
    sa, sb = ctx.shape(a), ctx.shape(b)
    out = ctx.out_tensor_name(ctx.node.output[0])
    if sa == sb and a.kind is b.kind:
        _passthrough(ctx, Mul(name=ctx.layer_name(), inputs=[a.ir, b.ir], output=out), a)
        return
    x, s = (a, b) if len(sb) == 3 and sb[:2] == (1, 1) else (b, a)
    sx, ss = ctx.shape(x), ctx.shape(s)
    if x.kind is not VKind.SPATIAL or s.kind is not VKind.SPATIAL or ss != (1, 1, sx[2]):
        raise ctx.error(
            f"Mul of activations of ONNX shapes {list(_onnx_shape(ctx, a))} and "
            f"{list(_onnx_shape(ctx, b))}: only equal shapes or a map times a per-channel "
            "[1, C, 1, 1] vector are supported"
        )
    layer = ChannelScale(name=ctx.layer_name(), inputs=[x.ir, s.ir], output=out)
    _passthrough(ctx, layer, x)


def _residual_add(ctx: Ctx, a: Value, b: Value) -> None:
    ctx.activation(ctx.node.input[0])
    ctx.activation(ctx.node.input[1])
    if ctx.shape(a) != ctx.shape(b) or a.kind is not b.kind:
        raise ctx.error(
            f"Add of shapes {ctx.shape(a)} and {ctx.shape(b)}: broadcasting two "
            "activations is not supported"
        )
    layer = Add(
        name=ctx.layer_name(), inputs=[a.ir, b.ir], output=ctx.out_tensor_name(ctx.node.output[0])
    )
    _passthrough(ctx, layer, a)


@handler("Concat")
def concat(ctx: Ctx) -> None:
    xs = [ctx.spatial(n) for n in ctx.node.input if n]
    axis = int(ctx.attr("axis", 1))
    if axis not in (1, -3):
        raise ctx.error(f"Concat axis={axis}: only channel concatenation (axis 1) is supported")
    hw = {ctx.shape(x)[:2] for x in xs}
    if len(hw) != 1:
        raise ctx.error(f"Concat inputs have different spatial sizes {sorted(hw)}")
    c = sum(ctx.shape(x)[2] for x in xs)
    layer = Concat(
        name=ctx.layer_name(),
        inputs=[x.ir for x in xs],
        output=ctx.out_tensor_name(ctx.node.output[0]),
    )
    ctx.emit(layer, ctx.node.output[0], (*hw.pop(), c), VKind.SPATIAL)


@handler("Softmax")
def softmax(ctx: Ctx) -> None:
    x = ctx.activation(ctx.node.input[0])
    axis = int(ctx.attr("axis", -1))
    if x.kind is not VKind.FLAT or axis not in (1, -1):
        raise ctx.error("Softmax is supported on the class axis of a [1, N] tensor only")
    layer = Softmax(
        name=ctx.layer_name(), inputs=[x.ir], output=ctx.out_tensor_name(ctx.node.output[0])
    )
    _passthrough(ctx, layer, x)


@handler("Identity", "Dropout")
def identity(ctx: Ctx) -> None:
    v = ctx.get(ctx.node.input[0])
    if v.kind is VKind.CONST:
        ctx.set_const(ctx.node.output[0], v.const, v.qconst)
        return
    if ctx.node.op_type == "Dropout" and len(ctx.node.input) > 2 and ctx.node.input[2]:
        if bool(ctx.const(ctx.node.input[2]).reshape(-1)[0]):
            raise ctx.error("Dropout in training mode is not supported")
    if v.kind not in (VKind.SPATIAL, VKind.FLAT):
        ctx.alias(ctx.node.output[0], v)
        return
    layer = Identity(
        name=ctx.layer_name(), inputs=[v.ir], output=ctx.out_tensor_name(ctx.node.output[0])
    )
    _passthrough(ctx, layer, v)
