"""The packed low-bit convolution kernels (templates/c/dsg_lowbit.c) against dsgen.quant.ops, bit
for bit: 4-, 2- and 1-bit stored weights (times 2^wshift), int8 and int16 activations, on each
path of dsg_lowbit.h -- the GEMM (pointwise, dense-like and general convolutions whose
receptive field is a whole number of weight words), the depthwise channel pairs (interior and
border pixels, strides, dilations, padding) and the general loop (groups, odd channel counts,
long rows) -- with random and adversarial (extreme input, extreme weight) cases.

On the host through ctypes with every build of tests/test_c_kernels.py (gcc, clang, the DSP
emulation, the scalar path, -O3); on the Cortex-M4 under qemu (the Thumb-2 GEMM loops, SMLABB /
SMLATT / SXTB16) in the slow test, which also prints the kernels' instructions per MAC."""

from __future__ import annotations

import ctypes as C
import shutil
import subprocess

import numpy as np
import pytest

from dsgen.backends.c import lowbit
from dsgen.quant import fixedpoint as fp
from dsgen.quant import ops
from dsgen.quant.bounds import conv_accumulator_bounds
from tests.test_c_kernels import (
    ARM_FLAGS,
    HARNESS_HEAD,
    INSN_PER_TICK,
    KDIR,
    KSRCS,
    M4_DIR,
    QEMU_CMD,
    ConvParams,
    Keep,
    assert_exact,
    build_lib,
    c_array,
    lib,  # noqa: F401  (the session fixture: one kernel library per build)
    mults,
)

VRANGE = {4: (-8, 7), 2: (-2, 1), 1: (-1, 1)}


class LowbitParams(C.Structure):
    _fields_ = [
        ("conv", ConvParams),
        ("wpacked", C.POINTER(C.c_uint8)),
        ("wbits", C.c_int32),
        ("wshift", C.c_int32),
    ]


def _values(rng, shape, wbits, extreme=False):
    lo, hi = VRANGE[wbits]
    if wbits == 1 or extreme:
        return rng.choice([lo, hi], shape)
    return rng.integers(lo, hi + 1, shape)


