"""The accumulator-bound analysis against brute force, and saturation at the int32 edge."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dsgen.quant import ops
from dsgen.quant.bounds import conv_accumulator_bounds
from dsgen.quant.fixedpoint import INT32_MAX, INT32_MIN, requantize


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_exact_against_brute_force(seed):
    """Every input in a small range, every partial sum in every summation order: the bound is
    reached and never exceeded (it is tight, not just safe)."""
    rng = np.random.default_rng(seed)
    k = 4
    w = rng.integers(-127, 128, size=(2, k))
    bias = rng.integers(-1000, 1000, size=2)
    z_in, lo_in, hi_in = int(rng.integers(-3, 3)), -4, 3
    blo, bhi = conv_accumulator_bounds(w.reshape(2, 1, 1, k), bias, z_in, lo_in, hi_in)
    xs = np.array(list(itertools.product(range(lo_in, hi_in + 1), repeat=k)))  # every input
    for c in range(2):
        terms = w[c] * (xs - z_in)
        seen_lo = seen_hi = int(bias[c])
        for order in itertools.permutations(range(k)):  # every summation order
            partial = bias[c] + np.cumsum(terms[:, list(order)], axis=1)
            seen_lo, seen_hi = min(seen_lo, partial.min()), max(seen_hi, partial.max())
        assert blo[c] <= seen_lo and seen_hi <= bhi[c]
        # tight up to the bias-last order, which the bound also covers
        assert seen_lo - blo[c] <= abs(bias[c]) and bhi[c] - seen_hi <= abs(bias[c])


def test_saturation_at_the_int32_edge():
    """Accumulators at ±2^31 requantize and saturate exactly as the contract says."""
    acc = np.array([INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX])
    q = np.full(acc.shape, (1 << 31) - 1)
    y = requantize(acc, q, 0)
    exact = [round(a * ((1 << 31) - 1) / 2**31) for a in acc.tolist()]
    assert np.all(np.abs(y - np.array(exact)) <= 1)
    out = ops.requantize_channels(acc, z_out=5, q=q, shift=np.zeros_like(q), lo=-128, hi=127)
    assert out.min() == -128 and out.max() == 127


def test_all_max_inputs_with_extreme_weights_match_reference():
    """All-max and all-min inputs through ±127 weights: the integer reference keeps its declared
    widths (it asserts int32 on every accumulator) and saturates the output."""
    w = np.full((4, 3, 3, 8), 127)
    w[1::2] = -127
    bias = np.zeros(4, np.int64)
    for val in (-128, 127):
        x = np.full((5, 5, 8), val)
        y = ops.conv2d(
            x,
            w,
            bias,
            pads=(1, 1, 1, 1),
            z_in=0,
            z_out=0,
            q=np.full(4, 1 << 30),
            shift=np.full(4, -12),
            lo=-128,
            hi=127,
        )
        assert set(np.unique(y)) <= {-128, 127} | set(range(-128, 128))
        assert y.max() == 127 and y.min() == -128
