"""Bench for hw/dsg_requant.v against dsgen.quant.fixedpoint.requantize (edge cases + random)."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np
from cocotb.triggers import RisingEdge

from dsgen.quant.fixedpoint import INT32_MAX, INT32_MIN, requantize, saturate

TOPLEVEL = "dsg_requant"
SOURCES = ["dsg_requant", "dsg_mul"]
CASES = {
    "o8_leaky": dict(parameters=dict(OUT_W=8, LEAKY=1, USER_W=4), n_random=3000),
    "o32": dict(parameters=dict(OUT_W=32, LEAKY=0, USER_W=1), n_random=3000),
    # the Booth multiply in fabric (17 cycles a beat): fewer random vectors, same edge cases
    "o8_leaky_serial": dict(parameters=dict(OUT_W=8, LEAKY=1, USER_W=4, SERIAL=1), n_random=1000),
    "o32_serial": dict(parameters=dict(OUT_W=32, LEAKY=0, USER_W=1, SERIAL=1), n_random=1000),
}


def prepare(case: dict, test_dir) -> dict:
    return case


def vectors(rng, n_random, out_w, leaky):
    """(acc, q, shift, qn, shiftn, zp, lo, hi) tuples: edge cases first, then random."""
    lo_t, hi_t = -(1 << (out_w - 1)), (1 << (out_w - 1)) - 1
    accs = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, INT32_MAX - 1, 1 << 30, -(1 << 30)]
    qs = [0, 1 << 30, (1 << 31) - 1, (1 << 30) + 1, 1518500250, INT32_MIN]
    vec = []
    for acc in accs:
        for q in qs:
            for shift in (-31, -30, -17, -1, 0, 1, 2, 30):
                if q == INT32_MIN and shift > 0:
                    continue
                vec.append((acc, q, shift))
    # exact ties of the RDBPOT rounding and the SRDHM nudge
    for right in (1, 2, 5, 13, 31):
        for base in (-3, -2, -1, 0, 1, 2, 3):
            vec.append(((base << right) + (1 << (right - 1)), 1 << 30, -right))
            vec.append(((base << right) - (1 << (right - 1)), 1 << 30, -right))
    for _ in range(n_random):
        shift = rng.randint(-31, 30)
        kind = rng.random()
        if kind < 0.3:
            acc = rng.randint(-(1 << 20), 1 << 20)
        elif kind < 0.5:
            acc = rng.randint(-300, 300)
        else:
            acc = rng.randint(INT32_MIN, INT32_MAX)
        left = max(shift, 0)
        lim = (1 << (31 - left)) - 1
        acc = max(-lim - 1, min(lim, acc))  # the contract: acc << left fits int32
        q = rng.choice([rng.randint(1 << 30, (1 << 31) - 1), 1 << 30, 0, (1 << 31) - 1])
        vec.append((acc, q, shift))
    out = []
    for acc, q, shift in vec:
        left = max(shift, 0)
        if not (INT32_MIN <= acc * (1 << left) <= INT32_MAX):
            continue
        qn = rng.randint(1 << 30, (1 << 31) - 1) if leaky else q
        sn = rng.randint(-31, 0) if leaky else shift
        zp = rng.randint(lo_t, hi_t) if out_w <= 16 else rng.randint(-100, 100)
        if rng.random() < 0.7:
            lo, hi = lo_t, hi_t
        else:
            lo = rng.randint(lo_t, 0)
            hi = rng.randint(lo, hi_t)
        out.append((acc, q, shift, qn, sn, zp, lo, hi))
    return out


def expected(v, leaky):
    acc, q, shift, qn, sn, zp, lo, hi = v
    if leaky and acc < 0:
        q, shift = qn, sn
    y = requantize(np.int64(acc), q, shift)
    return int(saturate(zp + int(y), lo, hi))


@cocotb.test()
async def run_requant(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    out_w, leaky, user_w = p["OUT_W"], p["LEAKY"], p["USER_W"]
    rng = dsg_tb.make_rng(case)
    vecs = vectors(rng, case["n_random"], out_w, leaky)
    exp = [expected(v, leaky) for v in vecs]

    dut.s_axis_tvalid.value = 0
    dut.s_axis_tlast.value = 0
    dut.s_axis_tuser.value = 0
    for s in ("s_axis_tdata", "s_axis_q", "s_axis_shift", "s_axis_q_neg", "s_axis_shift_neg"):
        getattr(dut, s).value = 0
    dut.zp.value = 0
    dut.lo.value = 0
    dut.hi.value = 0
    snk = dsg_tb.sink(dut, "m_axis", rng, 0.3)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)

    # The per-beat zp/lo/hi are ports sampled with the beat, so drive them with the data.
    m = lambda v, w: int(v) & ((1 << w) - 1)  # noqa: E731
    n_frames = 2
    bounds = [len(vecs) // 2, len(vecs)]
    i = 0
    valid = False
    while i < len(vecs):
        await RisingEdge(dut.clk)
        if valid and dut.s_axis_tready.value == 1:
            i += 1
            valid = False
        if not valid:
            if i < len(vecs) and rng.random() > 0.3:
                acc, q, shift, qn, sn, zp, lo, hi = vecs[i]
                dut.s_axis_tdata.value = m(acc, 32)
                dut.s_axis_q.value = m(q, 32)
                dut.s_axis_shift.value = m(shift, 8)
                dut.s_axis_q_neg.value = m(qn, 32)
                dut.s_axis_shift_neg.value = m(sn, 8)
                dut.s_axis_tuser.value = i % (1 << user_w)
                dut.zp.value = m(zp, out_w)
                dut.lo.value = m(lo, out_w)
                dut.hi.value = m(hi, out_w)
                dut.s_axis_tlast.value = int(i + 1 in bounds)
                dut.s_axis_tvalid.value = 1
                valid = True
            else:
                dut.s_axis_tvalid.value = 0
    dut.s_axis_tvalid.value = 0
    frames = []
    for _ in range(n_frames):
        f = await snk.recv(compact=False)
        frames.append(f)
    got = [dsg_tb.to_signed(v, out_w) for f in frames for v in f.tdata]
    users = [u for f in frames for u in f.tuser]
    dsg_tb.compare("requant", got, exp)
    assert [int(u) for u in users] == [k % (1 << user_w) for k in range(len(vecs))], "tuser"
    await dsg_tb.nothing_extra(dut, cnt, len(vecs), snk)
