"""Single-layer int8 TFLite models run in TFLite Micro's interpreter must equal dsgen.quant.ops.

The flatbuffers are written with TFLM's own ``model_editor`` (no TensorFlow needed).  Multipliers
are derived exactly as TFLM does: float32 scales from the flatbuffer, products in double, then
``QuantizeMultiplier`` -- so any mismatch is an arithmetic difference, not a parameter difference.
16x8 convolutions are not cross-checked: TFLite accumulates them in int64 with a single-rounding
requantization, whereas the contract keeps int32 accumulators and the double rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from tflite_micro.python.tflite_micro import runtime  # noqa: E402
from tflite_micro.tensorflow.lite.micro.compression import model_editor as me  # noqa: E402
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tfl  # noqa: E402

from dsgen.quant import ops  # noqa: E402
from dsgen.quant.fixedpoint import quantize_multiplier  # noqa: E402

T, OP, OPT = tfl.TensorType, tfl.BuiltinOperator, tfl.BuiltinOptions
ACT = {"none": 0, "relu": 1, "relu6": 3}


def f32(v) -> float:
    return float(np.float32(v))


def tensor(shape, dtype, scale, zp, data=None, axis=None, name=""):
    q = me.Quantization(scale, zp, axis=axis)
    return me.Tensor(shape=tuple(shape), dtype=dtype, data=data, quantization=q, name=name)


def run(opcode, opt_type, options, inputs, consts, out, feed):
    """Build a one-operator model, run it in TFLM and return the output without batch dim."""
    op = me.Operator(opcode=opcode, inputs=inputs + consts, outputs=[out])
    op._fb.builtinOptionsType = opt_type
    op._fb.builtinOptions = options
    sg = me.Subgraph(tensors=inputs + consts + [out], operators=[op], inputs=inputs, outputs=[out])
    interp = runtime.Interpreter.from_bytes(
        bytes(me.Model(subgraphs=[sg]).build()), arena_size=1 << 20
    )
    for i, x in enumerate(feed):
        interp.set_input(x[None], i)
    interp.invoke()
    return interp.get_output(0)[0]


def act_range(act: str, s_out: float, z_out: int):
    """TFLite's CalculateActivationRangeQuantized (round in float32, half away from zero)."""
    lo, hi = -128, 127

    def quant(v):
        r = np.float32(v) / np.float32(s_out)
        return z_out + int(np.sign(r) * np.floor(np.abs(r) + np.float32(0.5)))

    if act in ("relu", "relu6"):
        lo = max(lo, quant(0.0))
    if act == "relu6":
        hi = min(hi, quant(6.0))
    return lo, hi


