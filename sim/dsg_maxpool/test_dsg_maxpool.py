"""Bench for hw/dsg_maxpool.v against dsgen.quant.ops.max_pool."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np
from dsg_tb_stream import run_tensor_bench

from dsgen.quant import ops

TOPLEVEL = "dsg_maxpool"
SOURCES = ["dsg_maxpool", "dsg_sliding_window", "dsg_fifo"]


def _p(C, H, W, KH, KW, S, pads, SIMD):
    pt, pb, pl, pr = pads
    return dict(
        DATA_W=8,
        C=C,
        H=H,
        W=W,
        K_H=KH,
        K_W=KW,
        S_H=S[0],
        S_W=S[1],
        PAD_T=pt,
        PAD_B=pb,
        PAD_L=pl,
        PAD_R=pr,
        SIMD=SIMD,
    )


CASES = {
    "k2_s2_simd2": dict(parameters=_p(4, 6, 6, 2, 2, (2, 2), (0, 0, 0, 0), 2)),
    "k3_s2_pad_asym": dict(parameters=_p(3, 7, 5, 3, 3, (2, 1), (1, 0, 1, 0), 1)),
    # fused ReLU clamp (PoolQ lo/hi); as a global max pool (K = H x W)
    "global_relu": dict(parameters=dict(_p(4, 3, 5, 3, 5, (1, 1), (0, 0, 0, 0), 2), LO=-5, HI=100)),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_maxpool(dut):
    p = dsg_tb.load_case()["parameters"]

    def golden(x):
        y = ops.max_pool(
            x,
            kernel=(p["K_H"], p["K_W"]),
            stride=(p["S_H"], p["S_W"]),
            pads=(p["PAD_T"], p["PAD_L"], p["PAD_B"], p["PAD_R"]),
        )
        return np.clip(y, p.get("LO", -128), p.get("HI", 127))

    await run_tensor_bench(dut, (p["H"], p["W"], p["C"]), golden, p["DATA_W"])
