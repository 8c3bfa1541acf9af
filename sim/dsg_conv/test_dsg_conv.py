"""Bench for hw/dsg_conv.v (sliding window + MVU + requant) against dsgen.quant.ops.conv2d.

Parameter sets cover 3x3 / 10x4 / 1x1 kernels, strides, dilation, asymmetric pads, grouped and
depthwise (multiplier 2) convs, PE/SIMD/TAPS folding (TAPS window words per multiply word: kernel
taps, channel folds, and both across a fold boundary; input bound with one neuron fold),
LeakyReLU and the 16x8 mode.  ``perf`` cases also measure the multiplier utilization (MAC steps /
cycles) without stalls and require >= 0.9 where compute is the bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import cocotb
import dsg_tb
import numpy as np
from cocotb.triggers import RisingEdge

from dsgen.quant import ops
from dsgen.quant.fixedpoint import quantize_multiplier

TOPLEVEL = "dsg_conv"
SOURCES = [
    "dsg_conv",
    "dsg_sliding_window",
    "dsg_vecbuf",
    "dsg_mvu",
    "dsg_fifo",
    "dsg_requant",
    "dsg_mul",
]


def _p(
    C_IN,
    C_OUT,
    H,
    W,
    KH,
    KW,
    S=(1, 1),
    D=(1, 1),
    pads=(1, 1, 1, 1),
    GROUPS=1,
    DW=0,
    PE=1,
    SIMD=1,
    TAPS=1,
    DATA_W=8,
    LEAKY=0,
):
    pt, pb, pl, pr = pads
    return dict(
        DATA_W=DATA_W,
        C_IN=C_IN,
        C_OUT=C_OUT,
        H=H,
        W=W,
        K_H=KH,
        K_W=KW,
        S_H=S[0],
        S_W=S[1],
        D_H=D[0],
        D_W=D[1],
        PAD_T=pt,
        PAD_B=pb,
        PAD_L=pl,
        PAD_R=pr,
        GROUPS=GROUPS,
        DW=DW,
        PE=PE,
        SIMD=SIMD,
        TAPS=TAPS,
        LEAKY=LEAKY,
    )


CASES = {
    "k3_pe2_simd2_relu": dict(
        parameters=_p(8, 16, 6, 6, 3, 3, PE=2, SIMD=2), act="relu", perf=True
    ),
    "k10x4_s2x1_asym_leaky": dict(
        parameters=_p(2, 4, 12, 6, 10, 4, S=(2, 1), pads=(2, 1, 0, 3), PE=4, SIMD=1, LEAKY=1),
        act="leaky",
    ),
    "dw_k3_s2_m2": dict(
        parameters=_p(4, 8, 7, 7, 3, 3, S=(2, 2), pads=(0, 1, 0, 1), GROUPS=4, DW=1, PE=4, SIMD=2),
        act="relu6",
        perf=True,
    ),
    "pw_16x8": dict(
        parameters=_p(8, 8, 4, 5, 1, 1, pads=(0, 0, 0, 0), PE=4, SIMD=4, DATA_W=16),
        act="none",
        perf=True,
    ),
    "grouped_k3_d2": dict(
        parameters=_p(4, 6, 7, 6, 3, 3, D=(2, 2), pads=(2, 2, 1, 2), GROUPS=2, PE=3, SIMD=2),
        act="none",
    ),
    "dense_16x10": dict(
        parameters=_p(16, 10, 1, 1, 1, 1, pads=(0, 0, 0, 0), PE=2, SIMD=4), act="none"
    ),
    # a KWS-style first conv (C_in = 1, 10x4, stride 2x1) folded over 5 taps: compute bound
    "k10x4_c1_taps5": dict(
        parameters=_p(1, 16, 12, 6, 10, 4, S=(2, 1), pads=(4, 5, 1, 2), TAPS=5),
        act="relu",
        perf=True,
    ),
    # 6 window words per multiply word: taps of two channel folds in one word
    "k3_simd2_taps6_pe3": dict(
        parameters=_p(4, 6, 6, 5, 3, 3, PE=3, SIMD=2, TAPS=6, LEAKY=1), act="leaky"
    ),
    "grouped_taps3": dict(
        parameters=_p(4, 6, 7, 6, 3, 3, D=(2, 2), pads=(2, 2, 1, 2), GROUPS=2, PE=1, TAPS=3),
        act="relu6",
    ),
    # one neuron fold (PE = C_out): packing outruns the window, input bound
    "pw_nf1_simd2_taps2": dict(
        parameters=_p(8, 4, 4, 5, 1, 1, pads=(0, 0, 0, 0), PE=4, SIMD=2, TAPS=2), act="none"
    ),
    "dense_16x10_taps2": dict(
        parameters=_p(16, 10, 1, 1, 1, 1, pads=(0, 0, 0, 0), PE=5, SIMD=4, TAPS=2), act="relu"
    ),
}


def _geometry(p):
    keh = (p["K_H"] - 1) * p["D_H"] + 1
    kew = (p["K_W"] - 1) * p["D_W"] + 1
    oh = (p["H"] + p["PAD_T"] + p["PAD_B"] - keh) // p["S_H"] + 1
    ow = (p["W"] + p["PAD_L"] + p["PAD_R"] - kew) // p["S_W"] + 1
    return oh, ow


def prepare(case, test_dir):
    """Random weights/bias/multipliers for this parameter set -> .memh files + case.json extras."""
    from dsgen.backends.rtl.sim import mvu_memh, write_memh

    p = dict(case["parameters"])
    rng = np.random.default_rng(case.get("seed", 1) * 7919 + len(case["name"]))
    cin, cout, g = p["C_IN"], p["C_OUT"], p["GROUPS"]
    w = rng.integers(-127, 128, size=(cout, p["K_H"], p["K_W"], cin // g))
    if p["DATA_W"] == 16:
        w = rng.integers(-7, 8, size=w.shape)  # keep 16x8 accumulators well inside int32
        z_in, z_out, lo, hi = 0, 0, -32768, 32767
    else:
        z_in, z_out = int(rng.integers(-20, 20)), int(rng.integers(-10, 10))
        lo, hi = -128, 127
    bias = rng.integers(-3000, 3000, size=cout)
    # scale so the outputs spread over the output range
    amp = 128 if p["DATA_W"] == 8 else 32768
    std = amp * 60 * np.sqrt(p["K_H"] * p["K_W"] * cin // g)
    mults = [quantize_multiplier(float(m)) for m in (amp / 3) / std * rng.uniform(0.5, 2, cout)]
    q = [m.q for m in mults]
    shift = [m.shift for m in mults]
    qn = sn = None
    act = case.get("act", "none")
    if act == "relu":
        lo = max(lo, z_out)
    elif act == "relu6":
        lo, hi = max(lo, z_out), min(hi, z_out + 90)
    elif act == "leaky":
        nm = [quantize_multiplier(0.1 * m.real()) for m in mults]
        qn, sn = [m.q for m in nm], [m.shift for m in nm]
    files = mvu_memh(
        w,
        bias,
        q,
        shift,
        qn,
        sn,
        pe=p["PE"],
        simd=p["SIMD"],
        taps=p["TAPS"],
        groups=g,
        dw=bool(p["DW"]),
    )
    for name, (words, width) in files.items():
        write_memh(Path(test_dir) / f"{name}.memh", words, width)
    p.update(
        Z_IN=z_in,
        Z_OUT=z_out,
        LO=lo,
        HI=hi,
        WEIGHT_FILE="weights.memh",
        BIAS_FILE="bias.memh",
        RQ_FILE="rq.memh",
    )
    case = dict(case, parameters=p)
    case["model"] = dict(w=w.tolist(), bias=bias.tolist(), q=q, shift=shift, q_neg=qn, shift_neg=sn)
    return case


def golden(case, x):
    p, m = case["parameters"], case["model"]
    return ops.conv2d(
        x,
        np.array(m["w"]),
        np.array(m["bias"]),
        stride=(p["S_H"], p["S_W"]),
        dilation=(p["D_H"], p["D_W"]),
        pads=(p["PAD_T"], p["PAD_L"], p["PAD_B"], p["PAD_R"]),
        groups=p["GROUPS"],
        z_in=p["Z_IN"],
        z_out=p["Z_OUT"],
        q=m["q"],
        shift=m["shift"],
        lo=p["LO"],
        hi=p["HI"],
        q_neg=m["q_neg"],
        shift_neg=m["shift_neg"],
    )


async def _run(dut, p_idle, p_stall, n_tensors):
    case = dsg_tb.load_case()
    p = case["parameters"]
    w = p["DATA_W"]
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    src = dsg_tb.source(dut, "s_axis", w, rng, p_idle)
    snk = dsg_tb.sink(dut, "m_axis", rng, p_stall)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    xs = [nrng.integers(lo, hi + 1, size=(p["H"], p["W"], p["C_IN"])) for _ in range(n_tensors)]
    steps = {"n": 0, "first": None, "last": None, "cyc": 0}

    async def count_steps():
        while True:
            await RisingEdge(dut.clk)
            steps["cyc"] += 1
            if dut.u_mvu.step.value == 1:
                steps["n"] += 1
                steps["first"] = steps["first"] or steps["cyc"]
                steps["last"] = steps["cyc"]

    cocotb.start_soon(count_steps())
    for x in xs:
        await src.send(dsg_tb.frame(x.reshape(-1), w))
    total = 0
    for t, x in enumerate(xs):
        exp = golden(case, x).reshape(-1)
        total += exp.size
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 2_000_000, "ns")
        got = [dsg_tb.to_signed(v, w) for v in f.tdata]
        dsg_tb.compare(f"tensor {t}", got, exp)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)
    return steps


@cocotb.test()
async def conv_random_stalls(dut):
    await _run(dut, 0.3, 0.3, 2)


@cocotb.test()
async def conv_utilization(dut):
    case = dsg_tb.load_case()
    if not case.get("perf"):
        return
    steps = await _run(dut, 0.0, 0.0, 2)
    span = steps["last"] - steps["first"] + 1
    util = steps["n"] / span
    dut._log.info("MVU steps %d over %d cycles: utilization %.3f", steps["n"], span, util)
    with open("perf.json", "w") as f:
        json.dump(dict(steps=steps["n"], cycles=span, utilization=util), f)
    p = case["parameters"]
    oh, ow = _geometry(p)
    # utilization is only demanded where compute (not the 1-element/cycle streams nor the window's
    # one word per cycle) is the bound
    compute = steps["n"] / 2
    stream = max(p["H"] * p["W"] * p["C_IN"], oh * ow * p["C_OUT"])
    window = oh * ow * p["C_IN"] // p["SIMD"] * p["K_H"] * p["K_W"]
    if compute >= 2 * max(stream, window):
        assert util >= 0.9, f"multiplier utilization {util:.3f} < 0.9"
