"""Issue 14 kinds: HardSwish / HardSigmoid / Sigmoid / SiLU / Tanh (op and decomposed forms),
squeeze-and-excitation's run-time channel scale, channel Split / Slice.  The float reference must
equal onnxruntime; the IR must hold the first-class kinds; the integer tables are checked entry by
entry against the formula evaluated here with `math`."""

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
from dsgen.quant import int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.quant.tables import build_table

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


def test_int8_network_close_to_float_and_16bit_refused(tmp_path):
    nodes, inits = _se_nodes(False)
    p = _model(tmp_path, nodes, inits)
    g = load_ir(p)
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((32, H, W, C))
    qg = quantize(g, calib)
    x = rng.standard_normal((H, W, C))
    y = qg.dequantize(qg.int_outputs[0], int_ref.run(qg, qg.quantize_input(x))[qg.int_outputs[0]])
    ref = float_ref.run(g, x)[g.outputs[0]]
    snr = 10 * np.log10((ref**2).sum() / ((ref - y) ** 2).sum())
    assert snr > 25, snr
    with pytest.raises(DsgenError, match="16-bit.*not supported"):
        quantize(load_ir(p), calib, QuantConfig(bits=16))
