"""Bench for hw/dsg_vecbuf.v: random vectors, each expected REPEAT times as packed words, under
random idle and backpressure, then a "nothing extra arrived" check.  Parameter sets cover packing
(TAPS 1..5, a single output word per vector), replay (REPEAT 1..8), 8- and 16-bit elements.  The
throughput test runs without idle or backpressure and requires the double buffer's rate:
per vector max(WPV input beats, REPEAT*SF output beats), the first vector's fill aside, and the
first word out within a few cycles of its last input word (the first pass chases the writes).
"""

from __future__ import annotations

import cocotb
import dsg_tb
from cocotb.triggers import ClockCycles

TOPLEVEL = "dsg_vecbuf"
SOURCES = ["dsg_vecbuf"]


def _p(SIMD, TAPS, WPV, REPEAT, DATA_W=8):
    return dict(DATA_W=DATA_W, SIMD=SIMD, TAPS=TAPS, WPV=WPV, REPEAT=REPEAT)


CASES = {
    # the KWS first conv at 64 multipliers: C_in = 1, 10x4 window, 5 taps, 8 neuron folds here
    "s1_t5_w40_r8": dict(parameters=_p(1, 5, 40, 8), p_idle=0.3, p_stall=0.3),
    # a depthwise engine's vector: pass-through order, one pass
    "s2_t1_w9_r1": dict(parameters=_p(2, 1, 9, 1), p_idle=0.2, p_stall=0.5),
    # packing faster than the input: input bound
    "s4_t2_w4_r1": dict(parameters=_p(4, 2, 4, 1), p_idle=0.1, p_stall=0.1),
    "s2_t3_w6_r3_16b": dict(parameters=_p(2, 3, 6, 3, DATA_W=16), p_idle=0.4, p_stall=0.4),
    # one output word per vector (SF = 1), with and without packing
    "s1_t4_w4_r2": dict(parameters=_p(1, 4, 4, 2), p_idle=0.3, p_stall=0.6),
    "s3_t1_w1_r4": dict(parameters=_p(3, 1, 1, 4), p_idle=0.5, p_stall=0.2),
}


def prepare(case, test_dir):
    return case


def _expected(vectors, p):
    """Output words: every vector REPEAT times, TAPS input words per word (first one lowest)."""
    ww = p["SIMD"] * p["DATA_W"]
    out = []
    for vec in vectors:
        words = [
            sum(w << (t * ww) for t, w in enumerate(vec[i : i + p["TAPS"]]))
            for i in range(0, p["WPV"], p["TAPS"])
        ]
        out += words * p["REPEAT"]
    return out


async def _run(dut, p_idle, p_stall, n_vectors):
    case = dsg_tb.load_case()
    p = case["parameters"]
    ww = p["SIMD"] * p["DATA_W"]
    rng = dsg_tb.make_rng(case)
    src = dsg_tb.source(dut, "s_axis", ww, rng, p_idle)
    snk = dsg_tb.sink(dut, "m_axis", rng, p_stall)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    cin = dsg_tb.BeatCounter(dut, "s_axis")
    await dsg_tb.start(dut)
    vectors = [[rng.getrandbits(ww) for _ in range(p["WPV"])] for _ in range(n_vectors)]
    for vec in vectors:
        await src.send(dsg_tb.frame(vec, ww))
    exp = _expected(vectors, p)
    got = []
    for _ in exp:  # no tlast: every beat arrives as its own frame
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 200_000, "ns")
        got += [int(v) for v in f.tdata]
    dsg_tb.compare("words", got, exp)
    await dsg_tb.nothing_extra(dut, cnt, len(exp), snk)
    return cin, cnt


@cocotb.test()
async def vecbuf_random_stalls(dut):
    case = dsg_tb.load_case()
    await _run(dut, case["p_idle"], case["p_stall"], 7)


@cocotb.test()
async def vecbuf_throughput(dut):
    p = dsg_tb.load_case()["parameters"]
    n = 6
    cin, cnt = await _run(dut, 0.0, 0.0, n)
    latency = cnt.first - cin.first
    assert latency <= p["TAPS"] + 2, f"first word {latency} cycles after the first input"
    sf = p["WPV"] // p["TAPS"]
    span = cnt.last_cycle - cnt.first + 1
    bound = n * max(p["WPV"], p["REPEAT"] * sf) + p["WPV"] + 4
    dut._log.info("%d words over %d cycles (bound %d)", cnt.beats, span, bound)
    assert span <= bound, f"{span} cycles for {cnt.beats} words > {bound}"
    await ClockCycles(dut.clk, 2)
