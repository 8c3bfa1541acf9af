"""onnxruntime as the independent reference for the float (and QDQ) graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsgen.errors import DsgenError


def session(path: str | Path):
    """onnxruntime's session; for a QONNX model qonnx's executor (dsgen.verify.qonnx_exec)."""
    from dsgen.verify.qonnx_exec import QonnxSession, is_qonnx

    if is_qonnx(path):
        return QonnxSession(path)
    try:
        import onnxruntime as ort
    except ImportError:
        raise DsgenError("onnxruntime is not installed (pip install 'dsgen[ort]')") from None
    opts = ort.SessionOptions()
    # Graph optimisations change QDQ results by a few LSB; the unoptimised graph is the reference.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run(sess, input_name: str, x_onnx: np.ndarray) -> list[np.ndarray]:
    """Run one sample given in ONNX layout with its batch dimension of 1."""
    return sess.run(None, {input_name: x_onnx})
