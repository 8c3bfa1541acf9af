"""Bench for hw/dsg_lut.v: y = T[x + 2^(IN_W-1)], random tables, every input code, several lanes.

The model is the table itself (the contract of a table activation once its table is built): the
bench draws a random table per case, writes it as the ROM file and checks every output lane.
"""

from __future__ import annotations

from pathlib import Path

import cocotb
import dsg_tb
import numpy as np
from cocotbext.axi import AxiStreamFrame

TOPLEVEL = "dsg_lut"
SOURCES = ["dsg_lut"]
CASES = {
    "i8_l1": dict(parameters=dict(IN_W=8, OUT_W=8, LANES=1)),
    "i8_l3": dict(parameters=dict(IN_W=8, OUT_W=8, LANES=3)),
    "i8_o16_l2": dict(parameters=dict(IN_W=8, OUT_W=16, LANES=2)),
}


def prepare(case, test_dir):
    from dsgen.backends.rtl.sim import write_memh

    p = dict(case["parameters"])
    rng = np.random.default_rng(case.get("seed", 1) * 104729 + len(case["name"]))
    lo, hi = dsg_tb.signed_range(p["OUT_W"])
    table = rng.integers(lo, hi + 1, size=1 << p["IN_W"])
    table[0], table[-1] = lo, hi  # both output extremes appear
    write_memh(Path(test_dir) / "lut.memh", table, p["OUT_W"])
    p["TABLE_FILE"] = "lut.memh"
    return dict(case, parameters=p, table=table.tolist())


@cocotb.test()
async def run_lut(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    in_w, out_w, lanes = p["IN_W"], p["OUT_W"], p["LANES"]
    table = case["table"]
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    src = dsg_tb.source(dut, "s_axis", lanes * in_w, rng, 0.3)
    snk = dsg_tb.sink(dut, "m_axis", rng, 0.3)
    cnt = dsg_tb.BeatCounter(dut, "m_axis")
    await dsg_tb.start(dut)

    lo, hi = dsg_tb.signed_range(in_w)
    n = 1 << in_w
    codes = np.arange(lo, hi + 1)
    # every code in order, every code shuffled, random full-range frames (one beat long too)
    xs = [codes, nrng.permutation(codes), nrng.integers(lo, hi + 1, size=5 * n), np.array([lo])]
    xs = [np.resize(x, -(-x.size // lanes) * lanes) for x in xs]  # whole beats
    for x in xs:
        await src.send(AxiStreamFrame(tdata=dsg_tb.pack_lanes(x, lanes, in_w)))
    total = 0
    for t, x in enumerate(xs):
        exp = [table[int(v) + n // 2] for v in x]
        total += x.size // lanes
        f = await cocotb.triggers.with_timeout(snk.recv(compact=False), 1_000_000, "ns")
        dsg_tb.compare(f"frame {t}", dsg_tb.unpack_lanes(f.tdata, lanes, out_w), exp)
    await dsg_tb.nothing_extra(dut, cnt, total, snk)
