"""Issue 14 kinds: HardSwish / HardSigmoid / Sigmoid / SiLU / Tanh (op and decomposed forms),
squeeze-and-excitation's run-time channel scale, channel Split / Slice.  The float reference must
equal onnxruntime; the IR must hold the first-class kinds; the integer tables are checked entry by
entry against the formula evaluated here with `math`; the int16 interpolation against a plain
numpy expression written here, on every int16 input."""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.ir import float_ref
from dsgen.ir import graph as ir
from dsgen.quant import int_ref, layer_params
from dsgen.quant.qgraph import LutQ
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.quant.tables import build_table, build_table16, interpolate16

ort = pytest.importorskip("onnxruntime")
C, H, W = 8, 5, 6


def _model(tmp_path, nodes, inits=(), out_c=C, opset=14, out_hw=(H, W)):
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, H, W])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(np.asarray(a, np.float32), n) for n, a in inits]
    g = helper.make_graph(nodes, "t", [inp], [out], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    p = tmp_path / "m.onnx"
    p.write_bytes(m.SerializeToString())
    return p


def _int64(tmp_name, v):
    return numpy_helper.from_array(np.asarray(v, np.int64), tmp_name)


def _check_float(p, g):
    x = np.random.default_rng(0).standard_normal((1, C, H, W)).astype(np.float32) * 4
    want = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    got = g.output_to_onnx(0, float_ref.run(g, x[0].transpose(1, 2, 0))[g.outputs[0]])
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def _conv(name, inp, out, cout=C):
    w = np.random.default_rng(len(name)).standard_normal((cout, C, 1, 1)) * 0.3
    return helper.make_node("Conv", [inp, f"{name}.w"], [out], name=name), (f"{name}.w", w)


def _kinds(g):
    return [l.kind for l in g.layers]


@pytest.mark.parametrize(
    "op,attrs,kind",
    [
        ("HardSwish", {}, ir.ActKind.HARDSWISH),
        ("HardSigmoid", {"alpha": 0.2, "beta": 0.5}, ir.ActKind.HARDSIGMOID),
        ("HardSigmoid", {}, ir.ActKind.HARDSIGMOID),  # the spec's defaults 0.2, 0.5
        ("Sigmoid", {}, ir.ActKind.SIGMOID),
        ("Tanh", {}, ir.ActKind.TANH),
    ],
)
def test_op_forms_after_conv(tmp_path, op, attrs, kind):
    conv, w = _conv("c", "x", "t")
    p = _model(tmp_path, [conv, helper.make_node(op, ["t"], ["y"], name="a", **attrs)], [w])
    g = load_ir(p)
    assert _kinds(g) == ["pointwise_conv", "lut"]
    assert g.layers[1].act.kind is kind
    if op == "HardSigmoid":
        assert g.layers[1].act.alpha == pytest.approx(attrs.get("alpha", 0.2))
    _check_float(p, g)


def test_silu_and_decomposed_hardswish(tmp_path):
    c1, w1 = _conv("c1", "x", "a")
    c2, w2 = _conv("c2", "s", "b")
    nodes = [
        c1,
        helper.make_node("Sigmoid", ["a"], ["sa"], name="sig"),
        helper.make_node("Mul", ["a", "sa"], ["s"], name="silu"),
        c2,
        helper.make_node("Add", ["b", "three"], ["b3"], name="add3"),
        helper.make_node("Clip", ["b3", "zero", "six"], ["r6"], name="relu6"),
        helper.make_node("Mul", ["b", "r6"], ["m"], name="mul"),
        helper.make_node("Div", ["m", "six"], ["y"], name="div6"),
    ]
    inits = [w1, w2, ("three", 3.0), ("zero", 0.0), ("six", 6.0)]
    p = _model(tmp_path, nodes, inits)
    g = load_ir(p)
    assert _kinds(g) == ["pointwise_conv", "lut", "pointwise_conv", "lut"]
    assert g.layers[1].act.kind is ir.ActKind.SILU
    hs = g.layers[3].act
    assert hs.kind is ir.ActKind.HARDSWISH
    assert (hs.alpha, hs.beta, hs.gain) == pytest.approx((1 / 6, 0.5, 1.0))
    _check_float(p, g)


def test_decomposed_hardsigmoid_without_conv(tmp_path):
    """Clip(x/6 + 0.5, 0, 1) on a residual sum (nothing to fold into) becomes a table."""
    c1, w1 = _conv("c1", "x", "a")
    nodes = [
        c1,
        helper.make_node("Add", ["a", "x"], ["r"], name="res"),
        helper.make_node("Div", ["r", "six"], ["d"], name="div"),
        helper.make_node("Add", ["d", "half"], ["h"], name="add"),
        helper.make_node("Clip", ["h", "zero", "one"], ["y"], name="clip"),
    ]
    inits = [w1, ("six", 6.0), ("half", 0.5), ("zero", 0.0), ("one", 1.0)]
    p = _model(tmp_path, nodes, inits)
    g = load_ir(p)
    assert _kinds(g) == ["pointwise_conv", "add", "lut"]
    assert g.layers[2].act.kind is ir.ActKind.HARDSIGMOID
    _check_float(p, g)


def _se_nodes(gemm: bool):
    r = np.random.default_rng(3)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"], name="gap")]
    if gemm:  # Flatten → Gemm → Relu → Gemm → HardSigmoid → Reshape [1, C, 1, 1]
        nodes += [
            helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
            helper.make_node("Gemm", ["f", "w1", "b1"], ["g1"], name="fc1", transB=1),
            helper.make_node("Relu", ["g1"], ["r1"], name="relu"),
            helper.make_node("Gemm", ["r1", "w2", "b2"], ["g2"], name="fc2", transB=1),
            helper.make_node("HardSigmoid", ["g2"], ["hs"], name="hsig", alpha=1 / 6, beta=0.5),
            helper.make_node("Reshape", ["hs", "shape"], ["s"], name="reshape"),
        ]
        w1, w2 = r.standard_normal((4, C)), r.standard_normal((C, 4))
    else:
        nodes += [
            helper.make_node("Conv", ["p", "w1", "b1"], ["g1"], name="fc1"),
            helper.make_node("Relu", ["g1"], ["r1"], name="relu"),
            helper.make_node("Conv", ["r1", "w2", "b2"], ["g2"], name="fc2"),
            helper.make_node("Sigmoid", ["g2"], ["s"], name="sig"),
        ]
        w1, w2 = r.standard_normal((4, C, 1, 1)), r.standard_normal((C, 4, 1, 1))
    nodes.append(helper.make_node("Mul", ["x", "s"], ["y"], name="scale"))
    inits = [("w1", w1), ("b1", r.standard_normal(4)), ("w2", w2), ("b2", r.standard_normal(C))]
    return nodes, inits


@pytest.mark.parametrize("gemm", [False, True])
def test_squeeze_excitation(tmp_path, gemm):
    nodes, inits = _se_nodes(gemm)
    p = _model(tmp_path, nodes, inits)
    if gemm:
        m = onnx.load(str(p))
        m.graph.initializer.append(_int64("shape", [1, C, 1, 1]))
        p.write_bytes(m.SerializeToString())
    g = load_ir(p)
    assert "lut" in _kinds(g) and _kinds(g)[-1] == "channel_scale"
    scale = g.layers[-1]
    assert scale.inputs[0] == g.input and g.shape(scale.inputs[1]) == (1, 1, C)
    _check_float(p, g)


@pytest.mark.parametrize("form", ["split", "slice"])
def test_channel_split(tmp_path, form):
    if form == "split":
        split = [helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1)]
        extra = [_int64("sizes", [3, 5])]
    else:
        split = [
            helper.make_node("Slice", ["x", "s0", "e0", "ax"], ["a"], name="sl0"),
            helper.make_node("Slice", ["x", "s1", "e1", "ax"], ["b"], name="sl1"),
        ]
        extra = [_int64(n, v) for n, v in [("s0", [0]), ("e0", [3]), ("s1", [3]), ("e1", [99])]]
        extra.append(_int64("ax", [1]))
    c, w = _conv("c", "b", "bb", cout=5)
    w = (w[0], w[1][:, :5])
    nodes = split + [c, helper.make_node("Concat", ["bb", "a"], ["y"], name="cat", axis=1)]
    p = _model(tmp_path, nodes, [w])
    m = onnx.load(str(p))
    m.graph.initializer.extend(extra)
    p.write_bytes(m.SerializeToString())
    g = load_ir(p)
    slices = [l for l in g.layers if isinstance(l, ir.ChannelSlice)]
    assert sorted((s.start, s.stop) for s in slices) == [(0, 3), (3, 8)]
    _check_float(p, g)


