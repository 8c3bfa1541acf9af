"""dsgen's int8 output SNR is at least onnxruntime's quantize_static (per-channel QDQ) on every
zoo model, on the same calibration and test inputs (bench/quant_quality.py prints the table)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dsgen import zoo

pytest.importorskip("onnxruntime")
BENCH = Path(__file__).resolve().parent.parent / "bench" / "quant_quality.py"
spec = importlib.util.spec_from_file_location("quant_quality", BENCH)
qq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(qq)


@pytest.mark.parametrize("name", [n for n in zoo.names() if not n.endswith("_224")])
def test_int8_snr_at_least_onnxruntime(tmp_path, name):
    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    r = qq.measure(p, *qq.zoo_inputs(p), tmp_path)
    print(name, {k: round(v[0], 1) for k, v in r.items()})
    assert r["dsgen8"][0] >= r["ort"][0]
    assert r["dsgen16"][0] >= r["ort"][0] + 4  # 16-bit activations: far above
