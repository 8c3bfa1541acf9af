"""Peers dsgen is measured against: onnxruntime's own static quantizer, used as its
documentation says (`quant_pre_process` first, then `quantize_static`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def ort_quantize_static(
    model: str | Path, calib_nchw: np.ndarray, out: str | Path, per_channel: bool = True
) -> Path:
    """onnxruntime's documented flow: `quant_pre_process` (shape inference and graph
    optimization, which folds BatchNorm into the convs), then `quantize_static` (QDQ, int8
    activations and weights, per-channel weights by default, min/max calibration)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out = Path(out)
    pre = out.with_name(out.stem + "_pre.onnx")
    quant_pre_process(str(model), str(pre))
    name = onnx.load(str(pre)).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{name: x[None].astype(np.float32)} for x in calib_nchw])

        def get_next(self):
            return next(self.it, None)

    quantize_static(
        str(pre),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=per_channel,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    return out
