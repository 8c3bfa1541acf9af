"""The kernel library (templates/c/dsg_kernels.h, one dsg_<family>.c per kernel family) against
dsgen.quant.ops, bit for bit, through ctypes.

The library is compiled once per session with gcc and clang (-std=c99 -Wall -Wextra -Werror
-pedantic), plus a gcc build with -DDSG_EMULATE_DSP, which runs the Cortex-M4 SIMD code path
(SXTB16/SMLAD/SADD16 modelled in C) on the host, a gcc build with -DDSG_PORTABLE_GEMM=0 (the
scalar path of non-DSP microcontrollers) and a gcc -O3 build.  The real DSP path is checked under
qemu in test_c_kernels_qemu below.
"""

from __future__ import annotations

import ctypes as C
import itertools
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from dsgen.backends.c import library
from dsgen.backends.c.lower import pair_weights
from dsgen.quant import fixedpoint as fp
from dsgen.quant import ops
from dsgen.quant.bounds import conv_accumulator_bounds
from dsgen.resources import templates_dir
from tests.conftest import fuzz_seed

KDIR = templates_dir() / "c"
KSRCS = [str(KDIR / f) for f in library.sources(library.all_families())]
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-fPIC", "-shared"]
SHIM = r"""
#include "dsg_kernels.h"
void t_requantize(const int32_t *acc, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = dsg_requantize(acc[i], m[i], s[i]); }
"""
BUILDS = {
    "gcc": ("gcc", []),
    "clang": ("clang", []),
    "gcc-dsp-emul": ("gcc", ["-DDSG_EMULATE_DSP"]),
    # the compact scalar path of small cores without DSP (the host builds above take the
    # vectorizable portable GEMM / depthwise), and the portable path at -O3
    "gcc-scalar": ("gcc", ["-DDSG_PORTABLE_GEMM=0"]),
    "gcc-O3": ("gcc", ["-O3"]),
}

P32, P8 = C.POINTER(C.c_int32), C.POINTER(C.c_int8)


class ConvParams(C.Structure):
    _fields_ = [
        (n, C.c_int32)
        for n in (
            "in_h in_w in_c out_h out_w out_c kernel_h kernel_w stride_h stride_w dilation_h "
            "dilation_w pad_top pad_left groups z_in z_out act_min act_max"
        ).split()
    ] + [
        ("mult", P32),
        ("shift", P32),
        ("mult_neg", P32),
        ("shift_neg", P32),
        ("weights", P8),
        ("bias", P32),
    ]


class DenseParams(C.Structure):
    _fields_ = [(n, C.c_int32) for n in "in_n out_n z_in z_out act_min act_max".split()] + [
        ("mult", P32),
        ("shift", P32),
        ("mult_neg", P32),
        ("shift_neg", P32),
        ("weights", P8),
        ("bias", P32),
    ]


class PoolParams(C.Structure):
    _fields_ = [
        (n, C.c_int32)
        for n in (
            "in_h in_w c out_h out_w kernel_h kernel_w stride_h stride_w pad_top pad_left "
            "count_include_pad z_in z_out act_min act_max"
        ).split()
    ] + [("rq_mult", P32), ("rq_shift", P32)]


class GlobalPoolParams(C.Structure):
    _fields_ = [(n, C.c_int32) for n in "h w c z_in z_out act_min act_max rq_mult rq_shift".split()]


class AddParams(C.Structure):
    _fields_ = [
        (n, C.c_int32)
        for n in (
            "z_a z_b z_out mult_a shift_a mult_b shift_b mult_out shift_out left_shift act_min "
            "act_max"
        ).split()
    ]


def concat_input(ptr_t):
    class ConcatInput(C.Structure):
        _fields_ = [("data", ptr_t)] + [(n, C.c_int32) for n in "c requant z_in mult shift".split()]

    return ConcatInput


@pytest.fixture(scope="session", params=list(BUILDS))
def lib(request, tmp_path_factory):
    return build_lib(request.param, *BUILDS[request.param], tmp_path_factory)


# The 64-bit hosts' in-place paths copy bands of rows / chunks of pixels aside; small copy
# buffers make every test image take several bands and chunks (and the widest ones the ring).
SMALL_CHUNKS = ("gcc", ["-DDSG_DW_CHUNK=2048", "-DDSG_PW_CHUNK=256"])


@pytest.fixture(scope="session")
def lib_small_chunks(tmp_path_factory):
    return build_lib("gcc-small-chunks", *SMALL_CHUNKS, tmp_path_factory)


def build_lib(name, cc, extra, tmp_path_factory):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    d = tmp_path_factory.mktemp(f"dsgk_{name}")
    (d / "shim.c").write_text(SHIM)
    so = d / "libdsgk.so"
    cmd = [
        cc,
        *CFLAGS,
        *extra,
        f"-I{KDIR}",
        *KSRCS,
        str(d / "shim.c"),
        "-o",
        str(so),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"
    return C.CDLL(str(so))


# ------------------------------------------------------------------------------ helpers
class Keep:
    """Holds the numpy buffers that ctypes structs point into."""

    def __init__(self):
        self.bufs = []

    def ptr(self, a, dtype):
        if a is None:
            return None
        a = np.ascontiguousarray(a, dtype=dtype)
        self.bufs.append(a)
        return a.ctypes.data_as(C.POINTER(np.ctypeslib.as_ctypes_type(dtype)))


def assert_exact(got, want, what):
    got, want = np.asarray(got, np.int64), np.asarray(want, np.int64)
    assert got.shape == want.shape
    bad = np.argwhere(got != want)
    if bad.size:
        i = tuple(int(v) for v in bad[0])
        pytest.fail(
            f"{what}: first mismatch at (h,w,c)={i}: C {got[i]} vs ops.py {want[i]} "
            f"({len(bad)} of {got.size} differ)"
        )


def mults(rng, n, lo=-14, hi=-6):
    return rng.integers(2**30, 2**31, n), rng.integers(lo, hi + 1, n)


def run_conv(
    lib,
    fn,
    x,
    w,
    bias,
    *,
    stride,
    dil,
    pads,
    groups,
    z_in,
    z_out,
    q,
    s,
    lo,
    hi,
    qn=None,
    sn=None,
    bits=8,
    inplace=False,
):
    want = ops.conv2d(
        x,
        w,
        bias,
        stride=stride,
        dilation=dil,
        pads=pads,
        groups=groups,
        z_in=z_in,
        z_out=z_out,
        q=q,
        shift=s,
        lo=lo,
        hi=hi,
        q_neg=qn,
        shift_neg=sn,
    )
    ho, wo, cout = want.shape
    k, t = Keep(), (np.int8 if bits == 8 else np.int16)
    wk = kernel_weights(fn, w)
    p = ConvParams(
        *x.shape,
        ho,
        wo,
        cout,
        w.shape[1],
        w.shape[2],
        *stride,
        *dil,
        pads[0],
        pads[1],
        groups,
        z_in,
        z_out,
        lo,
        hi,
        k.ptr(q, np.int32),
        k.ptr(s, np.int32),
        k.ptr(qn, np.int32),
        k.ptr(sn, np.int32),
        k.ptr(wk, np.int8),
        k.ptr(bias, np.int32),
    )
    if inplace:  # one buffer: the input, overwritten by the output (its first want.size items)
        buf = np.full(max(x.size, want.size), 77, dtype=t)
        buf[: x.size] = np.asarray(x).reshape(-1)
        rc = getattr(lib, fn)(buf.ctypes.data_as(C.c_void_p), buf.ctypes.data_as(C.c_void_p),
                              C.byref(p))  # fmt: skip
        return buf[: want.size].reshape(want.shape), want, rc
    out = np.full(want.shape, 77, dtype=t)
    rc = getattr(lib, fn)(k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p))
    return out, want, rc


def kernel_weights(fn, w):
    """The weights as kernel fn takes them: TFLite's depthwise layout, the paired layout, or the
    contract's."""
    if fn.endswith("_hwc_s8"):
        return hwc_weights(w)
    if fn in ("dsg_pointwise_pair_s8", "dsg_conv_pair_s8"):
        return pair_weights(np.asarray(w))
    return w


def hwc_weights(w):
    """[C][3][3][1] -> TFLite's depthwise layout [3][3][C] (dsg_depthwise_conv_3x3_hwc_s8)."""
    return np.ascontiguousarray(np.asarray(w)[..., 0].transpose(1, 2, 0))


def make_fast(case, rng):
    """Multipliers the fast output stage takes (-23 <= shift <= -1, or dead: q = 0), no
    LeakyReLU; and pruned channels (zero weights), which the kernels treat as constants."""
    case["s"] = np.clip(case["s"], -23, -1)
    case["s"][rng.random(case["s"].shape) < 0.2] = -1
    # q = 0, shift = 0: a dead channel, which outputs z_out; the quantizer may leave it any bias
    # (an all-zero weight row's bias scale underflows), int32's extremes included
    dead = rng.random(case["s"].shape) < 0.1
    case["q"] = np.where(dead, 0, case["q"])
    case["s"] = np.where(dead, 0, case["s"])
    if case["bias"] is not None:  # with an all-zero weight row, so acc = bias fits int32
        zero_row = dead & (rng.random(dead.shape) < 0.5)
        extreme = rng.choice([-(2**31), 2**31 - 1], case["s"].shape)
        case["bias"] = np.where(zero_row, extreme, case["bias"])
        # a pruned channel as QDQ exports give it: zero row, bias ±2^30, a tiny scale (shift
        # below the fast stage's -23): its output is a constant the GEMM writes directly
        pruned = ~dead & (rng.random(dead.shape) < 0.1)
        case["bias"] = np.where(pruned, rng.choice([-(2**30), 2**30], dead.shape), case["bias"])
        case["s"] = np.where(pruned, rng.integers(-31, -23, dead.shape), case["s"])
        case["w"] = case["w"].copy()
        case["w"][zero_row | pruned] = 0
    case["qn"] = case["sn"] = None
    return case


