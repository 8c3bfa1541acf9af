"""A small model whose every name is hostile to generated code (shared by the backend tests)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HOSTILE = [
    "int",
    "return",
    "module",
    "wire",
    "class",
    'quo"te',
    "it's",
    "*/ evil /*",
    "line\nbreak",
    "#include <evil.h>",
    "../../etc/passwd",
    "a/b\\c",
    "ŝŧřäñğé",
    "名前",
    "a-b",
    "a_b",
    "A_B",
    "__reserved",
    "9lives",
    "",
    " ",
    "dsg_conv_s8",
    "main",
    "end",
    "always @(posedge clk)",
]


def hostile_model(seed: int = 0) -> onnx.ModelProto:
    """conv → BN → ReLU → depthwise → pointwise → residual add → pool → dense, all names hostile
    (two of them collide after sanitising: 'a-b' / 'a_b')."""
    rng = np.random.default_rng(seed)
    names = iter(HOSTILE * 3)
    t = {}

    def nm() -> str:
        return next(names)

    def w(*shape, s=0.3):
        n = f"{nm()}#w{len(t)}"
        t[n] = numpy_helper.from_array((rng.standard_normal(shape) * s).astype(np.float32), n)
        return n

    nodes = []
    x = 'in"put*/'
    c1 = nm() + "_c1"
    nodes.append(helper.make_node("Conv", [x, w(8, 3, 3, 3), w(8)], [c1], name=nm(), pads=[1] * 4))
    r1 = "a-b"
    nodes.append(helper.make_node("Relu", [c1], [r1], name="a-b"))
    d1 = "a_b"
    nodes.append(
        helper.make_node("Conv", [r1, w(8, 1, 3, 3), w(8)], [d1], name="a_b", group=8, pads=[1] * 4)
    )
    p1 = "line\nbreak"
    nodes.append(helper.make_node("Conv", [d1, w(8, 8, 1, 1), w(8)], [p1], name="*/ evil /*"))
    a1 = "#include <evil.h>"
    nodes.append(helper.make_node("Add", [r1, p1], [a1], name="int"))
    g1 = "名前"
    nodes.append(helper.make_node("GlobalAveragePool", [a1], [g1], name="module"))
    f1 = "../../etc/passwd"
    nodes.append(helper.make_node("Flatten", [g1], [f1], name="return"))
    y = "out'put"
    nodes.append(
        helper.make_node("Gemm", [f1, w(4, 8), w(4)], [y], name="always @(posedge clk)", transB=1)
    )
    graph = helper.make_graph(
        nodes,
        "class",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)],
        list(t.values()),
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m
