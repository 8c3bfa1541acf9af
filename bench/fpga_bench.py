"""Designs placed and routed with the open flow (`dsgen synth --device`): LUT, FF, DSP (MAC vs
other), BRAM, routed Fmax, cycles/inference, inferences/s at the routed Fmax and per DSP.

    .venv/bin/python bench/fpga_bench.py [--designs tiny_dscnn:4,ds_cnn_kws:16,ds_cnn_kws:64]
        [--device ecp5-85k] [--clock-ns 6.667] [--postsynth]

Each design is a zoo model at a multiplier budget, compiled with `dsgen compile --target rtl
--clock-ns`, then synthesized (yosys synth_<family>), placed and routed (nextpnr, seed 1) and
packed; --postsynth also simulates the synthesized netlist bit-exact. Prints a markdown table.
nextpnr is CPU-heavy: the keyword spotter takes tens of minutes per design.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import onnx

from dsgen import zoo
from dsgen.backends.rtl.fpga import FpgaReport, synth_fpga

REFERENCE = (
    "| fpgaConvNet (MLPerf Tiny DS-CNN KWS, published) | Zynq-7020 (xc7z020) | – | – | 188 | – "
    "| 143 (Vivado) | – | 3,087 | 16.4 |"
)
HEADER = (
    "| design | device | LUT | FF | DSP: MAC / other | BRAM | routed Fmax MHz (constraint) "
    "| cycles/inference | inferences/s at Fmax | inferences/s per DSP |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def line(name: str, budget: int, r: FpgaReport) -> str:
    others = sum(r.other_dsp.values())
    verdict = "" if r.meets else ", fails"
    per_dsp = r.inferences_per_s / r.dsp.used if r.dsp.used else 0.0
    return (
        f"| {name} `--multipliers {budget}` | {r.device} | {r.lut.used:,} | {r.ff.used:,} "
        f"| {r.mac_dsp} / {others} | {r.bram.used} | {r.fmax_mhz:.1f} "
        f"({r.constraint_mhz:g}{verdict}) | {r.ii_cycles:,} | {r.inferences_per_s:,.0f} "
        f"| {per_dsp:,.1f} |"
    )


def run(name: str, budget: int, device: str, clock_ns: float, postsynth: bool, tmp: Path):
    model = tmp / f"{name}.onnx"
    onnx.save(zoo.build(name), model)
    out = tmp / f"{name}_{budget}"
    cmd = [sys.executable, "-m", "dsgen.cli", "-q", "compile", str(model), "--target", "rtl"]
    cmd += ["--multipliers", str(budget), "--clock-ns", str(clock_ns), "-o", str(out)]
    subprocess.run(cmd, check=True)
    return synth_fpga(out, device, postsynth=postsynth)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--designs", default="tiny_dscnn:4,ds_cnn_kws:16,ds_cnn_kws:64")
    ap.add_argument("--device", default="ecp5-85k")
    ap.add_argument("--clock-ns", type=float, default=6.667)
    ap.add_argument("--postsynth", action="store_true")
    a = ap.parse_args()
    print(HEADER)
    with tempfile.TemporaryDirectory(prefix="dsgen_fpga_bench_") as tmp:
        for spec in a.designs.split(","):
            name, budget = spec.split(":")
            r = run(name, int(budget), a.device, a.clock_ns, a.postsynth, Path(tmp))
            print(r.describe(), file=sys.stderr, flush=True)  # critical path, DSP sources
            print(line(name, int(budget), r), flush=True)
    print(REFERENCE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
