"""Bench for hw/dsg_avgpool.v against dsgen.quant.ops.avg_pool, plus an exhaustive proof of the
reciprocal division over the module's whole input range."""

from __future__ import annotations

import cocotb
import dsg_tb
from dsg_tb_stream import prove_rdiv, run_tensor_bench

from dsgen.quant import ops

TOPLEVEL = "dsg_avgpool"
SOURCES = ["dsg_avgpool", "dsg_sliding_window", "dsg_fifo", "dsg_rdiv"]


def _p(C, H, W, KH, KW, S, pads, SIMD, inc, DATA_W=8, Z_IN=0, LO=-128, HI=127):
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
        PAD_T=pt,
        PAD_B=pb,
        PAD_L=pl,
        PAD_R=pr,
        SIMD=SIMD,
        COUNT_INCLUDE_PAD=inc,
        Z_IN=Z_IN,
        LO=LO,
        HI=HI,
    )


CASES = {
    "k3_s1_pad1_excl_simd2": dict(
        parameters=_p(4, 5, 5, 3, 3, (1, 1), (1, 1, 1, 1), 2, 0, LO=-100, HI=120)
    ),
    "k2x3_s2_incl_w16": dict(
        parameters=_p(
            3, 6, 7, 2, 3, (2, 2), (0, 1, 1, 0), 3, 1, DATA_W=16, Z_IN=-5, LO=-32768, HI=32767
        )
    ),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_avgpool(dut):
    p = dsg_tb.load_case()["parameters"]
    kk = p["K_H"] * p["K_W"]
    sw = p["DATA_W"] + kk.bit_length() + 1
    prove_rdiv(sw, kk)

    def golden(x):
        return ops.avg_pool(
            x,
            kernel=(p["K_H"], p["K_W"]),
            stride=(p["S_H"], p["S_W"]),
            pads=(p["PAD_T"], p["PAD_L"], p["PAD_B"], p["PAD_R"]),
            count_include_pad=bool(p["COUNT_INCLUDE_PAD"]),
            z_in=p["Z_IN"],
            z_out=p["Z_IN"],
            lo=p["LO"],
            hi=p["HI"],
        )

    await run_tensor_bench(dut, (p["H"], p["W"], p["C"]), golden, p["DATA_W"])
