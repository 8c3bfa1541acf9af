"""Integer parameters of one layer (docs/fixed_point.md, "Layers")."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dsgen.errors import DsgenError
from dsgen.ir import float_ref
from dsgen.ir import graph as ir
from dsgen.quant.bounds import conv_accumulator_bounds
from dsgen.quant.fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    quantize_multiplier,
    round_half_away,
)
from dsgen.quant.qgraph import ActQ, AddQ, ChannelScaleQ, ConcatQ, ConvQ, LutQ, MoveQ, PoolQ
from dsgen.quant.tables import build_table, build_table16

ADD_LEFT_SHIFT = {8: 20, 16: 15}
BIAS_LIMIT = float(1 << 30)  # |bias| in accumulator units, leaving room for the products
WEIGHT_SCALE = "_weight_scale"  # conv_params hands the quantizer its weight scales under this key
REAL_MULTIPLIER = "_real_multiplier"  # and the multipliers before rounding to the contract's


def _rq(m: float) -> tuple[int, int]:
    mq = quantize_multiplier(m)
    return mq.q, mq.shift


def clamp_range(act: ir.Activation, q: ir.QParams) -> tuple[int, int]:
    """The output clamp: the type's range (narrowed by a QAT quantizer's range) ∩ the quantized
    bounds of a fused ReLU / ReLU6 / Clip."""
    lo, hi = q.int_range()
    if act.kind is ir.ActKind.RELU:
        lo = max(lo, q.zero_point)
    elif act.kind is ir.ActKind.CLIP:
        if math.isfinite(act.lo):
            lo = max(lo, q.zero_point + int(round_half_away(act.lo / q.scale)))
        if math.isfinite(act.hi):
            hi = min(hi, q.zero_point + int(round_half_away(act.hi / q.scale)))
    return lo, hi


def producer_range(g: ir.Graph, tensor: str, params: dict) -> tuple[int, int]:
    """What the integer values of `tensor` can be: its producer's clamp, else the type's range."""
    prod = g.producer(tensor)
    rec = params.get(prod.name) if prod is not None else None
    if rec is not None and hasattr(rec, "lo"):
        return rec.lo, rec.hi
    return g.tensors[tensor].quant.int_range()


def _weight_scales(w: np.ndarray, bits: int, per_channel: bool, pow2: bool) -> np.ndarray:
    flat = np.abs(w.reshape(w.shape[0], -1))
    if bits == 1:  # binary ±s: the mean |w| minimizes the squared error (XNOR-Net)
        mag = flat.mean(axis=1) if per_channel else np.full(w.shape[0], flat.mean())
        s = np.where(mag > 0, mag, 1.0)
    else:
        qmax = (1 << (bits - 1)) - 1
        absmax = flat.max(axis=1)
        if not per_channel:
            absmax = np.full_like(absmax, absmax.max())
        s = np.where(absmax > 0, absmax / qmax, 1.0)
    if pow2:
        s = 2.0 ** np.ceil(np.log2(s))
    return s


def _round(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


def conv_params(g, layer, params, stats, cfg) -> tuple[ConvQ, dict]:
    qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
    ov = cfg.overrides.get(layer.name)
    wbits = (ov.weight_bits if ov and ov.weight_bits else None) or cfg.weight_bits
    per_channel = cfg.per_channel if ov is None or ov.per_channel is None else ov.per_channel
    w = layer.weight.astype(np.float64)
    bias = layer.bias.astype(np.float64)
    in_lo, in_hi = producer_range(g, layer.inputs[0], params)
    groups = layer.groups if isinstance(layer, ir.Conv) else 1
    if layer.wquant is not None and stats is None:  # a QDQ model's own integers
        wq, s_w = layer.wquant.q.astype(np.int64), layer.wquant.scale.astype(np.float64)
        wbits, bias_q = 8, layer.wquant.bias_q
        if bias_q is None:
            bias_q = _round(bias / (qi.scale * s_w))
        bias_q = np.asarray(bias_q, np.float64)
        clipped = int(np.count_nonzero((bias_q < INT32_MIN) | (bias_q > INT32_MAX)))
        bias_q = np.clip(bias_q, INT32_MIN, INT32_MAX).astype(np.int64)
        a_lo, a_hi = conv_accumulator_bounds(wq, bias_q, qi.zero_point, in_lo, in_hi, groups)
        raised = 0
    else:
        s_w = _weight_scales(w, wbits, per_channel, cfg.pow2)
        if stats is not None and cfg.bias_correction == "analytic":
            s_w0 = s_w
            wq, _ = _quantize_weights(w, s_w0, wbits)
            bias = bias - _bias_error(
                layer, wq * s_w0.reshape((-1,) + (1,) * (w.ndim - 1)) - w, stats
            )
        # A channel whose weights are tiny next to its bias: its weight scale is coarsened until the
        # bias fits in 2^30 (its weights matter little; a clipped bias would change its output).
        need = np.abs(bias) / (qi.scale * BIAS_LIMIT)
        raised = int(np.count_nonzero(need > s_w))
        s_w = np.maximum(s_w, need)
        for _ in range(24):  # coarsen the weight scale of channels that could overflow int32
            wq, _ = _quantize_weights(w, s_w, wbits)
            unclipped = _round(bias / (qi.scale * s_w))
            clipped = int(np.count_nonzero((unclipped < INT32_MIN) | (unclipped > INT32_MAX)))
            bias_q = np.clip(unclipped, INT32_MIN, INT32_MAX).astype(np.int64)
            a_lo, a_hi = conv_accumulator_bounds(wq, bias_q, qi.zero_point, in_lo, in_hi, groups)
            bad = (a_lo < INT32_MIN) | (a_hi > INT32_MAX)
            if not bad.any():
                break
            s_w = np.where(bad, s_w * 2, s_w)
            raised += int(bad.sum())
    m = qi.scale * s_w / qo.scale
    mult, shift = (np.array(v, np.int64) for v in zip(*(_rq(x) for x in m), strict=True))
    mult_neg = shift_neg = None
    if layer.act.kind is ir.ActKind.LEAKY:
        pairs = [_rq(layer.act.alpha * x) for x in m]
        mult_neg, shift_neg = (np.array(v, np.int64) for v in zip(*pairs, strict=True))
    lo, hi = clamp_range(layer.act, qo)
    if a_lo.min() < INT32_MIN or a_hi.max() > INT32_MAX:
        raise DsgenError(
            f"layer '{layer.name}': accumulators could leave int32 "
            f"([{a_lo.min()}, {a_hi.max()}]) with {qi.bits}-bit activations; use "
            "8-bit activations or fewer input channels"
        )
    rec = ConvQ(
        weight=wq,
        bias=bias_q,
        mult=mult,
        shift=shift,
        z_in=qi.zero_point,
        z_out=qo.zero_point,
        lo=lo,
        hi=hi,
        mult_neg=mult_neg,
        shift_neg=shift_neg,
        weight_bits=wbits,
        acc_min=int(a_lo.min()),
        acc_max=int(a_hi.max()),
    )
    notes = {"weight_bits": wbits, "per_channel": per_channel, "scales_raised": raised}
    return rec, notes | {"bias_clipped": clipped, WEIGHT_SCALE: s_w, REAL_MULTIPLIER: m}


def _quantize_weights(w: np.ndarray, s_w: np.ndarray, bits: int) -> tuple[np.ndarray, int]:
    """Symmetric: -qmax..qmax (2 bits: ternary -1, 0, 1); 1 bit: the sign, ±1 (0 → +1)."""
    if bits == 1:
        return np.where(w >= 0, 1, -1).astype(np.int64), 1
    qmax = (1 << (bits - 1)) - 1
    shape = (-1,) + (1,) * (w.ndim - 1)
    return np.clip(_round(w / s_w.reshape(shape)), -qmax, qmax).astype(np.int64), qmax


def _bias_error(layer, w_err: np.ndarray, stats) -> np.ndarray:
    """Expected output shift caused by weight rounding: Σ w_err · E[x] (per output channel)."""
    mean = stats.means[layer.inputs[0]]
    if isinstance(layer, ir.Dense):
        return w_err @ np.asarray(mean).reshape(-1)
    mean_map = stats.mean_maps.get(layer.inputs[0])
    if mean_map is not None:  # exact: the conv of the mean input, averaged over the outputs
        err = dataclasses.replace(layer, weight=w_err, bias=np.zeros(w_err.shape[0]))
        return float_ref.conv(mean_map, err).reshape(-1, w_err.shape[0]).mean(axis=0)
    c_out, kh, kw, cg = w_err.shape
    g = layer.groups
    mean_g = np.asarray(mean).reshape(g, cg)  # input-channel means of each group
    per_out = w_err.sum(axis=(1, 2))  # (C_out, cg): padding is ignored (a small edge effect)
    grp = np.arange(c_out) // (c_out // g)
    return (per_out * mean_g[grp]).sum(axis=1)


def pool_params(g, layer, params, stats, cfg) -> tuple[PoolQ, dict]:
    qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
    lo, hi = clamp_range(layer.act, qo)
    rq = None
    if (qi.scale, qi.zero_point) != (qo.scale, qo.zero_point):
        if layer.mode == "max":
            raise DsgenError(f"layer '{layer.name}': max pooling that changes scale")
        if isinstance(layer, ir.GlobalPool):
            h, w, _ = g.shape(layer.inputs[0])
            n = h * w
        elif layer.count_include_pad or layer.pads == (0, 0, 0, 0):
            n = layer.kernel[0] * layer.kernel[1]
        else:
            raise DsgenError(
                f"layer '{layer.name}': an average pool that changes scale with "
                "padded windows is not supported"
            )
        rq = _rq(qi.scale / (qo.scale * n))
    return PoolQ(qi.zero_point, qo.zero_point, lo, hi, rq), {}


def add_params(g, layer, params, stats, cfg) -> tuple[AddQ, dict]:
    qa, qb = (g.tensors[t].quant for t in layer.inputs)
    qo = g.tensors[layer.output].quant
    shift = ADD_LEFT_SHIFT[qo.bits]
    twice = 2 * max(qa.scale, qb.scale)
    lo, hi = clamp_range(layer.act, qo)
    return AddQ(
        qa.zero_point,
        qb.zero_point,
        qo.zero_point,
        _rq(qa.scale / twice),
        _rq(qb.scale / twice),
        _rq(twice / ((1 << shift) * qo.scale)),
        shift,
        lo,
        hi,
    ), {}


def concat_params(g, layer, params, stats, cfg) -> tuple[ConcatQ, dict]:
    qo = g.tensors[layer.output].quant
    rqs, zs = [], []
    for t in layer.inputs:
        qi = g.tensors[t].quant
        same = (qi.scale, qi.zero_point) == (qo.scale, qo.zero_point)
        rqs.append(None if same else _rq(qi.scale / qo.scale))
        zs.append(qi.zero_point)
    lo, hi = clamp_range(layer.act, qo)
    return ConcatQ(rqs, zs, qo.zero_point, lo, hi), {}


def act_params(g, layer, params, stats, cfg) -> tuple[ActQ, dict]:
    qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
    lo, hi = clamp_range(layer.act, qo)
    same = (qi.scale, qi.zero_point) == (qo.scale, qo.zero_point)
    rq = rq_neg = None
    if layer.act.kind is ir.ActKind.LEAKY or not same:
        rq = _rq(qi.scale / qo.scale)
        alpha = layer.act.alpha if layer.act.kind is ir.ActKind.LEAKY else 1.0
        rq_neg = _rq(alpha * qi.scale / qo.scale) if alpha > 0 else (0, 0)
    return ActQ(qi.zero_point, qo.zero_point, lo, hi, rq, rq_neg), {}


def move_params(g, layer, params, stats, cfg) -> tuple[MoveQ, dict]:
    qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
    if (qi.scale, qi.zero_point) != (qo.scale, qo.zero_point):
        raise DsgenError(f"layer '{layer.name}': {layer.kind} that changes quantization parameters")
    return MoveQ(), {}


def lut_params(g, layer, params, stats, cfg) -> tuple[LutQ, dict]:
    qi, qo = g.tensors[layer.inputs[0]].quant, g.tensors[layer.output].quant
    lo, hi = qo.int_range()
    if qi.bits == 8 and qo.bits == 8:
        return LutQ(build_table(layer.act, qi, qo), qi.zero_point, qo.zero_point, lo, hi), {}
    in_lo, in_hi = qi.int_range()
    if qi.bits != 16 or qo.bits != 16 or in_hi - in_lo < 1 << 15:
        # the interpolated table spaces its entries 2^7 codes apart over the whole int16 range:
        # an input holding a narrow (e.g. a QAT model's 8-bit) range would see only a few of them
        raise DsgenError(
            f"node '{layer.name}': table activation {layer.act.label()} needs int8 activations, "
            f"or int16 ones using at least half the int16 range (input range [{in_lo}, {in_hi}])"
        )
    table = build_table16(layer.act, qi, qo)
    return LutQ(table, qi.zero_point, qo.zero_point, lo, hi, bits=16), {}


def channel_scale_params(g, layer, params, stats, cfg) -> tuple[ChannelScaleQ, dict]:
    (qx, qs), qo = (g.tensors[t].quant for t in layer.inputs), g.tensors[layer.output].quant
    (x_lo, x_hi), (s_lo, s_hi) = (producer_range(g, t, params) for t in layer.inputs)
    dx = (x_lo - qx.zero_point, x_hi - qx.zero_point)
    ds = (s_lo - qs.zero_point, s_hi - qs.zero_point)
    corners = [a * b for a in dx for b in ds]
    p_lo, p_hi = min(corners), max(corners)
    q, shift = _rq(qx.scale * qs.scale / qo.scale)
    left = 1 << max(shift, 0)
    if p_lo * left < INT32_MIN or p_hi * left > INT32_MAX:
        raise DsgenError(
            f"node '{layer.name}': channel scale product [{p_lo}, {p_hi}] times 2^{shift} "
            "leaves int32"
        )
    lo, hi = qo.int_range()
    return ChannelScaleQ(
        qx.zero_point, qs.zero_point, qo.zero_point, (q, shift), lo, hi, p_lo, p_hi
    ), {}


def layer_params(g, layer, params, stats, cfg):
    match layer:
        case ir.Conv() | ir.Dense():
            return conv_params(g, layer, params, stats, cfg)
        case ir.Pool() | ir.GlobalPool():
            return pool_params(g, layer, params, stats, cfg)
        case ir.Add():
            return add_params(g, layer, params, stats, cfg)
        case ir.Concat():
            return concat_params(g, layer, params, stats, cfg)
        case ir.Act():
            return act_params(g, layer, params, stats, cfg)
        case ir.Shuffle() | ir.Flatten() | ir.ChannelSlice():
            return move_params(g, layer, params, stats, cfg)
        case ir.Lut():
            return lut_params(g, layer, params, stats, cfg)
        case ir.ChannelScale():
            return channel_scale_params(g, layer, params, stats, cfg)
    raise DsgenError(f"layer '{layer.name}': kind '{layer.kind}' cannot be quantized")
