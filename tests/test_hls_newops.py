"""Issue 14 on the HLS backend: the table activation, run-time channel scale
(squeeze-and-excitation) and channel slice kernels (templates/hls/dsg_hls_nonlinear.h) bit for bit
against the integer reference, with dsgen's shims and with Xilinx's ap_types; the dataflow
planner's FIFO sizing for SE forks and ShuffleNetV2's channel split; the frame buffers' BRAM count;
and the small zoo models (MobileNetV3-small, EfficientNet-B0 with SiLU + SE, ShuffleNetV2) through
`verify --target hls`.

The kernel cases go into one translation unit built once per header set; each model is quantized
and built once per check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from dsgen import zoo
from dsgen.backends.folding import plan_folding
from dsgen.backends.hls import compile_hls, frame_buffer_notes, frame_buffers, vendor
from dsgen.backends.hls import kernels as K
from dsgen.backends.hls import verify as hls_verify
from dsgen.backends.hls.dataflow import (
    DEFAULT_DEPTH,
    Deadlock,
    absorbs,
    simulate,
    size_fifos,
)
from dsgen.backends.hls.graph import build_dataflow
from dsgen.backends.hls.names import Namer
from dsgen.compiler import load_ir
from dsgen.ir import graph as ir
from dsgen.quant import int_ref, tables
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.quant.qgraph import ChannelScaleQ, LutQ
from dsgen.resources import templates_dir
from tests.conftest import require_tool
from tests.test_newops import C, _conv, _int64, _model, _se_nodes

QUIET = {"warn": lambda m: None}
SMALL = ["mobilenet_v3_small_64", "efficientnet_b0_32", "shufflenet_v2_x0_5_64"]

# --- kernel level ---------------------------------------------------------------------------------

CASES: list[tuple[str, K.KernelCall, list[np.ndarray], np.ndarray]] = []


def _graph(tensors: dict[str, tuple[int, ...]]) -> ir.Graph:
    return ir.Graph("t", "x", ["y"], {n: ir.TensorInfo(n, s) for n, s in tensors.items()})


def _add(name, call, ins, ref) -> None:
    ins = [np.asarray(i, np.int64).reshape(-1) for i in ins]
    CASES.append((name, call, ins, np.asarray(ref, np.int64).reshape(-1)))


ALL_CODES = np.arange(-128, 128)


def lut_cases() -> None:
    """Every one of the 256 inputs through three tables: random over the whole int8 range, a real
    HardSwish table, and one that maps to the two extremes only."""
    rng = np.random.default_rng(1)
    hswish = tables.build_table(
        ir.Activation(ir.ActKind.HARDSWISH, alpha=1 / 6, beta=0.5),
        ir.QParams(0.05, -3),
        ir.QParams(0.03, -100),
    )
    extremes = np.where(ALL_CODES % 3 == 0, -128, 127)
    for tag, table in (
        ("random", rng.integers(-128, 128, 256)),
        ("hswish", hswish),
        ("extremes", extremes),
    ):
        p = LutQ(np.asarray(table, np.int64), 0, 0, -128, 127)
        layer = ir.Lut("t", ["x"], "y")
        g = _graph({"x": (4, 8, 8), "y": (4, 8, 8)})
        x = rng.permutation(ALL_CODES)  # all 256 codes, in a shuffled order
        call = K.lut_call(f"k{len(CASES)}", g, layer, p)
        _add(f"lut-{tag}", call, [x], tables.lookup(table, x))


WIDE: set[int] = set()  # cases on 16-bit streams (16x8 mode: symmetric int16 activations)
ALL16 = np.arange(-(1 << 15), 1 << 15)


def lut16_cases() -> None:
    """Every int16 input through the interpolated table: a real SiLU table (entries beyond int16,
    cut by the clamp), a steep sigmoid, random 17-bit tables with the full and a narrow clamp,
    and neighbours jumping across the whole 17-bit range."""
    rng = np.random.default_rng(16)
    q16 = lambda s: ir.QParams(s, 0, bits=16)  # noqa: E731
    silu = tables.build_table16(ir.Activation(ir.ActKind.SILU), q16(30 / 32768), q16(1e-3))
    steep = tables.build_table16(ir.Activation(ir.ActKind.SIGMOID), q16(0.01), q16(1e-6))
    jumps = np.where(np.arange(513) % 2 == 0, -(1 << 16), (1 << 16) - 1)
    for tag, table, lo, hi in (
        ("silu", silu, -(1 << 15), (1 << 15) - 1),
        ("steep", steep, -(1 << 15), (1 << 15) - 1),
        ("random", rng.integers(-(1 << 16), 1 << 16, 513), -(1 << 15), (1 << 15) - 1),
        ("random-clamp", rng.integers(-(1 << 16), 1 << 16, 513), -1000, 20000),
        ("jumps", jumps, -(1 << 15), (1 << 15) - 1),
    ):
        p = LutQ(np.asarray(table, np.int64), 0, 0, lo, hi, bits=16)
        g = _graph({"x": (64, 32, 32), "y": (64, 32, 32)})
        x = rng.permutation(ALL16)
        WIDE.add(len(CASES))
        call = K.lut_call(f"k{len(CASES)}", g, ir.Lut("t", ["x"], "y"), p)
        assert call.kind == "dsg_lut_interp"
        _add(f"lut16-{tag}", call, [x], tables.interpolate16(table, x, lo, hi))


def channel_scale_case(tag, seed, *, h, w, c, z_x, z_s, z_out, q, shift, lo=-128, hi=127):
    rng = np.random.default_rng(seed)
    lo_in, hi_in = (-(1 << 15), (1 << 15) - 1) if lo < -128 else (-128, 127)
    x = rng.integers(lo_in, hi_in + 1, size=(h, w, c))
    s = rng.integers(lo_in, hi_in + 1, size=(1, 1, c))
    s.reshape(-1)[:2] = [lo_in, hi_in]
    # every corner of x times every corner of s: the product's extremes are always present
    x.reshape(-1, c)[0, :2] = [hi_in, lo_in]
    x.reshape(-1, c)[-1, :2] = [lo_in, hi_in]
    if lo < -128:
        WIDE.add(len(CASES))
    p = ChannelScaleQ(z_x, z_s, z_out, (q, shift), lo, hi)
    layer = ir.ChannelScale("m", ["x", "s"], "y")
    g = _graph({"x": (h, w, c), "s": (1, 1, c), "y": (h, w, c)})
    call = K.channel_scale_call(f"k{len(CASES)}", g, layer, p)
    _add(f"scale-{tag}", call, [x, s], int_ref.channel_scale(p, x, s))


def channel_scale_cases() -> None:
    big = (1 << 31) - 1
    # zero points at both ends make |(x - z_x)(s - z_s)| reach 255 * 255 = 65025
    channel_scale_case("zmin", 1, h=3, w=5, c=7, z_x=-128, z_s=-128, z_out=0, q=big, shift=-8)
    channel_scale_case("zmax", 2, h=2, w=3, c=8, z_x=127, z_s=127, z_out=-128, q=1 << 30, shift=-3)
    channel_scale_case("zmix", 3, h=4, w=4, c=5, z_x=-128, z_s=127, z_out=127, q=big, shift=-31)
    # left shift: 65025 * 2^14 < 2^31, the largest that fits int32
    channel_scale_case("lshift", 4, h=2, w=2, c=6, z_x=-128, z_s=127, z_out=3, q=big, shift=14)
    channel_scale_case("narrow", 5, h=3, w=3, c=4, z_x=5, z_s=-7, z_out=-20, q=1_500_000_000,
                       shift=-6, lo=-60, hi=90)  # fmt: skip
    channel_scale_case("pixel", 6, h=1, w=1, c=9, z_x=0, z_s=-128, z_out=0, q=big, shift=-7)
    # 16 bits, both operands symmetric: (-32768)^2 = 2^30 still fits int32
    channel_scale_case("int16", 8, h=2, w=3, c=4, z_x=0, z_s=0, z_out=0, q=big, shift=-15,
                       lo=-(1 << 15), hi=(1 << 15) - 1)  # fmt: skip


def channel_slice_cases() -> None:
    rng = np.random.default_rng(7)
    for start, stop, c in ((0, 6, 12), (6, 12, 12), (3, 8, 10), (0, 1, 3), (2, 3, 3), (0, 5, 5)):
        x = rng.integers(-128, 128, size=(3, 4, c))
        layer = ir.ChannelSlice("sl", ["x"], "y", start=start, stop=stop)
        g = _graph({"x": (3, 4, c), "y": (3, 4, stop - start)})
        call = K.channel_slice_call(f"k{len(CASES)}", g, layer)
        _add(f"slice-{start}-{stop}-of-{c}", call, [x], x[..., start:stop])


lut_cases()
lut16_cases()
channel_scale_cases()
channel_slice_cases()


def _case_source(i: int, call: K.KernelCall, ins: list[np.ndarray], n_out: int) -> str:
    return _source(i, call, ins, n_out).replace("act_t", "act16_t" if i in WIDE else "act_t")


def _source(i: int, call: K.KernelCall, ins: list[np.ndarray], n_out: int) -> str:
    fields = "".join(f"    static const int {k} = {v};\n" for k, v in call.cfg.items())
    types = "    typedef act_t in_t;\n    typedef act_t out_t;\n"
    lines = [f"struct {call.ident}_cfg {{\n{types}{fields}}};"]
    for a in call.arrays:
        dims = "".join(f"[{d}]" for d in a.dims)
        lines.append(f"static const {a.ctype} {a.name}{dims} = {a.body};")
    call.inputs = [f"in{j}" for j in range(len(ins))]
    call.outputs = ["out"]
    decl = "".join(f'    hls::stream<act_t> in{j}("in{j}");\n' for j in range(len(ins)))
    fill = "".join(
        f"    for (int e = 0; e < {x.size}; ++e) in{j}.write(act_t(rd()));\n"
        for j, x in enumerate(ins)
    )
    lines.append(
        f'static void case_{i}() {{\n{decl}    hls::stream<act_t> out("out");\n{fill}'
        f"    {call.call};\n    for (int e = 0; e < {n_out}; ++e) "
        f'std::printf("%d ", out.read().to_int());\n'
        '    if (!out.empty()) std::printf("EXTRA");\n}'
    )
    return "\n".join(lines)


def _build_kernels(d: Path, ap_types: Path | None) -> str:
    cxx = require_tool("g++")
    parts = [
        '#include <cstdio>\n#include <cstdlib>\n#include "dsg_hls.h"\n',
        "typedef ap_int<8> act_t;\ntypedef ap_int<16> act16_t;\n",
        'static long rd() { long v; if (std::scanf("%ld", &v) != 1) std::exit(9); return v; }\n',
    ]
    parts += [_case_source(i, c, ins, ref.size) for i, (_, c, ins, ref) in enumerate(CASES)]
    cases = "".join(f"    case {i}: case_{i}(); break;\n" for i in range(len(CASES)))
    parts.append(
        "int main(int argc, char **argv) {\n    if (argc < 2) return 2;\n"
        f"    switch (std::atoi(argv[1])) {{\n{cases}"
        "    default: return 2;\n    }\n    return 0;\n}\n"
    )
    src = d / "newops.cpp"
    src.write_text("\n".join(parts))
    exe = d / ("newops_vendor" if ap_types else "newops")
    flags = ["-std=c++14", "-O1", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
    flags += hls_verify.vendor_flags(ap_types) if ap_types else ["-Werror"]
    r = subprocess.run(
        [cxx, *flags, f"-I{templates_dir() / 'hls'}", str(src), "-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    return str(exe)


@pytest.fixture(scope="module", params=["shims", "vendor"])
def kernel_exe(request, tmp_path_factory) -> str:
    ap_types = None
    if request.param == "vendor":
        ap_types = vendor.find_ap_types()
        if ap_types is None:
            pytest.skip("Xilinx ap_types headers absent (make test fetches them)")
    return _build_kernels(tmp_path_factory.mktemp(f"newops_{request.param}"), ap_types)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_kernel_bit_exact(kernel_exe, i):
    name, _, ins, ref = CASES[i]
    stdin = " ".join(str(int(v)) for x in ins for v in x)
    r = subprocess.run([kernel_exe, str(i)], input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not hls_verify.stream_warnings(r.stdout + r.stderr), r.stdout[-2000:]
    assert "EXTRA" not in r.stdout, f"{name}: output beyond the frame"
    got = np.array(r.stdout.split(), np.int64)
    assert got.size == ref.size, f"{name}: {got.size} outputs, expected {ref.size}"
    bad = np.flatnonzero(got != ref)
    assert bad.size == 0, (
        f"{name}: {bad.size} mismatches; first at index {bad[0]}: "
        f"expected {ref[bad[0]]}, got {got[bad[0]]}"
    )


def test_lut_cases_cover_every_input():
    for name, _, ins, _ in CASES:
        if name.startswith("lut-"):
            assert sorted(ins[0].tolist()) == ALL_CODES.tolist()
        if name.startswith("lut16-"):
            assert sorted(ins[0].tolist()) == ALL16.tolist()


def test_channel_scale_reaches_the_product_extremes():
    """The zmin / zmax cases really multiply 255 by 255 (and the shifted one stays in int32)."""
    for name, call, ins, _ in CASES:
        if name in ("scale-zmin", "scale-lshift"):
            (x, s), cfg = ins, call.cfg
            prod = (x.reshape(-1, cfg["C"]) - cfg["Z_X"]) * (s - cfg["Z_S"])
            assert np.abs(prod).max() == 255 * 255
            assert np.abs(prod).max() << max(cfg["SHIFT"], 0) < 1 << 31
        if name == "scale-int16":
            (x, s), cfg = ins, call.cfg
            assert (x.reshape(-1, cfg["C"]) * s).max() == 1 << 30


# --- dataflow planning ----------------------------------------------------------------------------


def _zoo_file(d: Path, name: str) -> Path:
    p = d / f"{name}.onnx"
    if not p.exists():
        onnx.save(zoo.build(name), p)
    return p


@pytest.fixture(scope="module")
def quantized(tmp_path_factory):
    d = tmp_path_factory.mktemp("newops_models")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = quantize_graph(load_ir(_zoo_file(d, name)), QuantOptions(), **QUIET)
        return cache[name]

    return get


def _dataflow(qg):
    df = build_dataflow(qg, plan_folding(qg, 96), Namer())
    size_fifos(df)
    return df


def _consumer(df, stream):
    return next(c for c in df.calls if stream in c.inputs)


def test_se_forks_keep_default_depth(quantized):
    """The fork of x into the SE branch (global pool first) and the channel scale (all of x
    before s) has FIFOs of the default depth on both sides, and the dataflow does not deadlock."""
    df = _dataflow(quantized("mobilenet_v3_small_64"))
    forks = [
        b
        for b in df.calls
        if b.kind == "dsg_broadcast"
        and {_consumer(df, s).kind for s in b.outputs} == {"dsg_global_pool", "dsg_channel_scale"}
    ]
    assert len(forks) == 9  # the nine SE blocks of MobileNetV3-small
    for b in forks:
        for s in b.outputs:
            assert absorbs(df, s)
            assert df.streams[s].depth == DEFAULT_DEPTH
    simulate(df)


def test_residual_around_se_holds_the_frame(quantized):
    """The skip FIFO of a residual block with SE holds the block's whole input frame (the channel
    scale emits nothing before its map is complete, which needs every input element); a row
    less deadlocks."""
    df = _dataflow(quantized("mobilenet_v3_small_64"))
    skips = [
        df.streams[s]
        for b in df.calls
        if b.kind == "dsg_broadcast"
        for s in b.outputs
        if _consumer(df, s).kind == "dsg_add"
    ]
    assert len(skips) == 6  # blocks 3, 5, 6, 8, 10, 11
    # by hand from V3_SMALL at 64x64: the SE blocks' inputs 4x4x40 (5, 6), 4x4x48 (8), 2x2x96
    # (10, 11) wait whole in the skip FIFO; block 3 (no SE, 8x8x24) only a few rows
    held = sorted(st.elems for st in skips if st.depth >= st.elems)
    assert held == sorted([640, 640, 768, 384, 384])
    assert [st.elems for st in skips if st.depth < st.elems] == [8 * 8 * 24]
    simulate(df)
    victim = next(st for st in skips if st.elems == 4 * 4 * 48)  # block 8
    victim.depth = victim.elems - 4 * 48  # a row short of the frame
    with pytest.raises(Deadlock):
        simulate(df)


def test_channel_split_fifo_sized_from_shapes(quantized):
    """ShuffleNetV2's stride-1 units: the half that goes straight to the Concat waits in a FIFO
    while the other half passes 1x1 → 3x3 depthwise → 1x1; the 3x3 needs the next input row, so
    the FIFO holds between one and two rows of the unit's input (W·C elements each); halving it
    deadlocks."""
    df = _dataflow(quantized("shufflenet_v2_x0_5_64"))
    split = []
    for b in df.calls:
        if b.kind != "dsg_broadcast":
            continue
        cons = [_consumer(df, s) for s in b.outputs]
        if all(c.kind == "dsg_channel_slice" for c in cons):
            direct = next(
                s for s, c in zip(b.outputs, cons, strict=True)
                if _consumer(df, c.outputs[0]).kind.startswith("dsg_concat")
            )  # fmt: skip
            split.append((df.streams[direct], cons[0].cfg))
    assert len(split) == 3 + 7 + 3  # stride-1 units of stages 2, 3, 4
    for st, cfg in split:
        row = round(cfg["PIXELS"] ** 0.5) * cfg["IN_C"]  # square maps: W·C
        assert row < st.depth <= 2 * row + 2, (st.ident, st.depth, row)
    simulate(df)
    victim = split[0][0]
    victim.depth //= 2
    with pytest.raises(Deadlock):
        simulate(df)


@pytest.fixture(scope="module")
def v3_project(quantized, tmp_path_factory):
    """MobileNetV3-small's HLS project with full-range testbench frames, shared."""
    qg = quantized("mobilenet_v3_small_64")
    shape = qg.graph.shape(qg.graph.input)
    rng = np.random.default_rng(5)
    xs = np.stack([np.full(shape, -128), np.full(shape, 127), rng.integers(-128, 128, shape)])
    proj = tmp_path_factory.mktemp("v3") / "hls"
    s = compile_hls(qg, proj, multipliers=96, model_sha256="0" * 64, tb_inputs=xs)
    return qg, xs, s, proj


