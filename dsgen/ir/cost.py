"""MACs, parameters and activation memory per layer, and the standard-convolution equivalent.

MACs of a conv = kh·kw·(C_in/groups)·C_out·H_out·W_out, of a dense layer in·out; parameters are
weights + biases after folding.  The standard-convolution equivalent replaces every depthwise conv
that feeds a pointwise conv by one kh×kw conv C_in→C_out at the depthwise stride (MobileNets §3.1),
whose cost ratio is 1/N + 1/Dk² (N = C_out, Dk² = kh·kw).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from dsgen.ir import graph as ir


@dataclass
class LayerCost:
    name: str
    kind: str
    in_shape: list[int]
    out_shape: list[int]
    kernel: list[int] | None
    stride: list[int] | None
    groups: int | None
    act: str
    macs: int
    params: int
    act_bytes: int  # output activation bytes at 8 bits per element


@dataclass
class BlockCost:
    depthwise: str
    pointwise: str
    macs: int
    standard_macs: int
    ratio: float
    formula: float  # 1/N + 1/Dk² (equals ratio for depth multiplier 1)


@dataclass
class CostReport:
    model: str
    input: dict
    layers: list[LayerCost]
    total: dict
    standard_conv_equivalent: dict
    blocks: list[BlockCost] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def layer_cost(g: ir.Graph, layer: ir.Layer) -> LayerCost:
    in_shape = list(g.shape(layer.inputs[0]))
    out_shape = list(g.shape(layer.output))
    kernel = stride = groups = None
    macs = params = 0
    if isinstance(layer, ir.Conv):
        kh, kw = layer.kernel
        macs = kh * kw * (layer.c_in // layer.groups) * layer.c_out * out_shape[0] * out_shape[1]
        params = layer.weight.size + layer.bias.size
        kernel, stride, groups = [kh, kw], list(layer.stride), layer.groups
    elif isinstance(layer, ir.Dense):
        macs = layer.weight.size
        params = layer.weight.size + layer.bias.size
    elif isinstance(layer, ir.Pool):
        kernel, stride = list(layer.kernel), list(layer.stride)
    act = getattr(layer, "act", ir.NONE)
    return LayerCost(
        layer.name,
        layer.kind,
        in_shape,
        out_shape,
        kernel,
        stride,
        groups,
        act.label(),
        macs,
        params,
        math.prod(out_shape),
    )


def _block(g: ir.Graph, dw: ir.Conv, pw: ir.Conv, costs: dict[str, LayerCost]) -> BlockCost:
    kh, kw = dw.kernel
    ho, wo, _ = g.shape(dw.output)
    std = kh * kw * dw.c_in * pw.c_out * ho * wo
    macs = costs[dw.name].macs + costs[pw.name].macs
    return BlockCost(dw.name, pw.name, macs, std, macs / std, 1 / pw.c_out + 1 / (kh * kw))


def cost_report(g: ir.Graph) -> CostReport:
    costs = {layer.name: layer_cost(g, layer) for layer in g.layers}
    by_name = {layer.name: layer for layer in g.layers}
    blocks = [_block(g, by_name[d], by_name[p], costs) for d, p in g.ds_blocks]
    total_macs = sum(c.macs for c in costs.values())
    total_params = sum(c.params for c in costs.values())
    std_macs, std_params = total_macs, total_params
    for b in blocks:
        dw, pw = by_name[b.depthwise], by_name[b.pointwise]
        kh, kw = dw.kernel
        std_macs += b.standard_macs - b.macs
        std_params += kh * kw * dw.c_in * pw.c_out + pw.c_out
        std_params -= costs[dw.name].params + costs[pw.name].params
    return CostReport(
        model=g.name,
        input={"name": g.onnx_input_name or g.input, "shape": list(g.onnx_input_shape)},
        layers=list(costs.values()),
        total={
            "macs": total_macs,
            "params": total_params,
            "act_bytes_max": max((c.act_bytes for c in costs.values()), default=0),
        },
        standard_conv_equivalent={
            "macs": std_macs,
            "params": std_params,
            "ratio": total_macs / std_macs if std_macs else 1.0,
        },
        blocks=blocks,
    )
