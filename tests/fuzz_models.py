"""Random valid depthwise-separable ONNX graphs for the fuzz tests (hypothesis strategies).

A spec is a small dataclass tree drawn by hypothesis; `build` turns it into an ONNX model with
tests/onnx_build.G.  Every drawn graph is valid by construction (spatial sizes stay ≥ 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from tests.onnx_build import G


@dataclass
class Block:
    kind: str  # "ds", "residual", "concat", "pool", "grouped"
    k: tuple[int, int] = (3, 3)
    stride: int = 1
    pads: tuple[int, int, int, int] = (1, 1, 1, 1)
    mult: int = 1
    act: str = "relu"
    out_c: int = 8
    pool: str = "max"
    cip: int = 0
    groups: int = 2


@dataclass
class Spec:
    c: int
    h: int
    w: int
    stem_k: tuple[int, int]
    stem_stride: int
    stem_c: int
    blocks: list[Block] = field(default_factory=list)
    head: str = "gap"  # "gap" (global pool + flatten) or "flatten"
    classes: int = 5
    softmax: bool = True
    seed: int = 0


ACTS = ["relu", "relu6", "leaky", "none"]


@st.composite
def blocks(draw) -> Block:
    kind = draw(st.sampled_from(["ds", "ds", "residual", "concat", "pool", "grouped"]))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    pads = tuple(draw(st.integers(0, max(0, k - 1))) for k in (kh, kw, kh, kw))
    return Block(
        kind=kind,
        k=(kh, kw),
        stride=draw(st.integers(1, 2)),
        pads=(pads[0], pads[1], pads[2], pads[3]),
        mult=draw(st.sampled_from([1, 1, 2])),
        act=draw(st.sampled_from(ACTS)),
        out_c=draw(st.integers(2, 12)),
        pool=draw(st.sampled_from(["max", "avg"])),
        cip=draw(st.integers(0, 1)),
        groups=draw(st.sampled_from([2, 4])),
    )


@st.composite
def specs(draw) -> Spec:
    return Spec(
        c=draw(st.integers(1, 6)),
        h=draw(st.integers(6, 14)),
        w=draw(st.integers(5, 12)),
        stem_k=(draw(st.integers(1, 5)), draw(st.integers(1, 4))),
        stem_stride=draw(st.integers(1, 2)),
        stem_c=draw(st.sampled_from([4, 8, 12])),
        blocks=draw(st.lists(blocks(), min_size=1, max_size=3)),
        head=draw(st.sampled_from(["gap", "flatten"])),
        classes=draw(st.integers(2, 8)),
        softmax=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.b = G((1, spec.c, spec.h, spec.w), seed=spec.seed)
        self.shape = (spec.c, spec.h, spec.w)

    def bn_act(self, x: str, c: int, act: str) -> str:
        b, rng = self.b, self.b.rng
        x = b.node(
            "BatchNormalization",
            [
                x,
                b.const(rng.uniform(0.5, 1.5, c).astype(np.float32)),
                b.const(rng.normal(0, 0.2, c).astype(np.float32)),
                b.const(rng.normal(0, 0.2, c).astype(np.float32)),
                b.const(rng.uniform(0.5, 1.5, c).astype(np.float32)),
            ],
        )
        if act == "relu":
            return b.node("Relu", [x])
        if act == "relu6":
            return b.node("Clip", [x, b.const(np.float32(0)), b.const(np.float32(6))])
        if act == "leaky":
            return b.node("LeakyRelu", [x], alpha=0.1)
        return x

    def conv(self, x: str, c_out: int, k, stride: int, pads, group: int = 1) -> str:
        c, h, w = self.shape
        ho = (h + pads[0] + pads[2] - k[0]) // stride + 1
        wo = (w + pads[1] + pads[3] - k[1]) // stride + 1
        if ho < 1 or wo < 1:  # keep the graph valid: fall back to a 1x1 conv
            k, stride, pads, ho, wo = (1, 1), 1, (0, 0, 0, 0), h, w
        scale = 1.0 / np.sqrt(k[0] * k[1] * c / group)
        y = self.b.conv(x, c, c_out, k=k, group=group, strides=[stride, stride], pads=list(pads))
        self.b.inits[-2].CopyFrom(_scaled(self.b.inits[-2], scale))
        self.shape = (c_out, ho, wo)
        return y


def _scaled(t, s):
    from onnx import numpy_helper

    return numpy_helper.from_array(numpy_helper.to_array(t) * np.float32(s), t.name)


def build(spec: Spec):
    bb = _Builder(spec)
    b = bb.b
    x = bb.bn_act(
        bb.conv("x", spec.stem_c, spec.stem_k, spec.stem_stride, (0, 0, 0, 0)), spec.stem_c, "relu"
    )
    for blk in spec.blocks:
        x = _block(bb, x, blk)
    c, h, w = bb.shape
    if spec.head == "gap":
        x = b.node("Flatten", [b.node("GlobalAveragePool", [x])])
        n = c
    else:
        x = b.node("Flatten", [x])
        n = c * h * w
    y = b.node("Gemm", [x, b.w(spec.classes, n, scale=1 / np.sqrt(n)), b.w(spec.classes)], transB=1)
    if spec.softmax:
        y = b.node("Softmax", [y], axis=1)
    return b.model(y)


def _block(bb: _Builder, x: str, blk: Block) -> str:
    b = bb.b
    c = bb.shape[0]
    if blk.kind in ("ds", "residual"):
        stride = 1 if blk.kind == "residual" else blk.stride
        pads = blk.pads if blk.kind == "ds" else _same(blk.k)
        mult = 1 if blk.kind == "residual" else blk.mult
        y = bb.bn_act(bb.conv(x, c * mult, blk.k, stride, pads, group=c), c * mult, blk.act)
        out_c = c if blk.kind == "residual" else blk.out_c
        y = bb.bn_act(bb.conv(y, out_c, (1, 1), 1, (0, 0, 0, 0)), out_c, "none")
        return b.node("Add", [x, y]) if blk.kind == "residual" else y
    if blk.kind == "concat":
        shape = bb.shape
        y1 = bb.bn_act(bb.conv(x, blk.out_c, (1, 1), 1, (0, 0, 0, 0)), blk.out_c, "relu")
        bb.shape = shape
        y2 = bb.bn_act(bb.conv(x, 4, (3, 3), 1, (1, 1, 1, 1)), 4, "relu")
        bb.shape = (blk.out_c + 4, shape[1], shape[2])
        return b.node("Concat", [y1, y2], axis=1)
    if blk.kind == "grouped":
        g = blk.groups if c % blk.groups == 0 else 1
        out_c = g * max(1, blk.out_c // g)
        return bb.bn_act(bb.conv(x, out_c, (1, 1), 1, (0, 0, 0, 0), group=g), out_c, blk.act)
    _, h, w = bb.shape
    k = (min(blk.k[0], h), min(blk.k[1], w))
    pads = tuple(min(p, kk - 1) for p, kk in zip(blk.pads, (*k, *k), strict=True))
    ho = (h + pads[0] + pads[2] - k[0]) // blk.stride + 1
    wo = (w + pads[1] + pads[3] - k[1]) // blk.stride + 1
    op = "MaxPool" if blk.pool == "max" else "AveragePool"
    attrs = {"count_include_pad": blk.cip} if op == "AveragePool" else {}
    bb.shape = (c, ho, wo)
    return b.node(op, [x], kernel_shape=list(k), strides=[blk.stride] * 2, pads=list(pads), **attrs)


def _same(k):
    return (
        (k[0] - 1) // 2,
        (k[1] - 1) // 2,
        k[0] - 1 - (k[0] - 1) // 2,
        k[1] - 1 - (k[1] - 1) // 2,
    )
