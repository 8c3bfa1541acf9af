"""The bad-input corpus: a script that writes every kind of hostile or broken input dsgen must
reject cleanly, with what its one-line error must mention.

    python -m tests.bad_corpus OUT_DIR     # write the corpus and list the cases
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from tests.onnx_build import G


@dataclass
class Case:
    name: str
    args: list[str]  # dsgen arguments; "{f}" is the case's file, "{d}" the corpus directory
    expect: list[str]  # substrings of the one error line
    file: str | None = None
    compile_out: str | None = None  # for compile cases: the output path that must not appear
    extra: dict = field(default_factory=dict)


def _conv_model(shape=(1, 2, 6, 6)):
    b = G(shape)
    return b, b.conv("x", shape[1], 4, pads=[1, 1, 1, 1], name="the_conv")


def _save(d: Path, name: str, model) -> str:
    (d / name).write_bytes(
        model.SerializeToString() if hasattr(model, "SerializeToString") else model
    )
    return name


def write_corpus(d: Path) -> list[Case]:
    d.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name, model, args, expect, **kw):
        f = _save(d, name, model) if model is not None else None
        cases.append(Case(name, args, expect, f, **kw))

    add("empty.onnx", b"", ["show", "{f}"], ["empty.onnx"])
    good, out = _conv_model()
    blob = good.model(out).SerializeToString()
    add("truncated.onnx", blob[: len(blob) // 2], ["report", "{f}"], ["truncated.onnx"])
    add(
        "text.onnx",
        b"ir_version: 8\nthis is a text file, not a protobuf\n",
        ["show", "{f}"],
        ["text.onnx"],
    )
    add("png.onnx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, ["show", "{f}"], ["png.onnx"])

    b, c = _conv_model()
    add(
        "unsupported_op.onnx",
        b.model(b.node("Erf", [c], name="erf_node")),
        ["show", "{f}"],
        ["node 'erf_node' (op 'Erf') is not supported", "supported ops"],
    )
    b, c = _conv_model()
    b.nodes.append(helper.make_node("Magic", [c], ["y"], name="magic", domain="com.vendor"))
    m = b.model("y")
    m.opset_import.append(helper.make_opsetid("com.vendor", 1))
    add("custom_domain.onnx", m, ["report", "{f}"], ["node 'magic' (op 'Magic')", "com.vendor"])

    b, c = _conv_model((1, 2, "H", "W"))
    add("symbolic_hw.onnx", b.model(c), ["show", "{f}"], ["symbolic dimension", "--input-shape"])

    b, c = _conv_model()
    b.nodes.append(helper.make_node("Add", [c, "ghost"], ["y"], name="dangling_add"))
    add("dangling.onnx", b.model("y"), ["show", "{f}"], ["node 'dangling_add' (op 'Add')", "ghost"])

    b, c = _conv_model((1, 3, 70000, 70000))
    add("absurd_activation.onnx", b.model(c), ["report", "{f}"], ["elements", "any target"])
    b = G((1, 2, 4, 4))
    w = b.node(
        "ConstantOfShape",
        [b.const(np.array([4096, 2, 4096, 4096], np.int64))],
        name="huge_weights",
        value=onnx.numpy_helper.from_array(np.array([0.5], np.float32)),
    )
    add(
        "absurd_weights.onnx",
        b.model(b.node("Conv", ["x", w], name="big_conv")),
        ["show", "{f}"],
        ["huge_weights", "too large"],
    )

    b, c = _conv_model((1, 4, 8, 8))
    p = d / "external.onnx"
    onnx.save_model(
        b.model(c), str(p), save_as_external_data=True, location="external.bin", size_threshold=0
    )
    (d / "external.bin").unlink()
    cases.append(
        Case("external.onnx", ["show", "{f}"], ["external.bin", "missing"], "external.onnx")
    )

    b = G((1, 2, 6, 6))
    add(
        "bad_autopad.onnx",
        b.model(b.conv("x", 2, 2, name="pad_conv", auto_pad="SIDEWAYS")),
        ["show", "{f}"],
        ["node 'pad_conv' (op 'Conv')", "SIDEWAYS"],
    )
    b = G((1, 2, 6, 6))
    add(
        "reflect_pad.onnx",
        b.model(
            b.node(
                "Pad",
                ["x", b.const(np.array([0, 0, 1, 1] * 2, np.int64))],
                name="refl",
                mode="reflect",
            )
        ),
        ["show", "{f}"],
        ["'refl'", "reflect"],
    )
    b = G((1, 2, 6, 6))
    add(
        "concat_axis.onnx",
        b.model(b.node("Concat", ["x", "x"], name="cat", axis=2)),
        ["show", "{f}"],
        ["node 'cat' (op 'Concat')", "axis"],
    )
    inp = helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 2, 4, 4])
    m = helper.make_model(
        helper.make_graph(
            [helper.make_node("Relu", ["x"], ["y"])],
            "g",
            [inp],
            [helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)],
        ),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    add("double_input.onnx", m, ["show", "{f}"], ["DOUBLE"])
    b, c = _conv_model()
    m = b.model(c, opset=7)
    add("old_opset.onnx", m, ["show", "{f}"], ["opset 7"])

    b, c = _conv_model()
    _save(d, "good.onnx", b.model(c))
    (d / "a_file").write_text("occupied")
    cases.append(
        Case(
            "out_is_file",
            ["compile", "{d}/good.onnx", "--target", "c", "-o", "{d}/a_file"],
            ["a_file", "not a directory"],
        )
    )
    cases.append(
        Case(
            "out_under_file",
            ["compile", "{d}/good.onnx", "--target", "c", "-o", "{d}/a_file/sub"],
            ["a_file/sub"],
            compile_out="a_file/sub",
        )
    )
    cases.append(
        Case(
            "out_unwritable",
            ["compile", "{d}/good.onnx", "--target", "c", "-o", "/proc/dsgen_out"],
            ["/proc/dsgen_out"],
        )
    )
    cases.append(Case("synth_not_rtl", ["synth", "{d}"], ["not an RTL output tree"]))
    cases.append(Case("missing_file", ["verify", "{d}/nothing_here.onnx"], ["no such file"]))
    cases.append(
        Case(
            "bad_inputs_npy",
            ["verify", "{d}/good.onnx", "--inputs", "{d}/a_file"],
            ["a_file", "cannot read inputs"],
        )
    )
    for group in (_numbers, _windows, _structure, _opsets, _qdq, _outside_dsgen, _samples):
        group(d, add, cases)
    return cases


# ---- hostile models: numbers, window geometry, graph structure, opsets, QDQ ----------------------
# Each is a model a careless exporter or a hostile user could hand over; each case runs the command
# that used to fail worst on it (a traceback from the quantizer or onnxruntime), or `show` when the
# frontend alone must refuse it.

COMPILE_C = ["compile", "{f}", "--target", "c", "-o", "{d}/out"]
VERIFY_INT = ["verify", "{f}", "--target", "int"]
VERIFY_FLOAT = ["verify", "{f}", "--target", "float"]
SHOW = ["show", "{f}"]


def _then(op: str, inputs=(), name: str = "the_op", shape=(1, 2, 6, 6), **attrs):
    """A conv followed by one `op` node with constant extra `inputs` ("" for an absent one)."""
    b, c = _conv_model(shape)
    ins = [c, *(b.const(a) if a is not None else "" for a in inputs)]
    return b.model(b.node(op, ins, name=name, **attrs))


def _bad_conv(weight, bias=None, shape=(1, 2, 6, 6), **attrs):
    b = G(shape)
    ins = ["x", b.const(np.asarray(weight, np.float32))]
    if bias is not None:
        ins.append(b.const(np.asarray(bias, np.float32)))
    return b.model(b.node("Conv", ins, name="bad_conv", **attrs))


def _bn(scale, bias, mean, var, **attrs):
    b, c = _conv_model()
    consts = [b.const(np.asarray(a, np.float32)) for a in (scale, bias, mean, var)]
    return b.model(b.node("BatchNormalization", [c, *consts], name="bn", **attrs))


def _w(*shape) -> np.ndarray:
    return np.full(shape, 0.1, np.float32)


CONV = "node 'bad_conv' (op 'Conv')"
BN = "node 'bn' (op 'BatchNormalization')"


def _numbers(d: Path, add, cases) -> None:
    """Non-finite constants, wherever they come from, and numbers outside their op's meaning."""
    w = _w(4, 2, 3, 3)
    w[0, 0, 0, 0] = np.nan
    add("nan_weight.onnx", _bad_conv(w, np.zeros(4), pads=[1] * 4), COMPILE_C, [CONV, "NaN"])
    add("inf_bias.onnx", _bad_conv(_w(4, 2, 3, 3), [0, np.inf, 0, 0]), VERIFY_INT, [CONV, "Inf"])
    b, c = _conv_model()
    inf = np.array([1, -np.inf, 1, 1], np.float32).reshape(1, 4, 1, 1)
    k = b.node("Constant", [], name="k", value=onnx.numpy_helper.from_array(inf))
    add(
        "inf_constant_node.onnx",
        b.model(b.node("Mul", [c, k], name="scale_mul")),
        COMPILE_C,
        ["node 'scale_mul' (op 'Mul')", "Inf"],
    )
    ones, zeros = np.ones(4), np.zeros(4)
    add(
        "bn_negative_variance.onnx",
        _bn(ones, zeros, zeros, [1, 1, -1, 1]),
        COMPILE_C,
        [BN, "variance"],
    )
    add("bn_negative_epsilon.onnx", _bn(ones, zeros, zeros, ones, epsilon=-2.0), VERIFY_INT, [BN])
    add(
        "bn_zero_variance_and_epsilon.onnx",
        _bn(ones, zeros, zeros, [1, 0, 1, 1], epsilon=0.0),
        VERIFY_INT,
        [BN, "variance"],
    )
    add("bn_nan_epsilon.onnx", _bn(ones, zeros, zeros, ones, epsilon=np.nan), SHOW, [BN, "epsilon"])
    add("bn_wrong_size.onnx", _bn(np.ones(3), zeros, zeros, ones), SHOW, [BN, "scale", "4"])
    add(
        "clip_min_above_max.onnx",
        _then("Clip", [np.float32(6), np.float32(0)]),
        SHOW,
        ["node 'the_op' (op 'Clip')", "min 6.0 > max 0.0"],
    )
    add(
        "clip_nan_bound.onnx",
        _then("Clip", [np.float32(np.nan), np.float32(6)]),
        SHOW,
        ["node 'the_op' (op 'Clip')", "NaN"],
    )
    add(
        "leaky_nan_alpha.onnx",
        _then("LeakyRelu", alpha=float("nan")),
        SHOW,
        ["node 'the_op' (op 'LeakyRelu')", "alpha"],
    )
    add(
        "pad_inf_value.onnx",
        _then("Pad", [np.array([0, 0, 1, 1] * 2, np.int64), np.float32(np.inf)]),
        COMPILE_C,
        ["node 'the_op' (op 'Pad')", "Inf"],
    )
    add(
        "div_by_zero.onnx",
        _then("Div", [np.array([1, 2, 0, 1], np.float32).reshape(1, 4, 1, 1)]),
        SHOW,
        ["node 'the_op' (op 'Div')", "non-zero"],
    )
    b, c = _conv_model()
    fc = b.node("Flatten", [c], name="flat")
    add(
        "gemm_inf_alpha.onnx",
        b.model(b.node("Gemm", [fc, b.const(_w(3, 144))], name="fc", alpha=np.inf, transB=1)),
        VERIFY_INT,
        ["node 'fc' (op 'Gemm')", "alpha"],
    )


