"""ops.py against slow, obviously-correct loops; fixedpoint.py against exact big integers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dsgen.quant import fixedpoint as fp
from dsgen.quant import ops
from dsgen.quant.bounds import check_int32, conv_accumulator_bounds, fits_int32

I32_MIN, I32_MAX = -(2**31), 2**31 - 1


# ------------------------------------------------------- exact scalar reference (Python int)
def ref_srdhm(a: int, b: int) -> int:
    if a == b == I32_MIN:
        return I32_MAX
    p = a * b
    s = p + (1 << 30 if p >= 0 else 1 - (1 << 30))
    return s // (1 << 31) if s >= 0 else -((-s) // (1 << 31))  # C truncation


def ref_rdbpot(x: int, e: int) -> int:
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def ref_rq(acc: int, q: int, shift: int) -> int:
    return ref_rdbpot(ref_srdhm(acc * (1 << max(shift, 0)), q), max(-shift, 0))


def ref_rdiv(s: int, n: int) -> int:
    return int(s + n // 2) // n if s >= 0 else -(int(-s + n // 2) // n)


def test_srdhm_edges():
    vals = [I32_MIN, I32_MIN + 1, -(2**30), -3, -1, 0, 1, 3, 2**30, I32_MAX - 1, I32_MAX]
    qs = [I32_MIN, 0, 1, 2**30, 2**30 + 1, I32_MAX]
    for a in vals:
        for b in qs:
            assert int(fp.srdhm(a, b)) == ref_srdhm(a, b), (a, b)
    # Exact ties of p / 2^31: the contract's formula (gemmlowp's nudge 1 - 2^30, then truncation)
    # rounds positive ties up and negative ties toward zero, i.e. half toward +inf -- not "away
    # from zero" as the contract's prose says.  TFLite does the same, so the formula is what counts.
    assert int(fp.srdhm(1, 2**30)) == 1 and int(fp.srdhm(-1, 2**30)) == 0
    assert int(fp.srdhm(3, 2**30)) == 2 and int(fp.srdhm(-3, 2**30)) == -1
    assert int(fp.srdhm(I32_MIN, I32_MIN)) == I32_MAX


def test_rdbpot_edges_and_random():
    for x in [I32_MIN, I32_MIN + 1, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, I32_MAX]:
        for e in range(0, 32):
            assert int(fp.rdbpot(x, e)) == ref_rdbpot(x, e), (x, e)
    # ties away from zero: ±2.5 -> ±3, ±1.5 -> ±2, ±0.5 -> ±1
    assert [int(fp.rdbpot(v, 1)) for v in (5, -5, 3, -3, 1, -1)] == [3, -3, 2, -2, 1, -1]
    assert int(fp.rdbpot(-6, 2)) == -2 and int(fp.rdbpot(6, 2)) == 2  # -1.5 -> -2
    rng = np.random.default_rng(1)
    x = rng.integers(I32_MIN, I32_MAX, 2000, endpoint=True)
    e = rng.integers(0, 32, 2000)
    got = fp.rdbpot(x, e)
    for xi, ei, g in zip(x, e, got, strict=True):
        assert int(g) == ref_rdbpot(int(xi), int(ei))


def test_requantize_random_and_extremes():
    rng = np.random.default_rng(2)
    acc = np.concatenate(
        [rng.integers(I32_MIN, I32_MAX, 3000, endpoint=True), [I32_MIN, I32_MAX, 0, -1, 1]]
    )
    q = rng.integers(2**30, 2**31, acc.size)
    shift = rng.integers(-31, 1, acc.size)
    got = fp.requantize(acc, q, shift)
    for a, qq, s, g in zip(acc, q, shift, got, strict=True):
        assert int(g) == ref_rq(int(a), int(qq), int(s))
    # positive shifts: the left-shifted accumulator must still be int32
    small = rng.integers(-(2**20), 2**20, 500)
    sp = rng.integers(0, 11, 500)
    got = fp.requantize(small, 2**30 + 12345, sp)
    for a, s, g in zip(small, sp, got, strict=True):
        assert int(g) == ref_rq(int(a), 2**30 + 12345, int(s))
    with pytest.raises(OverflowError):
        fp.requantize(2**30, 2**30, 2)
    with pytest.raises(OverflowError):
        fp.requantize(2**31, 2**30, 0)


def test_quantize_multiplier():
    rng = np.random.default_rng(3)
    for m in list(rng.uniform(1e-9, 1e3, 300)) + [0.5, 1.0, 2.0**-31, 2.0**-32, 0.9999999999]:
        mq = fp.quantize_multiplier(float(m))
        if mq.q == 0:
            assert m < 2.0**-31
            continue
        assert 2**30 <= mq.q < 2**31 and mq.shift <= 30
        assert abs(mq.real() - m) <= m * 2.0**-30
    assert fp.quantize_multiplier(0.0) == fp.Multiplier(0, 0)
    # the rounding carry: a mantissa that rounds up to 2^31 becomes 2^30 with exp + 1
    assert fp.quantize_multiplier(1.0 - 2.0**-40) == fp.Multiplier(2**30, 1)


def test_rounding_div():
    for s in range(-40, 41):
        for n in range(1, 12):
            assert int(fp.rounding_div(s, n)) == ref_rdiv(s, n), (s, n)
    assert int(fp.rounding_div(-(2**40) - 1, 2)) == -(2**39) - 1


# ------------------------------------------------------- slow loop references of the layers
def loop_conv_acc(x, w, bias, stride, dilation, pads, groups, z_in):
    h, wd, cin = x.shape
    cout, kh, kw, cin_g = w.shape
    pt, pl, pb, pr = pads
    ho = (h + pt + pb - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + pl + pr - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cout_g = cout // groups
    out = np.zeros((ho, wo, cout), dtype=object)
    for oy in range(ho):
        for ox in range(wo):
            for c in range(cout):
                g = c // cout_g
                acc = int(bias[c])
                for ky in range(kh):
                    for kx in range(kw):
                        iy = oy * stride[0] - pt + ky * dilation[0]
                        ix = ox * stride[1] - pl + kx * dilation[1]
                        if not (0 <= iy < h and 0 <= ix < wd):
                            continue  # padded: x = z_in, contributes 0
                        for ci in range(cin_g):
                            acc += int(w[c, ky, kx, ci]) * (int(x[iy, ix, g * cin_g + ci]) - z_in)
                out[oy, ox, c] = acc
    return out


def loop_requant(acc, z_out, q, shift, lo, hi, q_neg=None, shift_neg=None):
    out = np.zeros(acc.shape, dtype=np.int64)
    for idx in np.ndindex(acc.shape):
        c = idx[-1]
        a = int(acc[idx])
        qq, ss = (q_neg[c], shift_neg[c]) if (q_neg is not None and a < 0) else (q[c], shift[c])
        out[idx] = min(max(z_out + ref_rq(a, int(qq), int(ss)), lo), hi)
    return out


def first_mismatch(got, want):
    bad = np.argwhere(np.asarray(got, dtype=np.int64) != np.asarray(want, dtype=np.int64))
    if bad.size == 0:
        return None
    i = tuple(int(v) for v in bad[0])
    return f"first mismatch at {i}: got {got[i]}, want {want[i]} ({len(bad)} total)"


def rand_mults(rng, n, lo_shift=-12, hi_shift=-4):
    return rng.integers(2**30, 2**31, n), rng.integers(lo_shift, hi_shift + 1, n)


CONV_CASES = 60


@pytest.mark.parametrize("seed", range(CONV_CASES))
def test_conv2d_vs_loops(seed):
    rng = np.random.default_rng(100 + seed)
    kind = seed % 4  # 0 dense conv, 1 depthwise (multiplier 1 or 2), 2 grouped, 3 pointwise
    if kind == 1:
        cin = int(rng.integers(1, 5))
        groups, cout = cin, cin * int(rng.choice([1, 2]))
    elif kind == 2:
        groups = int(rng.choice([2, 3]))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    else:
        groups, cin, cout = 1, int(rng.integers(1, 5)), int(rng.integers(1, 5))
    kh, kw = (1, 1) if kind == 3 else (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    if seed == 7:
        kh, kw = 10, 4  # non-square, taller than wide
    dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if seed % 3 == 0 else (1, 1)
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    pads = tuple(int(v) for v in rng.integers(0, 3, 4))
    h = dil[0] * (kh - 1) + 1 + int(rng.integers(0, 5))
    w_ = dil[1] * (kw - 1) + 1 + int(rng.integers(0, 5))
    x = rng.integers(-128, 128, (h, w_, cin))
    wgt = rng.integers(-127, 128, (cout, kh, kw, cin // groups))
    bias = rng.integers(-5000, 5000, cout)
    z_in, z_out = int(rng.integers(-128, 128)), int(rng.integers(-20, 20))
    q, shift = rand_mults(rng, cout)
    leaky = seed % 5 == 0
    q_neg, shift_neg = rand_mults(rng, cout, -14, -8) if leaky else (None, None)
    lo, hi = (-128, 127) if seed % 2 else (max(-128, z_out), 127)
    kw_args = dict(stride=stride, dilation=dil, pads=pads, groups=groups, z_in=z_in)
    want_acc = loop_conv_acc(x, wgt, bias, stride, dil, pads, groups, z_in)
    got_acc = ops.accumulate_conv2d(x, wgt, bias, **kw_args)
    assert got_acc.shape == want_acc.shape
    assert (msg := first_mismatch(got_acc, want_acc)) is None, msg
    got = ops.conv2d(
        x,
        wgt,
        bias,
        **kw_args,
        z_out=z_out,
        q=q,
        shift=shift,
        lo=lo,
        hi=hi,
        q_neg=q_neg,
        shift_neg=shift_neg,
    )
    want = loop_requant(want_acc, z_out, q, shift, lo, hi, q_neg, shift_neg)
    assert (msg := first_mismatch(got, want)) is None, msg
    # the accumulator bound really bounds it
    blo, bhi = conv_accumulator_bounds(wgt, bias, z_in, -128, 127, groups)
    assert np.all(got_acc >= blo) and np.all(got_acc <= bhi)


def test_conv_int16_and_float_fallback():
    """16x8 mode (z_in = 0) and magnitudes large enough to leave the float64-exact path."""
    rng = np.random.default_rng(5)
    x = rng.integers(-32768, 32768, (5, 6, 3))
    wgt = rng.integers(-127, 128, (4, 3, 3, 3))
    bias = rng.integers(-(2**20), 2**20, 4)
    want = loop_conv_acc(x, wgt, bias, (1, 1), (1, 1), (1, 1, 1, 1), 1, 0)
    got = ops.accumulate_conv2d(x, wgt, bias, pads=(1, 1, 1, 1), z_in=0)
    assert first_mismatch(got, want) is None
    big = rng.integers(-(2**40), 2**40, (3, 3, 2))  # k·|x|·|w| > 2^52 -> int64 matmul
    wb = rng.integers(-127, 128, (2, 2, 2, 2))
    want = loop_conv_acc(big, wb, np.zeros(2, int), (1, 1), (1, 1), (0, 0, 0, 0), 1, 0)
    got = ops.accumulate_conv2d(big, wb, None, z_in=0)
    assert first_mismatch(got, want) is None


def test_adversarial_extremes():
    """All-min / all-max inputs with extreme weights: the accumulator hits the bound exactly."""
    wgt = np.full((2, 3, 3, 8), -127)
    wgt[1] = 127
    for val in (-128, 127):
        x = np.full((4, 4, 8), val)
        acc = ops.accumulate_conv2d(x, wgt, np.zeros(2, int), z_in=127)
        blo, bhi = conv_accumulator_bounds(wgt, None, 127, -128, 127)
        if val == -128:
            assert acc[0, 0, 0] == bhi[0] and acc[0, 0, 1] == blo[1]
    lo, hi = conv_accumulator_bounds(np.full((1, 1, 1, 70000), 127), None, -128, -128, 127)
    assert not fits_int32(lo, hi)
    with pytest.raises(OverflowError, match="channel 0"):
        check_int32(lo, hi, "conv")


@pytest.mark.parametrize("seed", range(20))
def test_dense_vs_loops(seed):
    rng = np.random.default_rng(300 + seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 10))
    x = rng.integers(-128, 128, n)
    wgt = rng.integers(-127, 128, (m, n))
    bias = rng.integers(-3000, 3000, m)
    z_in, z_out = int(rng.integers(-128, 128)), int(rng.integers(-10, 10))
    q, shift = rand_mults(rng, m)
    leaky = seed % 2 == 0
    qn, sn = rand_mults(rng, m, -14, -8) if leaky else (None, None)
    acc = np.array(
        [
            int(bias[o]) + sum(int(wgt[o, i]) * (int(x[i]) - z_in) for i in range(n))
            for o in range(m)
        ],
        dtype=object,
    )
    want = loop_requant(acc, z_out, q, shift, -128, 127, qn, sn)
    got = ops.dense(
        x,
        wgt,
        bias,
        z_in=z_in,
        z_out=z_out,
        q=q,
        shift=shift,
        lo=-128,
        hi=127,
        q_neg=qn,
        shift_neg=sn,
    )
    assert first_mismatch(got, want) is None


def loop_pool(x, kernel, stride, pads, fn):
    h, w, c = x.shape
    pt, pl, pb, pr = pads
    ho = (h + pt + pb - kernel[0]) // stride[0] + 1
    wo = (w + pl + pr - kernel[1]) // stride[1] + 1
    out = np.zeros((ho, wo, c), dtype=np.int64)
    for oy, ox, ch in np.ndindex(ho, wo, c):
        vals, npad = [], 0
        for ky, kx in np.ndindex(*kernel):
            iy, ix = oy * stride[0] - pt + ky, ox * stride[1] - pl + kx
            if 0 <= iy < h and 0 <= ix < w:
                vals.append(int(x[iy, ix, ch]))
            else:
                npad += 1
        out[oy, ox, ch] = fn(vals, npad, (oy, ox, ch))
    return out


@pytest.mark.parametrize("seed", range(24))
def test_pools_vs_loops(seed):
    rng = np.random.default_rng(500 + seed)
    kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = tuple(int(rng.integers(0, k)) for k in (kernel[0], kernel[1]) * 2)
    pads = (pads[0], pads[1], pads[2], pads[3])
    x = rng.integers(
        -128,
        128,
        (int(rng.integers(kernel[0], 8)), int(rng.integers(kernel[1], 8)), int(rng.integers(1, 4))),
    )
    got = ops.max_pool(x, kernel=kernel, stride=stride, pads=pads)
    assert first_mismatch(got, loop_pool(x, kernel, stride, pads, lambda v, n, i: max(v))) is None
    z = int(rng.integers(-50, 50))
    zo = 3
    mults = {k: fp.quantize_multiplier(0.7 / k) for k in range(1, kernel[0] * kernel[1] + 1)}
    for cip in (False, True):

        def rdiv(v, npad, i, cip=cip):
            return min(
                max(
                    ref_rdiv(sum(v) + (npad * z if cip else 0), len(v) + (npad if cip else 0)), -128
                ),
                127,
            )

        got = ops.avg_pool(
            x,
            kernel=kernel,
            stride=stride,
            pads=pads,
            count_include_pad=cip,
            z_in=z,
            z_out=z,
            lo=-128,
            hi=127,
        )
        assert first_mismatch(got, loop_pool(x, kernel, stride, pads, rdiv)) is None
        # general rule with a per-position multiplier m = s_in / (s_out·n)
        n = ops.avg_pool_counts(
            x.shape, kernel=kernel, stride=stride, pads=pads, count_include_pad=cip
        )
        q = np.vectorize(lambda k: mults[k].q)(n)
        s = np.vectorize(lambda k: mults[k].shift)(n)

        def gen(v, npad, i, cip=cip):
            cnt = len(v) + (npad if cip else 0)
            m = mults[cnt]
            return min(
                max(zo + ref_rq(sum(v) + (npad * z if cip else 0) - cnt * z, m.q, m.shift), -128),
                127,
            )

        got = ops.avg_pool(
            x,
            kernel=kernel,
            stride=stride,
            pads=pads,
            count_include_pad=cip,
            z_in=z,
            z_out=zo,
            lo=-128,
            hi=127,
            rq=(q, s),
        )
        assert first_mismatch(got, loop_pool(x, kernel, stride, pads, gen)) is None


def test_global_avg_pool():
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, (5, 7, 6))
    got = ops.global_avg_pool(x, z_in=-3, z_out=-3, lo=-128, hi=127)
    want = [ref_rdiv(int(x[:, :, c].sum()), 35) for c in range(6)]
    assert got.shape == (1, 1, 6) and list(got[0, 0]) == want
    m = fp.quantize_multiplier(0.5 / 35)
    got = ops.global_avg_pool(x, z_in=-3, z_out=9, lo=-128, hi=127, rq=(m.q, m.shift))
    want = [
        min(max(9 + ref_rq(int(x[:, :, c].sum()) + 3 * 35, m.q, m.shift), -128), 127)
        for c in range(6)
    ]
    assert list(got[0, 0]) == want


@pytest.mark.parametrize("bits", [8, 16])
def test_add_vs_scalar(bits):
    rng = np.random.default_rng(8 + bits)
    lo, hi = fp.type_range(bits)
    L = 20 if bits == 8 else 15
    za, zb, zo = (int(v) for v in rng.integers(-100, 100, 3)) if bits == 8 else (0, 0, 0)
    sa, sb, so = 0.02, 0.037, 0.05
    twice = 2 * max(sa, sb)
    ma, mb = fp.quantize_multiplier(sa / twice), fp.quantize_multiplier(sb / twice)
    mo = fp.quantize_multiplier(twice / (2**L * so))
    a = np.concatenate([rng.integers(lo, hi + 1, 500), [lo, hi, lo, hi]])
    b = np.concatenate([rng.integers(lo, hi + 1, 500), [lo, hi, hi, lo]])
    got = ops.add(
        a.reshape(2, 2, -1),
        b.reshape(2, 2, -1),
        z_a=za,
        z_b=zb,
        z_out=zo,
        m_a=(ma.q, ma.shift),
        m_b=(mb.q, mb.shift),
        m_out=(mo.q, mo.shift),
        left_shift=L,
        lo=lo,
        hi=hi,
    ).reshape(-1)
    for ai, bi, g in zip(a, b, got, strict=True):
        s = ref_rq((int(ai) - za) << L, ma.q, ma.shift) + ref_rq(
            (int(bi) - zb) << L, mb.q, mb.shift
        )
        assert int(g) == min(max(zo + ref_rq(s, mo.q, mo.shift), lo), hi)


def test_concat_and_shuffle():
    rng = np.random.default_rng(9)
    a, b = rng.integers(-128, 128, (3, 2, 4)), rng.integers(-128, 128, (3, 2, 2))
    m = fp.quantize_multiplier(1.7)
    got = ops.concat([a, b], rqs=[None, (m.q, m.shift)], z_ins=[5, -7], z_out=5, lo=-128, hi=127)
    assert np.array_equal(got[..., :4], a)
    for idx in np.ndindex(b.shape):
        want = min(max(5 + ref_rq(int(b[idx]) + 7, m.q, m.shift), -128), 127)
        assert got[idx[0], idx[1], 4 + idx[2]] == want
    x = rng.integers(-128, 128, (2, 3, 12))
    for g in (1, 2, 3, 4, 6):
        n = 12 // g
        y = ops.channel_shuffle(x, g)
        for i in range(n):
            for j in range(g):
                assert np.array_equal(y[..., i * g + j], x[..., j * n + i])


def test_mobilenet_v1_025_speed():
    """MobileNetV1-0.25 at 96×96 (about 7 M MACs) must run in well under a second."""
    rng = np.random.default_rng(10)
    x = rng.integers(-128, 128, (96, 96, 3))
    t0 = time.perf_counter()
    c = 8
    x = ops.conv2d(
        x,
        rng.integers(-127, 128, (c, 3, 3, 3)),
        np.zeros(c, int),
        stride=(2, 2),
        pads=(0, 0, 1, 1),
        z_in=0,
        z_out=0,
        q=[2**30] * c,
        shift=[-8] * c,
        lo=-128,
        hi=127,
    )
    plan = (
        [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)]
        + [(128, 1)] * 5
        + [(256, 2), (256, 1)]
    )
    for cout, s in plan:
        cin = x.shape[-1]
        x = ops.conv2d(
            x,
            rng.integers(-127, 128, (cin, 3, 3, 1)),
            np.zeros(cin, int),
            stride=(s, s),
            pads=(1, 1, 1, 1),
            groups=cin,
            z_in=0,
            z_out=0,
            q=[2**30] * cin,
            shift=[-6] * cin,
            lo=-128,
            hi=127,
        )
        x = ops.conv2d(
            x,
            rng.integers(-127, 128, (cout, 1, 1, cin)),
            np.zeros(cout, int),
            z_in=0,
            z_out=0,
            q=[2**30] * cout,
            shift=[-8] * cout,
            lo=-128,
            hi=127,
        )
    x = ops.global_avg_pool(x, z_in=0, z_out=0, lo=-128, hi=127)
    ops.dense(
        x.reshape(-1),
        rng.integers(-127, 128, (10, 256)),
        np.zeros(10, int),
        z_in=0,
        z_out=0,
        q=[2**30] * 10,
        shift=[-8] * 10,
        lo=-128,
        hi=127,
    )
    assert x.shape == (1, 1, 256)
    assert time.perf_counter() - t0 < 1.0
