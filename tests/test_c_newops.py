"""The C backend's issue-14 kernels (templates/c/dsg_nonlinear.c: dsg_lut_s8, dsg_lut_interp_s16,
dsg_channel_scale_s8/_s16, dsg_channel_slice_s8/_s16) bit for bit against the integer reference
(dsgen.quant.int_ref), then the new zoo models through `verify --target c` and, under qemu,
`--target mcu` (8-bit and, with the interpolated tables, 16-bit activations); and the SE block's
in-place channel scale shrinking the arena.

The kernels are compiled with gcc and clang (-std=c99 -Wall -Wextra -Werror -pedantic), and with
gcc -DDSG_EMULATE_DSP, which runs the Cortex-M4 code path (the 4-instruction output stage of the
channel scale) on the host through the C model of the DSP instructions.
"""

from __future__ import annotations

import ctypes as C
import re
import shutil
import subprocess

import numpy as np
import onnx
import pytest

from dsgen import zoo
from dsgen.backends.c import arena, library
from dsgen.backends.c.arena import plan_arena
from dsgen.ir import graph as ir
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions
from dsgen.quant.qgraph import ChannelScaleQ
from dsgen.quant.tables import build_table16, lookup
from dsgen.resources import templates_dir
from dsgen.verify import verify_model
from dsgen.zoo._builder import GraphBuilder
from dsgen.zoo.modern import OPSET_NEW, _se, efficientnet
from tests.conftest import require_tool
from tests.test_c_backend import check_bit_exact, quantized
from tests.test_newops import _interp_plain

KDIR = templates_dir() / "c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-fPIC", "-shared"]
BUILDS = {
    "gcc": ("gcc", []),
    "clang": ("clang", []),
    "gcc-dsp-emul": ("gcc", ["-DDSG_EMULATE_DSP"]),
}
P8, P16, P32 = C.POINTER(C.c_int8), C.POINTER(C.c_int16), C.POINTER(C.c_int32)


class LutParams(C.Structure):
    _fields_ = [("table", P8)]


class LutInterpParams(C.Structure):
    _fields_ = [("table", P32), ("act_min", C.c_int32), ("act_max", C.c_int32)]


class ScaleParams(C.Structure):
    _fields_ = [(n, C.c_int32) for n in "pixels c z_x z_s z_out mult shift act_min act_max".split()]


class SliceParams(C.Structure):
    _fields_ = [(n, C.c_int32) for n in "pixels in_c start stop".split()]


@pytest.fixture(scope="module", params=list(BUILDS))
def lib(request, tmp_path_factory):
    cc, extra = BUILDS[request.param]
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    fam = library.family_of("dsg_lut_s8")
    assert (
        fam
        is library.family_of("dsg_channel_scale_s16")
        is library.family_of("dsg_channel_slice_s8")
    )
    srcs = [str(KDIR / s) for s in library.sources([library.SUPPORT, fam])]
    so = tmp_path_factory.mktemp(f"nl_{request.param}") / "libnl.so"
    subprocess.run([cc, *CFLAGS, *extra, f"-I{KDIR}", *srcs, "-o", str(so)], check=True)
    return C.CDLL(str(so))


def buf(a: np.ndarray, ctype=np.int8):
    """A C copy of `a` and the pointer into it (kept together so the memory stays alive)."""
    arr = np.ascontiguousarray(a, dtype=ctype)
    return arr, arr.ctypes.data_as(P8 if ctype == np.int8 else P16)


def assert_exact(got, want, what):
    got, want = np.asarray(got, np.int64), np.asarray(want, np.int64)
    bad = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
    assert bad.size == 0, (
        f"{what}: {bad.size} mismatches, first at flat index {bad[0]}: "
        f"got {got.reshape(-1)[bad[0]]}, want {want.reshape(-1)[bad[0]]}"
    )


