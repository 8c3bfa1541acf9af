"""Bench for hw/dsg_global_avgpool.v against dsgen.quant.ops.global_avg_pool (+ rdiv proof)."""

from __future__ import annotations

import cocotb
import dsg_tb
from dsg_tb_stream import prove_rdiv, run_tensor_bench

from dsgen.quant import ops

TOPLEVEL = "dsg_global_avgpool"
SOURCES = ["dsg_global_avgpool", "dsg_rdiv", "dsg_requant", "dsg_mul"]
CASES = {
    "c8_4x4_clamp": dict(parameters=dict(DATA_W=8, C=8, H=4, W=4, LO=-90, HI=127)),
    "c1_3x5_w16": dict(parameters=dict(DATA_W=16, C=1, H=3, W=5, LO=-32768, HI=32767)),
    # own output scale (PoolQ.rq): z_out + RQ(sum - n*z_in), as dsgen's quantizer now emits
    "c6_5x5_rq": dict(
        parameters=dict(
            DATA_W=8, C=6, H=5, W=5, LO=-128, HI=127, RQ=1, Z_IN=-7, Z_OUT=3, Q=1348579846, S=-4
        )
    ),
    # the same with the requantizer multiplying in fabric (17 cycles a channel)
    "c6_5x5_rq_serial": dict(
        parameters=dict(
            DATA_W=8,
            C=6,
            H=5,
            W=5,
            LO=-128,
            HI=127,
            RQ=1,
            Z_IN=-7,
            Z_OUT=3,
            Q=1348579846,
            S=-4,
            RQ_SERIAL=1,
        )
    ),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_gap(dut):
    p = dsg_tb.load_case()["parameters"]
    npix = p["H"] * p["W"]
    rq = (p["Q"], p["S"]) if p.get("RQ") else None
    if rq is None:
        prove_rdiv(p["DATA_W"] + npix.bit_length() + 1, npix, ns=[npix])

    def golden(x):
        return ops.global_avg_pool(
            x, z_in=p.get("Z_IN", 0), z_out=p.get("Z_OUT", 0), lo=p["LO"], hi=p["HI"], rq=rq
        )

    await run_tensor_bench(dut, (p["H"], p["W"], p["C"]), golden, p["DATA_W"])