def _windows(d: Path, add, cases) -> None:
    """Strides, dilations, pads, kernels and groups outside what the spec or the kernels allow."""
    w = _w(4, 2, 3, 3)
    mp = "node 'the_op' (op 'MaxPool')"
    ap = "node 'the_op' (op 'AveragePool')"
    add(
        "maxpool_pads_not_below_kernel.onnx",
        _then("MaxPool", kernel_shape=[2, 2], pads=[2, 2, 2, 2]),
        COMPILE_C,
        [mp, "pads", "kernel"],
    )
    add(
        "avgpool_pads_not_below_kernel.onnx",
        _then("AveragePool", kernel_shape=[3, 3], pads=[0, 0, 3, 0]),
        VERIFY_INT,
        [ap, "pads", "kernel"],
    )
    add(
        "pool_kernel_beyond_input.onnx",
        _then("MaxPool", kernel_shape=[8, 8]),
        VERIFY_INT,
        [mp, "empty"],
    )
    add("pool_no_kernel_shape.onnx", _then("MaxPool"), SHOW, [mp, "kernel_shape"])
    add(
        "pool_negative_stride.onnx",
        _then("AveragePool", kernel_shape=[2, 2], strides=[-1, 1]),
        SHOW,
        [ap, "strides"],
    )
    add("conv_kernel_beyond_input.onnx", _bad_conv(_w(4, 2, 8, 8)), SHOW, [CONV, "empty"])
    add("conv_zero_stride.onnx", _bad_conv(w, strides=[0, 1]), SHOW, [CONV, "strides"])
    add("conv_negative_stride.onnx", _bad_conv(w, strides=[-2, -2]), SHOW, [CONV, "strides"])
    add("conv_zero_dilation.onnx", _bad_conv(w, dilations=[0, 0]), SHOW, [CONV, "dilations"])
    add(
        "conv_negative_pads.onnx",
        _bad_conv(w, pads=[1, -1, 1, 1]),
        SHOW,
        [CONV, "pads"],
    )
    add(
        "conv_group_not_dividing.onnx",
        _bad_conv(_w(4, 2, 3, 3), shape=(1, 6, 6, 6), group=3),
        SHOW,
        [CONV, "group"],
    )
    add("conv_group_zero.onnx", _bad_conv(w, group=0), SHOW, [CONV, "group"])
    add("conv_bias_wrong_size.onnx", _bad_conv(w, np.zeros(3)), VERIFY_INT, [CONV, "bias"])
    add("conv_zero_size_kernel.onnx", _bad_conv(_w(4, 2, 0, 3)), VERIFY_INT, [CONV, "empty"])
    add(
        "conv_zero_output_channels.onnx",
        _bad_conv(_w(0, 2, 3, 3), np.zeros(0)),
        COMPILE_C,
        [CONV, "empty"],
    )
    add(
        "conv_float_strides.onnx",
        _bad_conv(w, strides=[1.0, 1.0]),
        SHOW,
        [CONV, "strides", "FLOAT"],
    )
    add("conv_misspelt_attribute.onnx", _bad_conv(w, padding=[1, 1, 1, 1]), SHOW, [CONV, "padding"])
    b = G((1, 2, 6, 6))
    add(
        "conv_without_weight.onnx",
        b.model(b.node("Conv", ["x"], name="bad_conv")),
        SHOW,
        [CONV, "input"],
    )


