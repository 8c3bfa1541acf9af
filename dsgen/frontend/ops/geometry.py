"""Window geometry shared by Conv and the pooling ops: pads, auto_pad, output sizes."""

from __future__ import annotations

from dsgen.frontend.context import Ctx


def window_pads(
    ctx: Ctx,
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) from `pads` or `auto_pad`."""
    auto = ctx.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        p = list(ctx.attr("pads", [0, 0, 0, 0]))
        if len(p) != 4:
            raise ctx.error(f"pads {p} are not 2-D")
        if min(p) < 0:
            raise ctx.error(f"negative pads {p} are not supported")
        return p[0], p[1], p[2], p[3]
    if auto == "VALID":
        return 0, 0, 0, 0
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise ctx.error(f"auto_pad '{auto}' is not supported")
    total = []
    for size, k, s, d in zip(in_hw, kernel, stride, dilation, strict=True):
        out = -(-size // s)
        total.append(max((out - 1) * s + (k - 1) * d + 1 - size, 0))
    small = [t // 2 for t in total]
    big = [t - t // 2 for t in total]
    if auto == "SAME_UPPER":
        return small[0], small[1], big[0], big[1]
    return big[0], big[1], small[0], small[1]


def out_size(size: int, k: int, s: int, d: int, pad_a: int, pad_b: int) -> int:
    return (size + pad_a + pad_b - ((k - 1) * d + 1)) // s + 1


def out_hw(in_hw, kernel, stride, dilation, pads) -> tuple[int, int]:
    return (
        out_size(in_hw[0], kernel[0], stride[0], dilation[0], pads[0], pads[2]),
        out_size(in_hw[1], kernel[1], stride[1], dilation[1], pads[1], pads[3]),
    )


def pair(ctx: Ctx, name: str, default: int = 1) -> tuple[int, int]:
    v = ctx.attr(name)
    if v is None:
        return default, default
    v = list(v)
    if len(v) != 2:
        raise ctx.error(f"{name} {v} is not 2-D (only 2-D convolutions and pools are supported)")
    if min(v) < 1:
        raise ctx.error(f"{name} {v} must be positive")
    return v[0], v[1]
