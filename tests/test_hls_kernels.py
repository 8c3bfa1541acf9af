"""templates/hls/dsg_hls*.h against dsgen.quant.ops, bit for bit, compiled with plain g++.

Every case builds its configuration with the backend's own kernels.py (the same code that feeds
the generator) on a random geometry and folding, so the C++ sees exactly what generated projects
see. All cases go into one translation unit, built once; ``./kernels <case>`` reads the input
streams' integers on stdin and prints the output stream.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from dsgen.backends.folding import LayerFold
from dsgen.backends.hls import kernels as K
from dsgen.ir import graph as ir
from dsgen.quant import fixedpoint as fp
from dsgen.quant import ops
from dsgen.quant.qgraph import ActQ, AddQ, ConcatQ, ConvQ, PoolQ
from dsgen.resources import templates_dir
from tests.conftest import require_tool

CASES: list[tuple[str, K.KernelCall, list[np.ndarray], np.ndarray]] = []


def _graph(tensors: dict[str, tuple[int, ...]]) -> ir.Graph:
    return ir.Graph("t", "x", ["y"], {n: ir.TensorInfo(n, s) for n, s in tensors.items()})


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _rq_arrays(rng, n: int, shift_max: int = 0):
    q = rng.integers(1 << 30, (1 << 31) - 1, size=n)
    s = rng.integers(-14, shift_max + 1, size=n)
    return q, s


def _add(name: str, call: K.KernelCall, ins: list[np.ndarray], ref: np.ndarray) -> None:
    CASES.append(
        (
            name,
            call,
            [np.asarray(i, np.int64).reshape(-1) for i in ins],
            np.asarray(ref, np.int64).reshape(-1),
        )
    )


def _weights(rng, shape, wbits: int, wshift: int) -> np.ndarray:
    """Stored values at `wbits` (1: ±1), times 2^wshift: the contract's weights."""
    if wbits == 1:
        v = rng.choice([-1, 1], size=shape)
    else:
        v = rng.integers(-(1 << (wbits - 1)), 1 << (wbits - 1), size=shape)
    return v << wshift


def conv_case(
    seed: int, *, h, w, cin, cout, k, stride, pads, groups=1, dil=(1, 1), leaky=False, dense=False,
    wbits=8, wshift=0,
) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    kh, kw = k
    ho = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    cin_g = cin // groups
    if wbits == 8:
        wq = rng.integers(-127, 128, size=(cout, cin) if dense else (cout, kh, kw, cin_g))
    else:
        wq = _weights(rng, (cout, cin) if dense else (cout, kh, kw, cin_g), wbits, wshift)
    bias = rng.integers(-5000, 5000, size=cout)
    q, s = _rq_arrays(rng, cout)
    qn, sn = _rq_arrays(rng, cout) if leaky else (None, None)
    z_in, z_out = (int(v) for v in rng.integers(-100, 100, size=2))
    lo, hi = int(rng.integers(-128, -60)), int(rng.integers(60, 128))
    p = ConvQ(wq, bias, q, s, z_in, z_out, lo, hi, qn, sn)
    x = rng.integers(-128, 128, size=(cin,) if dense else (h, w, cin))
    kd = wq.shape[1] if dense else kh * kw * cin_g
    pe, simd = int(rng.choice(_divisors(cout))), int(rng.choice(_divisors(kd)))
    fold = LayerFold("c", "conv", pe, simd, 0, 0)
    if dense:
        layer = ir.Dense("c", ["x"], "y", np.zeros((cout, cin)), np.zeros(cout))
        g = _graph({"x": (cin,), "y": (cout,)})
        ref = ops.dense(
            x, wq, bias, z_in=z_in, z_out=z_out, q=q, shift=s, lo=lo, hi=hi, q_neg=qn, shift_neg=sn
        )
    else:
        layer = ir.Conv(
            "c",
            ["x"],
            "y",
            np.zeros((cout, kh, kw, cin_g)),
            np.zeros(cout),
            stride,
            dil,
            pads,
            groups,
        )
        g = _graph({"x": (h, w, cin), "y": (ho, wo, cout)})
        ref = ops.conv2d(
            x,
            wq,
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
    if wshift:  # a QAT layer: its weights carry the headroom shift (dsgen.backends.weights)
        layer.wquant = ir.WeightQuant(np.asarray(wq) >> wshift, np.ones(cout), shift=wshift)
    call = K.mac_call(f"k{len(CASES)}", g, layer, p, fold)
    assert call.cfg["WBITS"] == wbits and call.cfg["WSHIFT"] == wshift
    wtag = "" if wbits == 8 else f"-w{wbits}" + (f"k{wshift}" if wshift else "")
    _add(f"{call.kind}{wtag}-s{seed}-pe{pe}-simd{simd}", call, [x], ref)


def pool_case(seed, *, h, w, c, k, stride, pads, mode, cip=False, rq=False) -> None:
    rng = np.random.default_rng(seed)
    ho = (h + pads[0] + pads[2] - k[0]) // stride[0] + 1
    wo = (w + pads[1] + pads[3] - k[1]) // stride[1] + 1
    z_in, z_out = (int(v) for v in rng.integers(-60, 60, size=2))
    lo, hi = int(rng.integers(-128, -90)), int(rng.integers(90, 128))
    rqv = (int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-6, 0))) if rq else None
    x = rng.integers(-128, 128, size=(h, w, c))
    layer = ir.Pool("p", ["x"], "y", mode, k, stride, pads, cip)
    g = _graph({"x": (h, w, c), "y": (ho, wo, c)})
    if mode == "max":
        ref = fp.saturate(ops.max_pool(x, kernel=k, stride=stride, pads=pads), lo, hi)
    else:
        ref = ops.avg_pool(
            x,
            kernel=k,
            stride=stride,
            pads=pads,
            count_include_pad=cip,
            z_in=z_in,
            z_out=z_out,
            lo=lo,
            hi=hi,
            rq=rqv,
        )
    call = K.pool_call(f"k{len(CASES)}", g, layer, PoolQ(z_in, z_out, lo, hi, rqv))
    _add(f"pool-{mode}-s{seed}", call, [x], ref)


