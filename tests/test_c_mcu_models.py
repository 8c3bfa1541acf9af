"""Every zoo model and every real model, bit-exact on an emulated Cortex-M4 (qemu mps2-an386).

The two 224×224 zoo entries reproduce the MobileNets paper's cost tables; at 4.2 M and 3.5 M
parameters their weights do not fit the flash of any Cortex-M4 (the mps2-an386 image has 4 MB),
so they are checked on the host instead (test_host_224_models).
"""

from __future__ import annotations

import pytest

from dsgen import zoo
from dsgen.quant.api import QuantOptions
from dsgen.verify import verify_model
from tests.conftest import require_tool

SMALL_ZOO = [n for n in zoo.names() if not n.endswith("_224")]
REAL = ["mlperf_kws_dscnn_float_nchw.onnx", "mlperf_kws_dscnn_int8_qdq_nchw.onnx",
        "arm_kws_ds_cnn_S_float_nchw.onnx", "mlperf_vww_mbv1_025_float_nchw.onnx",
        "mlperf_vww_mbv1_025_int8_qdq_nchw.onnx"]  # fmt: skip


def _mcu(path):
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    r = verify_model(path, "mcu", samples=2, quant=QuantOptions(), warn=lambda m: None)
    assert r.bit_exact and r.mismatches == 0, r.extra.get("first_mismatch")
    assert r.extra["instructions"] > r.macs  # it really ran the network
    return r


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_zoo_on_cortex_m4(tmp_path, name):
    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    _mcu(p)


@pytest.mark.parametrize("name", REAL)
def test_real_on_cortex_m4(shared_models, name):
    _mcu(shared_models / name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in zoo.names() if n.endswith("_224")])
def test_host_224_models(tmp_path, name):
    """The paper-size models through the generated C on the host, bit for bit (one sample)."""
    import numpy as np

    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    calib = tmp_path / "calib.npy"  # four samples keep the float calibration pass short
    np.save(calib, np.random.default_rng(0).standard_normal((4, 3, 224, 224)).astype(np.float32))
    r = verify_model(p, "c", samples=1, quant=QuantOptions(calib=str(calib)))
    assert r.bit_exact and r.mismatches == 0