ZERO_ROW_PROG = r"""
#include <stdio.h>
#include "dsg_conv.c"
int main(void)
{
    int8_t buf[64];
    int32_t k, pos, off, v, bad = 0;
    const int8_t vals[3] = {1, -1, -128};
    for (k = 1; k <= 40; ++k)
        for (off = 0; off < 4; ++off) {
            memset(buf, 0, sizeof buf);
            buf[off + k] = 5; /* just past the row: not part of it */
            if (!dsg_zero_row(buf + off, k)) ++bad, printf("zero row k=%d off=%d\n", k, off);
            for (pos = 0; pos < k; ++pos)
                for (v = 0; v < 3; ++v) {
                    memset(buf, 0, sizeof buf);
                    buf[off + pos] = vals[v];
                    if (dsg_zero_row(buf + off, k))
                        ++bad, printf("k=%d off=%d: %d at %d missed\n", k, off, vals[v], pos);
                }
        }
    printf("%s\n", bad ? "FAIL" : "ok");
    return bad != 0;
}
"""


def test_zero_row_detection_reads_every_weight(tmp_path):
    """The GEMM writes a constant for a channel whose weight row is all zero (dsg_zero_row, which
    tests 8 bytes at a time): a row with a single nonzero weight anywhere, at any alignment,
    is not one. Outputs alone could miss it (such channels have scales far below an LSB)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    (tmp_path / "zr.c").write_text(ZERO_ROW_PROG)
    exe = tmp_path / "zr"
    others = [src for src in KSRCS if not src.endswith("dsg_conv.c")]  # zr.c includes it
    cmd = ["gcc", "-std=c99", "-O2", "-DDSG_EMULATE_DSP", f"-I{KDIR}", str(tmp_path / "zr.c")]
    cmd += others
    r = subprocess.run([*cmd, "-o", str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout[-2000:]


def random_conv(rng, kind, bits=8):
    lo_t, hi_t = fp.type_range(bits)
    if kind == "pw":
        cin, cout, kh, kw, groups = int(rng.integers(1, 40)), int(rng.integers(1, 12)), 1, 1, 1
    elif kind in ("dw", "dw3"):
        cin = int(rng.integers(1, 12))
        m = 1 if kind == "dw3" else int(rng.choice([1, 2, 3]))
        cout, groups = cin * m, cin
        kh, kw = (3, 3) if kind == "dw3" else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    else:
        groups = int(rng.choice([1, 1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 6)), groups * int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        if rng.random() < 0.1:
            kh, kw = 10, 4
    dil = (
        (1, 1)
        if kind in ("pw", "dw3") or rng.random() < 0.6
        else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    )
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = (0, 0, 0, 0) if kind == "pw" else tuple(int(v) for v in rng.integers(0, 3, 4))
    h = dil[0] * (kh - 1) + 1 + int(rng.integers(0, 7))
    w_ = dil[1] * (kw - 1) + 1 + int(rng.integers(0, 7))
    x = rng.integers(lo_t, hi_t + 1, (h, w_, cin))
    wmax = int(rng.choice([7, 127]))
    wt = rng.integers(-wmax, wmax + 1, (cout, kh, kw, cin // groups))
    z_in = int(rng.integers(-128, 128)) if bits == 8 else 0
    adversarial = rng.random() < 0.2
    if adversarial:  # all-min or all-max input, extreme weights
        x[:] = lo_t if rng.random() < 0.5 else hi_t
        wt = np.where(rng.random(wt.shape) < 0.5, -127, 127)
    blo, bhi = conv_accumulator_bounds(wt, None, z_in, lo_t, hi_t, groups)
    room = int(2**31 - 1 - max(-blo.min(), bhi.max()))
    assert room > 0
    bias = rng.integers(-min(room, 2**31 - 1), min(room, 2**31 - 1), cout)
    if not adversarial:
        bias //= 2**16  # big biases only in the adversarial cases, or outputs just saturate
    z_out = int(rng.integers(-20, 20)) if bits == 8 else 0
    # Per-channel shifts that spread the outputs over about +-40 LSB (+-8000 in 16 bits), so the
    # comparison sees many distinct values rather than mostly saturated ones.
    acc = ops.accumulate_conv2d(
        x, wt, bias, stride=stride, dilation=dil, pads=pads, groups=groups, z_in=z_in
    ).reshape(-1, cout)
    spread = np.maximum(np.sqrt((acc.astype(float) ** 2).mean(axis=0)) if acc.size else 1.0, 1.0)
    target = 40.0 if bits == 8 else 8000.0
    q, _ = mults(rng, cout)
    s = np.clip(np.floor(np.log2(target / spread)), -31, 0).astype(np.int64)
    qn, sn = (q, np.maximum(s - 2, -31)) if rng.random() < 0.3 else (None, None)
    lo, hi = (max(lo_t, z_out), hi_t) if rng.random() < 0.3 else (lo_t, hi_t)
    return dict(
        x=x,
        w=wt,
        bias=bias,
        stride=stride,
        dil=dil,
        pads=pads,
        groups=groups,
        z_in=z_in,
        z_out=z_out,
        q=q,
        s=s,
        lo=lo,
        hi=hi,
        qn=qn,
        sn=sn,
        bits=bits,
    )


# ------------------------------------------------------------------------------ tests
def test_requantize_matches_contract(lib):
    rng = np.random.default_rng(0)
    n = 20000
    acc = rng.integers(fp.INT32_MIN, fp.INT32_MAX, n, endpoint=True)
    q = rng.integers(2**30, 2**31, n)
    s = rng.integers(-31, 1, n)
    acc[:8] = [fp.INT32_MIN, fp.INT32_MAX, 0, -1, 1, -(2**30), 2**30, fp.INT32_MIN + 1]
    small = rng.random(n) < 0.2  # positive shifts on accumulators that allow them
    s[small] = rng.integers(1, 8, small.sum())
    acc[small] //= 2**8
    ties = rng.random(n) < 0.2  # exact .5 cases of SRDHM and RDBPOT
    acc[ties], q[ties] = rng.integers(-(2**12), 2**12, ties.sum()) * 2 + 1, 2**30
    want = fp.requantize(acc, q, s)
    out = np.zeros(n, np.int32)
    k = Keep()
    lib.t_requantize(
        k.ptr(acc, np.int32), k.ptr(q, np.int32), k.ptr(s, np.int32), out.ctypes.data_as(P32), n
    )
    assert_exact(out, want, "dsg_requantize")


@pytest.mark.parametrize(
    "kind,fn",
    [
        ("conv", "dsg_conv_s8"),
        ("conv", "dsg_grouped_conv_s8"),
        ("dw", "dsg_depthwise_conv_s8"),
        ("dw", "dsg_conv_s8"),
        ("dw3", "dsg_depthwise_conv_3x3_s8"),
        ("dw3", "dsg_depthwise_conv_3x3_hwc_s8"),
        ("pw", "dsg_pointwise_conv_s8"),
        ("pw", "dsg_conv_s8"),
    ],
)
def test_conv_family_s8(lib, kind, fn):
    # new cases every run, replayable with the run's DSGEN_FUZZ_SEED (printed in the header)
    rng = np.random.default_rng(zlib.crc32(repr((kind, fn)).encode()) ^ fuzz_seed())
    for trial in range(40):
        case = random_conv(rng, kind)
        out, want, rc = run_conv(lib, fn, **case)
        if fn in (
            "dsg_depthwise_conv_3x3_s8",
            "dsg_depthwise_conv_3x3_hwc_s8",
            "dsg_pointwise_conv_s8",
        ):
            assert rc == 0, f"{fn} refused a valid geometry"
        assert_exact(out, want, f"{fn} trial {trial} {case['x'].shape} w{case['w'].shape}")


@pytest.mark.parametrize("kind,fn", [("conv", "dsg_conv_s16"), ("dw", "dsg_depthwise_conv_s16")])
def test_conv_family_s16(lib, kind, fn):
    rng = np.random.default_rng(5)
    for trial in range(30):
        case = random_conv(rng, kind, bits=16)
        out, want, _ = run_conv(lib, fn, **case)
        assert_exact(out, want, f"{fn} trial {trial}")


def test_specialised_kernels_refuse_other_geometries(lib):
    rng = np.random.default_rng(1)
    case = random_conv(rng, "conv")
    case.update(
        w=rng.integers(-5, 5, (3, 2, 2, case["x"].shape[2])),
        bias=np.zeros(3, int),
        q=np.full(3, 2**30),
        s=np.full(3, -8),
        qn=None,
        sn=None,
        groups=1,
    )
    for fn in (
        "dsg_pointwise_conv_s8",
        "dsg_depthwise_conv_3x3_s8",
        "dsg_depthwise_conv_3x3_hwc_s8",
    ):
        out, _, rc = run_conv(lib, fn, **case)
        assert rc == -1 and np.all(out == 77)


def inplace_case(rng, kind, fast):
    """A layer the arena may run in place: a stride-1 3x3 depthwise whose output has the
    input's size (any split of the two padding rows and columns), or a stride-1 pointwise
    (C_out <= C_in first pixel to last, C_out > C_in last to first in the larger slot); the
    keyword spotter's 25x5x64 shape among them."""
    case = fast_case(rng, kind) if fast else random_conv(rng, kind)
    h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
    if rng.random() < 0.2:
        h, w = 25, 5
    if kind == "dw3":
        c = int(rng.choice([1, 3, 4, 8, 13, 64]))
        pt, pl = (
            (1, 1) if rng.random() < 0.6 else (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        )
        case.update(
            pads=(pt, pl, 2 - pt, 2 - pl), groups=c, w=rng.integers(-127, 128, (c, 3, 3, 1))
        )
    else:
        c = int(rng.choice([4, 8, 13, 40, 64]))
        cout = int(rng.choice([c, rng.integers(1, c + 1), rng.integers(c + 1, 2 * c + 2)]))
        case.update(pads=(0, 0, 0, 0), groups=1, w=rng.integers(-127, 128, (cout, 1, 1, c)))
    cout = case["w"].shape[0]
    case.update(x=rng.integers(-128, 128, (h, w, c)), stride=(1, 1), dil=(1, 1))
    case["bias"] = rng.integers(-5000, 5000, cout)
    case["q"], case["s"] = mults(rng, cout, -12, -4)
    if fast:
        case["qn"] = case["sn"] = None
        return make_fast(case, rng)
    if case["qn"] is not None:
        case["qn"], case["sn"] = case["q"], np.maximum(case["s"] - 2, -31)
    return case


@pytest.mark.parametrize(
    "kind,fn",
    [
        ("dw3", "dsg_depthwise_conv_3x3_s8"),
        ("dw3", "dsg_depthwise_conv_3x3_hwc_s8"),
        ("pw", "dsg_pointwise_conv_s8"),
    ],
)
def test_in_place_kernels(lib, kind, fn):
    """The output written over the input (in == out, one arena slot): bit-exact against the
    reference on every path (the DSP build's planes and GEMM, the fallbacks' row ring and
    one-pixel buffer), with fast and general output stages."""
    rng = np.random.default_rng(zlib.crc32(repr(("inplace", kind, fn)).encode()) ^ fuzz_seed())
    for trial in range(40):
        case = inplace_case(rng, kind, fast=trial % 2 == 0)
        out, want, rc = run_conv(lib, fn, **case, inplace=True)
        assert rc == 0, f"{fn} refused an in-place geometry {case['x'].shape} {case['pads']}"
        assert_exact(out, want, f"{fn} in place trial {trial} {case['x'].shape} w{case['w'].shape}")


@pytest.mark.parametrize(
    "kind,fn", [("dw3", "dsg_depthwise_conv_3x3_s8"), ("pw", "dsg_pointwise_conv_s8")]
)
def test_in_place_in_bands_and_chunks(lib_small_chunks, kind, fn):
    rng = np.random.default_rng(zlib.crc32(repr(("chunks", kind)).encode()) ^ fuzz_seed())
    for trial in range(40):
        case = inplace_case(rng, kind, fast=trial % 2 == 0)
        out, want, rc = run_conv(lib_small_chunks, fn, **case, inplace=True)
        assert rc == 0
        assert_exact(out, want, f"{fn} in place (chunks) trial {trial} {case['x'].shape}")


def test_in_place_refuses_other_geometries(lib):
    """In place needs stride 1 and equal sizes."""
    rng = np.random.default_rng(3)
    dw = inplace_case(rng, "dw3", fast=True)
    dw["stride"] = (2, 1)
    pw = inplace_case(rng, "pw", fast=True)
    pw["x"] = rng.integers(-128, 128, (4, 3, pw["x"].shape[2]))
    pw["stride"] = (1, 2)
    for fn, case in [("dsg_depthwise_conv_3x3_s8", dw), ("dsg_pointwise_conv_s8", pw)]:
        buf, _, rc = run_conv(lib, fn, **case, inplace=True)
        n = min(buf.size, case["x"].size)  # nothing written
        assert rc == -1 and np.array_equal(buf.reshape(-1)[:n], case["x"].reshape(-1)[:n])


FAST_KINDS = [
    ("conv", "dsg_conv_s8"),
    ("gconv", "dsg_grouped_conv_s8"),
    ("conv1", "dsg_conv_s8"),
    ("pw", "dsg_pointwise_conv_s8"),
    ("dw3", "dsg_depthwise_conv_3x3_s8"),
    ("dw3", "dsg_depthwise_conv_3x3_hwc_s8"),
]


def fast_case(rng, kind):
    """A random case for the DSP fast paths (GEMM, 4-channel depthwise, 5-instruction RQ)."""
    if kind == "conv1":  # the KWS first layer's shape family: C_in = 1, tall kernels, stride 2
        case = random_conv(rng, "conv")
        kh, kw = int(rng.choice([3, 10])), int(rng.choice([3, 4]))
        h, w = kh + int(rng.integers(0, 9)), kw + int(rng.integers(0, 5))
        case.update(
            x=rng.integers(-128, 128, (h, w, 1)),
            groups=1,
            stride=(2, 2),
            dil=(1, 1),
            w=rng.integers(-127, 128, (case["w"].shape[0], kh, kw, 1)),
        )
        case["bias"] = rng.integers(-3000, 3000, case["w"].shape[0])
    elif kind == "gconv":  # ShuffleNet / IGC: 1x1 (half the time) or kxk, 2-4 groups
        case = random_conv(rng, "conv")
        groups, (h, w) = int(rng.integers(2, 5)), case["x"].shape[:2]
        kh, kw = (1, 1) if rng.random() < 0.5 else case["w"].shape[1:3]
        cin_g, cout_g = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        case.update(
            x=rng.integers(-128, 128, (h, w, groups * cin_g)),
            w=rng.integers(-127, 128, (groups * cout_g, kh, kw, cin_g)),
            groups=groups,
            bias=rng.integers(-5000, 5000, groups * cout_g),
        )
        case["q"], case["s"] = mults(rng, groups * cout_g, -12, -4)
    else:
        case = random_conv(rng, kind)
    if kind == "conv" and case["groups"] != 1:
        case["groups"] = 1
        case["w"] = rng.integers(-127, 128, (*case["w"].shape[:3], case["x"].shape[2]))
    if kind == "dw3" and rng.random() < 0.5:  # channel counts with and without a C % 4 tail
        c = int(rng.choice([4, 8, 13]))
        case["x"] = rng.integers(-128, 128, (*case["x"].shape[:2], c))
        case.update(
            w=rng.integers(-127, 128, (c, 3, 3, 1)), groups=c, bias=rng.integers(-5000, 5000, c)
        )
        case["q"], case["s"] = mults(rng, c, -12, -4)
    cout = case["w"].shape[0]
    if len(case["q"]) != cout:
        case["q"], case["s"] = mults(rng, cout, -12, -4)
    return make_fast(case, rng)


def pw_row(rng, n_pix, cin, cout):
    """A 1 x n_pix pointwise layer's geometry, full-range inputs and weights, small biases."""
    return dict(
        x=rng.integers(-128, 128, (1, n_pix, cin)),
        w=rng.integers(-127, 128, (cout, 1, 1, cin)),
        stride=(1, 1),
        dil=(1, 1),
        pads=(0, 0, 0, 0),
        groups=1,
        bias=rng.integers(-5000, 5000, cout),
    )


def sweep_pw_case(rng, i):
    """Pointwise layers at the edges of the GEMM's assembly kernels: k / 4 = 1..17 (every entry
    into the 8-group unrolled loops, one pass and several), every n_pix % 6 (the partial last
    block: 1-3 pixels through the 4-pixel kernel, 5 through the 6-pixel one), odd C_out, and
    mostly the full int8 range (which the assembly needs; a ReLU clamp takes the C loops)."""
    case = fast_case(rng, "pw")
    cin, n_pix, cout = 4 * (i % 17 + 1), i % 12 + 1, int(rng.choice([1, 3, 7, 13]))
    case.update(pw_row(rng, n_pix, cin, cout))
    if i % 4 != 3:
        case["lo"], case["hi"] = -128, 127
    case["q"], case["s"] = mults(rng, cout, -12, -4)
    return make_fast(case, rng)


PAIR_COUT = (1, 2, 3, 7, 13, 64, 66, 129)


def pair_case(rng, i, inplace=False):
    """dsg_pointwise_pair_s8 (paired weights): k / 4 rounded up = 1..18 (every entry into the
    16-group unrolled loop, one pass and two) with k % 4 tails in a quarter of the cases, 1..13
    pixels (blocks of 4 and partial last blocks of 1, 2 and 3), odd C_out and, out of place,
    more than one 64-channel chunk; in place C_out <= C_in and C_out > C_in (blocks last to
    first).  Every channel in the doubled fast stage with the int8 clamp (the DSP path) but in
    every fifth case (a ReLU clamp, or a pruned channel: the generic path)."""
    case = random_conv(rng, "pw")
    cin = 4 * (i % 18 + 1) - (((i // 4) % 3 + 1) if i % 4 == 1 else 0)
    n_pix = i % 13 + 1
    if inplace:
        cout = int(rng.choice([1, 3, cin, max(1, cin - 5), cin + 1, min(64, 2 * cin + 1)]))
    else:
        cout = PAIR_COUT[i % len(PAIR_COUT)]
    case.update(
        pw_row(rng, n_pix, cin, cout),
        lo=-128,
        hi=127,
        qn=None,
        sn=None,
    )
    if rng.random() < 0.2:
        case["w"] = rng.choice([-127, 127], case["w"].shape)
        case["x"] = rng.choice([-128, 127], case["x"].shape)
    case["q"], case["s"] = mults(rng, cout, -12, -4)
    dead = rng.random(cout) < 0.1
    case["q"], case["s"] = np.where(dead, 0, case["q"]), np.where(dead, 0, case["s"])
    if i % 5 == 4:
        if rng.random() < 0.5:
            case["lo"] = case["z_out"]
        else:
            case["s"][-1] = -27
    return case


@pytest.mark.parametrize("inplace", [False, True])
def test_pointwise_pair(lib, inplace):
    """dsg_pointwise_pair_s8 bit-exact on every build (the DSP path's C model in the emulated
    build, the generic path elsewhere), out of place and in place."""
    rng = np.random.default_rng(zlib.crc32(repr(("pair", inplace)).encode()) ^ fuzz_seed())
    for trial in range(72):
        case = pair_case(rng, trial, inplace)
        out, want, rc = run_conv(lib, "dsg_pointwise_pair_s8", **case, inplace=inplace)
        assert rc == 0
        assert_exact(out, want, f"pair trial {trial} {case['x'].shape} w{case['w'].shape}")


# (kh, kw, C_in, stride, dilation, pads): a keyword spotter's first layer (49x10x1 input, k =
# 40, every pixel of the 1x4 rows' word path), k % 4 tails, 1x1 stride 2, dilation, k = 252
# (near DSG_KMAX)
CONV_PAIR_GEOMS = (
    (10, 4, 1, (2, 2), (1, 1), (4, 1, 5, 1)),
    (3, 3, 3, (2, 2), (1, 1), (1, 1, 1, 1)),
    (3, 3, 5, (2, 1), (1, 1), (0, 2, 1, 0)),
    (5, 2, 7, (1, 2), (1, 1), (2, 0, 2, 1)),
    (1, 1, 13, (2, 2), (1, 1), (0, 0, 0, 0)),
    (2, 3, 3, (1, 1), (2, 1), (1, 1, 0, 2)),
    (1, 4, 1, (1, 2), (1, 1), (0, 1, 0, 2)),
    (3, 3, 28, (2, 2), (1, 1), (1, 1, 1, 1)),
)


def conv_pair_case(rng, i):
    """dsg_conv_pair_s8: a conv with groups 1 (kernel > 1, stride 2, padding, odd C_in, k % 4
    != 0, z_in != 0) whose receptive fields are gathered into the paired pass; 1 to 3 and 4 or
    more output pixels, odd C_out and two 64-channel chunks, full-range inputs in a third of the
    cases, and a generic-path case (ReLU clamp) in every fifth."""
    kh, kw, cin, stride, dil, pads = CONV_PAIR_GEOMS[i % len(CONV_PAIR_GEOMS)]
    cout = PAIR_COUT[(i // 2) % len(PAIR_COUT)]
    extra = 0 if i % 7 == 6 else int(rng.integers(1, 9))  # 0: few output pixels
    h = 49 if kh == 10 else dil[0] * (kh - 1) + 1 + extra
    w_ = 10 if kh == 10 else dil[1] * (kw - 1) + 1 + int(rng.integers(0, 6))
    x = rng.integers(-128, 128, (h, w_, cin))
    if i % 3 == 1:
        x = rng.choice([-128, 127], x.shape)
    wt = rng.integers(-127, 128, (cout, kh, kw, cin))
    z_in, z_out = int(rng.choice([-128, -37, 5, 127])), int(rng.integers(-20, 20))
    case = dict(x=x, w=wt, bias=rng.integers(-(2**14), 2**14, cout), stride=stride, dil=dil,
                pads=pads, groups=1, z_in=z_in, z_out=z_out, lo=-128, hi=127, qn=None, sn=None,
                bits=8)  # fmt: skip
    case["q"], case["s"] = mults(rng, cout, -14, -8)
    dead = rng.random(cout) < 0.1
    case["q"], case["s"] = np.where(dead, 0, case["q"]), np.where(dead, 0, case["s"])
    if i % 5 == 4:
        case["lo"] = case["z_out"]
    return case


def test_conv_pair(lib):
    """dsg_conv_pair_s8 bit-exact on every build (the DSP path's C model in the emulated build,
    the generic path elsewhere)."""
    rng = np.random.default_rng(zlib.crc32(b"conv_pair") ^ fuzz_seed())
    for trial in range(48):
        case = conv_pair_case(rng, trial)
        out, want, rc = run_conv(lib, "dsg_conv_pair_s8", **case)
        assert rc == 0
        assert_exact(out, want, f"conv pair trial {trial} {case['x'].shape} w{case['w'].shape}")


def test_conv_pair_refuses_in_place_and_groups(lib):
    """dsg_conv_pair_s8 takes groups 1, out of place, k rounded up to 4 <= DSG_KMAX only:
    DSG_ERR_ARG, nothing written."""
    rng = np.random.default_rng(5)
    case = conv_pair_case(rng, 1)  # 3x3 over 3 channels, stride 2
    buf, _, rc = run_conv(lib, "dsg_conv_pair_s8", **case, inplace=True)
    n = min(buf.size, case["x"].size)
    assert rc == -1 and np.array_equal(buf.reshape(-1)[:n], case["x"].reshape(-1)[:n])
    case.update(w=rng.integers(-5, 5, (3, 3, 3, 1)), bias=np.zeros(3, int), groups=3)
    case["q"], case["s"] = mults(rng, 3, -14, -8)
    out, _, rc = run_conv(lib, "dsg_conv_pair_s8", **case)
    assert rc == -1 and np.all(out == 77)
    case.update(x=rng.integers(-128, 128, (7, 7, 29)), w=rng.integers(-5, 5, (3, 3, 3, 29)),
                groups=1)  # fmt: skip
    out, _, rc = run_conv(lib, "dsg_conv_pair_s8", **case)  # k = 261
    assert rc == -1 and np.all(out == 77)


def test_pair_weights_layout():
    """The paired layout: channels 2m, 2m + 1 interleaved per group of 4 elements, rows padded
    to k rounded up to 4, an odd last channel beside a zero row."""
    w = np.arange(1, 3 * 6 + 1).reshape(3, 1, 1, 6)
    got = pair_weights(w).reshape(2, 2, 8)  # [pair][group][8 bytes]
    assert got[0, 0].tolist() == [1, 7, 3, 9, 2, 8, 4, 10]
    assert got[0, 1].tolist() == [5, 11, 0, 0, 6, 12, 0, 0]
    assert got[1, 0].tolist() == [13, 0, 15, 0, 14, 0, 16, 0]
    assert got[1, 1].tolist() == [17, 0, 0, 0, 18, 0, 0, 0]


@pytest.mark.parametrize("kind,fn", FAST_KINDS)
def test_fast_paths_s8(lib, kind, fn):
    """Cases every one of which the DSP build runs through its fast paths."""
    rng = np.random.default_rng(zlib.crc32(repr(("fast", kind, fn)).encode()) ^ fuzz_seed())
    for trial in range(40):
        case = fast_case(rng, kind)
        out, want, rc = run_conv(lib, fn, **case)
        assert rc in (0, None) or fn in ("dsg_conv_s8", "dsg_grouped_conv_s8")  # void
        assert_exact(out, want, f"{fn} fast trial {trial} {case['x'].shape} w{case['w'].shape}")


def test_fast_requantization_exhaustive(lib):
    """The 5-instruction requantization over accumulators of every size, ties included: a
    1x1 conv with weights (1, 0, 0, 0) makes acc = bias[c] + x - z_in."""
    rng = np.random.default_rng(7)
    cout, h, w = 64, 8, 16
    x = rng.integers(-128, 128, (h, w, 4))
    x[:3, :, 0] = 0  # acc = bias exactly: the tie biases below hit both roundings' halves
    wt = np.zeros((cout, 1, 1, 4), np.int64)
    wt[:, 0, 0, 0] = 1
    for trial in range(12):
        r = rng.integers(1, 24, cout)
        bias = rng.integers(-(2**31) + 300, 2**31 - 300, cout) >> rng.integers(0, 31, cout)
        q = rng.integers(2**30, 2**31, cout)
        q[: cout // 2] = 2**30  # exact halves: both roundings' ties
        r[: cout // 4] = np.minimum(r[: cout // 4], 20)
        bias[: cout // 4] = (rng.integers(-999, 999, cout // 4) * 2 + 1) << (r[: cout // 4] - 1)
        z_out = int(rng.integers(-128, 128))
        lo, hi = (-128, 127) if trial % 2 else (z_out, 127)
        out, want, rc = run_conv(
            lib,
            "dsg_pointwise_conv_s8",
            x,
            wt,
            bias,
            stride=(1, 1),
            dil=(1, 1),
            pads=(0, 0, 0, 0),
            groups=1,
            z_in=0,
            z_out=z_out,
            q=q,
            s=-r,
            lo=lo,
            hi=hi,
        )
        assert rc == 0
        assert_exact(out, want, f"fast requantization trial {trial}")


def test_doubled_accumulator_stage_at_its_bound(lib):
    """The 4-instruction output stage (SMMLAR on 2*acc) is taken when every channel has
    |bias| + 255*128*taps < 2^29: biases at that bound (and one past it, which falls back to the
    5-instruction stage), extreme inputs and weights, ties, both clamps."""
    rng = np.random.default_rng(11)
    for trial in range(16):
        dw = trial % 2 == 1
        cout, taps = (8, 9) if dw else (6, 8)
        lim = 2**29 - 1 - 32640 * taps + (1 if trial % 8 == 7 else 0)
        bias = rng.integers(lim - 4000, lim + 1, cout) * rng.choice([-1, 1], cout)
        r = rng.integers(1, 24, cout)
        q = rng.integers(2**30, 2**31, cout)
        q[::2] = 2**30
        z_in, z_out = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
        lo, hi = (-128, 127) if trial % 4 < 2 else (z_out, 127)
        if dw:
            x = rng.choice([-128, 127], (5, 6, cout))
            wt = rng.choice([-128, 127], (cout, 3, 3, 1))
            fn, pads, groups = "dsg_depthwise_conv_3x3_s8", (1, 1, 1, 1), cout
        else:
            x = rng.choice([-128, 127], (3, 5, taps))
            wt = rng.choice([-128, 127], (cout, 1, 1, taps))
            fn, pads, groups = "dsg_pointwise_conv_s8", (0, 0, 0, 0), 1
        out, want, rc = run_conv(
            lib,
            fn,
            x,
            wt,
            bias,
            stride=(1, 1),
            dil=(1, 1),
            pads=pads,
            groups=groups,
            z_in=z_in,
            z_out=z_out,
            q=q,
            s=-r,
            lo=lo,
            hi=hi,
        )
        assert rc == 0
        assert_exact(out, want, f"{fn} doubled-accumulator trial {trial}")


def test_long_dot_products_take_the_direct_path(lib):
    """k > DSG_KMAX (256): the GEMM declines, the direct kernels compute the same integers."""
    rng = np.random.default_rng(8)
    for cin, kh in [(300, 1), (40, 3)]:
        x = rng.integers(-128, 128, (5, 5, cin))
        wt = rng.integers(-127, 128, (6, kh, kh, cin))
        q, s = mults(rng, 6, -16, -12)
        for fn in ("dsg_conv_s8", "dsg_pointwise_conv_s8") if kh == 1 else ("dsg_conv_s8",):
            out, want, _ = run_conv(
                lib,
                fn,
                x,
                wt,
                rng.integers(-999, 999, 6),
                stride=(1, 1),
                dil=(1, 1),
                pads=(0, 0, 0, 0),
                groups=1,
                z_in=3,
                z_out=-2,
                q=q,
                s=s,
                lo=-128,
                hi=127,
            )
            assert_exact(out, want, f"{fn} k={cin * kh * kh}")


def test_pointwise_large_and_strided(lib):
    rng = np.random.default_rng(2)
    for cin, cout, h, w, s in [
        (256, 7, 5, 5, 1),
        (3, 16, 9, 9, 2),
        (64, 33, 3, 7, 1),
        (13, 5, 6, 6, 3),
    ]:
        x = rng.integers(-128, 128, (h, w, cin))
        wt = rng.integers(-127, 128, (cout, 1, 1, cin))
        q, sh = mults(rng, cout, -18, -10)
        out, want, rc = run_conv(
            lib,
            "dsg_pointwise_conv_s8",
            x,
            wt,
            rng.integers(-999, 999, cout),
            stride=(s, s),
            dil=(1, 1),
            pads=(0, 0, 0, 0),
            groups=1,
            z_in=-3,
            z_out=5,
            q=q,
            s=sh,
            lo=-128,
            hi=127,
        )
        assert rc == 0
        assert_exact(out, want, f"pointwise {cin}->{cout} stride {s}")


def edge_case(
    rng,
    kind,
    cin,
    cout,
    h,
    w,
    *,
    stride=(1, 1),
    pads=(0, 0, 0, 0),
    extreme=None,
    z_in=None,
    fast=True,
    leaky=False,
):
    """One conv / pointwise / 3x3 depthwise case; `extreme` in (None, "min", "max") makes the
    input all-min or all-max with +-127 weights and biases at the int32 limit the contract's
    accumulator bound leaves (every output then sits at the edge of its range)."""
    if kind == "dw3":
        wt = rng.integers(-127, 128, (cin, 3, 3, 1))
        groups, cout = cin, cin
    else:
        k = 1 if kind == "pw" else 3
        wt = rng.integers(-127, 128, (cout, k, k, cin))
        groups = 1
    x = rng.integers(-128, 128, (h, w, cin))
    z_in = int(rng.integers(-128, 128)) if z_in is None else z_in
    if extreme:
        x[:] = -128 if extreme == "min" else 127
        wt = np.where(rng.random(wt.shape) < 0.5, -127, 127)
    blo, bhi = conv_accumulator_bounds(wt, None, z_in, -128, 127, groups)
    if extreme:  # bias at the int32 limit: the extreme accumulator is exactly INT32_MAX / MIN
        bias = np.where(rng.random(cout) < 0.5, 2**31 - 1 - bhi, -(2**31) - blo)
    else:
        bias = rng.integers(-(2**20), 2**20, cout)
    q, s = mults(rng, cout, -23 if extreme else -16, -1)
    if not fast:  # shifts the fast output stage declines: < -23, and >= 0 (not with the
        low = rng.integers(-31, -23, cout)  # extreme biases: acc * 2^shift must fit int32)
        s = low if extreme else np.where(rng.random(cout) < 0.5, low, rng.integers(0, 3, cout))
    qn = rng.integers(2**30, 2**31, cout) if leaky else None
    sn = np.maximum(s - 1, -31) if leaky else None
    z_out = int(rng.integers(-128, 128))
    lo, hi = (max(-128, z_out), 127) if rng.random() < 0.5 else (-128, 127)
    return dict(
        x=x,
        w=wt,
        bias=bias,
        stride=stride,
        dil=(1, 1),
        pads=pads,
        groups=groups,
        z_in=z_in,
        z_out=z_out,
        q=q,
        s=s,
        lo=lo,
        hi=hi,
        qn=qn,
        sn=sn,
    )


@pytest.mark.parametrize(
    "kind,fn",
    [
        ("pw", "dsg_pointwise_conv_s8"),
        ("pw", "dsg_conv_s8"),
        ("conv", "dsg_conv_s8"),
        ("dw3", "dsg_depthwise_conv_3x3_s8"),
        ("dw3", "dsg_depthwise_conv_3x3_hwc_s8"),
    ],
)
def test_portable_blocks_edges(lib, kind, fn):
    """The blocked paths' edges: pixel counts around the 4-pixel block, channel counts around the
    4-channel block and around a pass (256 GEMM / 128 depthwise channels), padding, strides,
    all-min / all-max inputs with +-127 weights and int32-limit biases, zero points at the
    limits, the slow output stage (LeakyReLU, shifts outside [-23, -1])."""
    rng = np.random.default_rng(zlib.crc32(repr(("edges", kind, fn)).encode()) ^ fuzz_seed())
    geoms = [(1, 1, 1, 1), (3, 5, 1, 3), (4, 4, 2, 2), (7, 9, 3, 3), (13, 3, 1, 5)]
    if kind == "dw3":
        geoms += [(129, 129, 3, 4), (260, 260, 2, 3)]
    else:
        geoms += [(5, 257, 2, 3), (17, 300, 3, 2)]
    trial = 0
    for cin, cout, h, w in geoms:
        for extreme in (None, "min", "max"):
            for z_in in (-128, 127, None):
                for fast, leaky in ((True, False), (False, False), (False, True)):
                    if kind == "pw":
                        stride, pads = (int(rng.integers(1, 3)), int(rng.integers(1, 3))), (0,) * 4
                    else:
                        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
                        pads = tuple(int(v) for v in rng.integers(0, 2, 4))
                        h, w = max(h, 3 - pads[0] - pads[2]), max(w, 3 - pads[1] - pads[3])
                    case = edge_case(
                        rng,
                        kind,
                        cin,
                        cout,
                        h,
                        w,
                        stride=stride,
                        pads=pads,
                        extreme=extreme,
                        z_in=z_in,
                        fast=fast,
                        leaky=leaky,
                    )
                    out, want, rc = run_conv(lib, fn, **case)
                    assert rc == 0 or fn == "dsg_conv_s8"  # void: rc is whatever eax held
                    assert_exact(
                        out,
                        want,
                        f"{fn} edge trial {trial} x{case['x'].shape} "
                        f"w{case['w'].shape} {extreme} z_in={z_in}",
                    )
                    trial += 1


def test_gemm_longer_than_the_portable_limit(lib):
    """k > DSG_PKMAX (1024) of the portable GEMM: the direct kernel takes it, same integers."""
    rng = np.random.default_rng(9)
    for cin, kh in [(1100, 1), (130, 3)]:
        x = rng.integers(-128, 128, (4, 3, cin))
        wt = rng.integers(-127, 128, (5, kh, kh, cin))
        q, s = mults(rng, 5, -18, -14)
        for fn in ("dsg_conv_s8", "dsg_pointwise_conv_s8") if kh == 1 else ("dsg_conv_s8",):
            out, want, _ = run_conv(
                lib,
                fn,
                x,
                wt,
                rng.integers(-999, 999, 5),
                stride=(1, 1),
                dil=(1, 1),
                pads=(0, 0, 0, 0),
                groups=1,
                z_in=-128,
                z_out=3,
                q=q,
                s=s,
                lo=-128,
                hi=127,
            )
            assert_exact(out, want, f"{fn} k={cin * kh * kh}")


@pytest.mark.parametrize("bits", [8, 16])
def test_dense(lib, bits):
    rng = np.random.default_rng(3 + bits)
    lo_t, hi_t = fp.type_range(bits)
    t = np.int8 if bits == 8 else np.int16
    for trial in range(40):
        n, m = int(rng.integers(1, 70)), int(rng.integers(1, 12))
        x = rng.integers(lo_t, hi_t + 1, n)
        if trial % 5 == 0:
            x[:] = lo_t if trial % 2 else hi_t
        wt = rng.integers(-127, 128, (m, n))
        bias = rng.integers(-9999, 9999, m)
        z_in, z_out = (
            (int(rng.integers(-128, 128)), int(rng.integers(-9, 9))) if bits == 8 else (0, 0)
        )
        q, s = mults(rng, m, -22, -8)
        qn, sn = mults(rng, m, -24, -10) if trial % 3 == 0 else (None, None)
        want = ops.dense(
            x,
            wt,
            bias,
            z_in=z_in,
            z_out=z_out,
            q=q,
            shift=s,
            lo=lo_t,
            hi=hi_t,
            q_neg=qn,
            shift_neg=sn,
        )
        k = Keep()
        p = DenseParams(
            n,
            m,
            z_in,
            z_out,
            lo_t,
            hi_t,
            k.ptr(q, np.int32),
            k.ptr(s, np.int32),
            k.ptr(qn, np.int32),
            k.ptr(sn, np.int32),
            k.ptr(wt, np.int8),
            k.ptr(bias, np.int32),
        )
        out = np.zeros(m, t)
        getattr(lib, f"dsg_dense_s{bits}")(k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p))
        assert_exact(out, want, f"dense s{bits} trial {trial}")


@pytest.mark.parametrize("bits", [8, 16])
def test_pools(lib, bits):
    rng = np.random.default_rng(30 + bits)
    lo_t, hi_t = fp.type_range(bits)
    t = np.int8 if bits == 8 else np.int16
    for trial in range(40):
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        pads = (
            int(rng.integers(0, kh)),
            int(rng.integers(0, kw)),
            int(rng.integers(0, kh)),
            int(rng.integers(0, kw)),
        )
        x = rng.integers(
            lo_t,
            hi_t + 1,
            (int(rng.integers(kh, 9)), int(rng.integers(kw, 9)), int(rng.integers(1, 6))),
        )
        z = int(rng.integers(-30, 30)) if bits == 8 else 0
        cip = bool(trial % 2)
        k = Keep()
        want = ops.max_pool(x, kernel=(kh, kw), stride=stride, pads=pads)
        ho, wo, c = want.shape
        p = PoolParams(
            x.shape[0],
            x.shape[1],
            c,
            ho,
            wo,
            kh,
            kw,
            *stride,
            pads[0],
            pads[1],
            cip,
            z,
            z,
            lo_t,
            hi_t,
            None,
            None,
        )
        out = np.zeros(want.shape, t)
        getattr(lib, f"dsg_max_pool_s{bits}")(
            k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p)
        )
        assert_exact(out, want, f"max pool s{bits} trial {trial}")
        want = ops.avg_pool(
            x,
            kernel=(kh, kw),
            stride=stride,
            pads=pads,
            count_include_pad=cip,
            z_in=z,
            z_out=z,
            lo=lo_t,
            hi=hi_t,
        )
        getattr(lib, f"dsg_avg_pool_s{bits}")(
            k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p)
        )
        assert_exact(out, want, f"avg pool s{bits} trial {trial}")
        # general rule: a multiplier per window count n
        table = [fp.quantize_multiplier(0.9 / max(n, 1)) for n in range(kh * kw + 1)]
        nmap = ops.avg_pool_counts(
            x.shape, kernel=(kh, kw), stride=stride, pads=pads, count_include_pad=cip
        )
        z_out = 3 if bits == 8 else 0
        qmap = np.array([m.q for m in table])[nmap]
        smap = np.array([m.shift for m in table])[nmap]
        want = ops.avg_pool(
            x,
            kernel=(kh, kw),
            stride=stride,
            pads=pads,
            count_include_pad=cip,
            z_in=z,
            z_out=z_out,
            lo=lo_t,
            hi=hi_t,
            rq=(qmap, smap),
        )
        p.z_out = z_out
        p.rq_mult = k.ptr([m.q for m in table], np.int32)
        p.rq_shift = k.ptr([m.shift for m in table], np.int32)
        getattr(lib, f"dsg_avg_pool_s{bits}")(
            k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p)
        )
        assert_exact(out, want, f"avg pool (rq) s{bits} trial {trial}")


@pytest.mark.parametrize("bits", [8, 16])
def test_global_pool_add_concat_shuffle(lib, bits):
    rng = np.random.default_rng(60 + bits)
    lo_t, hi_t = fp.type_range(bits)
    t = np.int8 if bits == 8 else np.int16
    k = Keep()
    z = -4 if bits == 8 else 0
    # 552 pixels: the SIMD path's int16 lanes are flushed every 256 pixels; all -128 is their
    # extreme; 9 and 6 channels leave a scalar tail after the groups of 4
    big = rng.integers(lo_t, hi_t + 1, (23, 24, 6))
    for x in (rng.integers(lo_t, hi_t + 1, (7, 5, 9)), big, np.full_like(big, lo_t)):
        h, w, c = x.shape
        for rq in (None, fp.quantize_multiplier(0.7 / (h * w))):
            z_out = 6 if (rq and bits == 8) else z
            want = ops.global_avg_pool(x, z_in=z, z_out=z_out, lo=lo_t, hi=hi_t,
                                       rq=None if rq is None else (rq.q, rq.shift))  # fmt: skip
            p = GlobalPoolParams(
                h, w, c, z, z_out, lo_t, hi_t, rq.q if rq else 0, rq.shift if rq else 0
            )
            out = np.zeros(c, t)
            getattr(lib, f"dsg_global_avg_pool_s{bits}")(
                k.ptr(x, t), out.ctypes.data_as(C.c_void_p), C.byref(p)
            )
            assert_exact(out.reshape(1, 1, c), want, f"global avg pool s{bits} {x.shape}")
    # add, with the int16 inputs' extremes
    left = 20 if bits == 8 else 15
    za, zb, zo = (-7, 12, 3) if bits == 8 else (0, 0, 0)
    # 600 elements, and 3000: from 1024 on the s8 kernel rescales the inputs through tables
    for (sa, sb, so), n in itertools.product(
        [(0.05, 0.11, 0.13), (0.3, 0.01, 0.2), (0.02, 0.02, 0.01)], (600, 3000)
    ):
        twice = 2 * max(sa, sb)
        ma, mb = fp.quantize_multiplier(sa / twice), fp.quantize_multiplier(sb / twice)
        mo = fp.quantize_multiplier(twice / (2**left * so))
        a = rng.integers(lo_t, hi_t + 1, n)
        b = rng.integers(lo_t, hi_t + 1, n)
        a[:4], b[:4] = [lo_t, hi_t, lo_t, hi_t], [lo_t, hi_t, hi_t, lo_t]
        want = ops.add(
            a,
            b,
            z_a=za,
            z_b=zb,
            z_out=zo,
            m_a=(ma.q, ma.shift),
            m_b=(mb.q, mb.shift),
            m_out=(mo.q, mo.shift),
            left_shift=left,
            lo=lo_t,
            hi=hi_t,
        )
        p = AddParams(za, zb, zo, ma.q, ma.shift, mb.q, mb.shift, mo.q, mo.shift, left, lo_t, hi_t)
        out = np.zeros(n, t)
        getattr(lib, f"dsg_add_s{bits}")(
            k.ptr(a, t), k.ptr(b, t), out.ctypes.data_as(C.c_void_p), n, C.byref(p)
        )
        assert_exact(out, want, f"add s{bits} n={n}")
    # concat: a copy, a requantized input, another copy
    xs = [rng.integers(lo_t, hi_t + 1, (4, 3, c)) for c in (3, 5, 2)]
    m = fp.quantize_multiplier(0.37)
    rqs, zins = [None, (m.q, m.shift), None], [z, 9 if bits == 8 else 0, z]
    want = ops.concat(xs, rqs=rqs, z_ins=zins, z_out=z, lo=lo_t, hi=hi_t)
    ci_t = concat_input(C.POINTER(np.ctypeslib.as_ctypes_type(t)))
    arr = (ci_t * 3)(
        *[
            ci_t(
                k.ptr(xi, t),
                xi.shape[2],
                rq is not None,
                zi,
                rq[0] if rq else 0,
                rq[1] if rq else 0,
            )
            for xi, rq, zi in zip(xs, rqs, zins, strict=True)
        ]
    )
    out = np.zeros(want.shape, t)
    getattr(lib, f"dsg_concat_s{bits}")(arr, 3, 12, z, lo_t, hi_t, out.ctypes.data_as(C.c_void_p))
    assert_exact(out, want, f"concat s{bits}")
    x = rng.integers(lo_t, hi_t + 1, (3, 4, 12))
    for g in (1, 2, 3, 4, 6, 12):
        out = np.zeros(x.shape, t)
        getattr(lib, f"dsg_channel_shuffle_s{bits}")(
            k.ptr(x, t), out.ctypes.data_as(C.c_void_p), 12, 12, g
        )
        assert_exact(out, ops.channel_shuffle(x, g), f"channel shuffle s{bits} g={g}")


# ------------------------------------------------------------------------------ Cortex-M4
ARM_FLAGS = [
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=soft",
    "-O2",
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
]


def test_compiles_for_cortex_m4_with_dsp(tmp_path):
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None:
        pytest.skip("arm-none-eabi-gcc is not installed")
    asm = ""
    for src in KSRCS:  # every family compiles on its own
        r = subprocess.run([cc, *ARM_FLAGS, "-S", "-o", "-", src], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        asm += r.stdout
    assert "smlad" in asm and "sxtb16" in asm, "the DSP path was not compiled in"
    assert "printf" not in asm and "malloc" not in asm
    # no float anywhere: soft-float calls would show up as __aeabi_f*/__aeabi_d* helpers
    assert "__aeabi_f" not in asm and "__aeabi_d" not in asm and "__aeabi_ldiv" not in asm


# ----------------------------------------------------------------------- qemu (real DSP path)
QEMU_CMD = [
    "qemu-system-arm",
    "-M",
    "mps2-an386",
    "-cpu",
    "cortex-m4",
    "-nographic",
    "-semihosting",
    "-icount",
    "shift=0",
]
M4_DIR = KDIR / "cortex_m4"
# -icount shift=0 retires one instruction per virtual ns; mps2's SysTick counts the 25 MHz CPU
# clock, so one tick is 40 instructions.
INSN_PER_TICK = 40


def c_array(name, a, ctype):
    vals = ",".join(str(int(v)) for v in np.asarray(a).reshape(-1)) or "0"
    return f"static const {ctype} {name}[] = {{{vals}}};\n"


def emit_conv_case(idx, fn, case, want, inplace=False):
    """C source running one conv kernel on embedded vectors and checking it (in place: on one
    buffer holding the input, which the output overwrites)."""
    t = "int8_t" if case["bits"] == 8 else "int16_t"
    x, w = case["x"], case["w"]
    ho, wo, cout = want.shape
    wk = kernel_weights(fn, w)
    src = c_array(f"x{idx}", x, t) + c_array(f"w{idx}", wk, "int8_t")
    src += c_array(f"b{idx}", case["bias"], "int32_t") + c_array(f"q{idx}", case["q"], "int32_t")
    src += c_array(f"s{idx}", case["s"], "int32_t") + c_array(f"y{idx}", want, t)
    leaky = case["qn"] is not None
    if leaky:
        src += c_array(f"qn{idx}", case["qn"], "int32_t") + c_array(
            f"sn{idx}", case["sn"], "int32_t"
        )
    neg = f"qn{idx}, sn{idx}" if leaky else "0, 0"
    n_buf = max(want.size, x.size) if inplace else want.size
    call = f"{fn}(x{idx}, o{idx}, &p);"
    if inplace:
        call = f"{{ int i; for (i = 0; i < {x.size}; ++i) o{idx}[i] = x{idx}[i]; }}\n    "
        call += f"if ({fn}(o{idx}, o{idx}, &p) != DSG_OK) return 1;"
    src += f"""static {t} o{idx}[{n_buf}];
static int run{idx}(void)
{{
    const dsg_conv_params p = {{{x.shape[0]}, {x.shape[1]}, {x.shape[2]}, {ho}, {wo}, {cout},
        {w.shape[1]}, {w.shape[2]}, {case["stride"][0]}, {case["stride"][1]}, {case["dil"][0]},
        {case["dil"][1]}, {case["pads"][0]}, {case["pads"][1]}, {case["groups"]}, {case["z_in"]},
        {case["z_out"]}, {case["lo"]}, {case["hi"]}, q{idx}, s{idx}, {neg}, w{idx}, b{idx}}};
    {call}
    return check("{fn} #{idx}", o{idx}, y{idx}, {want.size}, {wo}, {cout}, {case["bits"]});
}}
"""
    return src


HARNESS_HEAD = r"""
#include <stdio.h>
#include <stdint.h>
#include "dsg_kernels.h"
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
static int check(const char *name, const void *got, const void *want, int n, int wo, int c,
                 int bits)
{
    int i;
    for (i = 0; i < n; ++i) {
        const int g = bits == 8 ? ((const int8_t *)got)[i] : ((const int16_t *)got)[i];
        const int e = bits == 8 ? ((const int8_t *)want)[i] : ((const int16_t *)want)[i];
        if (g != e) {
            printf("FAIL %s at (h,w,c)=(%d,%d,%d): got %d want %d\n", name, i / c / wo,
                   (i / c) % wo, i % c, g, e);
            return 1;
        }
    }
    printf("ok %s\n", name);
    return 0;
}
static uint32_t ticks(void) { return SYST_CVR; }
"""


def bench_src(name, fn, h, w, cin, cout, k, stride, pad, groups, dw=False):
    """A timed kernel call on zero data (timing does not depend on values).  k: size or
    (kh, kw); pad: all sides or (top, bottom, left, right)."""
    kh, kw = (k, k) if isinstance(k, int) else k
    pt, pb, pl, pr = (pad,) * 4 if isinstance(pad, int) else pad
    ho, wo = (h + pt + pb - kh) // stride + 1, (w + pl + pr - kw) // stride + 1
    macs = ho * wo * cout * kh * kw * (cin // groups)
    return f"""
    {{
        static int8_t bx[{h * w * cin}], by[{ho * wo * cout}], bw[{cout * kh * kw * cin // groups}];
        static int32_t bq[{cout}], bs[{cout}];
        const dsg_conv_params p = {{{h}, {w}, {cin}, {ho}, {wo}, {cout}, {kh}, {kw}, {stride},
            {stride}, 1, 1, {pt}, {pl}, {groups}, 0, 0, -128, 127, bq, bs, 0, 0, bw, 0}};
        uint32_t t0, t1;
        int i;
        for (i = 0; i < {cout}; ++i) {{ bq[i] = 1 << 30; bs[i] = -8; }}
        t0 = ticks();
        {fn}(bx, by, &p);
        t1 = ticks();
        printf("BENCH {name} macs=%d ticks=%lu\\n", {macs}, (unsigned long)((t0 - t1) & 0xFFFFFF));
    }}
"""


BENCHES = [  # name, fn, h, w, cin, cout, k, stride, pad, groups
    ("pointwise_16x16_64to64", "dsg_pointwise_conv_s8", 16, 16, 64, 64, 1, 1, 0, 1),
    ("pointwise_24x24_8to16", "dsg_pointwise_conv_s8", 24, 24, 8, 16, 1, 1, 0, 1),
    ("pointwise_8x8_256to64", "dsg_pointwise_conv_s8", 8, 8, 256, 64, 1, 1, 0, 1),
    ("depthwise3x3_24x24x64", "dsg_depthwise_conv_3x3_s8", 24, 24, 64, 64, 3, 1, 1, 64),
    ("depthwise_generic_24x24x64", "dsg_depthwise_conv_s8", 24, 24, 64, 64, 3, 1, 1, 64),
    ("conv3x3_48x48_3to8_s2", "dsg_conv_s8", 48, 48, 3, 8, 3, 2, 1, 1),
    ("conv3x3_12x12_32to32", "dsg_conv_s8", 12, 12, 32, 32, 3, 1, 1, 1),
    # the DS-CNN keyword spotter's layers (49x10 MFCC input)
    ("kws_conv10x4_s2_1to64", "dsg_conv_s8", 49, 10, 1, 64, (10, 4), 2, (4, 5, 1, 1), 1),
    ("kws_depthwise3x3_25x5x64", "dsg_depthwise_conv_3x3_hwc_s8", 25, 5, 64, 64, 3, 1, 1, 64),
    ("kws_pointwise_25x5_64to64", "dsg_pointwise_conv_s8", 25, 5, 64, 64, 1, 1, 0, 1),
]


def _clang_m4_objects(tmp_path) -> list[str]:
    """The library's families compiled by clang for Cortex-M4 (its integrated assembler takes the
    library's inline assembly; newlib's headers for string.h)."""
    clang = shutil.which("clang")
    if clang is None:
        pytest.skip("clang is not installed")
    libc = subprocess.run(["arm-none-eabi-gcc", "-print-file-name=libc.a"], capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    newlib = Path(libc).parent.parent
    objs = []
    for src in KSRCS:
        obj = tmp_path / (Path(src).stem + "_clang.o")
        r = subprocess.run(
            [clang, "--target=thumbv7em-none-eabi", *ARM_FLAGS, "-pedantic",
             f"-isystem{newlib / 'include'}", "-c", src, "-o", str(obj)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        objs.append(str(obj))
    return objs


SMALL_MAPS = ((1, 1), (1, 2), (1, 3), (3, 1), (2, 1))


def small_pw_case(rng, i, inplace):
    """A pointwise layer of 1 to 3 pixels (dsg_mv_s8, four output channels per pass and a tail
    of 1 to 3), full-range inputs; in place half of them with the fast output stage."""
    if inplace:
        case = inplace_case(rng, "pw", fast=i % 2 == 0)
    else:
        case = random_conv(rng, "pw")
        case["stride"] = (1, 1)
    h, w = SMALL_MAPS[i % len(SMALL_MAPS)]
    lo, hi = fp.type_range(case["bits"])
    case["x"] = rng.integers(lo, hi + 1, (h, w, case["x"].shape[2]))
    return case


SMALL_DW = (  # input (h, w), stride, pads (top, left, bottom, right): 1 to 10 output pixels
    ((1, 1), 1, (1, 1, 1, 1)),
    ((2, 2), 1, (1, 1, 1, 1)),
    ((1, 3), 1, (1, 1, 1, 1)),
    ((3, 1), 1, (0, 1, 0, 1)),
    ((2, 2), 2, (1, 1, 1, 1)),
    ((3, 3), 2, (1, 1, 1, 1)),
    ((4, 4), 2, (0, 0, 1, 1)),
    ((3, 3), 1, (0, 0, 0, 0)),
    ((2, 2), 2, (0, 0, 1, 1)),
    ((1, 2), 1, (1, 1, 1, 1)),
    ((3, 3), 1, (1, 1, 1, 1)),
    ((6, 6), 2, (1, 1, 1, 1)),
    ((6, 6), 2, (0, 0, 1, 1)),
    ((5, 5), 2, (1, 1, 1, 1)),
    ((2, 3), 1, (1, 1, 1, 1)),
    ((5, 5), 1, (0, 0, 0, 0)),
    ((2, 5), 1, (1, 1, 1, 1)),  # 10 pixels: past DSG_DW_DIRECT, the group path
)
INPLACE_SMALL_DW = ((1, 1), (2, 2), (3, 3), (1, 3), (3, 1), (2, 3), (2, 5))  # stride 1, pads 1


def small_dw_case(rng, i, inplace):
    """A 3x3 depthwise onto 1 to 10 output pixels (in place: stride 1, same size), full-range
    inputs, channel counts with and without a tail of the 4-channel groups."""
    case = fast_case(rng, "dw3")
    (h, w), st, pads = (INPLACE_SMALL_DW[i], 1, (1, 1, 1, 1)) if inplace else SMALL_DW[i]
    c = int(rng.choice([1, 3, 4, 8, 13, 64, 96]))
    case.update(
        x=rng.integers(-128, 128, (h, w, c)),
        w=rng.integers(-127, 128, (c, 3, 3, 1)),
        groups=c,
        stride=(st, st),
        pads=pads,
        bias=rng.integers(-5000, 5000, c),
    )
    case["q"], case["s"] = mults(rng, c, -12, -4)
    case["qn"] = case["sn"] = None
    return make_fast(case, rng)


@pytest.mark.slow
@pytest.mark.parametrize("kernel_cc", ["gcc", "clang"])
def test_c_kernels_qemu(tmp_path, kernel_cc):
    """Every case bit-exact on the emulated Cortex-M4, with the library built by
    arm-none-eabi-gcc and by clang (the assembly loops go through both assemblers)."""
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None or shutil.which(QEMU_CMD[0]) is None:
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm is not installed")
    kernels = KSRCS
    if kernel_cc == "clang":
        kernels = _clang_m4_objects(tmp_path)
    rng = np.random.default_rng(99)
    plan = (
        [("dsg_pointwise_conv_s8", "pw")] * 6
        + [("dsg_depthwise_conv_3x3_s8", "dw3")] * 4
        + [("dsg_depthwise_conv_s8", "dw")] * 3
        + [("dsg_conv_s8", "conv")] * 5
        + [("dsg_conv_s16", "conv16")] * 8  # the int16 GEMM (groups 1) and the direct loops
        + [("dsg_depthwise_conv_3x3_hwc_s8", "dw3")] * 2
        + [(fn, "fast:" + kind) for kind, fn in FAST_KINDS for _ in range(3)]
        + [(fn, "bound:" + kind) for kind, fn in FAST_KINDS if kind in ("pw", "dw3")][:2] * 2
        # the 3x3 depthwise's assembly loops: both strides, odd and even lines, both orientations
        + [(fn, "fast:dw3") for kind, fn in FAST_KINDS if kind == "dw3" for _ in range(8)]
        # in place: the planes and the GEMM (first to last, and last to first when expanding)
        + [("dsg_depthwise_conv_3x3_s8", "inplace:dw3")] * 6
        + [("dsg_pointwise_conv_s8", "inplace:pw")] * 8
        + [("dsg_pointwise_conv_s8", f"sweep:{i}") for i in range(24)]
        # fewer pixels than the GEMM's block: the matrix-vector path, out of and in place
        + [("dsg_pointwise_conv_s8", f"small:{i}") for i in range(10)]
        + [("dsg_pointwise_conv_s8", f"inplace_small:{i}") for i in range(10)]
        # 3x3 depthwise onto 1 to 9 output pixels: the per-channel loop over the inner taps
        + [("dsg_depthwise_conv_3x3_s8", f"small_dw:{i}") for i in range(len(SMALL_DW))]
        + [("dsg_depthwise_conv_3x3_s8", f"inplace_small_dw:{i}") for i in range(7)]
        # paired pointwise weights: the 4-pixel x 2-channel assembly and its tails
        + [("dsg_pointwise_pair_s8", f"pair:{i}") for i in range(40)]
        + [("dsg_pointwise_pair_s8", f"inplace_pair:{i}") for i in range(24)]
        # general convs through the paired pass: their receptive fields gathered
        + [("dsg_conv_pair_s8", f"conv_pair:{i}") for i in range(24)]
    )
    src, calls = HARNESS_HEAD, []
    for i, (fn, kind) in enumerate(plan):
        if kind.startswith("conv_pair:"):
            case = conv_pair_case(rng, int(kind.split(":")[1]))
        elif kind.startswith(("pair:", "inplace_pair:")):
            case = pair_case(rng, int(kind.split(":")[1]), kind.startswith("inplace"))
        elif kind.startswith("inplace:"):
            case = inplace_case(rng, kind[8:], fast=True)
        elif kind.startswith(("small_dw:", "inplace_small_dw:")):
            case = small_dw_case(rng, int(kind.split(":")[1]), kind.startswith("inplace"))
        elif kind.startswith(("small:", "inplace_small:")):
            case = small_pw_case(rng, int(kind.split(":")[1]), kind.startswith("inplace"))
        elif kind.startswith("sweep:"):
            case = sweep_pw_case(rng, int(kind[6:]))
        elif kind.startswith("fast:"):
            case = fast_case(rng, kind[5:])
        elif kind.startswith("bound:"):  # the SMMLAR output stage at its bias bound
            case = fast_case(rng, kind[6:])
            taps = int(np.prod(case["w"].shape[1:]))
            lim = 2**29 - 1 - 32640 * taps
            cout = case["w"].shape[0]
            case["x"] = rng.choice([-128, 127], case["x"].shape)
            case["w"] = rng.choice([-128, 127], case["w"].shape)
            case["bias"] = rng.integers(lim - 999, lim + 1, cout) * rng.choice([-1, 1], cout)
        else:
            case = random_conv(rng, kind.replace("16", ""), bits=16 if kind.endswith("16") else 8)
        want = ops.conv2d(
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
        src += emit_conv_case(i, fn, case, want, inplace=kind.startswith("inplace"))
        calls.append(f"    fails += run{i}();\n")
    src += "int main(void)\n{\n    int fails = 0;\n"
    src += "    SYST_RVR = 0xFFFFFF; SYST_CVR = 0; SYST_CSR = 5; /* SysTick on the CPU clock */\n"
    src += "".join(calls) + "".join(bench_src(*b) for b in BENCHES)
    src += '    printf(fails ? "FAIL\\n" : "PASS\\n");\n    return fails;\n}\n'
    (tmp_path / "harness.c").write_text(src)
    elf = tmp_path / "harness.elf"
    cmd = [
        cc,
        *ARM_FLAGS[:-1],
        f"-I{KDIR}",
        "--specs=rdimon.specs",
        "-nostartfiles",
        f"-T{M4_DIR / 'mps2_an386.ld'}",
        str(M4_DIR / "startup_cm4.c"),
        *kernels,
        str(tmp_path / "harness.c"),
        "-lrdimon",
        "-o",
        str(elf),
    ]
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
