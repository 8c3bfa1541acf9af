"""Peers dsgen is measured against: onnxruntime's own static quantizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def ort_quantize_static(
    model: str | Path, calib_nchw: np.ndarray, out: str | Path, per_channel: bool = True
) -> Path:
    """onnxruntime's `quantize_static` (QDQ, int8 activations and weights, min/max calibration)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    name = onnx.load(str(model)).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{name: x[None].astype(np.float32)} for x in calib_nchw])

        def get_next(self):
            return next(self.it, None)

    quantize_static(
        str(model),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=per_channel,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
    )
    return Path(out)
