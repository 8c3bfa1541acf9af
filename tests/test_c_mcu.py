"""`verify --target mcu`: generated C on a Cortex-M4 under qemu, bit-exact, with instruction counts
that are deterministic and agree with an instruction trace."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.c import mcu
from dsgen.backends.c.emit import compile_c
from dsgen.backends.c.host import compare_bit_exact
from dsgen.compiler import load_ir
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.verify import verify_model
from tests.conftest import require_tool
from tests.test_c_backend import conv_pair_model, random_int_inputs

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _tools():
    for t in mcu.TOOLS:
        require_tool(t)


def zoo_path(tmp_path, name):
    p = tmp_path / f"{name}.onnx"
    onnx.save(zoo.build(name), p)
    return p


def check(result, max_ipm=None):
    d = result.to_json()
    assert d["bit_exact"] and d["mismatches"] == 0, d.get("first_mismatch")
    assert d["instructions"] > 0 and d["text_bytes"] > d["weight_bytes"] // 2
    assert sum(layer["instructions"] for layer in d["layer_instructions"]) <= d["instructions"]
    if max_ipm is not None:
        assert d["instructions_per_mac"] <= max_ipm, d["instructions_per_mac"]
    return d


@pytest.mark.parametrize("name,max_ipm", [("tiny_dscnn", None), ("ds_cnn_kws", 1.5)])
def test_zoo_models_bit_exact_on_cortex_m4(tmp_path, name, max_ipm):
    check(verify_model(zoo_path(tmp_path, name), "mcu", samples=3), max_ipm)


@pytest.mark.parametrize(
    "fname", ["mlperf_kws_dscnn_float_nchw.onnx", "mlperf_kws_dscnn_int8_qdq_nchw.onnx"]
)
def test_mlperf_kws_bit_exact_on_cortex_m4(shared_models, fname):
    # the float model quantized by dsgen with QuantOptions(), the QDQ one as given
    check(verify_model(shared_models / fname, "mcu", samples=3, quant=QuantOptions()), 1.5)


def test_instruction_count_is_deterministic_and_matches_a_trace(tmp_path):
    """Equal counts for equal inputs (within a run and across runs), and the SysTick count (one
    tick = 40 instructions) against qemu's own trace of every executed instruction."""
    qg = quantize_graph(load_ir(zoo_path(tmp_path, "tiny_dscnn")), QuantOptions(), lambda m: None)
    x = np.random.default_rng(0).integers(-128, 128, qg.graph.shape(qg.graph.input))
    r = mcu.run_on_mcu(qg, [x, x], tmp_path / "c", "ab" * 32)
    counts = [s["instructions"] for s in r["samples"]]
    assert counts[0] == counts[1]
    elf = next((tmp_path / "c").glob("*_mcu.elf"))
    again = mcu.parse_run(mcu.run_qemu(elf))
    assert [s["instructions"] for s in again] == counts
    # -singlestep makes every translation block one instruction, so `-d exec` logs each one
    log = tmp_path / "trace.log"
    mcu.run_qemu(elf, ("-singlestep", "-d", "exec,nochain", "-D", str(log)))
    name = r["summary"].name
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True).stdout
    entry = int(re.search(rf"^([0-9a-f]+) T {name}_run$", nm, re.M)[1], 16) & ~1
    dis = subprocess.run(
        ["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True
    ).stdout
    ret = int(re.search(rf"bl\s+[0-9a-f]+ <{name}_run>\n\s+([0-9a-f]+):", dis)[1], 16)
    pcs = [
        int(m[1], 16)
        for m in re.finditer(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/", log.read_text(), re.M)
    ]
    first = pcs.index(entry)
    traced = pcs.index(ret, first) - first  # instructions from the call's entry to its return
    assert abs(traced - counts[0]) <= 2 * mcu.INSN_PER_TICK, (traced, counts[0])


def test_missing_toolchain_is_a_clear_error(monkeypatch):
    from dsgen.errors import DsgenError

    monkeypatch.setattr(mcu.shutil, "which", lambda t: None)
    with pytest.raises(DsgenError, match="arm-none-eabi-gcc"):
        mcu.require_tools()


def test_general_convs_take_the_paired_pass_on_cortex_m4(tmp_path):
    """tests/test_c_backend.py's conv_pair_model (3x3 and 1x4 convs, stride 2, padding, odd
    channel counts, k % 4 != 0, z_in != 0) under qemu on full-range inputs (all-min, all-max and
    alternating among them): the DSP path of dsg_conv_pair_s8 (gathered fields, the paired
    assembly and its partial blocks), bit-exact."""
    qg = quantize_graph(load_ir(conv_pair_model(tmp_path)), QuantOptions(), warn=lambda m: None)
    xs = random_int_inputs(qg, 2)
    r = mcu.run_on_mcu(qg, xs, tmp_path / "c", "0" * 64)
    code = (tmp_path / "c" / f"{r['summary'].name}.c").read_text()
    assert code.count("dsg_conv_pair_s8(") == 3
    outs = iter(smp["outs"] for smp in r["samples"])
    m = compare_bit_exact(qg, xs, lambda x: next(outs))
    assert m["mismatches"] == 0, m["first_mismatch"]


def test_keyword_spotter_total_ram_and_instructions_are_pinned(tmp_path):
    """Deterministic counts of the zoo keyword spotter under qemu, so they cannot regress: the
    instructions per inference and total RAM = arena + the measured stack high-water mark (the
    stack is painted before each inference, startup_cm4.c).  The -fstack-usage estimate of
    `dsgen compile` is an upper bound of the measured stack.  Lower these when they improve.
    The depthwise and pointwise layers run in place, so the arena is one 25x5x64 map plus the
    pooled vector (the naive bound, every live tensor side by side, is two maps), and the
    kernels' scratch is sized to these layers (dsg_config.h)."""
    path = zoo_path(tmp_path, "ds_cnn_kws")
    d = check(verify_model(path, "mcu", samples=2))
    assert d["instructions"] == 3_442_880, d["instructions"]
    assert d["arena_bytes"] == 8_064
    assert d["total_ram_bytes"] == d["arena_bytes"] + d["stack_bytes"]
    assert d["total_ram_bytes"] <= 10_328 < 12 * 1024, d["stack_bytes"]
    assert d["stack_bytes"] > 1000  # painted and read back: the kernels' frames are there
    qg = quantize_graph(load_ir(path), QuantOptions(), warn=lambda m: None)
    s = compile_c(qg, tmp_path / "c", model_sha256="0" * 64, measure=True)
    assert (s.arena_lower_bound, s.naive_lower_bound, s.in_place_layers) == (8_064, 16_000, 8)
    assert 0 < s.scratch_bytes < d["stack_bytes"]  # the scratch lives in the kernels' frames
    assert s.footprint is not None and s.footprint.stack >= d["stack_bytes"]
