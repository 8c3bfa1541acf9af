"""The integer reference: executes a QGraph with the contract's kernels (dsgen.quant.ops).

This is what the C, HLS and RTL backends must reproduce bit for bit.
"""

from __future__ import annotations

import numpy as np

from dsgen.ir import graph as ir
from dsgen.quant import ops
from dsgen.quant.fixedpoint import requantize, saturate
from dsgen.quant.qgraph import ActQ, ChannelScaleQ, QGraph
from dsgen.quant.tables import interpolate16, lookup


def _conv(layer: ir.Conv, p, x):
    return ops.conv2d(
        x,
        p.weight,
        p.bias,
        stride=layer.stride,
        dilation=layer.dilation,
        pads=layer.pads,
        groups=layer.groups,
        z_in=p.z_in,
        z_out=p.z_out,
        q=p.mult,
        shift=p.shift,
        lo=p.lo,
        hi=p.hi,
        q_neg=p.mult_neg,
        shift_neg=p.shift_neg,
    )


def _dense(layer: ir.Dense, p, x):
    return ops.dense(
        x,
        p.weight,
        p.bias,
        z_in=p.z_in,
        z_out=p.z_out,
        q=p.mult,
        shift=p.shift,
        lo=p.lo,
        hi=p.hi,
        q_neg=p.mult_neg,
        shift_neg=p.shift_neg,
    )


def _pool(layer: ir.Pool, p, x):
    if layer.mode == "max":
        return saturate(
            ops.max_pool(x, kernel=layer.kernel, stride=layer.stride, pads=layer.pads), p.lo, p.hi
        )
    return ops.avg_pool(
        x,
        kernel=layer.kernel,
        stride=layer.stride,
        pads=layer.pads,
        count_include_pad=layer.count_include_pad,
        z_in=p.z_in,
        z_out=p.z_out,
        lo=p.lo,
        hi=p.hi,
        rq=p.rq,
    )


def _global(layer: ir.GlobalPool, p, x):
    if layer.mode == "max":
        return saturate(x.max(axis=(0, 1), keepdims=True), p.lo, p.hi)
    return ops.global_avg_pool(x, z_in=p.z_in, z_out=p.z_out, lo=p.lo, hi=p.hi, rq=p.rq)


def act(p: ActQ, x: np.ndarray) -> np.ndarray:
    """Standalone activation: a clamp, or a requantization with m_pos / m_neg (LeakyReLU)."""
    x = np.asarray(x, np.int64)
    if p.rq is None:
        return saturate(x, p.lo, p.hi)
    d = x - p.z_in
    pos = requantize(d, *p.rq)
    neg = requantize(d, *p.rq_neg)
    return saturate(p.z_out + np.where(d >= 0, pos, neg), p.lo, p.hi)


def channel_scale(p: ChannelScaleQ, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """y = clamp(z_out + RQ((x − z_x)·(s − z_s), q, shift), lo, hi); s is (1, 1, C)."""
    prod = (np.asarray(x, np.int64) - p.z_x) * (np.asarray(s, np.int64) - p.z_s)
    return saturate(p.z_out + requantize(prod, *p.rq), p.lo, p.hi)


def run_layer(layer: ir.Layer, p, ins: list[np.ndarray]) -> np.ndarray:
    x = ins[0]
    match layer:
        case ir.Conv():
            return _conv(layer, p, x)
        case ir.Dense():
            return _dense(layer, p, x)
        case ir.Pool():
            return _pool(layer, p, x)
        case ir.GlobalPool():
            return _global(layer, p, x)
        case ir.Add():
            return ops.add(
                ins[0],
                ins[1],
                z_a=p.z_a,
                z_b=p.z_b,
                z_out=p.z_out,
                m_a=p.m_a,
                m_b=p.m_b,
                m_out=p.m_out,
                left_shift=p.left_shift,
                lo=p.lo,
                hi=p.hi,
            )
        case ir.Concat():
            return ops.concat(ins, rqs=p.rqs, z_ins=p.z_ins, z_out=p.z_out, lo=p.lo, hi=p.hi)
        case ir.Shuffle():
            return ops.channel_shuffle(x, layer.groups)
        case ir.Flatten():
            return x.reshape(-1) if x.ndim == 3 else x.reshape(1, 1, -1)
        case ir.Act():
            return act(p, x)
        case ir.Lut():
            if p.bits == 16:
                return interpolate16(p.table, x, p.lo, p.hi)
            return lookup(p.table, x)
        case ir.ChannelScale():
            return channel_scale(p, ins[0], ins[1])
        case ir.ChannelSlice():
            return x[..., layer.start : layer.stop]
    raise NotImplementedError(f"integer reference: layer kind '{layer.kind}'")


def run(qg: QGraph, x_int: np.ndarray, *, keep: bool = False) -> dict[str, np.ndarray]:
    """Run on one integer input in IR layout; returns the integer outputs (all tensors if keep)."""
    env = {qg.graph.input: np.asarray(x_int, np.int64)}
    for layer in qg.int_layers:
        env[layer.output] = run_layer(layer, qg.params[layer.name], [env[t] for t in layer.inputs])
    return env if keep else {t: env[t] for t in qg.int_outputs}
