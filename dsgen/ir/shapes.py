"""Output-shape rules for every layer kind (the verifier recomputes shapes with these)."""

from __future__ import annotations

import math

from dsgen.ir import graph as ir


def _window(size: int, k: int, s: int, d: int, a: int, b: int) -> int:
    return (size + a + b - ((k - 1) * d + 1)) // s + 1


def infer_shape(layer: ir.Layer, ins: list[tuple[int, ...]]) -> tuple[int, ...]:
    x = ins[0]
    if isinstance(layer, ir.Conv):
        kh, kw = layer.kernel
        (sh, sw), (dh, dw), p = layer.stride, layer.dilation, layer.pads
        if x[2] != layer.c_in:
            return ("channel mismatch", x[2], layer.c_in)
        return (
            _window(x[0], kh, sh, dh, p[0], p[2]),
            _window(x[1], kw, sw, dw, p[1], p[3]),
            layer.c_out,
        )
    if isinstance(layer, ir.Pool):
        (kh, kw), (sh, sw), p = layer.kernel, layer.stride, layer.pads
        return (_window(x[0], kh, sh, 1, p[0], p[2]), _window(x[1], kw, sw, 1, p[1], p[3]), x[2])
    if isinstance(layer, ir.Dense):
        if math.prod(x) != layer.weight.shape[1]:
            return ("input size mismatch", math.prod(x), layer.weight.shape[1])
        return (layer.weight.shape[0],)
    if isinstance(layer, ir.GlobalPool):
        return (1, 1, x[2])
    if isinstance(layer, ir.Concat):
        return (x[0], x[1], sum(s[2] for s in ins))
    if isinstance(layer, ir.Pad):
        t, l, b, r = layer.pads
        return (x[0] + t + b, x[1] + l + r, x[2])
    if isinstance(layer, ir.Flatten):  # (H,W,C) -> (N,), or (N,) -> (1,1,N): no data moves
        n = math.prod(x)
        return (n,) if len(x) == 3 else (1, 1, n)
    if isinstance(layer, ir.ChannelSlice):
        if not 0 <= layer.start < layer.stop <= x[-1] or len(x) != 3:
            return ("channel slice out of range", x, layer.start, layer.stop)
        return (x[0], x[1], layer.stop - layer.start)
    if isinstance(layer, ir.ChannelScale) and (len(x) != 3 or ins[1] != (1, 1, x[2])):
        return ("channel scale shape mismatch", x, ins[1])
    if isinstance(layer, ir.Mul) and ins[1] != x:
        return ("mul shape mismatch", x, ins[1])
    if isinstance(layer, ir.Add) and ins[1] != x:
        return ("add shape mismatch", x, ins[1])
    return x
