"""PE/SIMD of the hw/ engines from the shared folding plan (dsgen/backends/folding.py).

The plan is written for the HLS kernels, whose SIMD runs over the whole dot product
(kh·kw·C_in/groups; for a depthwise conv over the kh·kw taps).  The hw/ engines fold differently
(hw/dsg_conv.v): the sliding window emits one word of SIMD *input channels* per cycle, and
dsg_vecbuf packs TAPS consecutive window words (taps, or further channel folds) into one MVU word,
so a standard conv or dense layer multiplies SIMD·TAPS elements per lane — any divisor of the dot
product whose channel part divides C_in/groups — but never reads more than one window word per
cycle.  A depthwise engine has SIMD channel lanes (PE = SIMD·M) and no tap parallelism (each window
word is used once, so more taps per cycle could not be fed).  So the RTL keeps the plan's per-layer
multiplier budget and II and re-factors it for the hardware:

* among the hw-legal (PE, SIMD, TAPS) within the plan's multipliers, reach the plan's II if
  possible, else the fewest cycles; then use the fewest multipliers doing so.  The second rule
  also trims layers the greedy planner raised past the final II (it raises ties one by one), so
  the multipliers counted are the ones that work.
* a depthwise engine with channel multiplier M has at least M multipliers (SIMD = 1, PE = M),
  even where the plan allows fewer.

Cycle model (hw/dsg_conv.v header): standard/grouped/dense N_PIX·C_out·KK·C_in_g/(PE·SIMD·TAPS),
but not below the window words N_PIX·(C_in/SIMD)·KK; depthwise N_PIX·C_in·KK/SIMD; never below the
input or output stream (1 element/cycle).  Multipliers: PE·SIMD·TAPS (depthwise PE).
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
    taps: int = 1  # window words per MVU word (standard convs and dense)


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
        window = pix * (cin // simd) * kk  # window words, one per cycle
        for taps in _divisors(cin // groups // simd * kk):
            for pe in _divisors(cout // groups):
                cyc = max(macs // (pe * simd * taps), window, floor)
                out.append(HwFold(pe, simd, cyc, pe * simd * taps, macs, taps))
    return out


def hw_folds(qg: QGraph, plan: FoldPlan) -> dict[str, HwFold]:
    """hw (PE, SIMD) of every MAC layer of ``qg.int_layers`` (by layer name).

    First try the plan's II with the fewest hw multipliers per layer under the whole budget (the
    hw engines fold differently, so the plan's per-layer split need not be the cheapest for them);
    if that exceeds the budget, keep each layer within the plan's own multipliers."""
    g = qg.graph
    layers = [layer for layer in qg.int_layers if layer.kind in MAC_KINDS]
    free = {layer.name: _pick(_candidates(g, layer), None, plan.ii_cycles) for layer in layers}
    # the two pools of the plan: hard multipliers, and LUT MACs (≤ 4-bit weights)
    on_luts = {layer.name: plan.get(layer.name).on_luts for layer in layers}
    dsp = sum(f.multipliers for n, f in free.items() if not on_luts[n])
    lut = sum(f.multipliers for n, f in free.items() if on_luts[n])
    if dsp <= plan.multipliers and lut <= max(plan.lut_macs, plan.used_lut_macs):
        return free
    out = {}
    for layer in layers:
        out[layer.name] = _pick(_candidates(g, layer), plan.get(layer.name).lanes,
                                plan.ii_cycles)  # fmt: skip
    return out


def _pick(every: list[HwFold], cap: int | None, ii: int) -> HwFold:
    # a depthwise engine with channel multiplier M needs M multipliers even where the plan
    # (folding over taps) allows fewer, e.g. a 1x1 depthwise with M = 2 given 1 multiplier
    if cap is not None:
        cap = max(cap, min(c.multipliers for c in every))
    cands = [c for c in every if cap is None or c.multipliers <= cap]
    target = max(min(c.cycles for c in cands), ii)
    return min((c for c in cands if c.cycles <= target),
               key=lambda c: (c.multipliers, c.cycles, c.taps, -c.simd))  # fmt: skip


def pool_simd(c: int, kk: int, out_elems: int, in_elems: int) -> int:
    """Smallest channel parallelism that keeps a pool's reduction (out·kk/SIMD words) within its
    element streams (1 element/cycle), so a pool never becomes the bottleneck by reducing."""
    floor = max(out_elems, in_elems)
    return next((s for s in _divisors(c) if out_elems * kk // s <= floor), c)