# -- dsg_lut_s8 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n,offset", [(256, 0), (1027, 1), (3, 3), (0, 0)])
def test_lut_every_input(lib, n, offset):
    """All 256 inputs (then random ones), random and extreme tables, odd lengths and unaligned
    buffers (the 4-per-word loop and its tail), and in place."""
    rng = np.random.default_rng(n + offset)
    tables = [rng.integers(-128, 128, 256), np.arange(256) - 128, np.full(256, -128)]
    tables.append(np.where(np.arange(256) % 2 == 0, 127, -128))
    for t in tables:
        x = np.resize(np.arange(-128, 128), n)
        x[256:] = rng.integers(-128, 128, max(n - 256, 0))
        tab, tp = buf(t)
        params = LutParams(tp)
        xs, _ = buf(np.concatenate([np.zeros(offset), x]))
        ys, _ = buf(np.zeros(n + offset + 4))
        xp = C.cast(C.c_void_p(xs.ctypes.data + offset), P8)
        yp = C.cast(C.c_void_p(ys.ctypes.data + offset), P8)
        lib.dsg_lut_s8(xp, yp, n, C.byref(params))
        assert_exact(ys[offset : offset + n], lookup(t, x), f"lut n={n} offset={offset}")
        assert not ys[offset + n :].any(), "wrote past the end"
        lib.dsg_lut_s8(xp, xp, n, C.byref(params))  # in place
        assert_exact(xs[offset:], lookup(t, x), "lut in place")


# -- dsg_lut_interp_s16 --------------------------------------------------------------------------
def interp_tables(rng):
    """(table, lo, hi): a real SiLU table (entries beyond int16, cut by the clamp), a steep
    sigmoid, random 17-bit tables with the full and a narrow clamp, and neighbours jumping across
    the whole 17-bit range."""
    q16 = lambda s: ir.QParams(s, 0, bits=16)  # noqa: E731
    full = (-32768, 32767)
    return [
        (build_table16(ir.Activation(ir.ActKind.SILU), q16(30 / 32768), q16(1e-3)), *full),
        (build_table16(ir.Activation(ir.ActKind.SIGMOID), q16(0.01), q16(1e-6)), *full),
        (rng.integers(-65536, 65536, 513), *full),
        (rng.integers(-65536, 65536, 513), -1000, 20000),
        (np.where(np.arange(513) % 2 == 0, -65536, 65535), *full),
    ]


@pytest.mark.parametrize("n,offset", [(65536, 0), (65539, 1), (3, 3), (0, 0)])
def test_lut_interp_every_input(lib, n, offset):
    """All 65536 int16 inputs (shuffled, then random ones), odd lengths, buffers off by one
    element, and in place, against the plain expression of tests/test_newops.py."""
    rng = np.random.default_rng(n + offset)
    for t, lo, hi in interp_tables(rng):
        x = np.resize(rng.permutation(np.arange(-32768, 32768)), n)
        x[65536:] = rng.integers(-32768, 32768, max(n - 65536, 0))
        want = _interp_plain(t, x, lo, hi)
        tab = np.ascontiguousarray(t, dtype=np.int32)
        params = LutInterpParams(tab.ctypes.data_as(P32), lo, hi)
        xs, _ = buf(np.concatenate([np.zeros(offset), x]), np.int16)
        ys, _ = buf(np.zeros(n + offset + 4), np.int16)
        xp = C.cast(C.c_void_p(xs.ctypes.data + 2 * offset), P16)
        yp = C.cast(C.c_void_p(ys.ctypes.data + 2 * offset), P16)
        lib.dsg_lut_interp_s16(xp, yp, n, C.byref(params))
        assert_exact(ys[offset : offset + n], want, f"lut_interp n={n} [{lo}, {hi}]")
        assert not ys[offset + n :].any(), "wrote past the end"
        lib.dsg_lut_interp_s16(xp, xp, n, C.byref(params))  # in place
        assert_exact(xs[offset:], want, "lut_interp in place")