def global_case(seed, *, h, w, c, mode, rq=False) -> None:
    rng = np.random.default_rng(seed)
    z_in, z_out = (int(v) for v in rng.integers(-60, 60, size=2))
    rqv = (int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-9, -3))) if rq else None
    x = rng.integers(-128, 128, size=(h, w, c))
    layer = ir.GlobalPool("gp", ["x"], "y", mode)
    g = _graph({"x": (h, w, c), "y": (1, 1, c)})
    if mode == "max":
        ref = fp.saturate(x.max(axis=(0, 1)), -100, 100)
    else:
        ref = ops.global_avg_pool(x, z_in=z_in, z_out=z_out, lo=-100, hi=100, rq=rqv)
    call = K.pool_call(f"k{len(CASES)}", g, layer, PoolQ(z_in, z_out, -100, 100, rqv))
    _add(f"global-{mode}-s{seed}", call, [x], ref)


def misc_cases(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    c0, c1, c2 = (int(v) for v in rng.integers(1, 9, size=3))
    a, b = rng.integers(-128, 128, size=(2, h, w, c0))
    za, zb, zo = (int(v) for v in rng.integers(-50, 50, size=3))
    ma, mb = (int(rng.integers(1 << 30, 1 << 31)), -1), (int(rng.integers(1 << 30, 1 << 31)), -2)
    mo = (int(rng.integers(1 << 30, 1 << 31)), -19)
    pa = AddQ(za, zb, zo, ma, mb, mo, 20, -128, 127)
    ref = ops.add(
        a, b, z_a=za, z_b=zb, z_out=zo, m_a=ma, m_b=mb, m_out=mo, left_shift=20, lo=-128, hi=127
    )
    g = _graph(
        {
            "a": (h, w, c0),
            "b": (h, w, c0),
            "y": (h, w, c0),
            "z": (h, w, c1),
            "u": (h, w, c2),
            "y2": (h, w, c0 + c1),
            "y3": (h, w, c0 + c1 + c2),
        }
    )
    _add(
        f"add-s{seed}",
        K.add_call(f"k{len(CASES)}", g, ir.Add("a", ["a", "b"], "y"), pa),
        [a, b],
        ref,
    )
    z = rng.integers(-128, 128, size=(h, w, c1))
    u = rng.integers(-128, 128, size=(h, w, c2))
    for n, ins in ((2, [a, z]), (3, [a, z, u])):
        rqs = [
            None if rng.random() < 0.5 else (int(rng.integers(1 << 30, 1 << 31)), -1) for _ in ins
        ]
        zs = [int(v) for v in rng.integers(-40, 40, size=n)]
        pc = ConcatQ(rqs, zs, 3, -120, 120)
        ref = ops.concat(ins, rqs=rqs, z_ins=zs, z_out=3, lo=-120, hi=120)
        names = ["a", "z", "u"][:n]
        layer = ir.Concat("cat", names, f"y{n}")
        _add(f"concat{n}-s{seed}", K.concat_call(f"k{len(CASES)}", g, layer, pc), ins, ref)
    groups = int(rng.choice([gg for gg in _divisors(c0 * 2)]))
    x = rng.integers(-128, 128, size=(h, w, c0 * 2))
    gs = _graph({"x": (h, w, c0 * 2), "y": (h, w, c0 * 2)})
    call = K.shuffle_call(f"k{len(CASES)}", gs, ir.Shuffle("s", ["x"], "y", groups))
    _add(f"shuffle-s{seed}", call, [x], ops.channel_shuffle(x, groups))
    for rq in (None, (int(rng.integers(1 << 30, 1 << 31)), -1)):
        pa = ActQ(
            5, -3, -100, 110, rq, None if rq is None else (int(rng.integers(1 << 30, 1 << 31)), -4)
        )
        from dsgen.quant.int_ref import act

        call = K.act_call(f"k{len(CASES)}", gs, ir.Act("r", ["x"], "y"), pa)
        _add(f"act-{'leaky' if rq else 'clamp'}-s{seed}", call, [x], act(pa, x))


def _populate() -> None:
    rng = np.random.default_rng(1234)
    for seed in range(6):  # standard K×K conv, non-square, stride, asymmetric pads
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        conv_case(
            seed,
            h=int(rng.integers(kh, 9)),
            w=int(rng.integers(kw, 8)),
            cin=int(rng.integers(1, 5)),
            cout=int(rng.choice([2, 4, 6, 8])),
            k=(kh, kw),
            stride=(int(rng.integers(1, 3)), int(rng.integers(1, 4))),
            pads=tuple(int(v) for v in rng.integers(0, 2, size=4)),
            leaky=seed % 3 == 0,
        )
    for seed in range(10, 15):  # depthwise (depth multiplier 1 or 2)
        c, m = int(rng.choice([4, 6, 8])), int(rng.integers(1, 3))
        conv_case(
            seed,
            h=7,
            w=6,
            cin=c,
            cout=c * m,
            k=(3, 3),
            stride=(1 + seed % 2, 1 + seed % 2),
            pads=(1, 1, 1, 1) if seed % 3 else (0, 0, 1, 1),
            groups=c,
        )
    conv_case(
        20,
        h=6,
        w=6,
        cin=8,
        cout=8,
        k=(3, 3),
        stride=(1, 1),
        pads=(2, 2, 2, 2),
        groups=8,
        dil=(2, 2),
    )
    for seed in range(30, 34):  # grouped K×K and 1×1, pointwise
        g = int(rng.choice([1, 2, 4]))
        k = (3, 3) if seed % 2 else (1, 1)
        conv_case(
            seed,
            h=5,
            w=4,
            cin=4 * g,
            cout=2 * g * int(rng.integers(1, 3)),
            k=k,
            stride=(1, 1),
            pads=(1, 1, 1, 1) if k == (3, 3) else (0, 0, 0, 0),
            groups=g,
            leaky=seed == 31,
        )
    conv_case(35, h=5, w=5, cin=6, cout=4, k=(1, 1), stride=(2, 2), pads=(0, 0, 0, 0))
    for seed in range(40, 43):
        conv_case(
            seed,
            h=1,
            w=1,
            cin=int(rng.integers(4, 40)),
            cout=int(rng.integers(2, 12)),
            k=(1, 1),
            stride=(1, 1),
            pads=(0, 0, 0, 0),
            dense=True,
            leaky=seed == 41,
        )
    for seed, (mode, cip, _rq) in enumerate(
        [("max", False, False), ("avg", False, False), ("avg", True, False), ("avg", True, True)]
    ):
        pool_case(
            50 + seed, h=7, w=6, c=3, k=(3, 2), stride=(2, 1), pads=(1, 0, 1, 1), mode=mode, cip=cip
        )
    pool_case(55, h=6, w=6, c=2, k=(2, 2), stride=(2, 2), pads=(0, 0, 0, 0), mode="avg", rq=True)
    for seed, (mode, rq) in enumerate([("avg", False), ("avg", True), ("max", False)]):
        global_case(60 + seed, h=5, w=3, c=4, mode=mode, rq=rq)
    for seed in range(70, 73):
        misc_cases(seed)
    # narrow and binary weights (ap_int<N> / ap_uint<1> arrays), with and without a QAT shift
    for i, (wbits, wshift) in enumerate([(1, 0), (1, 6), (2, 0), (3, 4), (4, 0), (4, 3), (6, 1)]):
        geo = [
            dict(h=6, w=5, cin=3, cout=4, k=(3, 3), stride=(2, 1), pads=(1, 1, 1, 0)),
            dict(h=5, w=5, cin=6, cout=6, k=(3, 3), stride=(1, 1), pads=(1, 1, 1, 1), groups=6),
            dict(h=4, w=3, cin=8, cout=6, k=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0)),
            dict(h=1, w=1, cin=24, cout=5, k=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dense=True),
        ][i % 4]
        conv_case(80 + i, **geo, wbits=wbits, wshift=wshift, leaky=i == 3)