def test_frame_buffer_bram_matches_hand_count(v3_project):
    """MobileNetV3-small at 64x64: the SE maps (H·W·C) by hand from V3_SMALL, 8 bits each; a
    BRAM18 holds 16 Kbit at 8 bits wide (2K x 9), a BRAM36 32 Kbit."""
    _, _, s, proj = v3_project
    hand = [
        16 * 16 * 16,  # block 1 (dw s2 from 32x32)
        4 * 4 * 96,  # block 4 (dw s2 from 8x8)
        4 * 4 * 240,
        4 * 4 * 240,
        4 * 4 * 120,
        4 * 4 * 144,
        2 * 2 * 288,  # block 9 (dw s2)
        2 * 2 * 576,
        2 * 2 * 576,
    ]
    assert [f.elems for f in s.frame_buffers] == hand
    assert all(f.bits == 8 for f in s.frame_buffers)
    bram18 = [2, 1, 2, 2, 1, 2, 1, 2, 2]  # ceil(elems * 8 / 16384)
    assert [f.bram18 for f in s.frame_buffers] == bram18
    assert [f.bram36 for f in s.frame_buffers] == [1] * 9
    readme = (proj / "README.md").read_text()
    assert "9 buffer(s), 15 BRAM18 (9 BRAM36) in all" in readme
    assert "15 BRAM18 (9 BRAM36)" in s.describe()