# -- dsg_channel_scale ---------------------------------------------------------------------------
def scale_cases(rng, bits):
    """(z_x, z_s, z_out, q, shift, lo, hi): the fast output stage (-23 <= shift <= -1, s8 z_out)
    and the general one (shift 0 .. 14, below -23), dead multipliers, extreme zero points and
    clamps narrower than the type."""
    tlo, thi = (-128, 127) if bits == 8 else (-32768, 32767)
    qmax = (1 << 31) - 1
    if bits == 8:
        zs = [(-128, -128, -128), (127, 127, 127), (0, -128, 5), (-3, 17, -100)]
        shifts = [-31, -24, -23, -15, -9, -8, -1, 0, 3, 14]
    else:
        zs = [(0, 0, 0)]
        shifts = [-31, -24, -23, -16, -8, -1, 0]
    cases = []
    for i, shift in enumerate(shifts):
        for j, (zx, zsv, zo) in enumerate(zs):
            q = [1 << 30, qmax, int(rng.integers(1 << 30, 1 << 31))][(i + j) % 3]
            lo, hi = [(tlo, thi), (max(zo, tlo), thi), (tlo + 40, thi - 30)][(i + 2 * j) % 3]
            cases.append((zx, zsv, zo, q, shift, lo, hi))
    cases.append((-128, 127, 3, 0, 0, tlo, thi))  # a dead multiplier: z_out everywhere
    return cases


@pytest.mark.parametrize("bits", [8, 16])
def test_channel_scale(lib, bits):
    rng = np.random.default_rng(bits)
    tlo, thi = (-128, 127) if bits == 8 else (-32768, 32767)
    ctype = np.int8 if bits == 8 else np.int16
    fn = lib.dsg_channel_scale_s8 if bits == 8 else lib.dsg_channel_scale_s16
    for k, (zx, zs, zo, q, shift, lo, hi) in enumerate(scale_cases(rng, bits)):
        pixels, c = [(7, 13), (1, 5), (16, 3), (5, 256)][k % 4]
        x = rng.integers(tlo, thi + 1, (pixels, c))
        x[0, :] = tlo  # the corners of the product
        x[-1, :] = thi
        s = rng.integers(tlo, thi + 1, c)
        s[0], s[-1] = tlo, thi
        want = int_ref.channel_scale(ChannelScaleQ(zx, zs, zo, (q, shift), lo, hi), x, s)
        p = ScaleParams(pixels, c, zx, zs, zo, q, shift, lo, hi)
        xs, xp = buf(x, ctype)
        ss, sp = buf(s, ctype)
        ys, yp = buf(np.zeros_like(x), ctype)
        fn(xp, sp, yp, C.byref(p))
        what = f"channel_scale s{bits} z=({zx},{zs},{zo}) q={q} shift={shift} [{lo},{hi}]"
        assert_exact(ys, want, what)
        fn(xp, sp, xp, C.byref(p))  # in place over x, as the arena plans it
        assert_exact(xs, want, what + " in place")


# -- dsg_channel_slice ---------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [8, 16])
def test_channel_slice(lib, bits):
    rng = np.random.default_rng(3)
    tlo, thi = (-128, 127) if bits == 8 else (-32768, 32767)
    ctype = np.int8 if bits == 8 else np.int16
    fn = lib.dsg_channel_slice_s8 if bits == 8 else lib.dsg_channel_slice_s16
    for pixels, c, start, stop in [(9, 8, 0, 3), (9, 8, 3, 8), (1, 5, 0, 5), (30, 116, 58, 116)]:
        x = rng.integers(tlo, thi + 1, (pixels, c))
        xs, xp = buf(x, ctype)
        ys, yp = buf(np.full((pixels, stop - start + 1), 7), ctype)  # + a guard column
        fn(xp, yp, C.byref(SliceParams(pixels, c, start, stop)))
        got = ys.reshape(-1)[: pixels * (stop - start)].reshape(pixels, stop - start)
        assert_exact(got, x[:, start:stop], f"channel_slice s{bits} [{start}, {stop}) of {c}")
        assert (ys.reshape(-1)[pixels * (stop - start) :] == 7).all(), "wrote past the end"


