"""Passes for the table activations (HardSwish, HardSigmoid, Sigmoid, SiLU, Tanh).

Exporters write these functions whole (HardSwish, HardSigmoid, Sigmoid ops) or decomposed:
`x * Relu6(x + 3) / 6` (Add, Clip, Mul, Div), `Clip(x / 6 + 0.5, 0, 1)`, `x * HardSigmoid(x)` and
`x * Sigmoid(x)` (SiLU).  An int8 table evaluates any single-input function exactly as well as its
parts, so the decomposed forms are recognised and become one activation; the integer network
then has one table where the graph had three or four rounding steps.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir


def _uniform(aff: ir.Affine) -> tuple[float, float] | None:
    """(mul, add) of an affine that is the same on every channel."""
    mul, add = np.asarray(aff.mul), np.asarray(aff.add)
    if mul.size and np.all(mul == mul.flat[0]) and np.all(add == add.flat[0]):
        return float(mul.flat[0]), float(add.flat[0])
    return None


def _only_user(g: ir.Graph, tensor: str, user: ir.Layer) -> bool:
    return tensor not in g.outputs and g.consumers(tensor) == [user]


def _gate_of(g: ir.Graph, x: str, gate: str, mul: ir.Mul) -> tuple[ir.Activation, list] | None:
    """If `gate` is f(x) for a sigmoid-like f, the activation x·f(x) and the layers it replaces."""
    chain: list[ir.Layer] = []
    gain = 1.0
    p = g.producer(gate)
    user: ir.Layer = mul
    if isinstance(p, ir.Affine) and (u := _uniform(p)) and u[1] == 0.0 and u[0] > 0:
        gain, chain, user = u[0], [p], p  # x * (relu6(x + 3) / 6)
        if not _only_user(g, gate, mul):
            return None
        p = g.producer(p.inputs[0])
    if not isinstance(p, ir.Act) or not _only_user(g, p.output, user):
        return None
    a = p.act
    if p.inputs[0] == x and (gain, a.gain, a.offset) == (1.0, 1.0, 0.0):
        if a.kind is ir.ActKind.SIGMOID:
            return ir.Activation(ir.ActKind.SILU), [*chain, p]
        if a.kind is ir.ActKind.HARDSIGMOID:
            return ir.Activation(ir.ActKind.HARDSWISH, alpha=a.alpha, beta=a.beta), [*chain, p]
    if a.kind is ir.ActKind.CLIP and a.lo == 0.0 and np.isfinite(a.hi):
        inner = g.producer(p.inputs[0])
        if isinstance(inner, ir.Affine) and inner.inputs[0] == x and _only_user(g, p.inputs[0], p):
            u = _uniform(inner)
            if u is not None and u[0] > 0:
                k, c, h = u[0], u[1], a.hi  # x·clip(k·x + c, 0, h) = h·x·clip(k/h·x + c/h, 0, 1)
                act = ir.Activation(ir.ActKind.HARDSWISH, alpha=k / h, beta=c / h, gain=h * gain)
                return act, [*chain, p, inner]
    return None


def recognize_gates(g: ir.Graph) -> None:
    """x·f(x) with f a (hard) sigmoid becomes one activation on x; any other product of two
    same-shape activations is refused."""
    for mul in [l for l in g.layers if isinstance(l, ir.Mul)]:
        for x, gate in (mul.inputs, mul.inputs[::-1]):
            found = _gate_of(g, x, gate, mul)
            if found is None:
                continue
            act, dead = found
            g.layers[g.layers.index(mul)] = ir.Act(
                name=mul.name, inputs=[x], output=mul.output, act=act
            )
            for layer in dead:
                g.layers.remove(layer)
                del g.tensors[layer.output]
            break
        else:
            shape = g.shape(mul.inputs[0])
            if len(shape) == 3 and shape[:2] == (1, 1):  # SE on a 1x1 map: both are vectors
                g.layers[g.layers.index(mul)] = ir.ChannelScale(
                    name=mul.name, inputs=list(mul.inputs), output=mul.output
                )
                continue
            raise DsgenError(
                "a product of two activations is supported only as x·Sigmoid(x), "
                "x·HardSigmoid(x), x·Relu6(x + 3) or a map times a per-channel vector",
                node=mul.name,
                op="Mul",
            )


def affine_into_table(g: ir.Graph, aff: ir.Affine) -> bool:
    """Fold an affine that is the same on every channel into a table activation before it or a
    clip(0, h) after it (the decomposed HardSigmoid of a tensor no conv produces)."""
    u = _uniform(aff)
    if u is None:
        return False
    prod = g.producer(aff.inputs[0])
    if isinstance(prod, ir.Act) and prod.act.is_table and _only_user(g, prod.output, aff):
        a = prod.act
        prod.act = dataclasses.replace(a, gain=a.gain * u[0], offset=a.offset * u[0] + u[1])
        _drop(g, aff, prod)
        return True
    users = g.consumers(aff.output)
    clip = users[0] if len(users) == 1 and aff.output not in g.outputs else None
    if (
        isinstance(clip, ir.Act)
        and clip.act.kind is ir.ActKind.CLIP
        and clip.act.lo == 0.0
        and np.isfinite(clip.act.hi)
        and u[0] > 0
    ):
        h = clip.act.hi  # clip(k·x + c, 0, h) = h·clip(k/h·x + c/h, 0, 1)
        clip.act = ir.Activation(ir.ActKind.HARDSIGMOID, alpha=u[0] / h, beta=u[1] / h, gain=h)
        clip.inputs = list(aff.inputs)
        g.layers.remove(aff)
        del g.tensors[aff.output]
        return True
    return False


def _drop(g: ir.Graph, layer: ir.Layer, prod: ir.Layer) -> None:
    """Remove `layer`; its producer takes over its output tensor."""
    old = prod.output
    prod.output = layer.output
    g.layers.remove(layer)
    del g.tensors[old]


def table_activations(g: ir.Graph) -> None:
    """Every remaining table activation becomes a `lut` layer (runs after fuse_activation, which
    never fuses a table into a requantization)."""
    for i, layer in enumerate(g.layers):
        if isinstance(layer, ir.Act) and layer.act.is_table:
            g.layers[i] = ir.Lut(
                name=layer.name, inputs=layer.inputs, output=layer.output, act=layer.act
            )
