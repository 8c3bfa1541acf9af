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
    return cases


if __name__ == "__main__":
    for case in write_corpus(Path(sys.argv[1])):
        print(f"{case.name:24s} dsgen {' '.join(case.args)}")
