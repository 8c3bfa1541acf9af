"""Shape-only ops: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Shape, Constant.

In NHWC none of these move data except the channel-shuffle pattern (Reshape → Transpose → Reshape),
which becomes three marker layers that the `fuse_channel_shuffle` pass collapses into one.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from dsgen.frontend.context import Ctx, Value, VKind
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import Flatten, ShuffleMerge, ShuffleSplit, ShuffleSwap


def onnx_shape(ctx: Ctx, v: Value) -> tuple[int, ...]:
    s = ctx.shape(v)
    if v.kind is VKind.SPATIAL:
        return (1, s[2], s[0], s[1])
    if v.kind is VKind.FLAT:
        return (1, s[0])
    h, w, c = s
    g = v.groups
    return (1, g, c // g, h, w) if v.kind is VKind.SPLIT else (1, c // g, g, h, w)


def _flatten(ctx: Ctx, x: Value) -> None:
    h, w, c = ctx.shape(x)
    src = (h, w, c) if c > 1 and h * w > 1 else None  # only then do NCHW and NHWC orders differ
    layer = Flatten(
        name=ctx.layer_name(), inputs=[x.ir], output=ctx.out_tensor_name(ctx.node.output[0])
    )
    ctx.emit(
        layer, ctx.node.output[0], (h * w * c,), VKind.FLAT, nchw_src=src, quantized=x.quantized
    )


def _unflatten(ctx: Ctx, x: Value) -> None:
    if x.nchw_src is not None:
        raise ctx.error("reshaping a flattened NCHW tensor back to 4-D is not supported")
    n = ctx.shape(x)[0]
    layer = Flatten(
        name=ctx.layer_name(), inputs=[x.ir], output=ctx.out_tensor_name(ctx.node.output[0])
    )
    ctx.emit(layer, ctx.node.output[0], (1, 1, n), VKind.SPATIAL, quantized=x.quantized)


def _to_shape(ctx: Ctx, x: Value, target: tuple[int, ...]) -> None:
    """Dispatch a reshape of `x` (in ONNX terms) to `target`."""
    src = onnx_shape(ctx, x)
    if target == src:
        ctx.alias(ctx.node.output[0], x)
    elif x.kind is VKind.SPATIAL and len(target) == 2 and target[0] == 1:
        _flatten(ctx, x)
    elif (
        x.kind is VKind.SPATIAL
        and len(target) == 5
        and target[3:] == src[2:]
        and target[1] * target[2] == src[1]
    ):
        g = target[1]
        layer = ShuffleSplit(
            name=ctx.layer_name(),
            inputs=[x.ir],
            output=ctx.out_tensor_name(ctx.node.output[0]),
            groups=g,
        )
        ctx.emit(layer, ctx.node.output[0], ctx.shape(x), VKind.SPLIT, groups=g)
    elif x.kind is VKind.SWAPPED and len(target) == 4 and target == (1, src[1] * src[2], *src[3:]):
        layer = ShuffleMerge(
            name=ctx.layer_name(),
            inputs=[x.ir],
            output=ctx.out_tensor_name(ctx.node.output[0]),
            groups=x.groups,
        )
        ctx.emit(layer, ctx.node.output[0], ctx.shape(x), VKind.SPATIAL)
    elif x.kind is VKind.FLAT and len(target) == 4 and target == (1, src[1], 1, 1):
        _unflatten(ctx, x)
    else:
        raise ctx.error(
            f"reshape from {list(src)} to {list(target)} is not supported "
            "(only flatten, identity and the channel-shuffle pattern)"
        )


@handler("Reshape")
def reshape(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    shape = [int(s) for s in ctx.const(ctx.node.input[1], "shape").reshape(-1)]
    src = onnx_shape(ctx, x)
    if not ctx.attr("allowzero", 0):
        shape = [src[i] if s == 0 and i < len(src) else s for i, s in enumerate(shape)]
    if shape.count(-1) > 1 or min(shape, default=0) < -1:
        raise ctx.error(f"reshape target {shape}: only one -1 and no other negative size allowed")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        shape[shape.index(-1)] = int(np.prod(src)) // max(known, 1)
    if int(np.prod(shape)) != int(np.prod(src)):
        raise ctx.error(f"reshape of {list(src)} to {shape} changes the element count")
    _to_shape(ctx, x, tuple(shape))


@handler("Flatten")
def flatten(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    if int(ctx.attr("axis", 1)) != 1:
        raise ctx.error("Flatten is supported with axis=1 only")
    src = onnx_shape(ctx, x)
    _to_shape(ctx, x, (1, int(np.prod(src[1:]))))


def _axes(ctx: Ctx) -> list[int] | None:
    node = ctx.node
    if len(node.input) > 1 and node.input[1]:
        return [int(a) for a in ctx.const(node.input[1], "axes").reshape(-1)]
    a = ctx.attr("axes")
    return None if a is None else [int(i) for i in a]


@handler("Squeeze")
def squeeze(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    src = onnx_shape(ctx, x)
    axes = _axes(ctx)
    axes = [i for i, s in enumerate(src) if s == 1] if axes is None else ctx.axes(axes, len(src))
    if any(src[a] != 1 for a in axes):
        raise ctx.error(f"Squeeze of non-unit axes {axes} of {list(src)}")
    kept = [s for i, s in enumerate(src) if i not in axes]
    if 0 in axes:  # dsgen's tensors are batch-less: squeezing the batch of [1,N] keeps [1,N]
        kept = [1] + kept
    _to_shape(ctx, x, tuple(kept))


@handler("Unsqueeze")
def unsqueeze(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    shape = list(onnx_shape(ctx, x))
    axes = _axes(ctx)
    if axes is None:
        raise ctx.error("Unsqueeze needs axes")
    axes = sorted(ctx.axes(axes, len(shape) + len(axes)))
    for a in axes:
        shape.insert(a, 1)
    _to_shape(ctx, x, tuple(shape))


@handler("Transpose")
def transpose(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    perm = [int(p) for p in ctx.attr("perm", [])]
    n = len(onnx_shape(ctx, x))
    if perm == list(range(n)):
        ctx.alias(ctx.node.output[0], x)
        return
    if x.kind is VKind.SPLIT and perm == [0, 2, 1, 3, 4]:
        layer = ShuffleSwap(
            name=ctx.layer_name(),
            inputs=[x.ir],
            output=ctx.out_tensor_name(ctx.node.output[0]),
            groups=x.groups,
        )
        ctx.emit(layer, ctx.node.output[0], ctx.shape(x), VKind.SWAPPED, groups=x.groups)
        return
    raise ctx.error(f"Transpose perm={perm} is not supported (only the channel-shuffle pattern)")


@handler("Shape")
def shape_op(ctx: Ctx) -> None:
    x = ctx.get(ctx.node.input[0])
    s = np.array(x.const.shape if x.kind is VKind.CONST else onnx_shape(ctx, x), dtype=np.int64)
    start, end = ctx.attr("start", 0), ctx.attr("end", None)
    ctx.set_const(ctx.node.output[0], s[start:end])


@handler("Constant")
def constant(ctx: Ctx) -> None:
    a = ctx.node.attribute[0]
    if a.name == "value":
        value = numpy_helper.to_array(a.t)
    elif a.name == "value_float":  # ONNX floats are float32, its ints int64
        value = np.array(a.f, np.float32)
    elif a.name == "value_int":
        value = np.array(a.i, np.int64)
    elif a.name == "value_floats":
        value = np.array(list(a.floats), np.float32)
    elif a.name == "value_ints":
        value = np.array(list(a.ints), np.int64)
    else:
        raise ctx.error(f"Constant with attribute '{a.name}' is not supported")
    ctx.set_const(ctx.node.output[0], value)
