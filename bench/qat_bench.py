"""The keyword spotter at 8-, 4- and 1-bit weights: models trained with quantization in the loop
(../shared/models: Brevitas QONNX and QCDQ exports) next to the MLPerf int8 QDQ model.

    .venv/bin/python bench/qat_bench.py [--only w4a8,w1a8] [--no-mcu] [--no-rtl] [--no-synth]
                                        [--layers]

Per model: the C constants (weights, biases, multipliers) and Cortex-M4 flash/RAM, Cortex-M4
instructions per MAC under qemu, the RTL engine's multipliers and cycles per inference at a
64-multiplier budget (Verilator, bit-exact), yosys `synth_xilinx` DSPs and LUTs, and the top-1
agreement of dsgen's integer reference with the model's own executor (qonnx for QONNX,
onnxruntime for QCDQ and QDQ) on the 171 real clips.  Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsgen.backends.c import compile_c
from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.verify import ort

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "models"
BUDGET = 64

MODELS = [  # (label, file, weight bits of the depthwise/pointwise layers)
    ("MLPerf KWS, int8 QDQ (TFLite PTQ)", "mlperf_kws_dscnn_int8_qdq_nchw.onnx", "8"),
    ("KWS QAT, QONNX", "kws_dscnn_w4a8_qonnx.onnx", "4"),
    ("KWS QAT, QCDQ", "kws_dscnn_w4a8_qcdq.onnx", "4"),
    ("KWS QAT, QONNX binary", "kws_dscnn_w1a8_qonnx.onnx", "1 (±1)"),
    ("KWS QAT, QONNX binary, int8 logits", "kws_dscnn_w1a8_qonnx.onnx", "1 (±1)"),
]
# the same file with its float logits quantized to int8 (--float-output-bits 8): int8 activations
INT8_LOGITS = {"KWS QAT, QONNX binary, int8 logits"}


@dataclass
class Row:
    label: str
    bits: str
    act: str
    const_bytes: int
    flash: int | None = None
    ram: int | None = None
    ipm: float | None = None
    mults: int | None = None
    cycles: int | None = None
    dsp: int | None = None
    lut: int | None = None
    top1: float = 0.0
    exact: bool = True

    def line(self) -> str:
        def f(v, fmt="{:,}"):
            return "–" if v is None else fmt.format(v)

        return (
            f"| {self.label} | {self.bits} | {self.act} | {self.const_bytes:,} | {f(self.flash)} | "
            f"{f(self.ram)} | {f(self.ipm, '{:.2f}')} | {f(self.mults)} | {f(self.cycles)} | "
            f"{f(self.dsp)} | {f(self.lut)} | {self.top1:.3f} | {'yes' if self.exact else 'NO'} |"
        )


HEADER = (
    "| model | weight bits (dw/pw) | activations stored | C constants (bytes) | Cortex-M4 flash "
    "| Cortex-M4 RAM | instructions/MAC | RTL MAC lanes | RTL cycles | DSP | LUT | "
    "top-1 agreement (171 clips) | bit-exact |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"
)


def clips(qg) -> list[np.ndarray]:
    d = np.load(SHARED / "kws_mlperf_mfcc.npz")
    if qg.graph.input_dtype == "int8":
        return [x.astype(np.int64) for x in d["features_int8_nhwc"]]
    return [x.astype(np.float32) for x in d["features_nhwc"]]


def top1(path: Path, qg, xs) -> float:
    """dsgen's integer reference vs the model's executor: argmax of the outputs."""
    sess, g = ort.session(path), qg.graph
    hits = 0
    for x in xs:
        feed = x.transpose(2, 0, 1)[None]
        feed = feed.astype(np.int8) if g.input_dtype == "int8" else feed
        ref = np.asarray(sess.run(None, {g.onnx_input_name: feed})[0]).reshape(-1)
        xi = x if g.input_dtype != "float32" else qg.quantize_input(x)
        y = int_ref.run(qg, xi)[qg.int_outputs[0]].reshape(-1)
        hits += int(np.argmax(ref) == np.argmax(y))
    return hits / len(xs)


def bench(label, fname, bits, tmp: Path, a) -> Row:
    path = SHARED / fname
    int8_logits = label in INT8_LOGITS
    cfg = QuantConfig(float_output_bits=8 if int8_logits else 16)
    tmp = tmp / "int8_logits" if int8_logits else tmp  # the same file as another row
    tmp.mkdir(exist_ok=True)
    qg = quantize(load_ir(path), None, cfg)
    xs = clips(qg)
    s = compile_c(qg, tmp / f"c_{path.stem}", model_sha256="0" * 64, measure=True)
    act = "int16 (8-bit ranges)" if qg.bits == 16 else "int8"
    row = Row(label, bits, act, s.weight_bytes, top1=top1(path, qg, xs))
    if s.footprint is not None:
        row.flash = s.footprint.text + s.footprint.rodata
        row.ram = s.footprint.ram + s.footprint.stack
    x_int = [x if qg.graph.input_dtype != "float32" else qg.quantize_input(x) for x in xs[:3]]
    want = [int_ref.run(qg, x)[qg.int_outputs[0]].reshape(-1) for x in x_int]
    if not a.no_mcu:
        from dsgen.backends.c.mcu import run_on_mcu

        res = run_on_mcu(qg, x_int[:1], tmp / f"m4_{path.stem}", "0" * 64)
        macs = sum(layer["macs"] for layer in res["layers"])
        row.ipm = res["samples"][0]["instructions"] / macs
        if a.layers:  # per layer: instructions per MAC (the packed ones are dsg_conv_lowbit_*)
            for lay in res["layers"]:
                ipm = lay["instructions"] / lay["macs"] if lay["macs"] else float("nan")
                n, m = lay["instructions"], lay["macs"]
                msg = f"  {label}: {lay['call']} ({lay['kind']}) {ipm:.2f} instr/MAC ({n:,}, {m:,})"
                print(msg, file=sys.stderr)
        row.exact &= np.array_equal(res["samples"][0]["out"], want[0])
    if not a.no_rtl:
        from dsgen.backends.rtl.verify import simulate

        work = tmp / f"rtl_{path.stem}"
        work.mkdir()
        run = simulate(qg, x_int, multipliers=BUDGET, work=work, quiet=True)
        # MAC lanes: hard multipliers on 8-bit layers, LUT MACs on <=4-bit ones (the DSP column
        # is what yosys actually mapped)
        row.exact &= run.complete and all(
            np.array_equal(o, w) for o, w in zip(run.outputs, want, strict=True)
        )
        row.mults, row.cycles = run.summary.multipliers, run.cycles
        if not a.no_synth:
            from dsgen.backends.rtl import compile_rtl
            from dsgen.backends.rtl.synth import synth

            out = tmp / f"synth_{path.stem}"
            compile_rtl(qg, out, multipliers=BUDGET)
            rep = synth(out)
            row.dsp, row.lut = rep.dsp, rep.lut
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-mcu", action="store_true")
    ap.add_argument("--no-rtl", action="store_true")
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated parts of model file names")
    ap.add_argument("--layers", action="store_true", help="Cortex-M4 instructions/MAC per layer")
    a = ap.parse_args()
    only = [o for o in a.only.split(",") if o]
    rows = []
    with tempfile.TemporaryDirectory(prefix="qat_bench_") as td:
        for label, fname, bits in MODELS:
            if only and not any(o in fname for o in only):
                continue
            rows.append(bench(label, fname, bits, Path(td), a))
            print(rows[-1].line(), file=sys.stderr, flush=True)
    print(HEADER)
    for r in rows:
        print(r.line())
    return 0 if all(r.exact for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
