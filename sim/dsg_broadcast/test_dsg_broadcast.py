"""Bench for hw/dsg_broadcast.v: both outputs get every beat once under independent backpressure."""

from __future__ import annotations

import cocotb
import dsg_tb

TOPLEVEL = "dsg_broadcast"
SOURCES = ["dsg_broadcast"]
CASES = {"w8": dict(parameters=dict(DATA_W=8))}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_broadcast(dut):
    case = dsg_tb.load_case()
    w = case["parameters"]["DATA_W"]
    rng = dsg_tb.make_rng(case)
    src = dsg_tb.source(dut, "s_axis", w, rng, 0.3)
    s0 = dsg_tb.sink(dut, "m0_axis", rng, 0.4)
    s1 = dsg_tb.sink(dut, "m1_axis", rng, 0.6)
    c0 = dsg_tb.BeatCounter(dut, "m0_axis")
    c1 = dsg_tb.BeatCounter(dut, "m1_axis")
    await dsg_tb.start(dut)
    frames = [[rng.randint(-128, 127) for _ in range(n)] for n in (200, 1, 50)]
    for f in frames:
        await src.send(dsg_tb.frame(f, w))
    for snk, name in ((s0, "m0"), (s1, "m1")):
        got = await dsg_tb.recv_frames(snk, len(frames), w, 20000, dut)
        for i, (g, e) in enumerate(zip(got, frames, strict=False)):
            dsg_tb.compare(f"{name} frame {i}", g, e)
    total = sum(map(len, frames))
    await dsg_tb.nothing_extra(dut, c0, total, s0)
    await dsg_tb.nothing_extra(dut, c1, total, s1, idle=1)