def test_other_products_refused(tmp_path):
    c1, w1 = _conv("c1", "x", "a")
    nodes = [c1, helper.make_node("Mul", ["a", "x"], ["y"], name="prod")]
    with pytest.raises(DsgenError, match="node 'prod'.*Mul.*product of two activations"):
        load_ir(_model(tmp_path, nodes, [w1]))


# -- integer part -------------------------------------------------------------------------------
def _formula(f, s_in, z_in, s_out, z_out, i):
    r = f(s_in * (i - 128 - z_in)) / s_out
    q = math.floor(r + 0.5) if r >= 0 else -math.floor(-r + 0.5)
    return max(-128, min(127, q + z_out))


@pytest.mark.parametrize(
    "act,f",
    [
        (ir.Activation(ir.ActKind.SIGMOID), lambda r: 1 / (1 + math.exp(-r))),
        (ir.Activation(ir.ActKind.TANH), math.tanh),
        (
            ir.Activation(ir.ActKind.HARDSWISH, alpha=1 / 6, beta=0.5),
            lambda r: r * min(max(r + 3, 0), 6) / 6,
        ),
        (
            ir.Activation(ir.ActKind.HARDSIGMOID, alpha=0.2, beta=0.5),
            lambda r: min(max(0.2 * r + 0.5, 0), 1),
        ),
        (ir.Activation(ir.ActKind.SILU), lambda r: r / (1 + math.exp(-r))),
    ],
)
def test_table_entries(act, f):
    s_in, z_in, s_out, z_out = 0.047, -9, 0.021, -100
    t = build_table(act, ir.QParams(s_in, z_in), ir.QParams(s_out, z_out))
    want = [_formula(f, s_in, z_in, s_out, z_out, i) for i in range(256)]
    assert t.tolist() == want


