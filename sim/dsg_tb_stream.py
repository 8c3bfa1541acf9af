"""One-input, one-output tensor bench loop shared by the pool benches."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np


async def run_tensor_bench(
    dut, shape, golden, width, n_tensors=3, p_idle=0.3, p_stall=0.3, timeout_ns=2_000_000
):
    case = dsg_tb.load_case()
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    src = dsg_tb.source(dut, "s_axis", width, rng, p_idle)
    snk = dsg_tb.sink(dut, "m_axis", rng, p_stall)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    xs = [nrng.integers(lo, hi + 1, size=shape) for _ in range(n_tensors)]
    xs[0].flat[: xs[0].size // 4] = hi  # saturated corner cases
    for x in xs:
        await src.send(dsg_tb.frame(x.reshape(-1), width))
    total = 0
    for t, x in enumerate(xs):
        exp = np.asarray(golden(x)).reshape(-1)
        total += exp.size
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), timeout_ns, "ns")
        got = [dsg_tb.to_signed(v, width) for v in f.tdata]
        dsg_tb.compare(f"tensor {t}", got, exp)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)


def rdiv_constants(in_w: int, n_max: int):
    """The reciprocal constants hw/dsg_rdiv.v computes: (S, {n: R})."""
    nb = (n_max).bit_length()  # $clog2(n_max + 1)
    ab = in_w + 1
    s = ab + nb + 1
    return s, {n: -(-(1 << s) // n) for n in range(1, n_max + 1)}


def prove_rdiv(in_w: int, n_max: int, ns=None) -> None:
    """Exhaustive proof that (a*R[n]) >> S == a // n over the whole input range a < 2^(in_w-1)+n."""
    s, rec = rdiv_constants(in_w, n_max)
    top = (1 << (in_w - 1)) + n_max + 1
    dtype = np.int64 if top.bit_length() + s + 1 < 63 else object
    a = np.arange(0, top, dtype=np.int64).astype(dtype)
    for n in ns or range(1, n_max + 1):
        bad = np.nonzero((a * rec[n]) >> s != a // n)[0]
        assert bad.size == 0, f"reciprocal of {n} inexact for a={a[bad[:4]]}"
