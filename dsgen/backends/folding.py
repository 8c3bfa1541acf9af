"""Folding planner: PE × SIMD per compute layer under a multiplier budget (HLS and RTL backends).

A dataflow pipeline runs every layer concurrently, so its initiation interval (II) is the slowest
layer's cycle count. Cycle model, one frame:

* conv / pointwise / depthwise / grouped conv / dense:
  ``cycles = H_out · W_out · (C_out / PE) · (K / SIMD)`` with ``K = kh · kw · C_in / groups``
  (dense: ``H_out = W_out = 1``, ``K`` = inputs). PE output channels are computed in parallel (for a
  depthwise conv: PE channels), each with SIMD multipliers over the dot product (for a depthwise
  conv: SIMD of the kh·kw taps). PE must divide C_out and SIMD must divide K; cost PE · SIMD.
* pools, global pools, add, concat, shuffle, activations: one element per cycle, so the larger of
  the elements they read from one input and write (no multipliers, not foldable).

Two pools: a MAC with weights of at most LUT_MAC_BITS bits (binary: an add or subtract; 2–4 bits:
a narrow product) is built from LUTs, not a hard multiplier (DSP), so it is counted against
``lut_macs`` (default LUT_MACS_PER_MULTIPLIER × the multiplier budget), and the multiplier budget
is spent on the layers with 5–8-bit weights only.

Greedy water-filling: start every compute layer at PE = SIMD = 1; repeatedly take the current
bottleneck (the slowest layer) and raise its parallelism by one step — the next divisor of SIMD or
of PE, whichever gives the smaller PE·SIMD product (SIMD on a tie) — until the step does not fit its
pool's budget or the bottleneck cannot be sped up (it is a non-MAC layer or already fully parallel).
The step chosen never depends on the budget, so a larger budget replays the same steps and then
continues: more multipliers never increase the II.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dsgen.backends.weights import stored_weights
from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph

LUT_MAC_BITS = 4  # weights this narrow: the MAC is LUTs (a DSP would be wasted on it)
LUT_MACS_PER_MULTIPLIER = 4  # default LUT-MAC budget per hard multiplier of the budget
MAC_KINDS = frozenset({"conv", "pointwise_conv", "depthwise_conv", "grouped_conv", "dense"})
STREAM_KINDS = frozenset({"pool", "global_pool", "add", "concat", "shuffle", "act"})


@dataclass(frozen=True)
class LayerFold:
    name: str
    kind: str
    pe: int
    simd: int
    macs: int
    cycles: int
    c_out: int = 1  # what PE must divide
    k: int = 1  # what SIMD must divide (dot-product length)
    pixels: int = 1  # H_out · W_out
    stream: int = 0  # elements read or written at one per cycle: a floor under `cycles`
    wbits: int = 8  # stored weight bits (dsgen.backends.weights): ≤ LUT_MAC_BITS → LUT MACs

    @property
    def lanes(self) -> int:
        """MACs per cycle, wherever they are built."""
        return self.pe * self.simd if self.kind in MAC_KINDS else 0

    @property
    def on_luts(self) -> bool:
        return self.kind in MAC_KINDS and self.wbits <= LUT_MAC_BITS

    @property
    def multipliers(self) -> int:
        """Hard multipliers (DSPs): the MACs of layers with weights wider than LUT_MAC_BITS."""
        return 0 if self.on_luts else self.lanes

    @property
    def lut_macs(self) -> int:
        return self.lanes if self.on_luts else 0


@dataclass(frozen=True)
class FoldPlan:
    layers: list[LayerFold]
    multipliers: int  # the budget
    ii_cycles: int
    bottleneck: str  # name of the slowest layer
    lut_macs: int = 0  # the LUT-MAC budget (layers with ≤ LUT_MAC_BITS-bit weights)

    @property
    def used_multipliers(self) -> int:
        return sum(f.multipliers for f in self.layers)

    @property
    def used_lut_macs(self) -> int:
        return sum(f.lut_macs for f in self.layers)

    def get(self, name: str) -> LayerFold:
        for f in self.layers:
            if f.name == name:
                return f
        raise KeyError(name)

    def table(self) -> str:
        rows = [f"{'layer':<32} {'kind':<15} {'PE':>4} {'SIMD':>4} {'MACs':>10} {'cycles':>9}"]
        for f in self.layers:
            mark = "  <- bottleneck" if f.name == self.bottleneck else ""
            rows.append(
                f"{f.name[:32]:<32} {f.kind:<15} {f.pe:>4} {f.simd:>4} {f.macs:>10} "
                f"{f.cycles:>9}{mark}"
            )
        luts = f", LUT MACs {self.used_lut_macs}/{self.lut_macs}" if self.lut_macs else ""
        rows.append(
            f"multipliers {self.used_multipliers}/{self.multipliers}{luts}, "
            f"II {self.ii_cycles} cycles"
        )
        return "\n".join(rows)


def _mac_geometry(g: ir.Graph, layer: ir.Layer) -> tuple[int, int, int]:
    """(pixels, C_out, K) of a compute layer."""
    if isinstance(layer, ir.Dense):
        return 1, layer.weight.shape[0], layer.weight.shape[1]
    ho, wo, _ = g.shape(layer.output)
    cout, kh, kw, cin_g = layer.weight.shape
    return ho * wo, cout, kh * kw * cin_g


def _fold(f: LayerFold, pe: int, simd: int) -> LayerFold:
    # Activations stream one element per beat, so no parallelism beats the stream itself.
    cycles = max(f.pixels * (f.c_out // pe) * (f.k // simd), f.stream)
    return dataclasses.replace(f, pe=pe, simd=simd, cycles=cycles)


def _initial(qg: QGraph) -> list[LayerFold]:
    g = qg.graph
    out = []
    for layer in qg.int_layers:
        if layer.kind in MAC_KINDS:
            pixels, cout, k = _mac_geometry(g, layer)
            macs = pixels * cout * k
            stream = max(g.tensors[layer.inputs[0]].size, g.tensors[layer.output].size)
            wbits = stored_weights(layer, qg.params[layer.name]).bits
            out.append(
                LayerFold(
                    layer.name,
                    layer.kind,
                    1,
                    1,
                    macs,
                    max(macs, stream),
                    cout,
                    k,
                    pixels,
                    stream,
                    wbits,
                )  # fmt: skip
            )
        elif layer.kind in STREAM_KINDS:
            n = max([g.tensors[t].size for t in layer.inputs] + [g.tensors[layer.output].size])
            out.append(LayerFold(layer.name, layer.kind, 1, 1, 0, n))
    return out


def _next_divisor(n: int, d: int) -> int | None:
    return next((m for m in range(d + 1, n + 1) if n % m == 0), None)


def _step(f: LayerFold) -> LayerFold | None:
    """The next, smallest increase of f's parallelism (None when fully parallel or not foldable)."""
    if f.kind not in MAC_KINDS or f.cycles <= f.stream:
        return None  # more multipliers cannot beat the stream
    cands = []
    simd = _next_divisor(f.k, f.simd)
    if simd is not None:
        cands.append((f.pe * simd, 0, _fold(f, f.pe, simd)))
    pe = _next_divisor(f.c_out, f.pe)
    if pe is not None:
        cands.append((pe * f.simd, 1, _fold(f, pe, f.simd)))
    return min(cands, key=lambda c: c[:2])[2] if cands else None


