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


# ---- an independent reference: docs/fixed_point.md written out on Python integers ----------------
# (plain ints, no numpy, nothing from dsgen.quant), so the code under test cannot supply its own
# expected values.


def ref_srdhm(x: int, q: int) -> int:
    if x == q == -(2**31):
        return 2**31 - 1
    p = x * q
    s = p + (2**30 if p >= 0 else 1 - 2**30)
    return abs(s) // 2**31 * (1 if s >= 0 else -1)  # division truncating toward zero


def ref_rdbpot(y: int, right: int) -> int:
    mask = 2**right - 1
    rem = y & mask
    thr = (mask >> 1) + (1 if y < 0 else 0)
    return (y >> right) + (1 if rem > thr else 0)


def ref_rq(acc: int, q: int, shift: int) -> int:
    x = acc * 2 ** max(shift, 0)
    assert -(2**31) <= x < 2**31, "the contract requires the left-shifted accumulator in int32"
    return ref_rdbpot(ref_srdhm(x, q), max(-shift, 0))


def ref_conv(x, w, bias, pads, z_in, z_out, q, shift, lo, hi):
    """The contract's conv on nested lists: stride 1, groups 1, a padded position contributes 0."""
    h, wd, cin = len(x), len(x[0]), len(x[0][0])
    cout, kh, kw = len(w), len(w[0]), len(w[0][0])
    pt, pl, pb, pr = pads
    out, accs = [], []
    for oy in range(h + pt + pb - kh + 1):
        row = []
        for ox in range(wd + pl + pr - kw + 1):
            px = []
            for c in range(cout):
                acc = bias[c]
                for i in range(kh):
                    for j in range(kw):
                        iy, ix = oy + i - pt, ox + j - pl
                        if 0 <= iy < h and 0 <= ix < wd:
                            acc += sum(w[c][i][j][k] * (x[iy][ix][k] - z_in) for k in range(cin))
                accs.append(acc)
                px.append(min(max(z_out + ref_rq(acc, q[c], shift[c]), lo), hi))
            row.append(px)
        out.append(row)
    return out, accs


def test_reference_matches_the_documented_examples():
    """The reference itself, on the values docs/fixed_point.md spells out."""
    assert ref_srdhm(-1, 2**30) == 0 and ref_srdhm(-3, 2**30) == -1
    assert ref_srdhm(1, 2**30) == 1 and ref_srdhm(3, 2**30) == 2  # positive ties round up
    assert ref_srdhm(-(2**31), -(2**31)) == 2**31 - 1
    assert [ref_rdbpot(v, 1) for v in (-3, -2, -1, 1, 2, 3)] == [-2, -1, -1, 1, 1, 2]


def test_saturation_at_the_int32_edge():
    """Accumulators at and near ±2^31, every kind of multiplier: requantization and clamping agree
    exactly with the contract, element by element."""
    accs = [INT32_MIN, INT32_MIN + 1, -(2**30) - 1, -1, 0, 1, 2**30, INT32_MAX - 1, INT32_MAX]
    mults = [(2**31 - 1, 0), (2**30, 0), (2**30, -1), (1518500250, -7), (2**31 - 1, -31)]
    mults += [(1 << 30, 1), (1999999999, 3)]  # left shifts: only accumulators that stay in int32
    for q, shift in mults:
        acc = [a for a in accs if -(2**31) <= a * 2 ** max(shift, 0) < 2**31]
        got = requantize(np.array(acc), np.full(len(acc), q), shift)
        assert got.tolist() == [ref_rq(a, q, shift) for a in acc], (q, shift)
        out = ops.requantize_channels(
            np.array(acc),
            z_out=5,
            q=np.full(len(acc), q),
            shift=np.full(len(acc), shift),
            lo=-128,
            hi=127,
        )
        assert out.tolist() == [min(max(5 + ref_rq(a, q, shift), -128), 127) for a in acc]
    # the edges really saturate (the comparison above would also hold for a clamp never reached)
    assert ref_rq(INT32_MIN, 2**31 - 1, 0) + 5 < -128 and ref_rq(INT32_MAX, 2**31 - 1, 0) > 127


@pytest.mark.parametrize("seed", range(3))
def test_full_range_inputs_with_extreme_weights_match_reference(seed):
    """All-min, all-max and random full-range inputs through ±127 (and random) weights with
    accumulators near their proven bound: the integer reference equals the contract written out
    independently, output by output, and the clamps are reached."""
    rng = np.random.default_rng(seed)
    w = np.full((4, 3, 3, 8), 127)
    w[1::2] = -127
    w[3] = rng.integers(-127, 128, size=(3, 3, 8))
    bias = rng.integers(-(2**20), 2**20, size=4)
    q = rng.integers(2**30, 2**31, size=4)
    shift = rng.integers(-14, -9, size=4)
    z_in, z_out = int(rng.integers(-128, 128)), int(rng.integers(-20, 20))
    inputs = [np.full((5, 5, 8), -128), np.full((5, 5, 8), 127)]
    inputs.append(rng.integers(-128, 128, size=(5, 5, 8)))
    hit_lo = hit_hi = False
    biggest = 0
    for x in inputs:
        y = ops.conv2d(
            x, w, bias, pads=(1, 1, 1, 1), z_in=z_in, z_out=z_out, q=q, shift=shift, lo=-128, hi=127
        )
        ref, accs = ref_conv(
            x.tolist(),
            w.tolist(),
            bias.tolist(),
            (1, 1, 1, 1),
            z_in,
            z_out,
            q.tolist(),
            shift.tolist(),
            -128,
            127,
        )
        assert y.tolist() == ref
        biggest = max(biggest, *(abs(a) for a in accs))
        hit_lo, hit_hi = hit_lo or y.min() == -128, hit_hi or y.max() == 127
    assert hit_lo and hit_hi
    assert biggest > 2**20  # 127 · 72 taps · |x − z_in| ≥ 127.5: near the proven bound, not small
