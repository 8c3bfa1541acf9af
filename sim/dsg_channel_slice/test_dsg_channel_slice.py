"""Bench for hw/dsg_channel_slice.v: each output gets its channel range of every pixel, in order,
with one tlast per tensor, under independent (and very uneven) backpressure on the two outputs."""

from __future__ import annotations

import cocotb
import dsg_tb
import numpy as np

TOPLEVEL = "dsg_channel_slice"
SOURCES = ["dsg_channel_slice"]


def _p(C, N_PIX, START0, COUNT0, START1, COUNT1, DATA_W=8):
    return dict(
        DATA_W=DATA_W, C=C, N_PIX=N_PIX, START0=START0, COUNT0=COUNT0, START1=START1, COUNT1=COUNT1
    )


CASES = {
    # ShuffleNetV2's split: two halves
    "halves": dict(parameters=_p(8, 6, 0, 4, 4, 4), stall=(0.2, 0.8)),
    # general ranges: overlapping, channel 0 and the last one dropped, odd sizes
    "overlap_drop": dict(parameters=_p(7, 5, 1, 3, 2, 4), stall=(0.7, 0.1)),
    # a single Slice: output 1 unused; 16-bit elements, one channel out of C
    "single_w16": dict(parameters=_p(5, 9, 3, 1, 0, 0, DATA_W=16), stall=(0.5, 0.0)),
}


def prepare(case, test_dir):
    return case


@cocotb.test()
async def run_channel_slice(dut):
    case = dsg_tb.load_case()
    p = case["parameters"]
    w, c, npix = p["DATA_W"], p["C"], p["N_PIX"]
    rng = dsg_tb.make_rng(case)
    nrng = np.random.default_rng(rng.randint(0, 1 << 30))
    src = dsg_tb.source(dut, "s_axis", w, rng, 0.3)
    sinks = [dsg_tb.sink(dut, f"m{k}_axis", rng, case["stall"][k]) for k in (0, 1)]
    counters = [dsg_tb.BeatCounter(dut, f"m{k}_axis") for k in (0, 1)]
    await dsg_tb.start(dut)

    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    xs = [nrng.integers(lo, hi + 1, size=(npix, c)) for _ in range(4)]
    xs[0][0, :] = lo
    xs[0][-1, :] = hi
    for x in xs:
        await src.send(dsg_tb.frame(x.reshape(-1), w))
    ranges = [(p["START0"], p["COUNT0"]), (p["START1"], p["COUNT1"])]
    for k, (start, count) in enumerate(ranges):
        if count == 0:
            continue
        got = await dsg_tb.recv_frames(sinks[k], len(xs), w, 200_000, dut)
        for t, (g, x) in enumerate(zip(got, xs, strict=True)):
            dsg_tb.compare(f"m{k} tensor {t}", g, x[:, start : start + count].reshape(-1))
    for k, (_, count) in enumerate(ranges):
        await dsg_tb.nothing_extra(dut, counters[k], len(xs) * npix * count, sinks[k], idle=100)
        assert counters[k].lasts == (len(xs) if count else 0), f"m{k}: {counters[k].lasts} tlasts"
