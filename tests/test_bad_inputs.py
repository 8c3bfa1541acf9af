"""Bad input: one line on stderr naming the file (and node/op), exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from dsgen.cli import main
from tests.onnx_build import G


def run_cli(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_one_line_error(code, err, *needles):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dsgen: error: ")
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def save(tmp_path, model, name="m.onnx"):
    p = tmp_path / name
    p.write_bytes(model.SerializeToString())
    return p


def test_unsupported_op(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    c = b.conv("x", 2, 2, pads=[1, 1, 1, 1])
    out = b.node("Erf", [c], name="my_erf")
    p = save(tmp_path, b.model(out))
    code, _, err = run_cli(["show", str(p)], capsys)
    assert_one_line_error(
        code, err, str(p), "node 'my_erf' (op 'Erf') is not supported", "supported ops:", "Conv"
    )


def test_custom_domain_op(tmp_path, capsys):
    b = G((1, 2, 4, 4))
    b.nodes.append(helper.make_node("Fancy", ["x"], ["y"], name="fancy", domain="com.acme"))
    m = b.model("y")
    m.opset_import.append(helper.make_opsetid("com.acme", 1))
    code, _, err = run_cli(["report", str(save(tmp_path, m))], capsys)
    assert_one_line_error(code, err, "node 'fancy' (op 'Fancy')", "custom domain")


def test_symbolic_spatial_dimension(tmp_path, capsys):
    b = G((1, 2, "height", 4))
    out = b.conv("x", 2, 2, pads=[1, 1, 1, 1])
    p = save(tmp_path, b.model(out))
    code, _, err = run_cli(["show", str(p)], capsys)
    assert_one_line_error(code, err, str(p), "symbolic dimension 2", "--input-shape")
    code, out_text, _ = run_cli(["show", str(p), "--input-shape", "1,2,6,4"], capsys)
    assert code == 0 and "6x4x2" in out_text


def test_symbolic_batch_becomes_one(tmp_path, capsys):
    b = G(("N", 2, 5, 4))
    out = b.conv("x", 2, 2, pads=[1, 1, 1, 1])
    code, text, _ = run_cli(["show", str(save(tmp_path, b.model(out)))], capsys)
    assert code == 0 and "5x4x2" in text


@pytest.mark.parametrize("content", [b"", b"this is not a protobuf \x00\xff\xfe", b"\x08"])
def test_unreadable_file(tmp_path, capsys, content):
    p = tmp_path / "bad.onnx"
    p.write_bytes(content)
    code, _, err = run_cli(["show", str(p)], capsys)
    assert_one_line_error(code, err, str(p))


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli(["report", str(tmp_path / "nope.onnx")], capsys)
    assert_one_line_error(code, err, "nope.onnx", "no such file")


def test_missing_external_data(tmp_path, capsys):
    b = G((1, 16, 8, 8))
    out = b.conv("x", 16, 16, pads=[1, 1, 1, 1])
    m = b.model(out)
    p = tmp_path / "ext.onnx"
    onnx.save_model(
        m,
        str(p),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="ext.onnx.data",
        size_threshold=0,
    )
    code, text, _ = run_cli(["show", str(p)], capsys)  # with its data: fine
    assert code == 0 and "conv" in text
    (tmp_path / "ext.onnx.data").unlink()
    code, _, err = run_cli(["show", str(p)], capsys)
    assert_one_line_error(code, err, str(p), "ext.onnx.data", "missing")


def test_unsupported_attribute_value(tmp_path, capsys):
    b = G((1, 2, 8, 8))
    out = b.node("MaxPool", ["x"], name="mp", kernel_shape=[2, 2], dilations=[2, 2])
    code, _, err = run_cli(["show", str(save(tmp_path, b.model(out)))], capsys)
    assert_one_line_error(code, err, "node 'mp' (op 'MaxPool')", "dilated")


def test_subprocess_exit_code_and_no_traceback(tmp_path):
    p = tmp_path / "junk.onnx"
    p.write_bytes(b"junk")
    r = subprocess.run(
        [sys.executable, "-m", "dsgen.cli", "verify", str(p)], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_int_input_graph_parses(tmp_path, capsys):
    """QDQ pattern with an int8 graph input parses (its meaning comes with quantization)."""
    inp = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 2, 4, 4])
    out = helper.make_tensor_value_info("y", TensorProto.INT8, None)
    w = np.ones((2, 2, 1, 1), np.int8)
    inits = [
        onnx.numpy_helper.from_array(a, n)
        for a, n in [
            (np.array(0.5, np.float32), "s"),
            (np.array(3, np.int8), "z"),
            (w, "wq"),
            (np.array([0.1, 0.2], np.float32), "ws"),
            (np.zeros(2, np.int8), "wz"),
            (np.array(0.25, np.float32), "so"),
            (np.array(-5, np.int8), "zo"),
        ]
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xf"]),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wf"], axis=0),
        helper.make_node("Conv", ["xf", "wf"], ["c"], name="conv"),
        helper.make_node("QuantizeLinear", ["c", "so", "zo"], ["y"]),
    ]
    m = helper.make_model(
        helper.make_graph(nodes, "q", [inp], [out], inits),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    code, text, _ = run_cli(["show", str(save(tmp_path, m))], capsys)
    assert code == 0 and "int-weights" in text and "int8" in text and "q(s=0.25,z=-5,8b)" in text