def _se_network_snr(p, bits: int) -> float:
    g = load_ir(p)
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((32, H, W, C))
    qg = quantize(g, calib, QuantConfig(bits=bits))
    assert [layer.kind for layer in qg.int_layers].count("lut") == 1
    assert all(qg.params[x.name].bits == bits for x in qg.int_layers if x.kind == "lut")
    x = rng.standard_normal((H, W, C))
    y = qg.dequantize(qg.int_outputs[0], int_ref.run(qg, qg.quantize_input(x))[qg.int_outputs[0]])
    ref = float_ref.run(g, x)[g.outputs[0]]
    return 10 * np.log10((ref**2).sum() / ((ref - y) ** 2).sum())


def test_network_close_to_float_at_8_and_16_bits(tmp_path):
    """The SE block with a Sigmoid gate: int8 within 25 dB of float, int16 (the interpolated
    table) at least 15 dB better."""
    nodes, inits = _se_nodes(False)
    p = _model(tmp_path, nodes, inits)
    snr8, snr16 = _se_network_snr(p, 8), _se_network_snr(p, 16)
    assert snr8 > 25, snr8
    assert snr16 > snr8 + 15, (snr8, snr16)


# -- int16: the interpolated table ----------------------------------------------------------------
ACTS = {
    "hardswish": (
        ir.Activation(ir.ActKind.HARDSWISH, alpha=1 / 6, beta=0.5),
        lambda r: r * min(max(r + 3, 0), 6) / 6,
    ),
    "hardsigmoid": (
        ir.Activation(ir.ActKind.HARDSIGMOID, alpha=0.2, beta=0.5),
        lambda r: min(max(0.2 * r + 0.5, 0), 1),
    ),
    "sigmoid": (ir.Activation(ir.ActKind.SIGMOID), lambda r: 1 / (1 + math.exp(-r))),
    "silu": (ir.Activation(ir.ActKind.SILU), lambda r: r / (1 + math.exp(-r))),
    "tanh": (ir.Activation(ir.ActKind.TANH), math.tanh),
}
ALL16 = np.arange(-32768, 32768)


def _q16(scale, zero_point=0, qmin=None, qmax=None):
    return ir.QParams(scale, zero_point, bits=16, qmin=qmin, qmax=qmax)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_table16_entries(name):
    """Entry j is f at x = -32768 + 128 j, rounded half away from zero and clamped to 17 bits
    (not to the output's range), entry 512 at x = 32768."""
    act, f = ACTS[name]
    s_in, z_in, s_out, z_out = 0.0011, -7, 0.00031, 5
    t = build_table16(act, _q16(s_in, z_in), _q16(s_out, z_out))
    want = []
    for j in range(513):
        r = f(s_in * (-32768 + 128 * j - z_in)) / s_out
        q = math.floor(r + 0.5) if r >= 0 else -math.floor(-r + 0.5)
        want.append(max(-65536, min(65535, q + z_out)))
    assert t.tolist() == want
    if name in ("hardswish", "silu"):  # f(x) ≈ x at the top: beyond int16 there
        assert t.max() > 32767


def _interp_plain(t, x, lo, hi):
    """The contract's interpolation, spelled with // and % on int64 (not the shift and mask of
    the code under test)."""
    t, x = np.asarray(t, np.int64), np.asarray(x, np.int64)
    i, f = (x + 32768) // 128, (x + 32768) % 128
    return np.clip(t[i] + np.floor_divide((t[i + 1] - t[i]) * f + 64, 128), lo, hi)