def _structure(d: Path, add, cases) -> None:
    """Graphs the ONNX spec forbids or dsgen cannot map: duplicates, empty or impossible shapes."""
    b, c = _conv_model()
    r = b.node("Relu", [c], name="r1")
    b.nodes.append(helper.make_node("Relu", [c], [r], name="r2"))
    add("duplicate_definition.onnx", b.model(r), VERIFY_FLOAT, ["node 'r2' (op 'Relu')", r])
    b, c = _conv_model()
    m = b.model(c)
    m.graph.initializer.append(m.graph.initializer[0])
    add("duplicate_initializer.onnx", m, VERIFY_INT, [m.graph.initializer[0].name, "twice"])
    b = G((1, 2, 6, 6))
    flat = b.node("Flatten", ["x"], name="flat")
    b.nodes.append(helper.make_node("Gemm", [flat, "W"], ["y"], name="fc", transB=1))
    m = b.model("y")
    m.graph.input.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [3, 72]))
    add("gemm_weight_is_input.onnx", m, COMPILE_C, ["node 'fc' (op 'Gemm')", "'W'", "graph input"])
    b, c = _conv_model((1, 2, 0, 6))
    add("zero_size_input.onnx", b.model(c), VERIFY_INT, ["input 'x'", "zero-size"])
    b, c = _conv_model()
    flat = b.node("Flatten", [c], name="flat")
    target = b.const(np.array([1, 7], np.int64))
    add(
        "reshape_impossible.onnx",
        b.model(b.node("Reshape", [flat, target], name="rs")),
        SHOW,
        ["node 'rs' (op 'Reshape')", "144"],
    )
    b, c = _conv_model()
    target = b.const(np.array([-2, -72], np.int64))
    add(
        "reshape_negative_dims.onnx",
        b.model(b.node("Reshape", [c, target], name="rs")),
        SHOW,
        ["node 'rs' (op 'Reshape')", "-2"],
    )
    b, c = _conv_model()
    small = b.conv(c, 4, 4, strides=[2, 2], pads=[1, 1, 1, 1])
    add(
        "concat_mismatched.onnx",
        b.model(b.node("Concat", [c, small], name="cat", axis=1)),
        VERIFY_INT,
        ["node 'cat' (op 'Concat')", "spatial sizes"],
    )
    add(
        "reduce_axes_out_of_range.onnx",
        _then("ReduceMean", axes=[6, 7]),
        SHOW,
        ["node 'the_op' (op 'ReduceMean')", "axes"],
    )


