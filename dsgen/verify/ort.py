"""onnxruntime as the independent reference for the float (and QDQ) graph."""

from __future__ import annotations

import re
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
    opts.log_severity_level = 4  # a refusal is reported below in one line, not logged too
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for models it rejects
        raise DsgenError(
            f"onnxruntime, the reference, refuses the model: {_reason(exc)}", path=str(path)
        ) from None


def _reason(exc: Exception) -> str:
    """onnxruntime's message without the C++ source location and function signature."""
    text = str(exc).split(" failed:", 1)[-1]
    return re.sub(r"/\S+\.(?:cc|h):\d+ \S+?\(.*?\)(?: \[with [^\]]*\])? ", "", text).strip()


def run(sess, input_name: str, x_onnx: np.ndarray) -> list[np.ndarray]:
    """Run one sample given in ONNX layout with its batch dimension of 1."""
    return sess.run(None, {input_name: x_onnx})
