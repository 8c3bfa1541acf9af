"""Small hand-built ONNX graphs for frontend tests (independent of dsgen's own zoo)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    """Minimal graph builder: `g.node(op, inputs, **attrs)` returns the output name."""

    def __init__(self, shape, seed: int = 0, dtype=TensorProto.FLOAT) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0
        self.inp = helper.make_tensor_value_info("x", dtype, list(shape))

    def const(self, arr, name: str | None = None) -> str:
        self.n += 1
        name = name or f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def w(self, *shape, scale: float = 0.3) -> str:
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32))

    def node(
        self, op: str, inputs: list[str], n_out: int = 1, name: str | None = None, **attrs
    ) -> str:
        self.n += 1
        outs = [f"t{self.n}_{i}" for i in range(n_out)]
        self.nodes.append(
            helper.make_node(op, inputs, outs, name=name or f"n{self.n}_{op}", **attrs)
        )
        return outs[0]

    def conv(self, x: str, c_in: int, c_out: int, k=(3, 3), group: int = 1, **attrs) -> str:
        return self.node(
            "Conv", [x, self.w(c_out, c_in // group, *k), self.w(c_out)], group=group, **attrs
        )

    def model(self, out: str, opset: int = 13) -> onnx.ModelProto:
        o = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, "test", [self.inp], [o], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        return m
