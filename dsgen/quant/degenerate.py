"""Layers whose quantized output range collapses: the integer network would compute a constant (or
drop a term) where the float network varies, and a bit-exact backend would faithfully reproduce it.

Both sides of `verify --target c` share the integer parameters, so only the quantizer can notice.
It looks at what the integers *can* do, whatever the input: for a conv or dense layer the proven
accumulator bounds of each output channel, requantized and clamped; for the other layers their
requantization multipliers.  Each finding names the layer; `--strict` turns them into an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsgen.ir import graph as ir
from dsgen.quant.bounds import conv_accumulator_bounds
from dsgen.quant.fixedpoint import type_range
from dsgen.quant.layer_params import REAL_MULTIPLIER, producer_range
from dsgen.quant.ops import requantize_channels
from dsgen.quant.qgraph import ActQ, AddQ, ConcatQ, ConvQ, PoolQ


@dataclass(frozen=True)
class Collapse:
    layer: str
    op: str
    reason: str

    def note(self) -> str:
        return f"note: layer '{self.layer}' ({self.op}): quantization collapses it: {self.reason}"


def _float_varies(g: ir.Graph, layer: ir.Layer, rec: ConvQ, stats) -> np.ndarray | None:
    """Per output channel: does the float layer's output span at least one output step, within
    what the output type can represent?  None without calibration statistics (a QDQ model)."""
    if stats is None or layer.output not in stats.channel_ranges:
        return None
    q = g.tensors[layer.output].quant
    lo, hi = stats.channel_ranges[layer.output]
    real_lo, real_hi = (rec.lo - q.zero_point) * q.scale, (rec.hi - q.zero_point) * q.scale
    span = np.minimum(hi, real_hi) - np.maximum(lo, real_lo)
    return span >= q.scale


def _conv(g, layer, rec: ConvQ, params, stats, notes: dict) -> list[str]:
    reasons = []
    in_lo, in_hi = producer_range(g, layer.inputs[0], params)
    groups = layer.groups if isinstance(layer, ir.Conv) else 1
    a_lo, a_hi = conv_accumulator_bounds(rec.weight, rec.bias, rec.z_in, in_lo, in_hi, groups)
    # A zero multiplier matters where the exact one would move the output by half a step or more
    # (a pre-quantized model may zero a dead channel's multiplier on purpose: TFLite does).
    m_real = notes.get(REAL_MULTIPLIER)
    reach = np.maximum(np.abs(a_lo), np.abs(a_hi)) * (np.inf if m_real is None else m_real)
    under = np.flatnonzero((rec.mult == 0) & (reach >= 0.5))
    if under.size:
        reasons.append(
            f"requantization multiplier underflows to 0 in {under.size} channel(s) "
            f"(first: {int(under[0])})"
        )
    if notes.get("bias_clipped"):
        reasons.append(f"bias clipped to int32 in {notes['bias_clipped']} channel(s)")
    kw = dict(z_out=rec.z_out, q=rec.mult, shift=rec.shift, lo=rec.lo, hi=rec.hi)
    kw.update(q_neg=rec.mult_neg, shift_neg=rec.shift_neg)
    const = requantize_channels(a_lo, **kw) == requantize_channels(a_hi, **kw)
    varies = _float_varies(g, layer, rec, stats)
    if varies is not None:
        bad = np.flatnonzero(const & varies)
        if bad.size:
            reasons.append(
                f"{bad.size} of {const.size} output channel(s) can only output one value while "
                f"the float layer's vary (first: channel {int(bad[0])})"
            )
    return reasons


def _lost(rq, real_span: float) -> bool:
    """A multiplier that underflowed to 0 although the term it scales spans ≥ 1 output step."""
    return rq is not None and rq[0] == 0 and real_span >= 1.0


def _span(g: ir.Graph, tensor: str) -> float:
    lo, hi = type_range(g.tensors[tensor].quant.bits)
    return float(hi - lo)


def _other(g, layer, rec) -> list[str]:
    qo = g.tensors[layer.output].quant
    terms: list[tuple[str, object, float]] = []
    if isinstance(rec, AddQ):
        for t, m in zip(layer.inputs, (rec.m_a, rec.m_b), strict=True):
            terms.append((f"input '{t}'", m, g.tensors[t].quant.scale * _span(g, t) / qo.scale))
        if rec.m_out[0] == 0:
            return ["the output multiplier underflows to 0: the sum is constant"]
    elif isinstance(rec, ConcatQ):
        for t, m in zip(layer.inputs, rec.rqs, strict=True):
            terms.append((f"input '{t}'", m, g.tensors[t].quant.scale * _span(g, t) / qo.scale))
    elif isinstance(rec, PoolQ | ActQ):
        t = layer.inputs[0]
        terms.append(("its input", rec.rq, g.tensors[t].quant.scale * _span(g, t) / qo.scale))
    return [
        f"the multiplier of {what} underflows to 0 (it spans {span:.3g} output steps)"
        for what, rq, span in terms
        if _lost(rq, span)
    ]


def find(qg, stats) -> list[Collapse]:
    """Every layer of `qg` whose integer output range has collapsed, in execution order."""
    g = qg.graph
    found = []
    for layer in qg.int_layers:
        rec = qg.params[layer.name]
        if isinstance(rec, ConvQ):
            reasons = _conv(g, layer, rec, qg.params, stats, qg.per_layer.get(layer.name, {}))
        else:
            reasons = _other(g, layer, rec)
        found += [Collapse(layer.name, layer.kind, r) for r in reasons]
    return found
