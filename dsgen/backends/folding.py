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

Greedy water-filling: start every compute layer at PE = SIMD = 1; repeatedly take the current
bottleneck (the slowest layer) and raise its parallelism by one step — the next divisor of SIMD or
of PE, whichever gives the smaller PE·SIMD product (SIMD on a tie) — until the step does not fit the
budget or the bottleneck cannot be sped up (it is a non-MAC layer or already fully parallel).
The step chosen never depends on the budget, so a larger budget replays the same steps and then
continues: more multipliers never increase the II.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph

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

    @property
    def multipliers(self) -> int:
        return self.pe * self.simd if self.kind in MAC_KINDS else 0


@dataclass(frozen=True)
class FoldPlan:
    layers: list[LayerFold]
    multipliers: int  # the budget
    ii_cycles: int
    bottleneck: str  # name of the slowest layer

    @property
    def used_multipliers(self) -> int:
        return sum(f.multipliers for f in self.layers)

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
        rows.append(
            f"multipliers {self.used_multipliers}/{self.multipliers}, II {self.ii_cycles} cycles"
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
    return LayerFold(f.name, f.kind, pe, simd, f.macs, cycles, f.c_out, f.k, f.pixels, f.stream)


def _initial(g: ir.Graph, layers: list[ir.Layer]) -> list[LayerFold]:
    out = []
    for layer in layers:
        if layer.kind in MAC_KINDS:
            pixels, cout, k = _mac_geometry(g, layer)
            macs = pixels * cout * k
            stream = max(g.tensors[layer.inputs[0]].size, g.tensors[layer.output].size)
            out.append(
                LayerFold(
                    layer.name, layer.kind, 1, 1, macs, max(macs, stream), cout, k, pixels, stream
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


def plan_folding(qg: QGraph, multipliers: int | None = None) -> FoldPlan:
    """PE/SIMD for every compute layer of ``qg.int_layers`` under ``multipliers`` (None: the
    minimum, PE = SIMD = 1 everywhere)."""
    folds = _initial(qg.graph, qg.int_layers)
    minimum = sum(1 for f in folds if f.kind in MAC_KINDS)
    budget = minimum if multipliers is None else int(multipliers)
    if budget < minimum:
        raise DsgenError(
            f"--multipliers {budget} is below the minimum {minimum} (one per compute "
            "layer at PE = SIMD = 1)"
        )
    used = minimum
    while folds:
        i = max(range(len(folds)), key=lambda j: (folds[j].cycles, -j))
        nxt = _step(folds[i])
        if nxt is None or used + nxt.multipliers - folds[i].multipliers > budget:
            break
        used += nxt.multipliers - folds[i].multipliers
        folds[i] = nxt
    worst = max(folds, key=lambda f: f.cycles, default=None)
    ii = worst.cycles if worst else 0
    folds = [_trim(f, ii) for f in folds]
    return FoldPlan(folds, budget, ii, worst.name if worst else "")


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
            if pe * simd < best.multipliers:
                cand = _fold(f, pe, simd)
                if cand.cycles <= ii:
                    best = cand
    return best
