"""Skip-FIFO sizing for joins (residual add, concat) from the dataflow.

A join consumes both inputs in lockstep, but the branch that feeds its later input (the "long"
branch) has to *hold* input before it emits anything: a line-buffered conv or pool holds the rows
(and pixels) up to its first window's last pixel, a global pool or dense layer its whole input, a
shuffle one pixel.  While it does so, the fork keeps feeding the short branch, whose output can only
wait in a FIFO in front of the join.  If that FIFO is smaller than what arrives meanwhile, the fork
stalls, the long branch starves and the pipeline deadlocks.

``first_output_need`` counts, for every tensor, the graph-input elements that must have entered the
network before its first element can exist (``lead`` of each layer, converted between tensors by
their element ratio: streams move through one inference proportionally).  The difference of the two
join inputs, converted to the short input's elements, is what its FIFO must hold; the common prefix
of both branches cancels, so no fork needs to be found.  The margin covers the engines' pipelines
and the pixel interleave of a concat.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph

FIFO_MARGIN = 64  # elements in flight in the engines' pipelines (FIFOs of 8-16 words, requant)
STAGE_LATENCY = 16  # cycles an engine's pipeline (window, MVU, requant) adds to its own work


def lead(g: ir.Graph, layer: ir.Layer, i: int) -> int:
    """Elements of input ``i`` a layer consumes before its first output element."""
    shape = g.shape(layer.inputs[i])
    if isinstance(layer, (ir.Conv, ir.Pool)):
        h, w, c = shape
        kh, kw = layer.kernel
        dh, dw = layer.dilation if isinstance(layer, ir.Conv) else (1, 1)
        top, left = layer.pads[0], layer.pads[1]
        rows = min(max((kh - 1) * dh - top, 0), h - 1)
        cols = min(max((kw - 1) * dw - left, 0), w - 1)
        return (rows * w + cols + 1) * c
    if isinstance(layer, (ir.Dense, ir.GlobalPool)):
        return math.prod(shape)
    if isinstance(layer, ir.Shuffle):
        return shape[-1]
    if isinstance(layer, ir.ChannelSlice):  # the pixel's channels up to its first selected one
        return layer.start + 1
    if isinstance(layer, ir.ChannelScale) and i == 1:  # the whole scale vector
        return math.prod(shape)
    return 1  # add, concat, act: element by element


def first_output_need(qg: QGraph, root: Callable[[str], str]) -> dict[str, float]:
    """Graph-input elements needed before the first element of every tensor (roots only)."""
    g = qg.graph
    n_in = g.tensors[g.input].size
    need = {g.input: 0.0}
    for layer in qg.int_layers:
        if isinstance(layer, ir.Flatten):
            continue
        need[layer.output] = max(
            need[root(t)] + lead(g, layer, i) * n_in / g.tensors[root(t)].size
            for i, t in enumerate(layer.inputs)
        )
    return need


def skip_depth(
    qg: QGraph, layer: ir.Layer, need: dict[str, float], root: Callable[[str], str]
) -> tuple[int, int]:
    """(DEPTH, index of the input that gets the FIFO) for a two-input join."""
    g = qg.graph
    ta, tb = (root(t) for t in layer.inputs)
    short = 0 if need[ta] <= need[tb] else 1
    t_short, t_long = (ta, tb) if short == 0 else (tb, ta)
    n_in = g.tensors[g.input].size
    held = (need[t_long] - need[t_short]) * g.tensors[t_short].size / n_in
    # a concat drains one pixel of input a before it reads b: both pixels may be in flight
    pixel = g.shape(t_short)[-1] + g.shape(t_long)[-1]
    depth = math.ceil(held * 1.125) + pixel + FIFO_MARGIN
    return depth, short


def se_latency(qg: QGraph, layer: ir.ChannelScale, cycles: dict[str, int], root) -> int:
    """Cycles from a map's last element to the last element of its SE vector: the engines on the
    vector's branch (global pool, 1x1 convs, activations) run one after the other, each needing
    its whole input; ``cycles`` holds a MAC layer's folded cycles, any other layer takes one
    cycle per output element."""
    g = qg.graph
    stop, t, total = root(layer.inputs[0]), root(layer.inputs[1]), 0
    while t != stop and t != g.input:
        p = g.producer(t)
        total += cycles.get(p.name, g.tensors[p.output].size) + STAGE_LATENCY
        t = root(p.inputs[0])
    return total


def se_slack(qg: QGraph, layer: ir.ChannelScale, latency: int, ii: int) -> int:
    """Buffer slots beyond one map for a channel scale: what of the next map arrives while the
    current one waits ``latency`` cycles for its vector (maps arrive once per ``ii`` cycles, at
    most one element per cycle), so the producer never stalls for the SE branch.  A shortfall
    costs cycles, never correctness: the engine takes a whole map without its vector."""
    h, w, c = qg.graph.shape(layer.inputs[0])
    per_cycle = h * w * c / max(ii, 1)
    return min(latency, math.ceil(latency * per_cycle * 1.25) + c)