# -- models --------------------------------------------------------------------------------------
def model_path(tmp_path, name: str):
    """A zoo model, or `efficientnet_lite0_32`: EfficientNet-Lite0 (ReLU6, no SE) at 32x32, the
    small variant of the zoo's efficientnet_lite0_224."""
    m = efficientnet(32, 10, lite=True) if name == "efficientnet_lite0_32" else zoo.build(name)
    p = tmp_path / f"{name}.onnx"
    onnx.save(m, p)
    return p


@pytest.fixture(scope="module")
def qgs(tmp_path_factory):
    """Quantized graphs, built once per module on first use."""
    d, cache = tmp_path_factory.mktemp("newops_models"), {}

    def get(name):
        if name not in cache:
            cache[name] = quantized(model_path(d, name))
        return cache[name]

    return get


@pytest.mark.parametrize(
    "name",
    [
        "mobilenet_v3_small_64",
        # in tests/test_c_backend.py's small zoo too (check_bit_exact), so slow here
        pytest.param("efficientnet_b0_32", marks=pytest.mark.slow),
        pytest.param("shufflenet_v2_x0_5_64", marks=pytest.mark.slow),
    ],
)
def test_verify_target_c_bit_exact(tmp_path, name):
    d = verify_model(model_path(tmp_path, name), "c", samples=2).to_json()
    assert d["bit_exact"] and d["mismatches"] == 0, d.get("first_mismatch")


@pytest.mark.parametrize("name", ["mobilenet_v3_small_64", "efficientnet_b0_32"])
def test_verify_target_c_16bit_tables_bit_exact(tmp_path, name):
    """16-bit activations: HardSwish (MobileNetV3), SiLU and Sigmoid (EfficientNet-B0) as
    interpolated tables, on calibration-like and full-range inputs."""
    q = QuantOptions(bits=16)
    d = verify_model(model_path(tmp_path, name), "c", samples=2, quant=q, warn=lambda m: None)
    d = d.to_json()
    assert d["bit_exact"] and d["mismatches"] == 0, d.get("first_mismatch")
    assert d["adversarial_samples"] >= 4 and d["adversarial_mismatches"] == 0


@pytest.mark.slow
def test_efficientnet_lite0_small_bit_exact(qgs, tmp_path):
    """EfficientNet-Lite0 (no table, no SE): needs no nonlinear kernel."""
    s = check_bit_exact(qgs("efficientnet_lite0_32"), tmp_path, n=1)
    assert "dsg_nonlinear.c" not in s.files


def test_shufflenet_v2_16x8_bit_exact(tmp_path):
    """Channel slices of 16-bit activations (ShuffleNetV2 has no table activation)."""
    qg = quantized(model_path(tmp_path, "shufflenet_v2_x0_5_64"), bits=16)
    assert any(isinstance(layer, ir.ChannelSlice) for layer in qg.int_layers)
    check_bit_exact(qg, tmp_path / "c", n=1)


def se_model(tmp_path, decomposed=False):
    """conv 3->32 3x3 + ReLU, SE (squeeze 8, ReLU, HardSigmoid gate), conv 1x1 to 8: the channel
    scale's step holds the largest live set unless its output takes x's storage.  A decomposed
    gate Clip(x/6 + 0.5, 0, 1) folds into the SE's second conv (no table: 16-bit works)."""
    g = GraphBuilder("se_peak", (1, 3, 16, 16), 0, opset=OPSET_NEW)
    x = g.conv_bn("input", "conv1", 32, 3, act="relu")
    y = _se(g, x, "se", 8, "relu", "hsig", decomposed)
    y = g.conv_bn(y, "project", 8, 1, act=None)
    p = tmp_path / "se.onnx"
    onnx.save(g.model(y, "SE arena test"), p)
    return p


