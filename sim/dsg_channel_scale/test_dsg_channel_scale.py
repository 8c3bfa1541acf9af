"""Bench for hw/dsg_channel_scale.v against docs/fixed_point.md's Mul with a broadcast vector:
y = clamp(Z_OUT + RQ((x - Z_X)·(s - Z_S), Q, S), LO, HI), RQ = dsgen.quant.fixedpoint.requantize.

Per case (one (Q, S) per build): the module must take a whole map before its vector exists (the
SE fork would deadlock otherwise), then several tensors back to back with the vectors sent either
as SE produces them (after their map) or as early as the module takes them, full-range maps,
vectors and zero points, random idles and backpressure.  ``perf`` cases (no idles, no stalls)
require the output to run at 1 element/cycle across tensors.
"""

from __future__ import annotations

import random

import cocotb
import dsg_tb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from dsgen.quant.fixedpoint import requantize, saturate

TOPLEVEL = "dsg_channel_scale"
SOURCES = ["dsg_channel_scale", "dsg_requant", "dsg_mul"]


def _p(C, N_PIX, Z_X, Z_S, Z_OUT, Q, S, LO=-128, HI=127, DATA_W=8, S_W=8, SLACK=0):
    geo = dict(DATA_W=DATA_W, S_W=S_W, C=C, N_PIX=N_PIX, SLACK=SLACK)
    return dict(geo, Z_X=Z_X, Z_S=Z_S, Z_OUT=Z_OUT, Q=Q, S=S, LO=LO, HI=HI)


_r = random.Random(14)  # the random multipliers, fixed so every run builds the same models


def _q():
    return _r.randint(1 << 30, (1 << 31) - 1)


CASES = {
    # an SE layer's typical scale: s_x·s_s/s_out with s_s ~ 1/256 (shift around -8)
    "se_typical": dict(parameters=_p(6, 10, -3, -128, 5, _q(), -8), vectors="after"),
    # extreme zero points (x - z_x in [0, 255], s - z_s in [-255, 0]: the full 18-bit product),
    # a clamp cutting the low end
    "zp_extreme": dict(parameters=_p(5, 7, -128, 127, 40, _q(), -9, LO=-30), vectors="early"),
    # a large right shift: outputs within a couple of LSB, decided by RDBPOT's ties on 2^13
    "large_right_shift": dict(parameters=_p(4, 9, 0, 0, 0, _q(), -13), vectors="after", distinct=3),
    # the largest left shift the product admits (65025 << 15 < 2^31): every nonzero product
    # (all <= 0 here) saturates to LO, zero gives Z_OUT
    "large_left_shift": dict(
        parameters=_p(3, 8, 127, -128, 0, (1 << 31) - 1, 15), vectors="after", distinct=2
    ),
    # q = 2^30 exactly (m = 2^-7: a pure rounding shift, a tie in every 128 products), odd sizes
    "q_pow2": dict(parameters=_p(7, 3, 17, -50, -100, 1 << 30, -6), vectors="early"),
    # SLACK slots beyond one map: exactly that much of the next map enters before any vector
    "slack": dict(parameters=_p(5, 6, 9, -128, 3, _q(), -8, SLACK=13), vectors="after"),
    # 16-bit map x 8-bit scale (26-bit product), no idles or stalls: 1 element/cycle
    "w16_s8_perf": dict(
        parameters=_p(4, 9, 0, -128, 0, _q(), -7, LO=-32768, HI=32767, DATA_W=16),
        vectors="early",
        perf=True,
    ),
}


def prepare(case, test_dir):
    return case


def golden(p, x, s):
    prod = (x.astype(np.int64) - p["Z_X"]) * (s.astype(np.int64)[None, :] - p["Z_S"])
    return saturate(p["Z_OUT"] + requantize(prod, p["Q"], p["S"]), p["LO"], p["HI"])


async def _wait_beats(dut, counter, n, cycles, what):
    for _ in range(cycles):
        if counter.beats >= n:
            return
        await RisingEdge(dut.clk)
    raise AssertionError(f"{what}: {counter.beats} of {n} beats after {cycles} cycles")


@cocotb.test()
async def run_channel_scale(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    w, sw, c, npix = p["DATA_W"], p["S_W"], p["C"], p["N_PIX"]
    perf = case.get("perf", False)
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    idle, stall = (0.0, 0.0) if perf else (0.3, 0.3)
    src = dsg_tb.source(dut, "s_axis", w, rng, idle)
    ssrc = dsg_tb.source(dut, "s_scale_axis", sw, rng, idle)
    snk = dsg_tb.sink(dut, "m_axis", rng, stall)
    cin = dsg_tb.BeatCounter(dut, "s_axis")
    cout = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)

    n_t = 4
    xlo, xhi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    slo, shi = -(1 << (sw - 1)), (1 << (sw - 1)) - 1
    xs = [nrng.integers(xlo, xhi + 1, size=(npix, c)) for _ in range(n_t)]
    ss = [nrng.integers(slo, shi + 1, size=c) for _ in range(n_t)]
    xs[0][0, :], xs[0][-1, :] = xlo, xhi
    ss[0][0], ss[0][-1] = slo, shi
    ss[1][:] = p["Z_S"]  # a channel scale of exactly zero

    # 1. the whole first map goes in with no vector anywhere near the module
    await src.send(dsg_tb.frame(xs[0].reshape(-1), w))
    await _wait_beats(dut, cin, npix * c, 40 * npix * c, "map 0 accepted without its vector")
    await ClockCycles(dut.clk, 20)
    assert cout.beats == 0, "output before the scale vector arrived"

    # 1b. SLACK more elements (of the next map) enter, and not one more, still without a vector
    if p["SLACK"]:
        await src.send(dsg_tb.frame(xs[1].reshape(-1), w))
        held = npix * c + p["SLACK"]
        await _wait_beats(dut, cin, held, 40 * held, "the slack filled without a vector")
        await ClockCycles(dut.clk, 40)
        assert cin.beats == held and cout.beats == 0, (cin.beats, cout.beats)

    # 2. the remaining maps queue at once; vectors either after their map (as SE produces them)
    # or as early as the module takes them (two banks: vector k+1 while tensor k drains)
    for x in xs[2 if p["SLACK"] else 1 :]:
        await src.send(dsg_tb.frame(x.reshape(-1), w))

    async def send_vectors():
        for k, s in enumerate(ss):
            if case["vectors"] == "after":
                await _wait_beats(dut, cin, (k + 1) * npix * c, 10**6, f"map {k}")
            await ssrc.send(dsg_tb.frame(s, sw))

    cocotb.start_soon(send_vectors())
    exps = [golden(p, x, s).reshape(-1) for x, s in zip(xs, ss, strict=True)]
    distinct = np.unique(np.concatenate(exps)).size
    assert distinct >= case.get("distinct", 20), f"a degenerate case: {distinct} output values"
    total = 0
    for t, exp in enumerate(exps):
        total += exp.size
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 2_000_000, "ns")
        dsg_tb.compare(f"tensor {t}", [dsg_tb.to_signed(v, w) for v in f.tdata], exp)
    if perf:
        # tensors 1.. stream out back to back: their maps filled the slots tensor 0 freed
        span = cout.last_cycle - cout.first
        assert span <= total + 4, f"{total} outputs took {span} cycles"
    await dsg_tb.nothing_extra(dut, cout, total, snk)
    assert cout.lasts == n_t, f"{cout.lasts} tlasts for {n_t} tensors"
