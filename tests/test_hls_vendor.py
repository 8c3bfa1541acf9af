"""The HLS C simulation a second time, against Xilinx's open ap_types headers (ap_int.h,
hls_stream.h from the hls4ml wheel; `make test` fetches them), bit-exact on the zoo models, so the
kernels are checked with the vendor's ap_int / hls::stream semantics and not only with dsgen's
shims."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.hls import compile_hls, vendor
from dsgen.backends.hls import verify as hls_verify
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions, quantize_graph
from tests.conftest import require_tool

BIG = {"mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224"}  # minutes of g++ on megabyte arrays
# issue 14's models: tests/test_hls_newops.py (the small ones; the 224x224 ones are too big here)
NEW_14 = {n for n in zoo.names() if n.startswith(("mobilenet_v3", "efficientnet", "shufflenet_v2"))}
QUIET = {"warn": lambda m: None}


@pytest.fixture(scope="module")
def ap_types() -> Path:
    require_tool("g++")
    d = vendor.find_ap_types()
    if d is None:
        pytest.skip("Xilinx ap_types headers absent (make test fetches them from the hls4ml wheel)")
    return d


def _zoo_file(tmp_path: Path, name: str) -> Path:
    p = tmp_path / f"{name}.onnx"
    onnx.save(zoo.build(name), p)
    return p


@pytest.mark.parametrize("name", [n for n in zoo.names() if n not in BIG | NEW_14])
def test_zoo_model_bit_exact_with_vendor_headers(tmp_path, ap_types, name):
    budget = None if name.startswith("mobilenet_v1") else 96
    r = hls_verify.verify_hls(
        _zoo_file(tmp_path, name),
        samples=2,
        quant=QuantOptions(),
        multipliers=budget,
        ap_types=ap_types,
        **QUIET,
    )
    assert r.target == "hls-vendor" and r.extra["headers"] == "Xilinx ap_types"
    assert r.bit_exact, f"{r.model}: {r.mismatches} mismatches; {r.extra['first_mismatch']}"


def _project(tmp_path: Path, name: str = "tiny_dscnn"):
    qg = quantize_graph(load_ir(_zoo_file(tmp_path, name)), QuantOptions(), **QUIET)
    rng = np.random.default_rng(3)
    shape = qg.graph.shape(qg.graph.input)
    x = np.stack([np.full(shape, -128), np.full(shape, 127), rng.integers(-128, 128, shape)])
    s = compile_hls(qg, tmp_path / "hls", model_sha256="0" * 64, tb_inputs=x)
    return qg, x, s


def test_vendor_build_uses_vendor_headers_not_shims(tmp_path, ap_types):
    """g++ -M lists the headers a build reads: the vendor's, and none of the shims."""
    _, _, s = _project(tmp_path)
    proj = tmp_path / "hls"
    cmd = ["g++", "-std=c++14", "-M", f"-I{proj / 'firmware'}", *hls_verify.vendor_flags(ap_types)]
    deps = subprocess.run(
        [*cmd, str(proj / "firmware" / f"{s.top}.cpp")], capture_output=True, text=True, check=True
    ).stdout
    assert str(ap_types / "ap_int.h") in deps and str(ap_types / "hls_stream.h") in deps
    assert "shims" not in deps
    plain = subprocess.run(
        [
            "g++",
            "-std=c++14",
            "-M",
            f"-I{proj / 'firmware'}",
            str(proj / "firmware" / "dsg" / "dsg_hls.h"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "shims/ap_int.h" in plain and str(ap_types) not in plain


def test_full_range_frames_bit_exact_with_vendor_headers(tmp_path, ap_types):
    """All -128, all 127 and a random frame: the vendor build agrees with the integer reference
    and with the shim build."""
    qg, x, s = _project(tmp_path)
    proj = tmp_path / "hls"
    refs = [int_ref.run(qg, xi)[qg.int_outputs[0]].reshape(-1) for xi in x]
    for headers in (ap_types, None):
        exe = hls_verify.build_csim(proj, s.top, ap_types=headers)
        rc, log, frames = hls_verify.run_csim(proj, exe)
        assert rc == 0 and not hls_verify.stream_warnings(log), log[-2000:]
        assert len(frames) == len(refs)
        for got, ref in zip(frames, refs, strict=True):
            assert np.array_equal(got, ref)


def test_vendor_stream_warning_fails_the_verification():
    """The vendor stream only prints a warning on an empty read; dsgen counts it as a failure."""
    log = (
        "WARNING: Hls::stream 'x' is read while empty, which may result in RTL simulation hanging."
    )
    assert hls_verify.stream_warnings("PASS\n" + log) == [log]
    assert hls_verify.stream_warnings("PASS: 2 frames, 0 mismatches") == []


def test_unpack_takes_only_ap_types(tmp_path):
    wheel = tmp_path / "hls4ml-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for f in vendor.REQUIRED:
            z.writestr(vendor.WHEEL_DIR + f, "// header\n")
        z.writestr("hls4ml/__init__.py", "")
    d = vendor.unpack(wheel, tmp_path / "out")
    assert sorted(str(p.relative_to(d)) for p in d.rglob("*.h")) == sorted(vendor.REQUIRED)
    assert not (d / "__init__.py").exists()
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("hls4ml/__init__.py", "")
    with pytest.raises(DsgenError, match="has no"):
        vendor.unpack(bad, tmp_path / "out2")