def test_se_channel_scale_in_place_shrinks_the_arena(tmp_path, monkeypatch):
    qg = quantized(se_model(tmp_path))
    g = qg.graph
    (cs,) = [layer for layer in qg.int_layers if isinstance(layer, ir.ChannelScale)]
    x_bytes = g.tensors[cs.inputs[0]].size
    with_hint = check_bit_exact(qg, tmp_path / "inplace")
    assert "dsg_nonlinear.c" in with_hint.files
    plan = plan_arena(g, qg.int_layers, qg.int_outputs, 1)
    assert plan.of_tensor[cs.output] == plan.of_tensor[cs.inputs[0]]  # y written over x
    code = (tmp_path / "inplace" / f"{with_hint.name}.c").read_text()
    call = next(line for line in code.splitlines() if "dsg_channel_scale_s8(" in line)
    x_buf, _, out_buf = re.findall(r"DSG_BUF\([^)]*\)", call)
    assert x_buf == out_buf, call  # in place

    hints = {k: v for k, v in arena.IN_PLACE_INPUTS.items() if k is not ir.ChannelScale}
    monkeypatch.setattr(arena, "IN_PLACE_INPUTS", hints)
    without = check_bit_exact(qg, tmp_path / "copy")
    # one copy of the map (+ the SE's vectors) instead of two
    assert without.arena_bytes >= 2 * x_bytes, without.arena_bytes
    assert with_hint.arena_bytes < x_bytes + 64, with_hint.arena_bytes
    assert with_hint.arena_bytes == with_hint.arena_lower_bound


def test_se_16x8_bit_exact(tmp_path):
    """The s16 channel scale in a network (the gate folded into its conv: no table)."""
    qg = quantized(se_model(tmp_path, decomposed=True), bits=16)
    kinds = [layer.kind for layer in qg.int_layers]
    assert "channel_scale" in kinds and "lut" not in kinds, kinds
    check_bit_exact(qg, tmp_path / "c", n=2)


@pytest.mark.parametrize(
    "name", ["mobilenet_v3_small_64", pytest.param("efficientnet_b0_32", marks=pytest.mark.slow)]
)
def test_zoo_arena_not_larger_with_in_place_hints(qgs, monkeypatch, name):
    qg = qgs(name)

    def size():
        return plan_arena(qg.graph, qg.int_layers, qg.int_outputs, 1).arena_bytes

    with_hint = size()
    hints = {k: v for k, v in arena.IN_PLACE_INPUTS.items() if k not in (ir.Lut, ir.ChannelScale)}
    monkeypatch.setattr(arena, "IN_PLACE_INPUTS", hints)
    assert with_hint <= size()


# -- Cortex-M4 under qemu ------------------------------------------------------------------------
@pytest.mark.slow
def test_mobilenet_v3_small_bit_exact_on_cortex_m4(tmp_path):
    """Bit-exact under qemu (the DSP paths of the table and channel-scale kernels), with the
    deterministic instruction count pinned so that it cannot regress (lower it when it improves)."""
    from dsgen.backends.c import mcu

    for t in mcu.TOOLS:
        require_tool(t)
    d = verify_model(model_path(tmp_path, "mobilenet_v3_small_64"), "mcu", samples=2).to_json()
    assert d["bit_exact"] and d["mismatches"] == 0, d.get("first_mismatch")
    assert d["instructions"] == PINNED_MBV3_INSTRUCTIONS, d["instructions"]
    by_kind = {}
    for layer in d["layer_instructions"]:
        by_kind[layer["kind"]] = by_kind.get(layer["kind"], 0) + layer["instructions"]
    assert by_kind["lut"] > 0 and by_kind["channel_scale"] > 0


