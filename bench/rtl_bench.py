"""The RTL backend on the keyword spotter: simulated (Verilator, bit-exact) steady-state cycles per
inference, latency, multipliers, utilization = MACs / (multipliers · cycles), and yosys
``synth_xilinx`` resources (an estimate: not placed or routed), at several multiplier budgets. No
clock: routed Fmax and inferences/s come from bench/fpga_bench.py.

    .venv/bin/python bench/rtl_bench.py [--budgets 16,64,256] [--no-synth] [--no-mlperf]

Prints a markdown table.  The zoo ds_cnn_kws always; the real MLPerf Tiny KWS (float) when
../shared/models is beside the checkout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from dsgen import zoo
from dsgen.backends.rtl import compile_rtl, default_samples
from dsgen.backends.rtl.verify import simulate
from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.api import QuantOptions, quantize_graph

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "models"
REFERENCE = (
    "For context: fpgaConvNet, MLPerf Tiny DS-CNN KWS on a ZedBoard (Zynq-7020): "
    "3,088 inferences/s with 188 DSPs."
)


@dataclass
class Row:
    model: str
    budget: int
    multipliers: int
    cycles: int
    latency: int
    utilization: float
    bit_exact: bool
    lut: int | None = None
    ff: int | None = None
    dsp: int | None = None
    bram: float | None = None

    def line(self) -> str:
        res = (
            f"{self.lut:,} | {self.ff:,} | {self.dsp} | {self.bram:g}"
            if self.lut is not None
            else "– | – | – | –"
        )
        return (
            f"| {self.model} | {self.budget} | {self.multipliers} | {self.cycles:,} | "
            f"{self.latency:,} | {self.utilization:.2f} | {res} | "
            f"{'yes' if self.bit_exact else 'NO'} |"
        )


HEADER = (
    "| model | budget | multipliers | cycles/inference | latency (cycles) | utilization | "
    "LUT | FF | DSP | BRAM36 | bit-exact |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"
)


def bench(name: str, path: Path, budget: int, tmp: Path, do_synth: bool) -> Row:
    qg = quantize_graph(load_ir(path), QuantOptions(), warn=lambda m: None)
    xs = default_samples(qg, 3)
    run = simulate(qg, xs, multipliers=budget, work=tmp, quiet=False)
    out_t = qg.int_outputs[0]
    exact = run.complete and all(
        np.array_equal(o, int_ref.run(qg, x)[out_t].reshape(-1))
        for o, x in zip(run.outputs, xs, strict=True)
    )
    s = run.summary
    row = Row(name, budget, s.multipliers, run.cycles, run.latency_cycles, run.utilization, exact)
    if do_synth:
        from dsgen.backends.rtl.synth import synth

        out = tmp / f"synth_{path.stem}_{budget}"
        compile_rtl(qg, out, multipliers=budget)
        print(f"[rtl_bench] yosys synth_xilinx {name} @ {budget} ...", file=sys.stderr, flush=True)
        rep = synth(out)
        row.lut, row.ff, row.dsp, row.bram = rep.lut, rep.ff, rep.dsp, rep.bram
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budgets", default="16,64,256")
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--no-mlperf", action="store_true")
    a = ap.parse_args()
    budgets = [int(b) for b in a.budgets.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rtl_bench_") as td:
        tmp = Path(td)
        models = [("ds_cnn_kws (zoo)", tmp / "ds_cnn_kws.onnx")]
        onnx.save(zoo.build("ds_cnn_kws"), models[0][1])
        mlperf = SHARED / "mlperf_kws_dscnn_float_nchw.onnx"
        if mlperf.exists() and not a.no_mlperf:
            models.append(("MLPerf Tiny KWS (float)", mlperf))
        for name, path in models:
            for b in budgets:
                rows.append(bench(name, path, b, tmp, not a.no_synth))
                print(rows[-1].line(), file=sys.stderr, flush=True)
    print(HEADER)
    for r in rows:
        print(r.line())
    print(f"\n{REFERENCE}")
    return 0 if all(r.bit_exact for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
