"""Models trained with quantization in the loop (QONNX, QCDQ): their own parameters, completed.

A QAT export quantizes every activation but usually leaves the classifier's output in float.
dsgen's integer network must end in integers (docs/fixed_point.md), so:

* the output of a final conv/dense layer without a quantizer gets int16 with the finest scale
  that provably never saturates (from the accumulator bounds); to hold it, all activations are
  stored as int16 with zero point 0 (`q − z` of every 8-bit value fits, so nothing changes in the
  integer domain: the 8-bit ranges are kept as clamps);
* an activation quantizer that rounds down (FLOOR), up (CEIL) or toward zero moves the layer's
  bias by half an output step, so the contract's round-to-nearest rounds the way the model does
  (exact except where the bias or a tie rounds differently: at most 1 LSB);
* the notes say how far the model's real scales are from the integers that represent them.
"""

from __future__ import annotations

import numpy as np

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant import calibrate
from dsgen.quant.bounds import conv_accumulator_bounds
from dsgen.quant.fixedpoint import INT32_MAX, quantize_multiplier

OUT_BITS = 16


def _group_quant(g: ir.Graph, groups: dict[str, str], t: str) -> ir.QParams | None:
    if g.tensors[t].quant is not None:
        return g.tensors[t].quant
    root = groups.get(t)
    for o, r in groups.items():
        if r == root and g.tensors[o].quant is not None:
            return g.tensors[o].quant
    return None