def test_no_frame_buffer_without_se(quantized):
    df = _dataflow(quantized("shufflenet_v2_x0_5_64"))
    assert frame_buffers(df, 8) == []
    assert frame_buffer_notes([]) == ""


# --- model level ----------------------------------------------------------------------------------


def _check(r) -> None:
    assert r.bit_exact, (
        f"{r.model}: {r.mismatches} mismatches; {r.extra['first_mismatch']} {r.extra['csim_log']}"
    )
    assert r.extra["adversarial_mismatches"] == 0


@pytest.mark.parametrize(
    "name",
    [
        "mobilenet_v3_small_64",
        pytest.param("efficientnet_b0_32", marks=pytest.mark.slow),
        "shufflenet_v2_x0_5_64",
    ],
)
def test_zoo_model_bit_exact(tmp_path, name):
    """`verify --target hls`: calibration-like samples plus the adversarial full-range frames."""
    require_tool("g++")
    r = hls_verify.verify_hls(
        _zoo_file(tmp_path, name), samples=2, quant=QuantOptions(), multipliers=96, **QUIET
    )
    assert r.extra["adversarial_samples"] >= 4
    _check(r)
    if name == "mobilenet_v3_small_64":  # test_frame_buffer_bram_matches_hand_count
        assert r.extra["frame_buffer_bram18"] == 15


