"""Worst-case accumulator ranges, so the compiler can prove that int32 accumulators never overflow.

The contract (docs/fixed_point.md) declares every accumulator and every partial sum int32.
Kernels start from the bias and then add the products ``w·(x − z_in)`` in whatever order suits
the hardware (SIMD pairs, blocked loops, adder trees).  The bound below holds for every such order
and even for the bias added last: the most negative partial sum is at worst ``min(bias, 0)`` plus
all negative terms, the most positive ``max(bias, 0)`` plus all positive terms.
"""

from __future__ import annotations

import numpy as np

from dsgen.quant.fixedpoint import INT32_MAX, INT32_MIN


def conv_accumulator_bounds(
    w, bias, z_in: int, in_lo: int, in_hi: int, groups: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel (min, max) over all inputs in [in_lo, in_hi] of any partial sum.

    ``w`` is (Cout, kh, kw, Cin/groups) or a dense (out, in) matrix; ``bias`` (Cout,) or None.  The
    bound depends on ``groups`` only through the weight shape (each output channel sees its own
    weights), so ``groups`` is accepted for symmetry with the kernels and checked against it.
    """
    w = np.asarray(w, dtype=np.int64)
    cout = w.shape[0]
    if groups < 1 or cout % groups:
        raise ValueError(f"groups={groups} does not divide Cout={cout}")
    w = w.reshape(cout, -1)
    d_lo, d_hi = int(in_lo) - int(z_in), int(in_hi) - int(z_in)
    # Each product w·d with d in [d_lo, d_hi] is linear in d: its extremes are at the interval ends.
    t1, t2 = w * d_lo, w * d_hi
    t_min, t_max = np.minimum(t1, t2), np.maximum(t1, t2)
    b = np.zeros(cout, np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    lo = np.minimum(b, 0) + np.minimum(t_min, 0).sum(axis=1)
    hi = np.maximum(b, 0) + np.maximum(t_max, 0).sum(axis=1)
    return lo, hi


def fits_int32(lo: np.ndarray, hi: np.ndarray) -> bool:
    return bool(np.all(np.asarray(lo) >= INT32_MIN) and np.all(np.asarray(hi) <= INT32_MAX))


def check_int32(lo: np.ndarray, hi: np.ndarray, layer: str) -> None:
    """Raise a clear error naming the first offending output channel."""
    bad = np.flatnonzero((np.asarray(lo) < INT32_MIN) | (np.asarray(hi) > INT32_MAX))
    if bad.size:
        c = int(bad[0])
        raise OverflowError(
            f"layer {layer}: output channel {c} can accumulate [{int(lo[c])}, {int(hi[c])}], which "
            f"leaves int32 ({bad.size} channel(s) affected); reduce weight magnitude or kernel size"
        )
