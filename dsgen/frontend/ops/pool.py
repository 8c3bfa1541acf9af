"""MaxPool, AveragePool, global pooling (GlobalAveragePool, ReduceMean over H,W) and Pad."""

from __future__ import annotations

from dsgen.frontend.context import Ctx, VKind
from dsgen.frontend.ops.geometry import out_hw, pair, window_pads
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import Flatten, GlobalPool, Pad, Pool


@handler("MaxPool", "AveragePool")
def pool(ctx: Ctx) -> None:
    node = ctx.node
    if len([o for o in node.output if o]) > 1:
        raise ctx.error("MaxPool with an Indices output is not supported")
    x = ctx.spatial(node.input[0])
    h, w, c = ctx.shape(x)
    kernel = pair(ctx, "kernel_shape")
    stride = pair(ctx, "strides")
    if pair(ctx, "dilations") != (1, 1):
        raise ctx.error("dilated pooling is not supported")
    pads = window_pads(ctx, (h, w), kernel, stride, (1, 1))
    if any(p >= kernel[i % 2] for i, p in enumerate(pads)):
        raise ctx.error(
            f"pads {list(pads)} must be smaller than kernel_shape {list(kernel)}: a window "
            "would lie entirely in the padding"
        )
    ho, wo = out_hw((h, w), kernel, stride, (1, 1), pads)
    if ho < 1 or wo < 1:
        raise ctx.error(f"output would be empty ({ho}x{wo}): the kernel exceeds the padded input")
    if ctx.attr("ceil_mode", 0):
        ceil = tuple(
            -(-(s + pads[i] + pads[i + 2] - k) // st) + 1
            for i, (s, k, st) in enumerate(zip((h, w), kernel, stride, strict=True))
        )
        if ceil != (ho, wo):
            raise ctx.error("ceil_mode=1 that changes the output size is not supported")
    mode = "max" if node.op_type == "MaxPool" else "avg"
    layer = Pool(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(node.output[0]),
        mode=mode,
        kernel=kernel,
        stride=stride,
        pads=pads,
        count_include_pad=bool(ctx.attr("count_include_pad", 0)),
    )
    ctx.emit(layer, node.output[0], (ho, wo, c), VKind.SPATIAL)


def _global(ctx: Ctx, mode: str, keepdims: bool) -> None:
    node = ctx.node
    x = ctx.spatial(node.input[0])
    c = ctx.shape(x)[2]
    out = node.output[0]
    pooled = ctx.out_tensor_name(out if keepdims else out + "_pooled")
    layer = GlobalPool(name=ctx.layer_name(), inputs=[x.ir], output=pooled, mode=mode)
    v = ctx.emit(layer, out, (1, 1, c), VKind.SPATIAL)
    if not keepdims:
        flat = Flatten(
            name=ctx.unique_layer(layer.name + "_flatten"),
            inputs=[v.ir],
            output=ctx.out_tensor_name(out),
        )
        ctx.emit(flat, out, (c,), VKind.FLAT)


@handler("GlobalAveragePool", "GlobalMaxPool")
def global_pool(ctx: Ctx) -> None:
    _global(ctx, "max" if ctx.node.op_type == "GlobalMaxPool" else "avg", keepdims=True)


@handler("ReduceMean", "ReduceMax")
def reduce(ctx: Ctx) -> None:
    node = ctx.node
    axes = ctx.attr("axes")
    if len(node.input) > 1 and node.input[1]:
        axes = ctx.const(node.input[1], "axes").reshape(-1).tolist()
    if axes is None or sorted(ctx.axes(axes, 4)) != [2, 3]:
        raise ctx.error(
            f"{node.op_type} over axes {axes}: only the spatial axes [2, 3] are supported"
        )
    _global(ctx, "avg" if node.op_type == "ReduceMean" else "max", bool(ctx.attr("keepdims", 1)))


@handler("Pad")
def pad(ctx: Ctx) -> None:
    node = ctx.node
    mode = ctx.attr("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "constant":
        raise ctx.error(f"Pad mode '{mode}' is not supported (only constant)")
    x = ctx.spatial(node.input[0])
    pads = ctx.attr("pads")
    value = ctx.float_attr("value", 0.0)
    if len(node.input) > 1 and node.input[1]:
        pads = ctx.const(node.input[1], "pads").reshape(-1).tolist()
    if len(node.input) > 2 and node.input[2]:
        value = float(ctx.const(node.input[2], "constant_value").reshape(-1)[0])
    if len(node.input) > 3 and node.input[3]:
        axes = ctx.axes(ctx.const(node.input[3], "axes").reshape(-1).tolist(), 4)
        full = [0] * 8
        for i, a in enumerate(axes):
            full[a], full[a + 4] = pads[i], pads[i + len(axes)]
        pads = full
    pads = [int(p) for p in pads]
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise ctx.error(f"Pad {pads}: only spatial (H, W) padding is supported")
    if min(pads) < 0:
        raise ctx.error("negative Pad (cropping) is not supported")
    top, left, bottom, right = pads[2], pads[3], pads[6], pads[7]
    h, w, c = ctx.shape(x)
    layer = Pad(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(node.output[0]),
        pads=(top, left, bottom, right),
        value=value,
    )
    ctx.emit(layer, node.output[0], (h + top + bottom, w + left + right, c), VKind.SPATIAL)
