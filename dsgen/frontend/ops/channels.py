"""Split and Slice along channels (ShuffleNetV2's channel split: Split from the dynamo exporter,
Slice from the legacy exporter's `torch.chunk`)."""

from __future__ import annotations

import numpy as np

from dsgen.frontend.context import Ctx, Value, VKind
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import ChannelSlice


def _slice(ctx: Ctx, x: Value, out: str, start: int, stop: int) -> None:
    c = ctx.shape(x)[2]
    if start == 0 and stop == c:
        ctx.alias(out, x)
        return
    layer = ChannelSlice(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(out),
        start=start,
        stop=stop,
    )
    h, w, _ = ctx.shape(x)
    ctx.emit(layer, out, (h, w, stop - start), VKind.SPATIAL)


def _split_sizes(ctx: Ctx, c: int, n_out: int) -> list[int]:
    node = ctx.node
    if len(node.input) > 1 and node.input[1]:
        sizes = [int(v) for v in ctx.const(node.input[1], "split").reshape(-1)]
    elif ctx.attr("split") is not None:  # opset < 13
        sizes = [int(v) for v in ctx.attr("split")]
    else:  # equal parts; opset 18's num_outputs lets the last one be smaller
        part = -(-c // n_out)
        sizes = [min(part, c - i * part) for i in range(n_out)]
    if len(sizes) != n_out or sum(sizes) != c or min(sizes) < 0:
        raise ctx.error(f"split sizes {sizes} do not divide {c} channels into {n_out} outputs")
    return sizes


@handler("Split")
def split(ctx: Ctx) -> None:
    x = ctx.spatial(ctx.node.input[0])
    (axis,) = ctx.axes([ctx.attr("axis", 0)], 4, "axis")
    if axis != 1:
        raise ctx.error(f"Split along axis {axis}: only channel splits (axis 1) are supported")
    outs = list(ctx.node.output)
    c = ctx.shape(x)[2]
    start = 0
    for out, size in zip(outs, _split_sizes(ctx, c, len(outs)), strict=True):
        if size == 0:
            raise ctx.error(f"Split output '{out}' would be empty")
        if out:
            _slice(ctx, x, out, start, start + size)
        start += size


def _ints(ctx: Ctx, i: int, attr: str) -> list[int] | None:
    node = ctx.node
    if len(node.input) > i and node.input[i]:
        return [int(v) for v in np.asarray(ctx.const(node.input[i], attr)).reshape(-1)]
    a = ctx.attr(attr)  # opset < 10 gives starts/ends/axes as attributes
    return None if a is None else [int(v) for v in a]


@handler("Slice")
def slice_(ctx: Ctx) -> None:
    x = ctx.spatial(ctx.node.input[0])
    starts, ends = _ints(ctx, 1, "starts"), _ints(ctx, 2, "ends")
    if starts is None or ends is None:
        raise ctx.error("Slice needs starts and ends")
    axes = _ints(ctx, 3, "axes") or list(range(len(starts)))
    steps = _ints(ctx, 4, "steps") or [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.error("Slice starts, ends, axes and steps differ in length")
    axes = ctx.axes(axes, 4)
    h, w, c = ctx.shape(x)
    dims = {0: 1, 1: c, 2: h, 3: w}
    lo_hi = {}
    for a, s, e, st in zip(axes, starts, ends, steps, strict=True):
        if st != 1:
            raise ctx.error(f"Slice with step {st}: only step 1 is supported")
        n = dims[a]
        s = min(max(s + n if s < 0 else s, 0), n)  # the spec's clamping
        e = min(max(e + n if e < 0 else e, 0), n)
        lo_hi[a] = (s, e)
    for a, (s, e) in lo_hi.items():
        if a != 1 and (s, e) != (0, dims[a]):
            raise ctx.error(f"Slice along axis {a}: only channel slices (axis 1) are supported")
    s, e = lo_hi.get(1, (0, c))
    if e <= s:
        raise ctx.error(f"Slice of channels [{s}, {e}) is empty")
    _slice(ctx, x, ctx.node.output[0], s, e)