def lowbit_case(rng, kind, wbits, bits=8):
    """A random convolution of `kind` whose weights are stored values v (wbits wide) times
    2^wshift.  Channel counts are multiples of the weight word (32 / wbits values) half of the
    time so that the GEMM path runs, odd otherwise; the depthwise ones even half of the time."""
    g = 32 // wbits
    lo_t, hi_t = fp.type_range(bits)
    word = rng.random() < 0.5
    if kind == "pw":
        cin = g * int(rng.integers(1, 4)) if word else int(rng.integers(1, 40))
        cout, kh, kw, groups = int(rng.integers(1, 12)), 1, 1, 1
    elif kind == "conv":
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        groups = 1 if word or rng.random() < 0.5 else int(rng.choice([2, 3]))
        cin = g if word else groups * int(rng.integers(1, 6))
        if word and (kh * kw * cin) % g:
            cin = g
        cout = groups * int(rng.integers(1, 5))
    else:  # depthwise, multiplier 1
        cin = 2 * int(rng.integers(1, 10)) if word else int(rng.integers(1, 12))
        cout, groups = cin, cin
        kh, kw = (
            (3, 3) if rng.random() < 0.6 else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        )
    dil = (1, 1) if rng.random() < 0.6 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = (0, 0, 0, 0) if kind == "pw" else tuple(int(v) for v in rng.integers(0, 3, 4))
    h = dil[0] * (kh - 1) + 1 + int(rng.integers(0, 7))
    w_ = dil[1] * (kw - 1) + 1 + int(rng.integers(0, 7))
    x = rng.integers(lo_t, hi_t + 1, (h, w_, cin))
    adversarial = rng.random() < 0.25
    v = _values(rng, (cout, kh, kw, cin // groups), wbits, extreme=adversarial)
    if adversarial:
        x[:] = lo_t if rng.random() < 0.5 else hi_t
    wshift = int(rng.integers(0, 8 - wbits))
    z_in = int(rng.integers(-128, 128)) if bits == 8 else 0
    w = v * 2**wshift
    blo, bhi = conv_accumulator_bounds(w, None, z_in, lo_t, hi_t, groups)
    room = int(2**31 - 1 - max(-blo.min(), bhi.max()))
    bias = rng.integers(-room, room, cout)
    if not adversarial:
        bias //= 2**16
    z_out = int(rng.integers(-20, 20)) if bits == 8 else 0
    acc = ops.accumulate_conv2d(
        x, w, bias, stride=stride, dilation=dil, pads=pads, groups=groups, z_in=z_in
    ).reshape(-1, cout)
    spread = np.maximum(np.sqrt((acc.astype(float) ** 2).mean(axis=0)) if acc.size else 1.0, 1.0)
    q, _ = mults(rng, cout)
    s = np.clip(np.floor(np.log2((40.0 if bits == 8 else 8000.0) / spread)), -31, 0)
    s = s.astype(np.int64)
    qn, sn = (q, np.maximum(s - 2, -31)) if rng.random() < 0.3 else (None, None)
    lo, hi = (max(lo_t, z_out), hi_t) if rng.random() < 0.3 else (lo_t, hi_t)
    return dict(x=x, v=v, w=w, wbits=wbits, wshift=wshift, bias=bias, stride=stride, dil=dil,
                pads=pads, groups=groups, z_in=z_in, z_out=z_out, q=q, s=s, lo=lo, hi=hi, qn=qn,
                sn=sn, bits=bits)  # fmt: skip


def reference(case):
    return ops.conv2d(
        case["x"],
        case["w"],
        case["bias"],
        stride=case["stride"],
        dilation=case["dil"],
        pads=case["pads"],
        groups=case["groups"],
        z_in=case["z_in"],
        z_out=case["z_out"],
        q=case["q"],
        shift=case["s"],
        lo=case["lo"],
        hi=case["hi"],
        q_neg=case["qn"],
        shift_neg=case["sn"],
    )


def packed(case) -> list[int]:
    dw = case["groups"] > 1 and case["v"].shape[3] == 1 and case["v"].shape[0] == case["groups"]
    return lowbit.pack(case["v"], case["wbits"], dw)


def run_lowbit(lib, case):  # noqa: F811
    want = reference(case)
    ho, wo, cout = want.shape
    x, v = case["x"], case["v"]
    k, t = Keep(), (np.int8 if case["bits"] == 8 else np.int16)
    conv = ConvParams(*x.shape, ho, wo, cout, v.shape[1], v.shape[2], *case["stride"],
                      *case["dil"], case["pads"][0], case["pads"][1], case["groups"],
                      case["z_in"], case["z_out"], case["lo"], case["hi"],
                      k.ptr(case["q"], np.int32), k.ptr(case["s"], np.int32),
                      k.ptr(case["qn"], np.int32), k.ptr(case["sn"], np.int32), None,
                      k.ptr(case["bias"], np.int32))  # fmt: skip
    p = LowbitParams(conv, k.ptr(np.array(packed(case)), np.uint8), case["wbits"], case["wshift"])
    out = np.full(want.shape, 77, dtype=t)
    fn = "dsg_conv_lowbit_s8" if case["bits"] == 8 else "dsg_conv_lowbit_s16"
    getattr(lib, fn)(k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p))
    return out, want


def test_packing_layout_and_size():
    """dsg_lowbit.h's layout, spelled out for one word of each width: offset-binary codes, even
    stream elements in the low halfword, odd in the high one; a partial last word in order."""
    v4 = np.array([-8, 7, 0, 1, -1, 2, 3, -3, 5])  # one word and one leftover
    b = lowbit.pack(v4.reshape(1, 1, 1, -1), 4)
    word = int.from_bytes(bytes(b[:4]), "little")
    u = v4 + 8
    assert [(word >> (4 * s)) & 0xF for s in range(4)] == list(u[0:8:2])
    assert [(word >> (16 + 4 * s)) & 0xF for s in range(4)] == list(u[1:8:2])
    assert b[4] == u[8] and len(b) == 5  # ceil(9 * 4 / 8)
    v1 = np.where(np.arange(40) % 3 == 0, 1, -1)
    b1 = lowbit.pack(v1.reshape(1, 1, 1, -1), 1)
    word = int.from_bytes(bytes(b1[:4]), "little")
    assert [(word >> s) & 1 for s in range(16)] == list((v1[0:32:2] > 0).astype(int))
    assert [(word >> (16 + s)) & 1 for s in range(16)] == list((v1[1:32:2] > 0).astype(int))
    assert len(b1) == 5 and b1[4] == int(sum(int(v1[32 + j] > 0) << j for j in range(8)))
    v2 = np.arange(16) % 4 - 2
    word = int.from_bytes(bytes(lowbit.pack(v2.reshape(1, 1, 1, -1), 2)), "little")
    assert [(word >> (2 * s)) & 3 for s in range(8)] == list(v2[0::2] + 2)
    assert [(word >> (16 + 2 * s)) & 3 for s in range(8)] == list(v2[1::2] + 2)


@pytest.mark.parametrize("wbits", [4, 2, 1])
@pytest.mark.parametrize("kind", ["pw", "conv", "dw"])
@pytest.mark.parametrize("bits", [8, 16])
def test_lowbit_conv(lib, kind, wbits, bits):  # noqa: F811
    rng = np.random.default_rng(1000 * wbits + 10 * bits + len(kind))
    for i in range(12):
        case = lowbit_case(rng, kind, wbits, bits)
        got, want = run_lowbit(lib, case)
        assert_exact(got, want, f"lowbit {kind} w{wbits} s{bits} #{i}")


def test_lowbit_long_rows_take_the_general_path(lib):  # noqa: F811
    """Receptive fields longer than DSG_LB_KMAX (512) and depthwise kernels with more than
    DSG_LB_TAPS (64) taps: the general loop, the same integers."""
    rng = np.random.default_rng(5)
    for wbits, cin in ((4, 520), (1, 544)):
        case = lowbit_case(rng, "pw", wbits)
        x = rng.integers(-128, 128, (3, 2, cin))
        v = _values(rng, (3, 1, 1, cin), wbits)
        case.update(x=x, v=v, w=v * 2 ** case["wshift"], q=case["q"][:3], s=case["s"][:3],
                    bias=np.array([5, -7, 0]), qn=None, sn=None)  # fmt: skip
        got, want = run_lowbit(lib, case)
        assert_exact(got, want, f"long pw w{wbits}")
    case = lowbit_case(rng, "dw", 4)
    c = case["x"].shape[2]
    x = rng.integers(-128, 128, (12, 11, c))
    v = _values(rng, (c, 9, 9, 1), 4)
    case.update(x=x, v=v, w=v * 2 ** case["wshift"], stride=(1, 1), dil=(1, 1), pads=(4, 4, 4, 4),
                bias=np.zeros(c, np.int64))  # fmt: skip
    got, want = run_lowbit(lib, case)
    assert_exact(got, want, "dw 9x9")


def every_value(rng, shape, wbits):
    """Stored values cycling through every value of the width (shuffled), so that each appears."""
    lo, hi = VRANGE[wbits]
    vals = np.array([lo, hi]) if wbits == 1 else np.arange(lo, hi + 1)
    flat = np.resize(vals, int(np.prod(shape)))
    return rng.permutation(flat).reshape(shape)


def shaped_case(rng, wbits, bits, *, hw, c, kernel=(3, 3), stride=(1, 1), dil=(1, 1),
                pads=(1, 1), groups=None, cout=None, wshift=0, x_mode="random", bias="small",
                stage="fast", act=None):  # fmt: skip
    """One convolution of a chosen geometry (dw when groups is None, else a GEMM-shaped one with
    `groups`), weights taking every value of the width; x_mode: random, min, max or alternating
    extremes; bias: small, or big (near the accumulator's limit: the doubled output stages
    must fall back); stage: fast, or leaky (the contract's double rounding); act: (lo, hi)."""
    lo_t, hi_t = fp.type_range(bits)
    h, w_ = hw
    dw = groups is None
    cout = c if dw else cout
    g = c if dw else groups
    kh, kw = kernel
    v = every_value(rng, (cout, kh, kw, c // g), wbits)
    if x_mode == "random":
        x = rng.integers(lo_t, hi_t + 1, (h, w_, c))
    elif x_mode == "alt":
        x = np.where(rng.random((h, w_, c)) < 0.5, lo_t, hi_t)
    else:
        x = np.full((h, w_, c), lo_t if x_mode == "min" else hi_t)
    z_in = int(rng.integers(-128, 128)) if bits == 8 else 0
    wt = v * 2**wshift
    blo, bhi = conv_accumulator_bounds(wt, None, z_in, lo_t, hi_t, g)
    room = int(2**31 - 1 - max(-blo.min(), bhi.max()))
    b = rng.integers(-room, room, cout) if bias == "big" else rng.integers(-999, 999, cout)
    pad4 = (pads[0], pads[1], pads[0], pads[1])
    acc = ops.accumulate_conv2d(
        x, wt, b, stride=stride, dilation=dil, pads=pad4, groups=g, z_in=z_in
    ).reshape(-1, cout)
    spread = np.maximum(np.sqrt((acc.astype(float) ** 2).mean(axis=0)), 1.0)
    q, _ = mults(rng, cout)
    sh = np.clip(np.floor(np.log2((40.0 if bits == 8 else 8000.0) / spread)), -23, -1)
    qn, sn = (q, np.maximum(sh - 2, -31).astype(np.int64)) if stage == "leaky" else (None, None)
    z_out = int(rng.integers(-20, 20)) if bits == 8 else 0
    case = dict(x=x, v=v, w=wt, wbits=wbits, wshift=wshift, bias=b, stride=stride, dil=dil,
                pads=pad4, groups=g, z_in=z_in, z_out=z_out, q=q, s=sh.astype(np.int64),
                lo=max(lo_t, z_out) if x_mode == "alt" else lo_t, hi=hi_t, qn=qn, sn=sn,
                bits=bits)  # fmt: skip
    if act is not None:
        case["lo"], case["hi"] = act
    return case


def fast_path_cases(rng):
    """The depthwise lanes and channel-pair paths and the GEMM's channel-pair blocks: along y
    (taller than wide) and x, strides 1 and 2, dilation across and along the lanes, odd output
    counts, padding on any side, more taps than 3x3, every weight value, extreme activations,
    shifted weights, accumulators near the limit (the doubled stages fall back) and LeakyReLU;
    odd channel counts and more than DSG_LB_CMAX (64) channels in the GEMM."""
    cases = []
    dw_geoms = [  # (h, w), stride, dilation, pads, kernel
        ((25, 5), (1, 1), (1, 1), (1, 1), (3, 3)),  # the keyword spotter: lanes along y
        ((5, 25), (1, 1), (1, 1), (1, 1), (3, 3)),  # lanes along x
        ((11, 4), (2, 1), (1, 1), (1, 0), (3, 3)),  # stride 2 along the lanes, odd output count
        ((4, 12), (1, 2), (1, 1), (0, 1), (3, 3)),
        ((13, 6), (2, 2), (1, 2), (2, 1), (3, 3)),  # dilation across the lanes
        ((9, 9), (1, 1), (2, 1), (2, 1), (3, 3)),  # dilation along: the channel-pair plane
        ((7, 3), (1, 1), (1, 1), (0, 0), (3, 3)),  # no padding, width 1 output
        ((8, 8), (1, 3), (1, 1), (1, 1), (3, 3)),  # stride 3: the channel-pair plane
        ((9, 7), (1, 1), (1, 1), (2, 2), (5, 5)),
        ((6, 10), (2, 1), (1, 1), (1, 2), (3, 2)),
    ]
    for wbits in (4, 2, 1):
        for bits in (8, 16):
            for i, (hw, st, dl, pd, kern) in enumerate(dw_geoms):
                c = 2 * int(rng.integers(1, 6)) if i % 3 else 2 * int(rng.integers(1, 3)) + 1
                mode = ("random", "min", "max", "alt")[i % 4]
                cases.append(shaped_case(rng, wbits, bits, hw=hw, c=c, kernel=kern, stride=st,
                                         dil=dl, pads=pd, x_mode=mode,
                                         wshift=int(rng.integers(0, 8 - wbits))))  # fmt: skip
            # wshift 11: the doubled lanes would leave int16 (int8 inputs keep acc in range)
            big_ws = 11 if bits == 8 else 6
            odd_stages = (("big", "fast", 0), ("small", "leaky", 1), ("small", "fast", big_ws))
            for bias, stage, ws in odd_stages:
                cases.append(shaped_case(rng, wbits, bits, hw=(9, 4), c=4, x_mode="alt",
                                         bias=bias, stage=stage, wshift=ws))  # fmt: skip
            # 256-wide output ranges: the Thumb-2 depthwise loop's SSAT clamp (z_out shifted)
            for act in ((-128, 127), (0, 255), (-200, 55)) if bits == 16 else ((-128, 127),):
                cases.append(shaped_case(rng, wbits, bits, hw=(11, 6), c=4, x_mode="alt",
                                         stride=(1 + (act[0] == 0), 1), act=act))  # fmt: skip
            g = 32 // wbits
            gemms = ((7, "small", "fast", "max"), (70, "small", "fast", "alt"),
                     (5, "big", "fast", "min"), (6, "small", "leaky", "random"))  # fmt: skip
            for act in ((0, 255), (-50, 205)) if bits == 16 else ():  # the GEMM's SSAT stage
                cases.append(shaped_case(rng, wbits, bits, hw=(3, 5), c=g, kernel=(1, 1),
                                         pads=(0, 0), groups=1, cout=9, x_mode="alt",
                                         act=act))  # fmt: skip
            for cout, bias, stage, mode in gemms:
                cases.append(shaped_case(rng, wbits, bits, hw=(3, 5), c=g * int(rng.integers(1, 3)),
                                         kernel=(1, 1), pads=(0, 0), groups=1, cout=cout,
                                         x_mode=mode, bias=bias, stage=stage))  # fmt: skip
    return cases


def test_lowbit_fast_paths_adversarial(lib):  # noqa: F811
    for i, case in enumerate(fast_path_cases(np.random.default_rng(31))):
        got, want = run_lowbit(lib, case)
        g = "dw" if case["groups"] > 1 else "gemm"
        what = f"{g} w{case['wbits']} s{case['bits']} {case['x'].shape} stride {case['stride']}"
        assert_exact(got, want, f"case #{i} ({what} dil {case['dil']})")


def test_lowbit_widths_left_out_take_the_general_loop(tmp_path_factory):
    """A generated tree compiles only the packed widths its layers use (dsg_config.h); a width
    left out must still compute right, through the general loop, never a missing GEMM loop."""
    lib_ = build_lib(
        "gcc-lowbit-no-widths",
        "gcc",
        ["-DDSG_LB_W1=0", "-DDSG_LB_W2=0", "-DDSG_LB_W4=0", "-DDSG_EMULATE_DSP"],
        tmp_path_factory,
    )
    rng = np.random.default_rng(9)
    for wbits in (4, 2, 1):
        for bits in (8, 16):
            case = lowbit_case(rng, "pw", wbits, bits)
            got, want = run_lowbit(lib_, case)
            assert_exact(got, want, f"pw w{wbits} s{bits}, widths left out")


def emit_lowbit_case(idx, case, want):
    """C source running dsg_conv_lowbit_* on embedded vectors and checking it."""
    t = "int8_t" if case["bits"] == 8 else "int16_t"
    x, v = case["x"], case["v"]
    ho, wo, cout = want.shape
    src = c_array(f"x{idx}", x, t) + c_array(f"w{idx}", packed(case), "uint8_t")
    src += c_array(f"b{idx}", case["bias"], "int32_t") + c_array(f"q{idx}", case["q"], "int32_t")
    src += c_array(f"s{idx}", case["s"], "int32_t") + c_array(f"y{idx}", want, t)
    neg = "0, 0"
    if case["qn"] is not None:
        src += c_array(f"qn{idx}", case["qn"], "int32_t") + c_array(
            f"sn{idx}", case["sn"], "int32_t"
        )
        neg = f"qn{idx}, sn{idx}"
    fn = f"dsg_conv_lowbit_s{case['bits']}"
    src += f"""static {t} o{idx}[{want.size}];
static int run{idx}(void)
{{
    const dsg_lowbit_conv_params p = {{{{{x.shape[0]}, {x.shape[1]}, {x.shape[2]}, {ho}, {wo},
        {cout}, {v.shape[1]}, {v.shape[2]}, {case["stride"][0]}, {case["stride"][1]},
        {case["dil"][0]}, {case["dil"][1]}, {case["pads"][0]}, {case["pads"][1]},
        {case["groups"]}, {case["z_in"]}, {case["z_out"]}, {case["lo"]}, {case["hi"]}, q{idx},
        s{idx}, {neg}, 0, b{idx}}}, w{idx}, {case["wbits"]}, {case["wshift"]}}};
    {fn}(x{idx}, o{idx}, &p);
    return check("{fn} w{case["wbits"]} #{idx}", o{idx}, y{idx}, {want.size}, {wo}, {cout},
                 {case["bits"]});
}}
"""
    return src


def bench_case(rng, kind, wbits, bits):
    """The keyword spotter's layers: 25x5x64, pointwise or 3x3 depthwise (padding 1)."""
    x = rng.integers(-128, 128, (25, 5, 64)) if bits == 8 else rng.integers(0, 256, (25, 5, 64))
    c = 64
    v = _values(rng, (c, 1, 1, c) if kind == "pw" else (c, 3, 3, 1), wbits)
    pads = (0, 0, 0, 0) if kind == "pw" else (1, 1, 1, 1)
    return dict(x=x, v=v, w=v, wbits=wbits, wshift=0, bias=rng.integers(-999, 999, c),
                stride=(1, 1), dil=(1, 1), pads=pads, groups=1 if kind == "pw" else c,
                z_in=0, z_out=0, q=rng.integers(2**30, 2**31, c), s=np.full(c, -7), lo=0,
                hi=255, qn=None, sn=None, bits=bits)  # fmt: skip


@pytest.mark.slow
def test_lowbit_kernels_qemu(tmp_path):
    """Every path bit-exact on the emulated Cortex-M4 (the Thumb-2 GEMM loops, SMLABB/SMLATT,
    SMLAD/SMLABT/SMLATB lanes, SXTB16, SMMLAR), the adversarial cases of the fast paths
    included; prints instructions per MAC of the keyword spotter's layer shapes."""
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None or shutil.which(QEMU_CMD[0]) is None:
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not installed")
    rng = np.random.default_rng(77)
    src, calls, i = HARNESS_HEAD, [], 0
    for bits in (8, 16):
        for wbits in (4, 2, 1):
            for kind in ("pw", "conv", "dw"):
                for _ in range(3):
                    case = lowbit_case(rng, kind, wbits, bits)
                    src += emit_lowbit_case(i, case, reference(case))
                    calls.append(f"    fails += run{i}();\n")
                    i += 1
    for case in fast_path_cases(np.random.default_rng(31)):  # the host test's, on the hardware's
        src += emit_lowbit_case(i, case, reference(case))  # SMLAD / SMLABT / SMMLAR
        calls.append(f"    fails += run{i}();\n")
        i += 1
    benches = []
    for bits, wbits, kind in ((16, 4, "pw"), (16, 4, "dw"), (8, 1, "pw"), (8, 1, "dw")):
        case = bench_case(rng, kind, wbits, bits)
        want = reference(case)
        src += emit_lowbit_case(i, case, want)
        macs = int(np.prod(want.shape)) * int(np.prod(case["v"].shape[1:]))
        benches.append(
            f"    {{ uint32_t t0 = ticks(); fails += run{i}(); t0 = (t0 - ticks()) & 0xFFFFFF;\n"
            f'      printf("BENCH s{bits}_w{wbits}_{kind} macs={macs} ticks=%lu\\n", '
            f"(unsigned long)t0); }}\n"
        )
        i += 1
    src += "int main(void)\n{\n    int fails = 0;\n"
    src += "    SYST_RVR = 0xFFFFFF; SYST_CVR = 0; SYST_CSR = 5; /* SysTick on the CPU clock */\n"
    src += "".join(calls) + "".join(benches)
    src += '    printf(fails ? "FAIL\\n" : "PASS\\n");\n    return fails;\n}\n'
    (tmp_path / "harness.c").write_text(src)
    elf = tmp_path / "harness.elf"
    cmd = [cc, *ARM_FLAGS[:-1], f"-I{KDIR}", "--specs=rdimon.specs", "-nostartfiles",
           f"-T{M4_DIR / 'mps2_an386.ld'}", str(M4_DIR / "startup_cm4.c"), *KSRCS,
           str(tmp_path / "harness.c"), "-lrdimon", "-o", str(elf)]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [*QEMU_CMD, "-kernel", str(elf)], capture_output=True, text=True, timeout=120
    )
    out = r.stdout
    fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not fails and "PASS" in out and r.returncode == 0, out + r.stderr
    for ln in out.splitlines():
        if ln.startswith("BENCH"):
            _, name, macs, tk = ln.split()
            macs, insns = int(macs[5:]), int(tk[6:]) * INSN_PER_TICK
            print(f"{name}: {insns} instructions, {macs} MACs, {insns / macs:.2f} instr/MAC")