def _opsets(d: Path, add, cases) -> None:
    """Ops, signatures and opsets from the future (or the past) of the declared opset."""
    add(
        "op_from_a_later_opset.onnx",
        _then("Gelu"),
        SHOW,
        ["node 'the_op' (op 'Gelu')", "opset 13"],
    )
    add(
        "signature_from_a_later_opset.onnx",
        _then("ReduceMean", [np.array([2, 3], np.int64)]),
        VERIFY_INT,
        ["node 'the_op' (op 'ReduceMean')", "opset 13", "input"],
    )
    b, c = _conv_model()
    add("future_opset.onnx", b.model(c, opset=40), SHOW, ["opset 40"])
    b, c = _conv_model()
    m = b.model(c)
    del m.opset_import[:]
    m.opset_import.append(helper.make_opsetid("com.vendor", 1))
    add("no_onnx_opset.onnx", m, SHOW, ["opset"])


def _qdq(d: Path, add, cases) -> None:
    """Quantization parameters that cannot mean anything: zero, negative or NaN scales."""
    add(
        "qdq_without_output_parameters.onnx",
        _int8_input_model(quantized_output=False),
        VERIFY_INT,
        ["output is not quantized"],
    )
    b = G((1, 2, 6, 6))
    s, z = b.const(np.float32(0.05)), b.const(np.int32(0))
    dq = b.node("DequantizeLinear", [b.node("QuantizeLinear", ["x", s, z], name="q"), s, z])
    add(
        "qdq_int32_activation.onnx",
        b.model(b.conv(dq, 2, 4)),
        COMPILE_C,
        ["node 'q' (op 'QuantizeLinear')", "y_zero_point", "int32"],
    )
    for name, scale in (("zero", 0.0), ("negative", -0.1), ("nan", np.nan)):
        b = G((1, 2, 6, 6))
        s, z = b.const(np.float32(scale)), b.const(np.int8(0))
        dq = b.node("DequantizeLinear", [b.node("QuantizeLinear", ["x", s, z], name="q"), s, z])
        add(
            f"qdq_{name}_scale.onnx",
            b.model(b.conv(dq, 2, 4)),
            VERIFY_INT,
            ["node 'q' (op 'QuantizeLinear')", "scale"],
        )
    b = G((1, 2, 6, 6))
    wq = b.const(np.ones((4, 2, 3, 3), np.int8))
    w = b.node(
        "DequantizeLinear",
        [wq, b.const(np.full(4, 0.1, np.float32)), b.const(np.zeros(4, np.int8))],
        name="wdq",
        axis=5,
    )
    add(
        "dequant_axis_out_of_range.onnx",
        b.model(b.node("Conv", ["x", w], name="conv")),
        SHOW,
        ["node 'wdq' (op 'DequantizeLinear')", "axis"],
    )


