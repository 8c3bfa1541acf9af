"""Folding passes: identities, per-channel affine (BatchNorm) into weights, Pad into windows,
activations into their producer."""

from __future__ import annotations

import numpy as np

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.passes.nonlinear import affine_into_table


def _sole_consumer(g: ir.Graph, tensor: str) -> ir.Layer | None:
    users = g.consumers(tensor)
    if len(users) != 1 or tensor in g.outputs:
        return None
    return users[0]


def _bypass(g: ir.Graph, layer: ir.Layer, keep_output_of: ir.Layer) -> None:
    """Remove `layer`, whose input is `keep_output_of`'s output; the producer takes over the
    removed layer's output tensor (and so its name and any quantization parameters)."""
    old = keep_output_of.output
    keep_output_of.output = layer.output
    g.layers.remove(layer)
    del g.tensors[old]


def remove_identities(g: ir.Graph) -> None:
    for layer in [l for l in g.layers if isinstance(l, ir.Identity)]:
        src, dst = layer.inputs[0], layer.output
        g.layers.remove(layer)
        if dst in g.outputs and src == g.input:
            raise DsgenError(f"graph output '{dst}' is the graph input (no layer computes it)")
        quant = g.tensors[dst].quant or g.tensors[src].quant
        g.replace_tensor(dst, src)
        g.tensors[src].quant = quant
        del g.tensors[dst]


def fold_affine(g: ir.Graph) -> None:
    """Fold per-channel y = x·mul + add (BatchNorm, tf2onnx's Mul/Add) into the conv before."""
    changed = True
    while changed:
        changed = False
        for layer in list(g.layers):
            if not isinstance(layer, ir.Affine):
                continue
            prod = g.producer(layer.inputs[0])
            if prod is None or _sole_consumer(g, prod.output) is not layer:
                continue
            if isinstance(prod, (ir.Conv, ir.Dense)) and prod.act.kind is ir.ActKind.NONE:
                _fold_into_weights(prod, layer)
            elif isinstance(prod, ir.Affine):
                prod.add = prod.add * layer.mul + layer.add
                prod.mul = prod.mul * layer.mul
                prod.add_q = None
            else:
                changed = changed or affine_into_table(g, layer)
                continue
            _bypass(g, layer, prod)
            changed = True
    for layer in [l for l in g.layers if isinstance(l, ir.Affine)]:
        affine_into_table(g, layer)  # no producer folded it: a decomposed HardSigmoid?
    left = [l for l in g.layers if isinstance(l, ir.Affine)]
    if left:
        raise DsgenError(
            f"node '{left[0].name}': a per-channel scale/shift that does not follow a "
            "convolution or dense layer is not supported"
        )


def _fold_into_weights(prod: ir.Conv | ir.Dense, aff: ir.Affine) -> None:
    mul, add = aff.mul.astype(np.float64), aff.add.astype(np.float64)
    shape = (-1,) + (1,) * (prod.weight.ndim - 1)
    prod.weight = (prod.weight * mul.reshape(shape)).astype(np.float32)
    prod.bias = (prod.bias * mul + add).astype(np.float32)
    wq = prod.wquant
    if wq is not None:
        if np.all(mul == 1.0) and aff.add_q is not None and wq.bias_q is None:
            wq.bias_q = aff.add_q  # MatMul + Add(DequantizeLinear(int32 bias)) of a QDQ model
        elif not np.all(mul == 1.0):
            # The model's integers stay; the per-channel factor joins the weight scale (and so
            # the requantization multiplier), a negative one flips the channel's signs.
            sign = np.where(mul < 0, -1, 1).astype(np.int64)
            wq.q = wq.q * sign.reshape(shape) * (mul != 0).reshape(shape)
            wq.scale = np.where(mul != 0, wq.scale * np.abs(mul), wq.scale)
            if wq.bias_q is not None:
                wq.bias_q = None  # the float bias (bias·mul + add) is requantized instead


def fold_pad(g: ir.Graph) -> None:
    for pad in [l for l in g.layers if isinstance(l, ir.Pad)]:
        nxt = _sole_consumer(g, pad.output)
        ok = pad.value == 0.0 and (
            isinstance(nxt, ir.Conv)
            or (
                isinstance(nxt, ir.Pool)
                and nxt.mode == "avg"
                and (nxt.count_include_pad or nxt.pads == (0, 0, 0, 0))
            )
        )
        if not ok:
            raise DsgenError(
                f"node '{pad.name}': a Pad is supported only (with value 0) before a "
                "convolution or an average pool"
            )
        nxt.pads = tuple(a + b for a, b in zip(nxt.pads, pad.pads, strict=True))
        if isinstance(nxt, ir.Pool):
            nxt.count_include_pad = True  # the explicit zeros were counted by the original graph
        nxt.inputs = [pad.inputs[0] if t == pad.output else t for t in nxt.inputs]
        g.layers.remove(pad)
        del g.tensors[pad.output]


# Not Concat: a concat stays a pure copy (docs/fixed_point.md); an activation after it stays a
# standalone clamp, which shares the concat's quantization parameters.
_FUSABLE = (ir.Conv, ir.Dense, ir.Pool, ir.GlobalPool, ir.Add)


def fuse_activation(g: ir.Graph) -> None:
    for act in [l for l in g.layers if isinstance(l, ir.Act)]:
        prod = g.producer(act.inputs[0])
        if not isinstance(prod, _FUSABLE) or _sole_consumer(g, prod.output) is not act:
            continue
        if prod.act.kind is not ir.ActKind.NONE or act.act.is_table:
            continue  # a table is a lookup after the requantization (passes.nonlinear)
        if isinstance(prod, ir.Pool) and prod.mode == "avg" and act.act.kind is ir.ActKind.LEAKY:
            continue
        prod.act = act.act
        _bypass(g, act, prod)