@pytest.mark.parametrize(
    "name", ["mobilenet_v3_small_64", pytest.param("efficientnet_b0_32", marks=pytest.mark.slow)]
)
def test_zoo_model_16bit_tables_bit_exact_with_vendor_headers(tmp_path, name):
    """16-bit activations: every table activation is the interpolated one (dsg_lut_interp), in
    C simulation against Xilinx's ap_types, on calibration-like and full-range frames."""
    require_tool("g++")
    if vendor.find_ap_types() is None:
        pytest.skip("Xilinx ap_types headers absent (make test fetches them)")
    r = hls_verify.verify_hls_vendor(
        _zoo_file(tmp_path, name), samples=2, quant=QuantOptions(bits=16), multipliers=96, **QUIET
    )
    assert r.extra["adversarial_samples"] >= 4
    _check(r)


def test_model_bit_exact_with_vendor_headers(v3_project):
    """MobileNetV3-small (tables, SE channel scales, residual skips around them) built against
    Xilinx's ap_types, on frames at -128, at 127 and random over the whole range."""
    require_tool("g++")
    ap_types = vendor.find_ap_types()
    if ap_types is None:
        pytest.skip("Xilinx ap_types headers absent (make test fetches them)")
    qg, xs, s, proj = v3_project
    exe = hls_verify.build_csim(proj, s.top, ap_types=ap_types)
    rc, log, frames = hls_verify.run_csim(proj, exe)
    assert rc == 0 and not hls_verify.stream_warnings(log), log[-2000:]
    assert len(frames) == len(xs)
    for k, (x, got) in enumerate(zip(xs, frames, strict=True)):
        ref = int_ref.run(qg, x)[qg.int_outputs[0]].reshape(-1)
        bad = np.flatnonzero(got != ref)
        assert bad.size == 0, (
            f"frame {k}: first mismatch at {bad[0]}: {ref[bad[0]]} vs {got[bad[0]]}"
        )