_populate()


def _case_source(i: int, call: K.KernelCall, ins: list[np.ndarray], n_out: int) -> str:
    lines = []
    if not call.template_args:
        fields = "".join(f"    static const int {k} = {v};\n" for k, v in call.cfg.items())
        lines.append(
            f"struct {call.ident}_cfg {{\n    typedef act_t in_t;\n"
            f"    typedef act_t out_t;\n    typedef {call.w_type} w_t;\n{fields}}};"
        )
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
        f'std::printf("%d ", out.read().to_int());\n}}'
    )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def kernel_exe(tmp_path_factory) -> str:
    cxx = require_tool("g++")
    d = tmp_path_factory.mktemp("hls_kernels")
    parts = [
        '#include <cstdio>\n#include <cstdlib>\n#include "dsg_hls.h"\n',
        "typedef ap_int<8> act_t;\n",
        'static long rd() { long v; if (std::scanf("%ld", &v) != 1) std::exit(9); return v; }\n',
    ]
    parts += [_case_source(i, c, ins, ref.size) for i, (_, c, ins, ref) in enumerate(CASES)]
    cases = "".join(f"    case {i}: case_{i}(); break;\n" for i in range(len(CASES)))
    parts.append(
        "int main(int argc, char **argv) {\n    if (argc < 2) return 2;\n"
        f"    switch (std::atoi(argv[1])) {{\n{cases}"
        "    default: return 2;\n    }\n    return 0;\n}\n"
    )
    src = d / "kernels.cpp"
    src.write_text("\n".join(parts))
    exe = d / "kernels"
    flags = ["-std=c++14", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas"]
    r = subprocess.run(
        [cxx, *flags, f"-I{templates_dir() / 'hls'}", str(src), "-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    return str(exe)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_kernel_bit_exact(kernel_exe, i):
    name, _, ins, ref = CASES[i]
    stdin = " ".join(str(int(v)) for x in ins for v in x)
    r = subprocess.run([kernel_exe, str(i)], input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = np.array(r.stdout.split(), np.int64)
    assert got.size == ref.size, f"{name}: {got.size} outputs, expected {ref.size}"
    bad = np.flatnonzero(got != ref)
    assert bad.size == 0, (
        f"{name}: {bad.size} mismatches; first at index {bad[0]}: "
        f"expected {ref[bad[0]]}, got {got[bad[0]]}"
    )


REQ_SRC = r"""
#include <cstdio>
#include "dsg_hls.h"
int main() { long a, q, s;
  while (std::scanf("%ld %ld %ld", &a, &q, &s) == 3)
    std::printf("%d %d\n", dsg_requantize((int32_t)a, (int32_t)q, (int32_t)s),
                dsg_rdiv((int32_t)(a >> 2), (int32_t)(q % 1000 + 1)));
  return 0; }
"""


def test_requantize_and_rdiv_edges(tmp_path):
    """dsg_requantize / dsg_rdiv on extreme and random operands vs fixedpoint.py."""
    cxx = require_tool("g++")
    (tmp_path / "r.cpp").write_text(REQ_SRC)
    exe = tmp_path / "r"
    subprocess.run(
        [
            cxx,
            "-std=c++14",
            "-O1",
            "-Wno-unknown-pragmas",
            f"-I{templates_dir() / 'hls'}",
            str(tmp_path / "r.cpp"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    rng = np.random.default_rng(7)
    acc = np.concatenate(
        [
            [fp.INT32_MIN, fp.INT32_MAX, 0, -1, 1, 1 << 30, -(1 << 30)],
            rng.integers(fp.INT32_MIN, fp.INT32_MAX, size=400),
        ]
    )
    q = np.concatenate(
        [
            [1 << 30, (1 << 31) - 1, 0, 1 << 30, (1 << 31) - 1, 0, 1 << 30],
            rng.integers(1 << 30, 1 << 31, size=400),
        ]
    )
    s = np.concatenate([[0, -31, 0, -5, 0, 0, 1], rng.integers(-31, 1, size=400)])
    s[np.abs(acc) >= (1 << 30)] = np.minimum(s[np.abs(acc) >= (1 << 30)], 0)
    stdin = "\n".join(f"{a} {b} {c}" for a, b, c in zip(acc, q, s, strict=True))
    out = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True)
    got = np.array(out.stdout.split(), np.int64).reshape(-1, 2)
    want_rq = fp.requantize(acc, q, s)
    want_div = fp.rounding_div(acc >> 2, q % 1000 + 1)  # pooling sums are far from int32's ends
    for col, want, what in ((0, want_rq, "requantize"), (1, want_div, "rdiv")):
        bad = np.flatnonzero(got[:, col] != want)
        assert bad.size == 0, (
            f"{what}: first mismatch acc={acc[bad[0]]} q={q[bad[0]]} "
            f"shift={s[bad[0]]}: expected {want[bad[0]]}, got {got[bad[0], col]}"
        )