def plan_folding(
    qg: QGraph, multipliers: int | None = None, lut_macs: int | None = None
) -> FoldPlan:
    """PE/SIMD for every compute layer of ``qg.int_layers`` under ``multipliers`` hard
    multipliers and ``lut_macs`` LUT MACs (None: the minimum, PE = SIMD = 1 everywhere; lut_macs
    None with a multiplier budget: LUT_MACS_PER_MULTIPLIER per multiplier)."""
    folds = _initial(qg)
    minimum = sum(f.multipliers for f in folds)
    lut_min = sum(f.lut_macs for f in folds)
    budget = minimum if multipliers is None else int(multipliers)
    if budget < minimum:
        raise DsgenError(
            f"--multipliers {budget} is below the minimum {minimum} (one per compute "
            f"layer with weights wider than {LUT_MAC_BITS} bits at PE = SIMD = 1)"
        )
    if lut_macs is None:
        lut_macs = lut_min if multipliers is None else LUT_MACS_PER_MULTIPLIER * budget
    lut_budget = max(int(lut_macs), lut_min)
    used, lut_used = minimum, lut_min
    while folds:
        i = max(range(len(folds)), key=lambda j: (folds[j].cycles, -j))
        nxt = _step(folds[i])
        if nxt is None:
            break
        d_mul = nxt.multipliers - folds[i].multipliers
        d_lut = nxt.lut_macs - folds[i].lut_macs
        if used + d_mul > budget or lut_used + d_lut > lut_budget:
            break
        used, lut_used = used + d_mul, lut_used + d_lut
        folds[i] = nxt
    worst = max(folds, key=lambda f: f.cycles, default=None)
    ii = worst.cycles if worst else 0
    folds = [_trim(f, ii) for f in folds]
    return FoldPlan(folds, budget, ii, worst.name if worst else "", lut_budget)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _trim(f: LayerFold, ii: int) -> LayerFold:
    """The fewest multipliers that still meet the initiation interval: the greedy loop can leave a
    non-bottleneck layer with more parallelism than the pipeline can use."""
    if f.kind not in MAC_KINDS:
        return f
    best = f
    for pe in _divisors(f.c_out):
        for simd in _divisors(f.k):
            if pe * simd < best.lanes:
                cand = _fold(f, pe, simd)
                if cand.cycles <= ii:
                    best = cand
    return best
