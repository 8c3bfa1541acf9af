"""Bench for hw/dsg_sliding_window.v: window words, pad flags and order against a numpy im2col."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np

TOPLEVEL = "dsg_sliding_window"
SOURCES = ["dsg_sliding_window", "dsg_fifo"]


def _p(C, H, W, KH, KW, S=(1, 1), D=(1, 1), pads=(1, 1, 1, 1), SIMD=1, DATA_W=8, R=0):
    pt, pb, pl, pr = pads
    return dict(
        DATA_W=DATA_W,
        C=C,
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
        SIMD=SIMD,
        R=R,
    )


CASES = {
    "k3_pad1_simd2": dict(parameters=_p(4, 6, 7, 3, 3, SIMD=2), p_idle=0.3, p_stall=0.3),
    "k10x4_s2x1_asym": dict(
        parameters=_p(2, 12, 6, 10, 4, S=(2, 1), pads=(2, 1, 0, 3)), p_idle=0.2, p_stall=0.4
    ),
    "k3_d2_s2_w16_simd3": dict(
        parameters=_p(3, 7, 7, 3, 3, S=(2, 2), D=(2, 2), pads=(2, 2, 2, 2), SIMD=3, DATA_W=16),
        p_idle=0.4,
        p_stall=0.2,
    ),
    "k1_s2_rowskip": dict(
        parameters=_p(4, 6, 5, 1, 1, S=(2, 2), pads=(0, 0, 0, 0), SIMD=4), p_idle=0.1, p_stall=0.5
    ),
    # one-word tensors back to back: the writer refills a freed row while the reader's last read
    # of it is still in the read pipeline (the RAM write is registered so the read comes first)
    "k1_1x1_pixel": dict(parameters=_p(1, 1, 1, 1, 1, pads=(0, 0, 0, 0)), p_idle=0.0, p_stall=0.0),
}


def prepare(case, test_dir):
    return case


def im2col(x, p, zp):
    H, W, C = x.shape
    keh = (p["K_H"] - 1) * p["D_H"] + 1
    kew = (p["K_W"] - 1) * p["D_W"] + 1
    oh = (H + p["PAD_T"] + p["PAD_B"] - keh) // p["S_H"] + 1
    ow = (W + p["PAD_L"] + p["PAD_R"] - kew) // p["S_W"] + 1
    simd = p["SIMD"]
    words, flags = [], []
    for oy in range(oh):
        for ox in range(ow):
            for cf in range(C // simd):
                for kh in range(p["K_H"]):
                    for kw in range(p["K_W"]):
                        iy = oy * p["S_H"] - p["PAD_T"] + kh * p["D_H"]
                        ix = ox * p["S_W"] - p["PAD_L"] + kw * p["D_W"]
                        if 0 <= iy < H and 0 <= ix < W:
                            words.append(list(x[iy, ix, cf * simd : (cf + 1) * simd]))
                            flags.append(0)
                        else:
                            words.append([zp] * simd)
                            flags.append(1)
    return words, flags


@cocotb.test()
async def run_window(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    w, simd = p["DATA_W"], p["SIMD"]
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    zp = rng.randint(lo, hi)
    dut.pad_value.value = zp & ((1 << w) - 1)
    src = dsg_tb.source(dut, "s_axis", w, rng, case["p_idle"])
    snk = dsg_tb.sink(dut, "m_axis", rng, case["p_stall"])
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)
    xs = [nrng.integers(lo, hi + 1, size=(p["H"], p["W"], p["C"])) for _ in range(3)]
    for x in xs:
        await src.send(dsg_tb.frame(x.reshape(-1), w))
    total = 0
    for t, x in enumerate(xs):
        words, flags = im2col(x, p, zp)
        total += len(words)
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 200000, "ns")
        got = [[dsg_tb.to_signed(v >> (s * w), w) for s in range(simd)] for v in f.tdata]
        flat_g = [e for wd in got for e in wd]
        flat_e = [int(e) for wd in words for e in wd]
        dsg_tb.compare(f"tensor {t} elements", flat_g, flat_e)
        dsg_tb.compare(f"tensor {t} pad flags", [int(u) for u in f.tuser], flags)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)