def _outside_dsgen(d: Path, add, cases) -> None:
    """A model dsgen reads but onnxruntime refuses: the float and int checks need onnxruntime."""
    b, c = _conv_model()
    m = b.model(c)
    m.ir_version = 99
    add("ort_refuses.onnx", m, VERIFY_FLOAT, ["onnxruntime", "IR version"])
    cases.append(Case("ort_refuses_int", VERIFY_INT, ["onnxruntime"], "ort_refuses.onnx"))


def _int8_input_model(quantized_output: bool = True):
    """A QDQ model whose graph input is int8: its samples must be int8 values."""
    b = G((1, 2, 6, 6), dtype=TensorProto.INT8)
    s, z = b.const(np.float32(0.05)), b.const(np.int8(0))
    wq = b.const(np.ones((4, 2, 3, 3), np.int8))
    w = b.node("DequantizeLinear", [wq, b.const(np.float32(0.01)), b.const(np.int8(0))])
    y = b.node("Conv", [b.node("DequantizeLinear", ["x", s, z]), w], name="conv")
    return b.model(b.node("QuantizeLinear", [y, s, z]) if quantized_output else y)


def _samples(d: Path, add, cases) -> None:
    """--calib and --inputs files that are .npy but no usable samples."""
    shape = (3, 1, 2, 6, 6)
    nan = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    nan[1, 0, 1, 2, 3] = np.nan
    files = {
        "nan_samples.npy": nan,
        "inf_samples.npy": np.where(nan == nan, nan, np.inf).astype(np.float32),
        "no_samples.npy": np.zeros((0, *shape[1:]), np.float32),
        "string_samples.npy": np.full(shape, "a"),
        "complex_samples.npy": np.ones(shape, np.complex64),
        "big_int8_samples.npy": np.full(shape, 300.0, np.float32),
        "fraction_int8_samples.npy": np.full(shape, 0.5, np.float32),
    }
    for name, arr in files.items():
        np.save(d / name, arr)
    _save(d, "int8_input.onnx", _int8_input_model())
    compile_c = ["compile", "{d}/good.onnx", "--target", "c", "-o", "{d}/out"]
    for case, args, f, expect in (
        ("nan_calibration", compile_c, "nan_samples.npy", "1 NaN"),
        ("inf_inputs", ["verify", "{d}/good.onnx", "--target", "c"], "inf_samples.npy", "1 Inf"),
        ("empty_calibration", compile_c, "no_samples.npy", "no samples"),
        ("string_inputs", ["verify", "{d}/good.onnx"], "string_samples.npy", "not real"),
        ("complex_calibration", compile_c, "complex_samples.npy", "not real"),
        (
            "int8_inputs_out_of_range",
            ["verify", "{d}/int8_input.onnx", "--target", "int"],
            "big_int8_samples.npy",
            "int8",
        ),
        (
            "int8_inputs_fractional",
            ["verify", "{d}/int8_input.onnx", "--target", "c"],
            "fraction_int8_samples.npy",
            "int8",
        ),
    ):
        option = "--calib" if args[0] == "compile" else "--inputs"
        cases.append(Case(case, [*args, option, "{d}/" + f], [f, expect]))


if __name__ == "__main__":
    for case in write_corpus(Path(sys.argv[1])):
        print(f"{case.name:24s} dsgen {' '.join(case.args)}")