def _round(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


def _promote_to_16(g: ir.Graph) -> None:
    for t in g.tensors.values():
        q = t.quant
        if q is not None and q.bits == 8:
            lo, hi = q.int_range()
            z = q.zero_point
            t.quant = ir.QParams(q.scale, 0, 16, lo - z, hi - z, q.rounding)


def _weight_headroom(layer: ir.Conv | ir.Dense, qi: ir.QParams | None) -> None:
    """Weights narrower than int8 are stored times 2^k (the largest k that keeps them in int8
    and every accumulator in int32) with the scale divided by 2^k: the real weights are unchanged,
    and the accumulator's step, to which the model's float bias is rounded, is 2^k times finer."""
    wq = layer.wquant
    wmax = int(np.abs(wq.q).max(initial=0))
    if wmax == 0 or qi is None:
        return
    lo, hi = qi.int_range()
    bias = (
        np.asarray(wq.bias_q, np.float64)
        if wq.bias_q is not None
        else np.abs(layer.bias) / (qi.scale * wq.scale)
    )
    a_lo, a_hi = conv_accumulator_bounds(wq.q, np.ceil(np.abs(bias)), qi.zero_point, lo, hi)
    worst = max(int(np.abs(a_lo).max()), int(np.abs(a_hi).max()), 1)
    k = 0
    while wmax << (k + 1) <= 127 and worst << (k + 1) <= INT32_MAX:
        k += 1
    wq.q = wq.q << k
    wq.scale = wq.scale / (1 << k)
    wq.shift = k
    if wq.bias_q is not None:  # a quantized bias moves to the finer step exactly
        wq.bias_q = np.asarray(wq.bias_q, np.int64) << k


def _float_output_params(
    g: ir.Graph, layer: ir.Layer, qi: ir.QParams, bits: int = OUT_BITS
) -> ir.QParams:
    """`bits` (16 or 8), zero point 0, the finest scale at which no input can saturate the
    output."""
    wq = getattr(layer, "wquant", None)
    if not isinstance(layer, (ir.Conv, ir.Dense)) or wq is None:
        raise DsgenError(
            f"layer '{layer.name}': the model's output is not quantized and is not the output "
            "of a conv or dense layer with quantized weights"
        )
    lo, hi = qi.int_range()
    s_acc = qi.scale * wq.scale
    bias_q = wq.bias_q if wq.bias_q is not None else _round(layer.bias / s_acc)
    a_lo, a_hi = conv_accumulator_bounds(wq.q, bias_q, qi.zero_point, lo, hi)
    real_max = float(np.max(s_acc * np.maximum(np.abs(a_lo), np.abs(a_hi)), initial=0.0))
    scale = real_max / ((1 << (bits - 1)) - 1) if real_max > 0 else 1.0
    return ir.QParams(scale, 0, bits)


def _directed_rounding_bias(g: ir.Graph, layer: ir.Layer, qi, qo, notes: list[str]) -> None:
    """FLOOR/CEIL/toward-zero output quantizers: shift the bias by ∓ half an output step."""
    wq = getattr(layer, "wquant", None)
    if wq is None or qo.rounding in ("half_away", "half_even"):
        return
    lo, _ = qo.int_range()
    if qo.rounding == "to_zero" and lo < qo.zero_point:
        notes.append(
            f"layer '{layer.name}': rounding toward zero of a signed output is rounded to "
            "nearest (within 1 LSB)"
        )
        return
    step = -0.5 if qo.rounding in ("floor", "to_zero") else 0.5
    s_acc = qi.scale * wq.scale
    wq.bias_q = _round((layer.bias + step * qo.scale) / s_acc).astype(np.int64)


def is_qat(g: ir.Graph) -> bool:
    """A QAT export (QONNX, QCDQ): some activation has a quantizer range narrower than its type."""
    return any(t.quant is not None and t.quant.qmin is not None for t in g.tensors.values())


def scale_note(g: ir.Graph, layers) -> str:
    """How far the multipliers and biases are from the model's real values."""
    worst_m, worst_b = 0.0, 0.0
    for layer in layers:
        wq = getattr(layer, "wquant", None)
        if wq is None:
            continue
        qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
        s_acc = qi.scale * wq.scale
        for m in s_acc / qo.scale:
            mq = quantize_multiplier(float(m))
            worst_m = max(worst_m, abs(mq.real() - m) / m)
        if wq.bias_q is None:  # the float bias is rounded to the accumulator's step
            err = np.abs(_round(layer.bias / s_acc) * s_acc - layer.bias) / qo.scale
            worst_b = max(worst_b, float(err.max(initial=0.0)))
    return (
        f"the model's scales: requantization multipliers within {worst_m:.2e} (relative) of "
        f"s_in·s_w/s_out; float biases rounded to the accumulator step: at most {worst_b:.3f} "
        "output LSB"
    )


def prepare(
    g: ir.Graph, layers: list[ir.Layer], int_outputs: list[str], output_bits: int = OUT_BITS
) -> list[str]:
    """Complete a pre-quantized graph's parameters in place; returns the compile notes."""
    notes: list[str] = []
    bits = {t.quant.bits for t in g.tensors.values() if t.quant is not None}
    if len(bits) > 1:
        raise DsgenError("the model mixes 8-bit and wider activation quantizers")
    groups = calibrate.share_groups(layers)
    missing = [t for t in int_outputs if _group_quant(g, groups, t) is None]
    if missing:
        if g.input_dtype != "float32":
            raise DsgenError("an integer-input model whose output is not quantized")
        if bits == {8} and output_bits == 16:
            _promote_to_16(g)
            notes.append(
                "the model's output is not quantized: activations are stored as int16 (their "
                "8-bit ranges kept) so that the float output gets an int16 scale"
            )
        for t in missing:
            layer = g.producer(t)
            qi = _group_quant(g, groups, layer.inputs[0])
            if qi is None:
                raise DsgenError(f"layer '{layer.name}': its input has no quantization parameters")
            out_bits = 16 if bits != {8} else output_bits
            g.tensors[t].quant = _float_output_params(g, layer, qi, out_bits)
            notes.append(
                f"output '{t}' (float in the model): int{out_bits}, scale "
                f"{g.tensors[t].quant.scale:.4g}"
            )
    for layer in layers:
        if isinstance(layer, (ir.Conv, ir.Dense)) and layer.wquant is not None:
            _weight_headroom(layer, _group_quant(g, groups, layer.inputs[0]))
        if isinstance(layer, (ir.Conv, ir.Dense)):
            qi = _group_quant(g, groups, layer.inputs[0])
            qo = g.tensors[layer.output].quant
            if qi is not None and qo is not None:
                _directed_rounding_bias(g, layer, qi, qo, notes)
    return notes
