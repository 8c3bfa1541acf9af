"""Bench for hw/dsg_shuffle.v against dsgen.quant.ops.channel_shuffle."""

from __future__ import annotations

import cocotb
import dsg_tb
from dsg_tb_stream import run_tensor_bench

from dsgen.quant import ops

TOPLEVEL = "dsg_shuffle"
SOURCES = ["dsg_shuffle"]
CASES = {
    "c12_g3": dict(parameters=dict(DATA_W=8, C=12, G=3), shape=(3, 4, 12)),
    "c8_g4_w16": dict(parameters=dict(DATA_W=16, C=8, G=4), shape=(2, 5, 8)),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_shuffle(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    await run_tensor_bench(
        dut, tuple(case["shape"]), lambda x: ops.channel_shuffle(x, p["G"]), p["DATA_W"]
    )
