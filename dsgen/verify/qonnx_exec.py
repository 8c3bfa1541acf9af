"""qonnx's executor as the reference for QONNX models (`Quant`, `BipolarQuant`, `Trunc` nodes).

onnxruntime cannot run QONNX's custom ops; `qonnx.core.onnx_exec.execute_onnx` runs the graph with
its quantizers as the training saw them (standard nodes through onnxruntime, one at a time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from dsgen.errors import DsgenError

QONNX_DOMAIN = "qonnx.custom_op.general"
_ALIASES = ("onnx.brevitas", "finn.custom_op.general")  # the same ops under older domain names


def is_qonnx(path: str | Path) -> bool:
    try:
        m = onnx.load(str(path), load_external_data=False)
    except Exception:
        return False
    return any(n.domain in (QONNX_DOMAIN, *_ALIASES) for n in m.graph.node)


class QonnxSession:
    """The slice of onnxruntime's InferenceSession that dsgen's verification uses."""

    def __init__(self, path: str | Path) -> None:
        try:
            from qonnx.core.modelwrapper import ModelWrapper
            from qonnx.transformation.infer_shapes import InferShapes
        except ImportError:
            raise DsgenError(
                "qonnx is not installed: it is the reference for QONNX models "
                "(pip install 'dsgen[qonnx]')"
            ) from None
        model = onnx.load(str(path))
        for node in model.graph.node:
            if node.domain in _ALIASES:
                node.domain = QONNX_DOMAIN
            for a in node.attribute:  # Brevitas' name for what qonnx calls DOWN (np.fix)
                if a.name == "rounding_mode" and a.s.upper() == b"ROUND_TO_ZERO":
                    a.s = b"DOWN"
        if not any(o.domain == QONNX_DOMAIN for o in model.opset_import):
            model.opset_import.append(onnx.helper.make_opsetid(QONNX_DOMAIN, 1))
        self.model = ModelWrapper(model).transform(InferShapes())
        self.output_names = [o.name for o in self.model.graph.output]

    def run(self, _names, feeds: dict[str, np.ndarray], *, everything: bool = False):
        from qonnx.core.onnx_exec import execute_onnx

        out = execute_onnx(self.model, feeds, return_full_exec_context=everything)
        return out if everything else [out[n] for n in self.output_names]
