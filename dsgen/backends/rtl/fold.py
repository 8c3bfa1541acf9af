"""PE/SIMD of the hw/ engines from the shared folding plan (dsgen/backends/folding.py).

The plan is written for the HLS kernels, whose SIMD runs over the whole dot product
(kh·kw·C_in/groups; for a depthwise conv over the kh·kw taps).  The hw/ engines fold differently
(hw/dsg_mvu.v): SIMD runs over *input channels* only (the sliding window emits SIMD-channel words),
and a depthwise engine has SIMD channel lanes (PE = SIMD·M), no tap parallelism.  So the RTL keeps
the plan's per-layer multiplier budget and II and re-factors it for the hardware:

* among the hw-legal (PE, SIMD) whose PE·SIMD does not exceed the plan's, reach the plan's II if
  possible, else the fewest cycles; then use the fewest multipliers doing so.  The second rule
  also trims layers the greedy planner raised past the final II (it raises ties one by one), so
  the multipliers counted are the ones that work.

Cycle model (hw/dsg_mvu.v header): standard/grouped/dense N_PIX·C_out·KK·C_in_g/(PE·SIMD),
depthwise N_PIX·C_in·KK/SIMD, never below the input or output stream (1 element/cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsgen.backends.folding import MAC_KINDS, FoldPlan
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph


@dataclass(frozen=True)
class HwFold:
    pe: int
    simd: int
    cycles: int  # the hw cycle model, one frame
    multipliers: int
    macs: int


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _geometry(g: ir.Graph, layer: ir.Layer) -> tuple[int, int, int, int, int, int, int]:
    """(pixels, C_in, C_out, KK, groups, in_elems, out_elems) of a MAC layer."""
    if isinstance(layer, ir.Dense):
        n_in, n_out = layer.weight.shape[1], layer.weight.shape[0]
        return 1, n_in, n_out, 1, 1, n_in, n_out
    ho, wo, cout = g.shape(layer.output)
    kh, kw = layer.kernel
    return (
        ho * wo,
        layer.c_in,
        cout,
        kh * kw,
        layer.groups,
        g.tensors[layer.inputs[0]].size,
        ho * wo * cout,
    )


def _candidates(g: ir.Graph, layer: ir.Layer) -> list[HwFold]:
    pix, cin, cout, kk, groups, n_in, n_out = _geometry(g, layer)
    floor = max(n_in, n_out)
    macs = pix * cout * kk * (cin // groups)
    out = []
    if layer.kind == "depthwise_conv":
        m = cout // cin
        for simd in _divisors(cin):
            cyc = max(pix * cin * kk // simd, floor)
            out.append(HwFold(simd * m, simd, cyc, simd * m, macs))
        return out
    for simd in _divisors(cin // groups):
        for pe in _divisors(cout // groups):
            cyc = max(macs // (pe * simd), floor)
            out.append(HwFold(pe, simd, cyc, pe * simd, macs))
    return out


def hw_folds(qg: QGraph, plan: FoldPlan) -> dict[str, HwFold]:
    """hw (PE, SIMD) of every MAC layer of ``qg.int_layers`` (by layer name)."""
    g = qg.graph
    out = {}
    for layer in qg.int_layers:
        if layer.kind not in MAC_KINDS:
            continue
        lf = plan.get(layer.name)
        cands = [c for c in _candidates(g, layer) if c.multipliers <= max(lf.multipliers, 1)]
        best = min(c.cycles for c in cands)
        target = max(best, plan.ii_cycles)
        out[layer.name] = min(
            (c for c in cands if c.cycles <= target),
            key=lambda c: (c.multipliers, c.cycles, -c.simd),
        )
    return out


def pool_simd(c: int, kk: int, out_elems: int, in_elems: int) -> int:
    """Smallest channel parallelism that keeps a pool's reduction (out·kk/SIMD words) within its
    element streams (1 element/cycle), so a pool never becomes the bottleneck by reducing."""
    floor = max(out_elems, in_elems)
    return next((s for s in _divisors(c) if out_elems * kk // s <= floor), c)
