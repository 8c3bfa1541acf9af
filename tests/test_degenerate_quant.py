"""Degenerate quantization (docs/bad_input.md): a layer whose quantized output range collapses is
found and named; the cases that used to collapse silently are quantized properly now."""

from __future__ import annotations

import numpy as np
import pytest

from dsgen import zoo
from dsgen.cli import main
from dsgen.compiler import load_ir
from dsgen.ir import float_ref
from dsgen.quant import degenerate, int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from tests.onnx_build import G


def _save(tmp_path, model, name="m.onnx"):
    p = tmp_path / name
    p.write_bytes(model.SerializeToString())
    return p


def _run(path, **cfg):
    """(quantized graph, float outputs, dequantized integer outputs) on 16 calibration samples."""
    g = load_ir(path)
    xs = np.random.default_rng(1).standard_normal((16, *g.onnx_input_shape[1:]))
    cal = xs.transpose(0, 2, 3, 1)
    qg = quantize(g, cal, QuantConfig(**cfg))
    ref = np.stack([float_ref.run(g, x)[g.outputs[0]] for x in cal])
    o = qg.int_outputs[0]
    got = np.stack([qg.dequantize(o, int_ref.run(qg, qg.quantize_input(x))[o]) for x in cal])
    return qg, ref, got


def _snr(ref, got) -> float:
    return float(10 * np.log10(np.sum(ref**2) / max(np.sum((ref - got) ** 2), 1e-300)))


def _tiny_logits(tmp_path):
    """A classifier whose weights (and so logits) are ~1e-7: the logits used to get a fixed
    minimum range, the Gemm's multiplier underflowed to 0 and the network output a constant."""
    b = G((1, 8, 4, 4))
    f = b.node("Flatten", [b.node("Relu", [b.conv("x", 8, 8)])])
    out = b.node("Gemm", [f, b.w(4, 32, scale=1e-7), b.w(4, scale=1e-7)], transB=1)
    return _save(tmp_path, b.model(out))


def _big_bias(tmp_path):
    """Tiny all-negative weights after a ReLU and a large bias: the bias in accumulator units
    leaves int32, and used to be clipped silently (nothing else bounded the accumulator)."""
    b = G((1, 8, 4, 4))
    r = b.node("Relu", [b.conv("x", 8, 8)])
    w = -np.abs(b.rng.standard_normal((4, 8, 1, 1))).astype(np.float32) * 1e-6
    c = b.node("Conv", [r, b.const(w), b.const(np.array([3.0, 1.0, 2.0, 0.5], np.float32))])
    w2 = (b.rng.standard_normal((4, 4, 1, 1)) * 1e5).astype(np.float32)
    return _save(tmp_path, b.model(b.node("Conv", [c, b.const(w2), b.w(4)])))


def test_tiny_logits_are_quantized_not_constant(tmp_path):
    qg, ref, got = _run(_tiny_logits(tmp_path))
    assert len(np.unique(got)) > 16
    assert _snr(ref, got) > 25
    assert all(
        qg.params[l.name].mult.all() for l in qg.int_layers if hasattr(qg.params[l.name], "mult")
    )
    assert qg.collapses == []


def test_bias_beyond_int32_is_not_clipped(tmp_path):
    qg, ref, got = _run(_big_bias(tmp_path))
    assert _snr(ref, got) > 30
    assert all(n.get("bias_clipped", 0) == 0 for n in qg.per_layer.values())
    assert qg.collapses == []


def test_detector_names_a_layer_with_a_zero_multiplier(tmp_path):
    """Channels forced to the degenerate parameters the old quantizer produced (multiplier 0):
    the detector names the layer, the reason and the channels."""
    qg, _, _ = _run(_tiny_logits(tmp_path))
    last = qg.int_layers[-1]
    qg.params[last.name].mult[[1, 3]] = 0
    found = degenerate.find(qg, None)
    assert [c.layer for c in found] == [last.name]
    assert "underflows to 0 in 2 channel(s) (first: 1)" in found[0].reason