PINNED_MBV3_INSTRUCTIONS = 14_598_640


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilenet_v3_small_64", "efficientnet_b0_32"])
def test_16bit_tables_bit_exact_on_cortex_m4(tmp_path, name):
    """16-bit activations with interpolated tables, bit-exact under qemu."""
    from dsgen.backends.c import mcu

    for t in mcu.TOOLS:
        require_tool(t)
    q = QuantOptions(bits=16)
    d = verify_model(model_path(tmp_path, name), "mcu", samples=2, quant=q).to_json()
    assert d["bit_exact"] and d["mismatches"] == 0, d.get("first_mismatch")
    assert any(layer["kind"] == "lut" for layer in d["layer_instructions"])


def _m4_case(idx: int, call: str, args: dict[str, tuple[np.ndarray, str]], want, bits, c):
    """C source: the arrays, a static output, one kernel call and its check (name #idx)."""
    from tests.test_c_kernels import c_array

    t = "int8_t" if bits == 8 else "int16_t"
    src = "".join(c_array(f"{k}{idx}", a, ctype) for k, (a, ctype) in args.items())
    src += c_array(f"want{idx}", want, t) + f"static {t} o{idx}[{max(want.size, 1)}];\n"
    body = call.replace("#", str(idx))
    return src + (
        f"static int run{idx}(void)\n{{\n    {body}\n"
        f'    return check("{body.split("(")[0].split()[-1]} #{idx}", o{idx}, want{idx}, '
        f"{want.size}, 1, {c}, {bits});\n}}\n"
    )


M4_BENCH = r"""
    {
        static int8_t bx[4096], by[4096], bs[64], bt[256];
        const dsg_lut_params lp = {bt};
        const dsg_channel_scale_params cp = {64, 64, -5, -128, -100, 1518500250, -7, -128, 127};
        uint32_t t0, t1;
        t0 = ticks();
        dsg_lut_s8(bx, by, 4096, &lp);
        t1 = ticks();
        printf("BENCH lut n=4096 ticks=%lu\n", (unsigned long)((t0 - t1) & 0xFFFFFF));
        t0 = ticks();
        dsg_channel_scale_s8(bx, bs, by, &cp);
        t1 = ticks();
        printf("BENCH channel_scale n=4096 ticks=%lu\n", (unsigned long)((t0 - t1) & 0xFFFFFF));
    }
    {
        static int16_t hx[2048], hy[2048];
        static int32_t ht[513];
        const dsg_lut_interp_params ip = {ht, -32768, 32767};
        uint32_t t0, t1;
        t0 = ticks();
        dsg_lut_interp_s16(hx, hy, 2048, &ip);
        t1 = ticks();
        printf("BENCH lut_interp n=2048 ticks=%lu\n", (unsigned long)((t0 - t1) & 0xFFFFFF));
    }
"""