def same_pads(size, k, stride, dil=1):
    """TFLite SAME padding: (before, after) per axis with the odd pixel after."""
    out = -(-size // stride)
    eff = (k - 1) * dil + 1
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def pads_for(padding, h, w, kh, kw, sh, sw, dh=1, dw=1):
    if padding == "valid":
        return (0, 0, 0, 0)
    (pt, pb), (pl, pr) = same_pads(h, kh, sh, dh), same_pads(w, kw, sw, dw)
    return (pt, pl, pb, pr)


def assert_same(got, want, what):
    got, want = np.asarray(got, np.int64), np.asarray(want, np.int64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs TFLM {want.shape}"
    bad = np.argwhere(got != want)
    if bad.size:
        i = tuple(int(v) for v in bad[0])
        pytest.fail(
            f"{what}: first mismatch at (h,w,c)={i}: dsgen {got[i]} vs TFLM {want[i]} "
            f"({len(bad)} of {got.size} differ)"
        )


def channel_mults(s_in, s_w, s_out):
    ms = [quantize_multiplier(f32(s_in) * f32(s) / f32(s_out)) for s in s_w]
    return np.array([m.q for m in ms]), np.array([m.shift for m in ms])


CONV_CASES = [
    # kind, H, W, Cin, Cout(or M), kh, kw, stride, padding, act, dilation
    ("conv", 9, 8, 3, 5, 3, 3, 1, "same", "none", 1),
    ("conv", 10, 11, 4, 6, 3, 3, 2, "same", "relu", 1),
    ("conv", 9, 9, 3, 4, 5, 3, 2, "valid", "relu6", 1),
    ("conv", 12, 12, 2, 3, 3, 3, 1, "valid", "none", 2),
    ("conv", 7, 6, 16, 24, 1, 1, 1, "valid", "relu6", 1),  # pointwise
    ("conv", 8, 8, 8, 4, 1, 1, 2, "same", "none", 1),
    ("dw", 10, 10, 8, 1, 3, 3, 1, "same", "relu6", 1),
    ("dw", 11, 9, 8, 1, 3, 3, 2, "same", "relu", 1),
    ("dw", 10, 10, 6, 1, 3, 3, 2, "valid", "none", 1),
    ("dw", 9, 10, 4, 2, 3, 3, 1, "same", "none", 1),  # depth multiplier 2
    ("dw", 12, 12, 5, 1, 5, 5, 2, "same", "relu6", 1),
    ("dw", 8, 9, 3, 3, 2, 4, 1, "valid", "none", 1),
    ("dw", 12, 12, 4, 1, 3, 3, 1, "same", "none", 2),  # dilated
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_and_depthwise(case):
    kind, h, w, cin, cm, kh, kw, s, padding, act, dil = CONV_CASES[case]
    rng = np.random.default_rng(1000 + case)
    dw = kind == "dw"
    cout = cin * cm if dw else cm
    x = rng.integers(-128, 128, (h, w, cin)).astype(np.int8)
    wq = rng.integers(-127, 128, (cout, kh, kw, 1 if dw else cin)).astype(np.int8)
    wq[0] = 127  # an extreme channel
    s_in, z_in = 0.05, int(rng.integers(-128, 128))
    s_out, z_out = 0.05, int(rng.integers(-60, 60))
    bias = rng.integers(-20000, 20000, cout).astype(np.int32)
    # Scale the weights so the real outputs spread over about ±3 (60 LSB): neither a constant
    # output nor one that the clamp (ReLU6 = 120 LSB) flattens.
    spread = ops.accumulate_conv2d(x, wq, None, groups=cin if dw else 1, z_in=z_in).std()
    base = 3.0 / (s_in * max(spread, 1.0))
    s_w = [f32(v) for v in base * rng.uniform(0.7, 1.4, cout)]

    # TFLite's depthwise filter is [1, kh, kw, Cin·M]; dsgen's is [Cout, kh, kw, 1].
    wt = np.ascontiguousarray(wq.transpose(3, 1, 2, 0)) if dw else wq
    tin = tensor((1, h, w, cin), T.INT8, s_in, z_in, name="x")
    tw = tensor(wt.shape, T.INT8, s_w, [0] * cout, data=wt, axis=3 if dw else 0, name="w")
    tb = tensor(bias.shape, T.INT32, [f32(s_in) * v for v in s_w], [0] * cout, data=bias, axis=0)
    pads = pads_for(padding, h, w, kh, kw, s, s, dil, dil)
    ho = (h + pads[0] + pads[2] - dil * (kh - 1) - 1) // s + 1
    wo = (w + pads[1] + pads[3] - dil * (kw - 1) - 1) // s + 1
    tout = tensor((1, ho, wo, cout), T.INT8, s_out, z_out, name="y")
    pad_enum = tfl.Padding.SAME if padding == "same" else tfl.Padding.VALID
    if dw:
        opts = tfl.DepthwiseConv2DOptionsT(
            padding=pad_enum,
            strideW=s,
            strideH=s,
            depthMultiplier=cm,
            fusedActivationFunction=ACT[act],
            dilationWFactor=dil,
            dilationHFactor=dil,
        )
        want = run(
            OP.DEPTHWISE_CONV_2D, OPT.DepthwiseConv2DOptions, opts, [tin], [tw, tb], tout, [x]
        )
    else:
        opts = tfl.Conv2DOptionsT(
            padding=pad_enum,
            strideW=s,
            strideH=s,
            fusedActivationFunction=ACT[act],
            dilationWFactor=dil,
            dilationHFactor=dil,
        )
        want = run(OP.CONV_2D, OPT.Conv2DOptions, opts, [tin], [tw, tb], tout, [x])
    q, shift = channel_mults(s_in, s_w, s_out)
    lo, hi = act_range(act, s_out, z_out)
    got = ops.conv2d(
        x,
        wq,
        bias,
        stride=(s, s),
        dilation=(dil, dil),
        pads=pads,
        groups=cin if dw else 1,
        z_in=z_in,
        z_out=z_out,
        q=q,
        shift=shift,
        lo=lo,
        hi=hi,
    )
    assert_same(got, want, f"{kind} case {case}")
    assert len(np.unique(want)) > 10, "degenerate test: output nearly constant"


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("act", ["none", "relu"])
def test_fully_connected(per_channel, act):
    rng = np.random.default_rng(7 + per_channel)
    n, m = 64, 12
    x = rng.integers(-128, 128, n).astype(np.int8)
    wq = rng.integers(-127, 128, (m, n)).astype(np.int8)
    bias = rng.integers(-5000, 5000, m).astype(np.int32)
    s_in, z_in, s_out, z_out = 0.03, -11, 0.5, 7
    s_w = [f32(v) for v in rng.uniform(0.004, 0.02, m)] if per_channel else [0.01] * m
    tin = tensor((1, n), T.INT8, s_in, z_in)
    if per_channel:
        tw = tensor(wq.shape, T.INT8, s_w, [0] * m, data=wq, axis=0)
        tb = tensor((m,), T.INT32, [f32(s_in) * v for v in s_w], [0] * m, data=bias, axis=0)
    else:
        tw = tensor(wq.shape, T.INT8, s_w[0], 0, data=wq)
        tb = tensor((m,), T.INT32, f32(s_in) * f32(s_w[0]), 0, data=bias)
    tout = tensor((1, m), T.INT8, s_out, z_out)
    opts = tfl.FullyConnectedOptionsT(fusedActivationFunction=ACT[act])
    want = run(OP.FULLY_CONNECTED, OPT.FullyConnectedOptions, opts, [tin], [tw, tb], tout, [x])
    q, shift = channel_mults(s_in, s_w, s_out)
    lo, hi = act_range(act, s_out, z_out)
    got = ops.dense(x, wq, bias, z_in=z_in, z_out=z_out, q=q, shift=shift, lo=lo, hi=hi)
    assert_same(got, want, "fully connected")


POOL_CASES = [
    (9, 9, 4, 3, 3, 2, "same"),
    (8, 10, 3, 2, 2, 2, "valid"),
    (7, 7, 5, 3, 3, 1, "same"),
    (10, 9, 2, 2, 3, 2, "same"),
    (6, 6, 3, 6, 6, 1, "valid"),
]


@pytest.mark.parametrize("pool", ["avg", "max"])
@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pools(pool, case):
    h, w, c, kh, kw, s, padding = POOL_CASES[case]
    rng = np.random.default_rng(50 + case)
    x = rng.integers(-128, 128, (h, w, c)).astype(np.int8)
    s_q, z = 0.1, int(rng.integers(-20, 20))
    pads = pads_for(padding, h, w, kh, kw, s, s)
    ho = (h + pads[0] + pads[2] - kh) // s + 1
    wo = (w + pads[1] + pads[3] - kw) // s + 1
    tin, tout = tensor((1, h, w, c), T.INT8, s_q, z), tensor((1, ho, wo, c), T.INT8, s_q, z)
    pad_enum = tfl.Padding.SAME if padding == "same" else tfl.Padding.VALID
    opts = tfl.Pool2DOptionsT(
        padding=pad_enum, strideW=s, strideH=s, filterWidth=kw, filterHeight=kh
    )
    opcode = OP.AVERAGE_POOL_2D if pool == "avg" else OP.MAX_POOL_2D
    want = run(opcode, OPT.Pool2DOptions, opts, [tin], [], tout, [x])
    if pool == "avg":  # TFLite divides by the number of valid (unpadded) positions
        got = ops.avg_pool(
            x,
            kernel=(kh, kw),
            stride=(s, s),
            pads=pads,
            count_include_pad=False,
            z_in=z,
            z_out=z,
            lo=-128,
            hi=127,
        )
    else:
        got = ops.max_pool(x, kernel=(kh, kw), stride=(s, s), pads=pads)
    assert_same(got, want, f"{pool} pool case {case}")


@pytest.mark.parametrize(
    "bits,s_a,s_b,s_out,act",
    [
        (8, 0.05, 0.11, 0.13, "none"),
        (8, 0.2, 0.03, 0.1, "relu"),
        (8, 0.07, 0.07, 0.05, "relu6"),
        (16, 0.001, 0.0023, 0.003, "none"),
    ],
)
def test_add(bits, s_a, s_b, s_out, act):
    rng = np.random.default_rng(bits + int(s_a * 1000))
    lo_t, hi_t = (-128, 127) if bits == 8 else (-32768, 32767)
    dt, npt = (T.INT8, np.int8) if bits == 8 else (T.INT16, np.int16)
    shape = (6, 7, 5)
    a = rng.integers(lo_t, hi_t + 1, shape).astype(npt)
    b = rng.integers(lo_t, hi_t + 1, shape).astype(npt)
    a.flat[:4], b.flat[:4] = [lo_t, hi_t, lo_t, hi_t], [lo_t, hi_t, hi_t, lo_t]
    z_a, z_b, z_out = (-5, 17, 3) if bits == 8 else (0, 0, 0)
    ta, tb = tensor((1, *shape), dt, s_a, z_a), tensor((1, *shape), dt, s_b, z_b)
    tout = tensor((1, *shape), dt, s_out, z_out)
    # potScaleInt16=False selects TFLite's general (non power-of-two) int16 add: the contract's.
    opts = tfl.AddOptionsT(fusedActivationFunction=ACT[act], potScaleInt16=False)
    want = run(OP.ADD, OPT.AddOptions, opts, [ta, tb], [], tout, [a, b])
    left = 20 if bits == 8 else 15
    twice = 2 * max(f32(s_a), f32(s_b))
    ma, mb = quantize_multiplier(f32(s_a) / twice), quantize_multiplier(f32(s_b) / twice)
    mo = quantize_multiplier(twice / ((1 << left) * f32(s_out)))
    lo, hi = act_range(act, s_out, z_out) if bits == 8 else (lo_t, hi_t)
    got = ops.add(
        a,
        b,
        z_a=z_a,
        z_b=z_b,
        z_out=z_out,
        m_a=(ma.q, ma.shift),
        m_b=(mb.q, mb.shift),
        m_out=(mo.q, mo.shift),
        left_shift=left,
        lo=lo,
        hi=hi,
    )
    assert_same(got, want, f"add int{bits}")