def _tiny(tmp_path: Path, form: str) -> Path:
    """tests/test_newops.py's one-op models: SE (conv or Gemm form, its map is the network input),
    channel split (Split or two Slices), HardSwish after a conv."""
    if form.startswith("se"):
        nodes, inits = _se_nodes(form == "se-gemm")
        p = _model(tmp_path, nodes, inits)
        extra = [_int64("shape", [1, C, 1, 1])] if form == "se-gemm" else []
    elif form == "hardswish":
        conv, w = _conv("c", "x", "t")
        return _model(tmp_path, [conv, helper.make_node("HardSwish", ["t"], ["y"], name="hs")], [w])
    else:
        if form == "split":
            split = [helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1)]
            extra = [_int64("sizes", [3, 5])]
        else:
            split = [
                helper.make_node("Slice", ["x", "s0", "e0", "ax"], ["a"], name="sl0"),
                helper.make_node("Slice", ["x", "s1", "e1", "ax"], ["b"], name="sl1"),
            ]
            ends = [("s0", [0]), ("e0", [3]), ("s1", [3]), ("e1", [99]), ("ax", [1])]
            extra = [_int64(n, v) for n, v in ends]
        c, w = _conv("c", "b", "bb", cout=5)
        cat = helper.make_node("Concat", ["bb", "a"], ["y"], name="cat", axis=1)
        p = _model(tmp_path, [*split, c, cat], [(w[0], w[1][:, :5])])
    m = onnx.load(str(p))
    m.graph.initializer.extend(extra)
    p.write_bytes(m.SerializeToString())
    return p


@pytest.mark.parametrize("form", ["se-conv", "se-gemm", "split", "slice", "hardswish"])
def test_tiny_models_bit_exact(tmp_path, form):
    require_tool("g++")
    r = hls_verify.verify_hls(_tiny(tmp_path, form), samples=4, quant=QuantOptions(), **QUIET)
    _check(r)


def test_cli_compiles_new_kinds(tmp_path):
    """Formerly refused: `dsgen compile --target hls` writes the project and reports the SE frame
    buffer (the map is the 5x6x8 input: 240 bytes, one BRAM18)."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dsgen.cli", "compile", str(_tiny(tmp_path, "se-conv"))]
    r = subprocess.run([*cmd, "--target", "hls", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "channel-scale frame buffers: 1, 1 BRAM18 (1 BRAM36) in all" in r.stdout
    assert "240 x 8 bit = 1.875 Kbit" in r.stdout
    assert (out / "firmware" / "dsg" / "dsg_hls_nonlinear.h").is_file()
