"""Bench for hw/dsg_concat.v against dsgen.quant.ops.concat (copy and requantizing inputs)."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np
from dsg_tb_two import run_two_input_bench

from dsgen.quant import ops
from dsgen.quant.fixedpoint import quantize_multiplier

TOPLEVEL = "dsg_concat"
SOURCES = ["dsg_concat", "dsg_requant", "dsg_mul"]

_m = quantize_multiplier(0.37)
CASES = {
    "copy": dict(parameters=dict(DATA_W=8, C_A=3, C_B=5, N_PIX=12, REQUANT=0), hw=(3, 4)),
    # input a requantized (m = 0.37, z_a = 9), input b copied (identity: q = 2^30, shift = 1)
    "rq_a": dict(
        parameters=dict(
            DATA_W=8,
            C_A=4,
            C_B=2,
            N_PIX=6,
            REQUANT=1,
            Z_A=9,
            Z_B=-4,
            Z_OUT=-4,
            QA=_m.q,
            SA=_m.shift,
            QB=1 << 30,
            SB=1,
            LO=-128,
            HI=127,
        ),
        hw=(2, 3),
    ),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_concat(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    h, w = case["hw"]

    def golden(a, b):
        if not p["REQUANT"]:
            return np.concatenate([a, b], axis=-1)
        return ops.concat(
            [a, b],
            rqs=[(p["QA"], p["SA"]), None],
            z_ins=[p["Z_A"], p["Z_B"]],
            z_out=p["Z_OUT"],
            lo=p["LO"],
            hi=p["HI"],
        )

    await run_two_input_bench(dut, (h, w, p["C_A"]), (h, w, p["C_B"]), golden, p["DATA_W"])
