"""Bench for hw/dsg_lut_interp.v: the interpolated table of a 16-bit table activation.

With u = x + 2^(IN_W-1), i = u >> FRAC, f = u & (2^FRAC - 1):
y = clamp(T[i] + (((T[i+1] - T[i]) * f + 2^(FRAC-1)) >> FRAC), LO, HI), the shift a floor.  The
model below is that expression in numpy on a random table of TABLE_W = OUT_W + 1-bit words per
case (neighbours jumping across the whole word range too, so T[i+1] - T[i] reaches
±(2^TABLE_W - 1)), written here rather than imported from dsgen so the bench checks the module
against the contract's text.
"""

from __future__ import annotations

from pathlib import Path

import cocotb
import dsg_tb
import numpy as np
from cocotbext.axi import AxiStreamFrame

TOPLEVEL = "dsg_lut_interp"
SOURCES = ["dsg_lut_interp"]
CASES = {
    # int16, every one of the 65536 codes (in order, then shuffled)
    "i16_l1": dict(parameters=dict(IN_W=16, OUT_W=16, FRAC=7, LANES=1), every=True),
    # a clamp narrower than the type (a fused range), 3 lanes
    "i16_l3_clamp": dict(
        parameters=dict(IN_W=16, OUT_W=16, FRAC=7, LANES=3, LO=-1000, HI=20000), every=False
    ),
    # a narrower geometry: 2^(10-3) + 1 = 129 entries, 8-bit outputs
    "i10_f3_o8_l2": dict(parameters=dict(IN_W=10, OUT_W=8, FRAC=3, LANES=2), every=True),
}


def prepare(case, test_dir):
    from dsgen.backends.rtl.sim import write_memh

    p = dict(case["parameters"])
    rng = np.random.default_rng(case.get("seed", 1) * 104729 + len(case["name"]))
    lo, hi = dsg_tb.signed_range(p["OUT_W"] + 1)  # TABLE_W = OUT_W + 1
    p.setdefault("LO", dsg_tb.signed_range(p["OUT_W"])[0])
    p.setdefault("HI", dsg_tb.signed_range(p["OUT_W"])[1])
    n = (1 << (p["IN_W"] - p["FRAC"])) + 1
    table = rng.integers(lo, hi + 1, size=n)
    table[n // 2 :: 3] //= 8  # some segments inside the output range, most crossing its clamps
    table[:6] = [lo, hi, lo, lo, hi, hi]  # the widest steps both ways, and flat segments
    table[-2:] = [hi, lo]  # the last segment, whose end entry no input code reaches
    write_memh(Path(test_dir) / "lut.memh", table, p["OUT_W"] + 1)
    p["TABLE_FILE"] = "lut.memh"
    return dict(case, parameters=p, table=table.tolist())


def model(table, x, p):
    """The contract's interpolation and clamp, in numpy int64."""
    t, frac = np.asarray(table, np.int64), p["FRAC"]
    u = np.asarray(x, np.int64) + (1 << (p["IN_W"] - 1))
    i, f = u // (1 << frac), u % (1 << frac)
    y = t[i] + np.floor_divide((t[i + 1] - t[i]) * f + (1 << (frac - 1)), 1 << frac)
    return np.clip(y, p["LO"], p["HI"])


@cocotb.test()
async def run_lut_interp(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    in_w, out_w, frac, lanes = p["IN_W"], p["OUT_W"], p["FRAC"], p["LANES"]
    table = case["table"]
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    src = dsg_tb.source(dut, "s_axis", lanes * in_w, rng, 0.3)
    snk = dsg_tb.sink(dut, "m_axis", rng, 0.3)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)

    lo, hi = dsg_tb.signed_range(in_w)
    codes = np.arange(lo, hi + 1)
    # the segment ends and both extremes, random full-range frames (one beat long too), and in
    # the "every" cases every code in order and shuffled
    ends = np.array([lo, lo + 1, hi - 1, hi, -1, 0, 1, (1 << frac) - 1 + lo, (1 << frac) + lo])
    xs = [ends, nrng.integers(lo, hi + 1, size=3000), np.array([hi])]
    if case["every"]:
        xs += [codes, nrng.permutation(codes)]
    xs = [np.resize(x, -(-x.size // lanes) * lanes) for x in xs]  # whole beats
    for x in xs:
        await src.send(AxiStreamFrame(tdata=dsg_tb.pack_lanes(x, lanes, in_w)))
    total = 0
    for t, x in enumerate(xs):
        exp = model(table, x, p).tolist()
        total += x.size // lanes
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 10_000_000, "ns")
        dsg_tb.compare(f"frame {t}", dsg_tb.unpack_lanes(f.tdata, lanes, out_w), exp)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)
