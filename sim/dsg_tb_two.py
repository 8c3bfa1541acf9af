"""Two-input, one-output tensor bench loop (add, concat)."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np


async def run_two_input_bench(dut, shape_a, shape_b, golden, width, n_tensors=3):
    case = dsg_tb.load_case()
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    sa = dsg_tb.source(dut, "s_a_axis", width, rng, 0.3)
    sb = dsg_tb.source(dut, "s_b_axis", width, rng, 0.5)
    snk = dsg_tb.sink(dut, "m_axis", rng, 0.3)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    pairs = [
        (nrng.integers(lo, hi + 1, size=shape_a), nrng.integers(lo, hi + 1, size=shape_b))
        for _ in range(n_tensors)
    ]
    pairs[0][0].flat[:4] = lo
    pairs[0][1].flat[:4] = hi
    for a, b in pairs:
        await sa.send(dsg_tb.frame(a.reshape(-1), width))
        await sb.send(dsg_tb.frame(b.reshape(-1), width))
    total = 0
    for t, (a, b) in enumerate(pairs):
        exp = np.asarray(golden(a, b)).reshape(-1)
        total += exp.size
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 1_000_000, "ns")
        dsg_tb.compare(f"tensor {t}", [dsg_tb.to_signed(v, width) for v in f.tdata], exp)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)