def _tables16():
    """(tag, table, lo, hi): real tables at ordinary and adversarial scales, random 17-bit
    tables, and tables whose neighbours jump across the whole 17-bit range."""
    out = []
    scales = [  # (s_in, z_in, s_out, z_out)
        (8 / 32768, 0, 1 / 32768, 0),  # ordinary: input ±8, output ±1
        (40 / 32768, 0, 6 / 32768, 0),
        (1e-7, 0, 1e-3, 0),  # every input maps near f(0)
        (1.0, 0, 1e-4, 0),  # the whole table saturates
        (0.01, 123, 1e-6, -9),  # steep: neighbours differ by far more than 2^16
        (3e-4, -31000, 2e-4, 31000),  # zero points near the ends
    ]
    for name, (act, _) in sorted(ACTS.items()):
        for k, (s_in, z_in, s_out, z_out) in enumerate(scales):
            t = build_table16(act, _q16(s_in, z_in), _q16(s_out, z_out))
            out.append((f"{name}-{k}", t, -32768, 32767))
    rng = np.random.default_rng(16)
    out.append(("random", rng.integers(-65536, 65536, 513), -32768, 32767))
    out.append(("random-clamp", rng.integers(-65536, 65536, 513), -1000, 20000))
    jumps = np.where(np.arange(513) % 2 == 0, -65536, 65535)
    out.append(("jumps", jumps, -32768, 32767))
    out.append(("jumps-narrow", jumps, 0, 255))
    return out


@pytest.mark.parametrize("tag,table,lo,hi", _tables16(), ids=[t[0] for t in _tables16()])
def test_interpolation_every_int16_input(tag, table, lo, hi):
    got = interpolate16(table, ALL16, lo, hi)
    want = _interp_plain(table, ALL16, lo, hi)
    np.testing.assert_array_equal(got, want)
    # the integer reference runs the same expression through a LutQ
    lut = ir.Lut("a", ["x"], "y", act=ACTS["tanh"][0])
    p = LutQ(np.asarray(table, np.int64), 0, 0, lo, hi, bits=16)
    np.testing.assert_array_equal(int_ref.run_layer(lut, p, [ALL16]), want)
    # between the two neighbours, so inside int16 before the clamp when they are
    t = np.asarray(table, np.int64)
    i = (ALL16 + 32768) >> 7
    inner = np.clip(want, np.minimum(t[i], t[i + 1]), np.maximum(t[i], t[i + 1]))
    assert ((want == inner) | (want == lo) | (want == hi)).all()


# Worst |y − f(s_in·x)/s_out| in output LSB over all int16 x, input range ±R (s_in = R/32768) and
# the output scale a calibration would give (max |f| over the range / 32767), as documented in
# docs/fixed_point.md; HardSwish and HardSigmoid also away from their kinks (beyond one segment).
ACCURACY = {  # R: {name: (worst, worst away from the kinks)}
    4.3: {"hardswish": (16, 1.1), "hardsigmoid": (22, 1.0), "sigmoid": 1.1, "silu": 1.2,
          "tanh": 1.8},
    34.5: {"hardswish": (16, 1.6), "hardsigmoid": (141, 1.0), "sigmoid": 7.6, "silu": 1.4,
           "tanh": 58},
}  # fmt: skip


@pytest.mark.parametrize("r_in", sorted(ACCURACY))
def test_interpolation_accuracy(r_in):
    s_in = r_in / 32768
    for name, bound in ACCURACY[r_in].items():
        act = ir.Activation(ir.ActKind.HARDSIGMOID, alpha=1 / 6, beta=0.5)
        act = act if name == "hardsigmoid" else ACTS[name][0]
        real = act.apply(s_in * ALL16.astype(np.float64))
        s_out = np.abs(real).max() / 32767
        t = build_table16(act, _q16(s_in), _q16(s_out))
        err = np.abs(interpolate16(t, ALL16, -32768, 32767) - np.clip(real / s_out, -32768, 32767))
        if isinstance(bound, tuple):
            away = np.abs(np.abs(s_in * ALL16) - 3) > 128 * s_in  # kinks at ±3 (alpha 1/6)
            assert err.max() <= bound[0] and err[away].max() <= bound[1], (name, err.max())
        else:
            assert err.max() <= bound, (name, err.max())


def test_narrow_int16_input_refused():
    """An int16 tensor holding a narrow range (a QAT model's 8-bit range in int16 storage) would
    see only a few table entries: refused with the layer's name."""
    g = ir.Graph("t", "x", ["y"], {
        "x": ir.TensorInfo("x", (2, 2, 4), _q16(0.1, qmin=-128, qmax=127)),
        "y": ir.TensorInfo("y", (2, 2, 4), _q16(0.01)),
    })  # fmt: skip
    lut = ir.Lut("gate", ["x"], "y", act=ACTS["sigmoid"][0])
    with pytest.raises(DsgenError, match="node 'gate'.*at least half the int16 range"):
        layer_params.lut_params(g, lut, {}, None, None)
