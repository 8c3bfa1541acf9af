"""Integer reference kernels: convolutions and dense layers (docs/fixed_point.md, "Layers").

Activations are NHWC without a batch dimension, held in int64 so that nothing wraps silently; every
requantization goes through :mod:`dsgen.quant.fixedpoint`, which asserts the int32 widths of the
contract.  Pooling and element-wise kernels live in :mod:`dsgen.quant.ops_misc` and are re-exported
here, so callers only import ``dsgen.quant.ops``.

The convolution is an im2col (a strided view, copied once) followed by one batched matrix
multiply per group.  The multiply runs in float64 whenever the largest possible |partial sum| is
below 2^53: every product and every partial sum is then an integer that float64 represents
exactly, so the result is the exact integer sum at BLAS speed (numpy has no BLAS path for int64).
Otherwise it falls back to int64.
"""

from __future__ import annotations

import numpy as np

from dsgen.quant.fixedpoint import requantize, saturate
from dsgen.quant.ops_misc import (
    add,
    avg_pool,
    avg_pool_counts,
    channel_shuffle,
    concat,
    global_avg_pool,
    max_pool,
    windows,
)

__all__ = [
    "accumulate_conv2d",
    "add",
    "avg_pool",
    "avg_pool_counts",
    "channel_shuffle",
    "concat",
    "conv2d",
    "dense",
    "global_avg_pool",
    "max_pool",
    "requantize_channels",
    "windows",
]

_FLOAT_EXACT = 2**52  # margin below 2^53 so the bound itself cannot be off by one


def _matmul_exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer ``a @ b`` (batched), through float64 when provably exact."""
    k = a.shape[-1]
    amax = int(np.abs(a).max(initial=0))
    bmax = int(np.abs(b).max(initial=0))
    if k * amax * bmax < _FLOAT_EXACT:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return a.astype(np.int64) @ b.astype(np.int64)


def _pair(v, name: str) -> tuple[int, int]:
    t = tuple(int(i) for i in (v if np.ndim(v) else (v, v)))
    if len(t) != 2 or min(t) < 1:
        raise ValueError(f"{name} must be two positive integers, got {v!r}")
    return t


def accumulate_conv2d(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    *,
    stride=(1, 1),
    dilation=(1, 1),
    pads=(0, 0, 0, 0),
    groups: int = 1,
    z_in: int,
) -> np.ndarray:
    """The int64 accumulators ``bias[c] + Σ w·(x − z_in)`` of a conv, shape (Ho, Wo, Cout).

    ``x`` is (H, W, Cin), ``w`` is (Cout, kh, kw, Cin/groups), pads are (top, left, bottom, right).
    Output channel ``c`` belongs to group ``c // (Cout/groups)`` — for a depthwise conv with depth
    multiplier M that is input channel ``c // M``, as the contract requires.
    """
    x = np.asarray(x, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    if x.ndim != 3 or w.ndim != 4:
        raise ValueError(
            f"conv2d wants x (H,W,C) and w (Cout,kh,kw,Cin/g), got {x.shape}, {w.shape}"
        )
    h, wd, cin = x.shape
    cout, kh, kw, cin_g = w.shape
    if cin % groups or cout % groups or cin // groups != cin_g:
        raise ValueError(f"groups={groups} does not fit Cin={cin}, Cout={cout}, w {w.shape}")
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    pt, pl, pb, pr = (int(p) for p in pads)
    # Subtracting z_in first makes a padded position contribute exactly 0, as the contract says.
    xp = np.pad(x - int(z_in), ((pt, pb), (pl, pr), (0, 0)))
    cols = windows(xp, (kh, kw), (sh, sw), (dh, dw))  # (Ho, Wo, kh, kw, Cin) view
    ho, wo = cols.shape[:2]
    if ho < 1 or wo < 1:
        raise ValueError(f"conv output is empty: input {h}x{wd}, kernel {kh}x{kw}, pads {pads}")
    if cin_g == 1:
        # Depthwise (with multiplier M = Cout/Cin): a batch of tiny GEMMs is slow in numpy, while
        # an element-wise multiply over the taps and a sum is exact in int64 and fast.
        m = cout // cin
        taps = np.repeat(cols, m, axis=4) if m > 1 else cols  # (Ho, Wo, kh, kw, Cout)
        acc = np.einsum("hwijc,cij->hwc", taps, w[..., 0])
        return acc if bias is None else acc + np.asarray(bias, dtype=np.int64)
    # (G, P, kh*kw*Cin_g) @ (G, kh*kw*Cin_g, Cout_g): one GEMM per group (a batch of tiny GEMMs for
    # depthwise, where Cin_g = 1).
    a = cols.reshape(ho * wo, kh, kw, groups, cin_g).transpose(3, 0, 1, 2, 4)
    a = a.reshape(groups, ho * wo, kh * kw * cin_g)
    b = w.reshape(groups, cout // groups, kh * kw * cin_g).transpose(0, 2, 1)
    acc = _matmul_exact(a, b)  # (G, P, Cout_g)
    acc = acc.transpose(1, 0, 2).reshape(ho, wo, cout)
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    return acc


def requantize_channels(acc, *, z_out, q, shift, lo, hi, q_neg=None, shift_neg=None) -> np.ndarray:
    """``clamp(z_out + RQ(acc, m[c]), lo, hi)``, c the last axis; leaky uses m_neg where acc < 0."""
    acc = np.asarray(acc, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if (q_neg is None) != (shift_neg is None):
        raise ValueError("q_neg and shift_neg go together")
    if q_neg is not None:
        neg = acc < 0
        q = np.where(neg, np.asarray(q_neg, dtype=np.int64), q)
        shift = np.where(neg, np.asarray(shift_neg, dtype=np.int64), shift)
    return saturate(int(z_out) + requantize(acc, q, shift), lo, hi)


def conv2d(
    x,
    w,
    bias,
    *,
    stride=(1, 1),
    dilation=(1, 1),
    pads=(0, 0, 0, 0),
    groups: int = 1,
    z_in: int,
    z_out: int,
    q,
    shift,
    lo: int,
    hi: int,
    q_neg=None,
    shift_neg=None,
) -> np.ndarray:
    """Conv / pointwise / depthwise / grouped conv with requantization; (Ho, Wo, Cout) int64."""
    acc = accumulate_conv2d(
        x, w, bias, stride=stride, dilation=dilation, pads=pads, groups=groups, z_in=z_in
    )
    return requantize_channels(
        acc, z_out=z_out, q=q, shift=shift, lo=lo, hi=hi, q_neg=q_neg, shift_neg=shift_neg
    )


def accumulate_dense(x, w, bias, *, z_in: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64).reshape(-1)
    w = np.asarray(w, dtype=np.int64)
    if w.ndim != 2 or w.shape[1] != x.shape[0]:
        raise ValueError(f"dense wants w (out, {x.shape[0]}), got {w.shape}")
    acc = _matmul_exact(w, (x - int(z_in))[:, None])[:, 0]
    return acc if bias is None else acc + np.asarray(bias, dtype=np.int64)


def dense(x, w, bias, *, z_in, z_out, q, shift, lo, hi, q_neg=None, shift_neg=None) -> np.ndarray:
    """Fully connected: x (N,), w (out, in) -> (out,) int64."""
    acc = accumulate_dense(x, w, bias, z_in=z_in)
    return requantize_channels(
        acc, z_out=z_out, q=q, shift=shift, lo=lo, hi=hi, q_neg=q_neg, shift_neg=shift_neg
    )
