"""Bench for hw/dsg_fifo.v: random data, random idle/backpressure, 3 frames, nothing extra."""

from __future__ import annotations

import cocotb
import dsg_tb

TOPLEVEL = "dsg_fifo"
SOURCES = ["dsg_fifo"]
CASES = {
    "w8_d16": dict(parameters=dict(DATA_W=8, DEPTH=16), p_idle=0.3, p_stall=0.5),
    "w16_d5": dict(parameters=dict(DATA_W=16, DEPTH=5), p_idle=0.6, p_stall=0.2),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_fifo(dut):
    case = dsg_tb.load_case()
    w = case["parameters"]["DATA_W"]
    rng = dsg_tb.make_rng(case)
    src = dsg_tb.source(dut, "s_axis", w, rng, case["p_idle"])
    snk = dsg_tb.sink(dut, "m_axis", rng, case["p_stall"])
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    frames = [[rng.randint(lo, hi) for _ in range(n)] for n in (1, 300, 77)]
    for f in frames:
        await src.send(dsg_tb.frame(f, w))
    got = await dsg_tb.recv_frames(snk, len(frames), w, 20000, dut)
    for i, (g, e) in enumerate(zip(got, frames, strict=False)):
        dsg_tb.compare(f"frame {i}", g, e)
    await dsg_tb.nothing_extra(dut, cnt, sum(map(len, frames)), snk)
