"""Every zoo model and every real model, bit-exact on an emulated Cortex-M4 (qemu mps2-an386).

The 224×224 MobileNetV1/V2 zoo entries reproduce the MobileNets paper's cost tables; at 4.2 M and
3.5 M parameters their weights outgrow the 4 MB internal flash, so the build links them into the
external-flash region (XFLASH, the board's PSRAM under qemu), as a board with QSPI flash would.
They run 0.9 G and 0.5 G instructions: more than one wrap of the 24-bit SysTick.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from dsgen import zoo
from dsgen.backends.c.emit import compile_c
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.verify import verify_model
from tests.conftest import require_tool

SMALL_ZOO = [n for n in zoo.names() if not n.endswith("_224")]
BIG_ZOO = [n for n in zoo.names() if n.endswith("_224")]
PAPER = {"mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224"}  # the MobileNets papers' cost tables
REAL = ["mlperf_kws_dscnn_float_nchw.onnx", "mlperf_kws_dscnn_int8_qdq_nchw.onnx",
        "arm_kws_ds_cnn_S_float_nchw.onnx", "mlperf_vww_mbv1_025_float_nchw.onnx",
        "mlperf_vww_mbv1_025_int8_qdq_nchw.onnx"]  # fmt: skip


def _mcu(path, samples=2, quant=None):
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    quant = quant or QuantOptions()
    r = verify_model(path, "mcu", samples=samples, quant=quant, warn=lambda m: None)
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


def _big(tmp_path, name):
    """The zoo model and a four-sample calibration set (keeps the float calibration pass short)."""
    p = tmp_path / f"{name}.onnx"
    p.write_bytes(zoo.build(name).SerializeToString())
    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).standard_normal((4, 3, 224, 224)).astype(np.float32))
    return p, QuantOptions(calib=str(calib))


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG_ZOO)
def test_224_models_on_cortex_m4(tmp_path, name):
    p, quant = _big(tmp_path, name)
    r = _mcu(p, samples=1, quant=quant)
    # 0.9 G instructions for V1: a count that lost a SysTick wrap (671 M) would read < 1 per MAC
    assert r.extra["instructions_per_mac"] > 1.0
    if name in PAPER:  # weights beyond the internal flash, and the GEMM's speed
        assert r.extra["weight_bytes"] > 3 << 20
        assert r.extra["instructions_per_mac"] < 2.5
    else:  # issue 14's models: 5x5 depthwise, SE, tables (BENCHMARKS.md, Cortex-M4)
        assert r.extra["instructions_per_mac"] < 6.0


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG_ZOO)
def test_host_224_models(tmp_path, name):
    """The paper-size models through the generated C on the host, bit for bit (one sample)."""
    p, quant = _big(tmp_path, name)
    r = verify_model(p, "c", samples=1, quant=quant)
    assert r.bit_exact and r.mismatches == 0


@pytest.mark.slow
def test_generated_makefile_links_big_weights_into_external_flash(tmp_path):
    """`make cortex-m4` on a model with more constants than internal flash: the Makefile presets
    -DDSG_WEIGHTS_EXTERNAL, the arrays land in XFLASH (0x21000000), and the example passes."""
    nm = require_tool("arm-none-eabi-nm")
    require_tool("qemu-system-arm")
    p, quant = _big(tmp_path, "mobilenet_v1_1.0_224")
    out = tmp_path / "c"
    s = compile_c(quantize_graph(load_ir(p), quant), out, model_sha256="0" * 64)
    assert s.weights_external
    r = subprocess.run(["make", "-s", "-C", str(out), "cortex-m4"], capture_output=True, text=True,
                       timeout=600)  # fmt: skip
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    syms = subprocess.run([nm, "-S", str(out / f"{s.name}_m4.elf")], capture_output=True,
                          text=True, check=True).stdout.split("\n")  # fmt: skip
    weights = [ln.split() for ln in syms if " R " in ln or " r " in ln]
    big = [int(a, 16) for a, size, *_ in weights if int(size, 16) >= 1 << 16]
    assert big and all(0x21000000 <= a < 0x22000000 for a in big), weights[:5]