def test_detector_names_a_constant_channel_whose_float_varies(tmp_path):
    """A channel whose requantized accumulator range is a single value (its weights and bias
    zeroed), while calibration saw its float output vary."""
    from dsgen.quant import calibrate

    path = _tiny_logits(tmp_path)
    qg, _, _ = _run(path)
    conv = qg.int_layers[0]
    rec = qg.params[conv.name]
    rec.weight[5] = 0
    rec.bias[5] = 0
    g = load_ir(path)
    cal = np.random.default_rng(1).standard_normal((16, 8, 4, 4)).transpose(0, 2, 3, 1)
    found = degenerate.find(qg, calibrate.collect(g, cal))
    assert [(c.layer, c.reason) for c in found] == [
        (
            conv.name,
            "1 of 8 output channel(s) can only output one value while the float layer's vary "
            "(first: channel 5)",
        )
    ]


@pytest.mark.parametrize("name", ["mobilenet_v1_025_32", "shufflenet_unit", "igc_block"])
@pytest.mark.parametrize("bits", [8, 16])
def test_no_findings_on_healthy_models(tmp_path, name, bits):
    qg, _, _ = _run(_save(tmp_path, zoo.build(name)), bits=bits)
    assert qg.collapses == []


@pytest.fixture(scope="module")
def spread(tmp_path_factory):
    """MobileNetV2 with BN scales spread over decades: per-tensor weights round some channels of
    the expand convs to zero while their float outputs vary."""
    d = tmp_path_factory.mktemp("spread")
    p = _save(d, zoo.build("mobilenet_v2_spread_32"))
    calib = d / "calib.npy"
    np.save(calib, np.random.default_rng(0).standard_normal((8, 3, 32, 32)).astype(np.float32))
    return p, calib


def test_compile_notes_name_the_collapsed_layers(spread, tmp_path, capsys):
    model, calib = spread
    args = [
        "compile",
        str(model),
        "--target",
        "c",
        "-o",
        str(tmp_path / "c"),
        "--calib",
        str(calib),
    ]
    assert main([*args, "--per-tensor"]) == 0
    err = capsys.readouterr().err
    assert "note: layer 'block2_expand' (pointwise_conv): quantization collapses it" in err
    assert main(["-q", *args, "--per-tensor"]) == 0  # -q silences the notes
    assert capsys.readouterr().err == ""
    assert main([*args]) == 0  # per-channel weights: nothing collapses
    assert "collapses" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["compile", "verify", "report"])
def test_strict_refuses_a_collapsed_layer(spread, tmp_path, capsys, command):
    model, calib = spread
    out = tmp_path / "c"
    extra = {"compile": ["--target", "c", "-o", str(out)], "verify": ["--target", "int"]}
    code = main(
        [command, str(model), *extra.get(command, []), "--calib", str(calib), "--per-tensor"]
        + ["--strict"]
    )
    cap = capsys.readouterr()
    assert code == 2
    assert cap.out == ""
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    assert lines[0].startswith(f"dsgen: error: {model}: node 'block2_expand'")
    assert "quantization collapses this layer" in lines[0] and "--strict" in lines[0]
    assert not out.exists()


def test_no_findings_on_tflites_own_dead_channels(shared_models):
    """TFLite's int8 visual wake words model zeroes the weights and multiplier of a few dead
    channels on purpose (their exact output is the zero point): not a collapse."""
    from dsgen.quant.api import QuantOptions, quantize_graph

    g = load_ir(shared_models / "mlperf_vww_mbv1_025_int8_qdq_nchw.onnx")
    qg = quantize_graph(g, QuantOptions())
    assert any(
        (qg.params[l.name].mult == 0).any()
        for l in qg.int_layers
        if hasattr(qg.params[l.name], "mult")
    )
    assert qg.collapses == []
