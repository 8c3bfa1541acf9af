"""Bench for hw/dsg_add.v against dsgen.quant.ops.add (three requantizations)."""

from __future__ import annotations

import cocotb
import dsg_tb
from dsg_tb_two import run_two_input_bench

from dsgen.quant import ops
from dsgen.quant.fixedpoint import quantize_multiplier

TOPLEVEL = "dsg_add"
SOURCES = ["dsg_add", "dsg_requant", "dsg_mul"]


def _params(bits, s_a, s_b, s_out, z_a, z_b, z_out, lo, hi):
    L = 20 if bits == 8 else 15
    twice = 2 * max(s_a, s_b)
    ma = quantize_multiplier(s_a / twice)
    mb = quantize_multiplier(s_b / twice)
    mo = quantize_multiplier(twice / ((1 << L) * s_out))
    return dict(
        DATA_W=bits,
        L=L,
        Z_A=z_a,
        Z_B=z_b,
        Z_OUT=z_out,
        QA=ma.q,
        SA=ma.shift,
        QB=mb.q,
        SB=mb.shift,
        QO=mo.q,
        SO=mo.shift,
        LO=lo,
        HI=hi,
    )


CASES = {
    "i8": dict(parameters=_params(8, 0.05, 0.021, 0.06, 3, -7, -2, -2, 127), shape=(3, 4, 5)),
    "i16": dict(
        parameters=_params(16, 0.0004, 0.0011, 0.0013, 0, 0, 0, -32768, 32767), shape=(2, 3, 7)
    ),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_add(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]

    def golden(a, b):
        return ops.add(
            a,
            b,
            z_a=p["Z_A"],
            z_b=p["Z_B"],
            z_out=p["Z_OUT"],
            m_a=(p["QA"], p["SA"]),
            m_b=(p["QB"], p["SB"]),
            m_out=(p["QO"], p["SO"]),
            left_shift=p["L"],
            lo=p["LO"],
            hi=p["HI"],
        )

    shape = tuple(case["shape"])
    await run_two_input_bench(dut, shape, shape, golden, p["DATA_W"])
