"""Integer reference kernels without weights: pooling, add, concat, shuffle (docs/fixed_point.md).

Import them from :mod:`dsgen.quant.ops`; this module only keeps ops.py short.  Activations are NHWC
without batch dimension; results are int64 arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from dsgen.quant.fixedpoint import requantize, rounding_div, saturate


def windows(xp: np.ndarray, kernel, stride, dilation=(1, 1)) -> np.ndarray:
    """A read-only (Ho, Wo, kh, kw, C) view of the sliding windows of a padded (H, W, C)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    hp, wp, c = xp.shape
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2 = xp.strides
    return as_strided(
        xp,
        shape=(max(ho, 0), max(wo, 0), kh, kw, c),
        strides=(s0 * sh, s1 * sw, s0 * dh, s1 * dw, s2),
        writeable=False,
    )


def _pad(x: np.ndarray, pads, value: int) -> np.ndarray:
    pt, pl, pb, pr = (int(p) for p in pads)
    return np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=value)


def max_pool(x, *, kernel, stride, pads) -> np.ndarray:
    """Window maximum; padded positions never win (they are -inf), so no requantization."""
    x = np.asarray(x, dtype=np.int64)
    sentinel = np.iinfo(np.int64).min
    win = windows(_pad(x, pads, sentinel), tuple(kernel), tuple(stride))
    y = win.max(axis=(2, 3))
    if y.size and y.min() == sentinel:
        raise ValueError(f"a max-pool window lies entirely in the padding (pads {pads})")
    return y


def avg_pool_counts(shape, *, kernel, stride, pads, count_include_pad: bool) -> np.ndarray:
    """``n`` of every output position, (Ho, Wo, 1), to build per-position rq multipliers."""
    h, w = shape[:2]
    if count_include_pad:
        ho, wo = windows(_pad(np.zeros((h, w, 1), np.int64), pads, 0), kernel, stride).shape[:2]
        return np.full((ho, wo, 1), kernel[0] * kernel[1], dtype=np.int64)
    ones = _pad(np.ones((h, w, 1), np.int64), pads, 0)
    return windows(ones, tuple(kernel), tuple(stride)).sum(axis=(2, 3))


def _finish_avg(s, n, *, z_in, z_out, lo, hi, rq):
    if rq is None:
        # Same scale and zero point in and out: the mean of the stored values is the answer.
        return saturate(rounding_div(s, n), lo, hi)
    q, shift = rq
    return saturate(int(z_out) + requantize(s - n * int(z_in), q, shift), lo, hi)


def avg_pool(
    x, *, kernel, stride, pads, count_include_pad: bool, z_in, z_out, lo, hi, rq=None
) -> np.ndarray:
    """Average pool.  ``rq=None``: rounding_div rule.  ``rq=(q, shift)``: the general rule, where q
    and shift are scalars or arrays broadcastable to (Ho, Wo, C) (m = s_in/(s_out·n) depends on n,
    so windows clipped by padding need their own multiplier — see :func:`avg_pool_counts`)."""
    x = np.asarray(x, dtype=np.int64)
    kernel, stride = tuple(kernel), tuple(stride)
    # With count_include_pad a padded position counts and contributes z_in; otherwise it contributes
    # nothing (pad with 0) and is not counted.
    fill = int(z_in) if count_include_pad else 0
    s = windows(_pad(x, pads, fill), kernel, stride).sum(axis=(2, 3))
    n = avg_pool_counts(
        x.shape, kernel=kernel, stride=stride, pads=pads, count_include_pad=count_include_pad
    )
    if n.size and n.min() < 1:
        raise ValueError(f"an average-pool window lies entirely in the padding (pads {pads})")
    return _finish_avg(s, n, z_in=z_in, z_out=z_out, lo=lo, hi=hi, rq=rq)


def global_avg_pool(x, *, z_in, z_out, lo, hi, rq=None) -> np.ndarray:
    """Mean over H and W -> (1, 1, C); ``rq`` as for :func:`avg_pool` with n = H·W."""
    x = np.asarray(x, dtype=np.int64)
    s = x.sum(axis=(0, 1), keepdims=True)
    n = x.shape[0] * x.shape[1]
    return _finish_avg(s, n, z_in=z_in, z_out=z_out, lo=lo, hi=hi, rq=rq)


def add(a, b, *, z_a, z_b, z_out, m_a, m_b, m_out, left_shift, lo, hi) -> np.ndarray:
    """TFLite's quantized add: both inputs to a common 2^L-magnified scale, sum, then rescale."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    sa = requantize((a - int(z_a)) << int(left_shift), *m_a)
    sb = requantize((b - int(z_b)) << int(left_shift), *m_b)
    return saturate(int(z_out) + requantize(sa + sb, *m_out), lo, hi)


def concat(xs, *, rqs, z_ins, z_out, lo, hi) -> np.ndarray:
    """Channel concat; input i is copied when ``rqs[i] is None``, else requantized to the output."""
    if not (len(xs) == len(rqs) == len(z_ins)):
        raise ValueError("concat wants one rq and one z_in per input")
    parts = []
    for x, rq, z in zip(xs, rqs, z_ins, strict=True):
        x = np.asarray(x, dtype=np.int64)
        if rq is None:
            parts.append(x)
        else:
            parts.append(saturate(int(z_out) + requantize(x - int(z), *rq), lo, hi))
    return np.concatenate(parts, axis=-1)


def channel_shuffle(x, groups: int) -> np.ndarray:
    """Output channel i·g + j is input channel j·n + i (C = g·n): a (g, n) -> (n, g) transpose."""
    x = np.asarray(x)
    c = x.shape[-1]
    if c % groups:
        raise ValueError(f"channel_shuffle: {c} channels not divisible by {groups} groups")
    lead = x.shape[:-1]
    return x.reshape(*lead, groups, c // groups).swapaxes(-1, -2).reshape(*lead, c)