@pytest.mark.slow
def test_kernels_bit_exact_and_fast_on_cortex_m4(tmp_path):
    """The kernels on the emulated Cortex-M4 (the real SMMLAR/SSAT output stage) on the
    adversarial cases of the host tests, and their cost per element (deterministic instruction
    counts): at most 5 for the table activation, 11 for the channel scale's fast path, 15 for the
    interpolated int16 table (full-range clamp: one SSAT)."""
    from tests.test_c_kernels import ARM_FLAGS, HARNESS_HEAD, INSN_PER_TICK, M4_DIR, QEMU_CMD

    cc = require_tool("arm-none-eabi-gcc")
    require_tool(QEMU_CMD[0])
    rng = np.random.default_rng(14)
    src, calls = HARNESS_HEAD, []
    t = np.arange(256) - 128
    for n in (256, 1027, 3):
        x = np.resize(t, n)
        tab = rng.integers(-128, 128, 256)
        call = f"const dsg_lut_params p = {{t#}}; dsg_lut_s8(x#, o#, {n}, &p);"
        args = {"x": (x, "int8_t"), "t": (tab, "int8_t")}
        src += _m4_case(len(calls), call, args, lookup(tab, x), 8, 1)
        calls.append(len(calls))
    for k, (tab, lo, hi) in enumerate(interp_tables(rng)):
        x = rng.permutation(np.arange(-32768, 32768))[: [4099, 3, 1000, 257, 64][k]]
        x[:2] = [-32768, 32767]
        call = f"const dsg_lut_interp_params p = {{t#, {lo}, {hi}}}; "
        call += f"dsg_lut_interp_s16(x#, o#, {x.size}, &p);"
        args = {"x": (x, "int16_t"), "t": (tab, "int32_t")}
        src += _m4_case(len(calls), call, args, _interp_plain(tab, x, lo, hi), 16, 1)
        calls.append(len(calls))
    for bits in (8, 16):
        tlo, thi = (-128, 127) if bits == 8 else (-32768, 32767)
        ctype = "int8_t" if bits == 8 else "int16_t"
        for k, (zx, zs, zo, q, shift, lo, hi) in enumerate(scale_cases(rng, bits)):
            pixels, c = [(7, 13), (1, 5), (16, 3), (5, 64)][k % 4]
            x = rng.integers(tlo, thi + 1, (pixels, c))
            x[0, :], x[-1, :] = tlo, thi
            s = rng.integers(tlo, thi + 1, c)
            s[0], s[-1] = tlo, thi
            want = int_ref.channel_scale(ChannelScaleQ(zx, zs, zo, (q, shift), lo, hi), x, s)
            fields = f"{pixels}, {c}, {zx}, {zs}, {zo}, {q}, {shift}, {lo}, {hi}"
            call = (
                f"const dsg_channel_scale_params p = {{{fields}}}; "
                f"dsg_channel_scale_s{bits}(x#, s#, o#, &p);"
            )
            args = {"x": (x, ctype), "s": (s, ctype)}
            src += _m4_case(len(calls), call, args, want, bits, c)
            calls.append(len(calls))
        x = rng.integers(tlo, thi + 1, (9, 116))
        call = (
            "const dsg_channel_slice_params p = {9, 116, 58, 116}; "
            f"dsg_channel_slice_s{bits}(x#, o#, &p);"
        )
        src += _m4_case(len(calls), call, {"x": (x, ctype)}, x[:, 58:], bits, 58)
        calls.append(len(calls))
    src += "int main(void)\n{\n    int fails = 0;\n"
    src += "    SYST_RVR = 0xFFFFFF; SYST_CVR = 0; SYST_CSR = 5;\n"
    src += "".join(f"    fails += run{i}();\n" for i in calls) + M4_BENCH
    src += '    printf(fails ? "FAIL\\n" : "PASS\\n");\n    return fails;\n}\n'
    (tmp_path / "harness.c").write_text(src)
    elf = tmp_path / "harness.elf"
    lib = [str(KDIR / s) for s in library.sources([library.SUPPORT, library.family_of("dsg_lut")])]
    cmd = [cc, *ARM_FLAGS[:-1], f"-I{KDIR}", "--specs=rdimon.specs", "-nostartfiles"]
    cmd += [f"-T{M4_DIR / 'mps2_an386.ld'}", str(M4_DIR / "startup_cm4.c"), *lib]
    cmd += [str(tmp_path / "harness.c"), "-lrdimon", "-o", str(elf)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [*QEMU_CMD, "-kernel", str(elf)], capture_output=True, text=True, timeout=120
    )
    out = r.stdout
    fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not fails and "PASS" in out and r.returncode == 0, out + r.stderr
    assert out.count("ok ") == len(calls)
    per = {}
    for ln in out.splitlines():
        if ln.startswith("BENCH"):
            _, name, n, tk = ln.split()
            per[name] = int(tk[6:]) * INSN_PER_TICK / int(n[2:])
    print(per)
    assert per["lut"] <= 5 and per["channel_scale"] <= 11 and per["lut_interp"] <= 15, per
