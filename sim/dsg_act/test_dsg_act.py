"""Bench for hw/dsg_act.v against dsgen.quant.int_ref.act (clamp and LeakyReLU requant variants)."""

from __future__ import annotations

import cocotb
import dsg_tb
from dsg_tb_stream import run_tensor_bench

from dsgen.quant.int_ref import act
from dsgen.quant.qgraph import ActQ

TOPLEVEL = "dsg_act"
SOURCES = ["dsg_act", "dsg_requant", "dsg_mul"]
CASES = {
    "relu_clamp": dict(parameters=dict(DATA_W=8, RQ=0, LO=-13, HI=127)),
    "relu6_w16": dict(parameters=dict(DATA_W=16, RQ=0, LO=0, HI=6000)),
    "leaky": dict(
        parameters=dict(
            DATA_W=8,
            RQ=1,
            Z_IN=-9,
            Z_OUT=4,
            Q=1518500250,
            S=-1,
            Q_NEG=1288490189,
            S_NEG=-4,
            LO=-128,
            HI=120,
        )
    ),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_act(dut):
    p = dsg_tb.load_case()["parameters"]
    rq = (p["Q"], p["S"]) if p["RQ"] else None
    rq_neg = (p["Q_NEG"], p["S_NEG"]) if p["RQ"] else None
    q = ActQ(
        z_in=p.get("Z_IN", 0), z_out=p.get("Z_OUT", 0), lo=p["LO"], hi=p["HI"], rq=rq, rq_neg=rq_neg
    )
    await run_tensor_bench(dut, (3, 4, 5), lambda x: act(q, x), p["DATA_W"])
