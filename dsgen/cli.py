"""The `dsgen` command line."""

from __future__ import annotations

import argparse
import json
import sys

from dsgen import __version__
from dsgen.errors import DsgenError


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1,3,96,96") from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape of positive sizes")
    return dims


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="ONNX model file")
    p.add_argument("--input-shape", type=_shape, help="static input shape, e.g. 1,3,96,96")


def _quant_args(p: argparse.ArgumentParser) -> None:
    q = p.add_argument_group("quantization")
    q.add_argument("--bits", type=int, choices=(8, 16), default=8, help="activation bits")
    q.add_argument(
        "--weight-bits",
        type=int,
        choices=range(1, 9),
        metavar="1..8",
        help="weight bits of every layer (1 = binary ±scale per channel); per layer: "
        'weight_bits in [layers."name"] of --quant-config',
    )
    q.add_argument(
        "--float-output-bits",
        type=int,
        choices=(8, 16),
        help="a QAT model whose output is float: int16 output and int16-stored activations "
        "(default, exact top-1), or int8 output at a scale that never saturates and int8 "
        "activations (faster; coarser logits)",
    )
    q.add_argument("--calib", help=".npy calibration samples in the model's (NCHW) input layout")
    q.add_argument(
        "--calib-method",
        choices=("auto", "minmax", "percentile"),
        default="auto",
        help="activation ranges: auto = 99.995th percentile at 8 bits, min/max at 16",
    )
    q.add_argument("--per-tensor", action="store_true", help="per-tensor weight scales")
    q.add_argument("--pow2", action="store_true", help="power-of-two scales (pure shifts)")
    q.add_argument("--quant-config", help='TOML: [quant] defaults, [layers."name"] overrides')
    q.add_argument(
        "--strict",
        action="store_true",
        help="a layer whose quantized output collapses (e.g. to a constant) is an error",
    )


def _quant_options(args):
    from dsgen.quant.api import QuantOptions

    return QuantOptions(
        bits=args.bits,
        weight_bits=args.weight_bits,
        float_output_bits=args.float_output_bits,
        calib=args.calib,
        config=args.quant_config,
        per_tensor=args.per_tensor,
        pow2=args.pow2,
        method=args.calib_method,
        seed=args.seed,
        strict=args.strict,
        source=args.model,
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="dsgen", description=__doc__)
    ap.add_argument("--version", action="version", version=f"dsgen {__version__}")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars or warnings")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("show", help="print the IR after the passes")
    _model_args(p)

    p = sub.add_parser(
        "report", help="per-layer MACs, parameters, memory; standard-conv comparison"
    )
    _model_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--html", help="write a self-contained HTML report with plots to this file")
    p.add_argument("--multipliers", type=int, default=64, help="--html: folding budget shown")
    p.add_argument(
        "--verify", default="", help="--html: targets to verify and tabulate, e.g. float,int,c"
    )
    p.add_argument(
        "--samples", type=int, default=4, help="--html: samples for SNR and verification"
    )
    p.add_argument(
        "--weight-bits-snr",
        metavar="8,4,2,1",
        help="quantize at each weight width and tabulate every conv/dense layer's own SNR "
        "(samples: the first --samples of --calib, else synthetic) and the weight bytes",
    )
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    _quant_args(p)

    p = sub.add_parser("verify", help="check a target against its reference")
    _model_args(p)
    p.add_argument(
        "--target", default="float", help="float | int | c | mcu | hls | hls-vendor | rtl"
    )
    p.add_argument(
        "--samples",
        type=int,
        help="samples to verify on: default every sample of --inputs, else 8 random ones "
        "(3 on rtl)",
    )
    p.add_argument("--inputs", help=".npy inputs in the model's (NCHW) input layout")
    p.add_argument(
        "--adversarial",
        type=int,
        help="c/mcu/hls/rtl: adversarial inputs over the whole integer input range run after "
        "the others (all-min, all-max, alternating, uniform, then more uniform); default 4, "
        "2 on rtl (alternating, uniform); 0 = none",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--multipliers", type=int, help="hls/rtl: MAC multiplier budget")
    t = p.add_argument_group("--target int thresholds")
    t.add_argument(
        "--min-top1", type=float, default=0.9, help="top-1 agreement with onnxruntime (0.9)"
    )
    t.add_argument(
        "--min-snr-db", type=float, default=10.0, help="output SNR against onnxruntime (10 dB)"
    )
    t.add_argument(
        "--min-layer-snr-per-bit",
        type=float,
        default=2.0,
        help="every layer's own SNR against the float reference must reach this many dB per bit "
        "of the layer (the smaller of its activation and weight bits, at most 12): 2.0 = 16 dB "
        "at 8 bits, 24 dB at 16",
    )
    _quant_args(p)

    p = sub.add_parser("compile", help="generate C, HLS C++ or Verilog")
    _model_args(p)
    p.add_argument("--target", required=True, choices=("c", "hls", "rtl"))
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument(
        "--external-arena",
        action="store_true",
        help="C: the caller passes the activation arena to <name>_run",
    )
    p.add_argument("--multipliers", type=int, help="HLS/RTL: MAC multiplier budget")
    p.add_argument("--part", default="xc7z020clg400-1", help="HLS: FPGA part")
    p.add_argument(
        "--clock-ns",
        type=float,
        default=10.0,
        help="HLS/RTL: clock period (RTL: `dsgen synth` constrains place and route to it)",
    )
    _quant_args(p)

    p = sub.add_parser(
        "synth",
        help="place and route an RTL output tree with the open flow (yosys + nextpnr, --device), "
        "or a yosys synth_xilinx resource estimate (--device xilinx-estimate)",
    )
    p.add_argument("out_dir", help="a `dsgen compile --target rtl` output directory")
    p.add_argument(
        "--device",
        default="xilinx-estimate",
        help="ecp5-85k | ecp5-45k | ecp5-25k | nexus-40 (CrossLink-NX LIFCL-40: synthesis, "
        "place and route, bitstream); xilinx-estimate (default: yosys synth_xilinx, "
        "LUT/FF/DSP/BRAM estimate, no P&R)",
    )
    p.add_argument("--freq", type=float, help="MHz (default: the compile's --clock-ns)")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument(
        "--no-postsynth", action="store_true", help="skip simulating the synthesized netlist"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("zoo", help="bundled example models")
    p.add_argument("name", nargs="?", help="model to write")
    p.add_argument("--list", action="store_true", help="list the models")
    p.add_argument("-o", "--output", help="output .onnx path")
    return ap


def cmd_show(args) -> int:
    from dsgen.compiler import load_ir
    from dsgen.ir.printer import format_graph

    print(format_graph(load_ir(args.model, args.input_shape)))
    return 0


def cmd_report(args) -> int:
    from rich.console import Console

    from dsgen.analysis.render import print_cost
    from dsgen.compiler import load_ir
    from dsgen.ir.cost import cost_report

    if args.html:
        return _write_html(args)
    if args.weight_bits_snr:
        return _weight_bits_report(args)
    if args.strict:  # the cost report needs no quantization; --strict asks for its check
        from dsgen.quant.api import quantize_graph

        quantize_graph(load_ir(args.model, args.input_shape), _quant_options(args))
    rep = cost_report(load_ir(args.model, args.input_shape))
    if args.json:
        print(json.dumps(rep.to_json()))
    else:
        print_cost(rep, Console(width=None if sys.stdout.isatty() else 160))
    return 0


def _weight_bits_report(args) -> int:
    from rich.console import Console

    from dsgen.analysis.render import print_weight_bits
    from dsgen.analysis.weight_bits import parse_widths, weight_bits_table

    widths = parse_widths(args.weight_bits_snr)
    table = weight_bits_table(
        args.model, widths, _quant_options(args), max(args.samples, 1), args.input_shape
    )
    if args.json:
        print(json.dumps(table.to_json()))
    else:
        print_weight_bits(table, Console(width=None if sys.stdout.isatty() else 160))
    return 0


def _write_html(args) -> int:
    from pathlib import Path

    from dsgen.analysis.html_report import HtmlOptions, build_html

    out = Path(args.html)
    if out.is_dir():
        raise DsgenError("the --html path is a directory", path=str(out))
    targets = [t for t in args.verify.split(",") if t]
    html = build_html(
        args.model,
        HtmlOptions(
            multipliers=args.multipliers,
            samples=args.samples,
            verify=targets,
            quant=_quant_options(args),
            input_shape=args.input_shape,
        ),
    )
    try:
        out.write_text(html)
    except OSError as exc:
        raise DsgenError(f"cannot write: {exc.strerror}", path=str(out)) from None
    print(f"wrote {out}")
    return 0


def cmd_verify(args) -> int:
    from dsgen.verify import verify_model
    from dsgen.verify.targets import IntThresholds

    if args.samples is not None and args.samples < 1:
        raise DsgenError("--samples must be at least 1")
    if args.adversarial is not None and args.adversarial < 0:
        raise DsgenError("--adversarial must be at least 0")
    if args.multipliers is not None and args.multipliers < 1:
        raise DsgenError("--multipliers must be at least 1")
    res = verify_model(
        args.model,
        args.target,
        samples=args.samples,
        inputs=args.inputs,
        input_shape=args.input_shape,
        seed=args.seed,
        quant=_quant_options(args),
        multipliers=args.multipliers,
        adversarial=args.adversarial,
        thresholds=IntThresholds(args.min_top1, args.min_snr_db, args.min_layer_snr_per_bit),
    )
    if args.json:
        print(json.dumps(res.to_json()))
    else:
        d = res.to_json()
        _print_verify(res.model, res.target, res.ok, d)
    return 0 if res.ok else 1


def _print_verify(model: str, target: str, ok: bool, d: dict) -> None:
    layer_snr = d.pop("layer_snr_db", None)
    own = d.pop("layer_own_snr_db", None)
    d.pop("layer_clamp_hits", None)  # per layer: in --json
    worst = d.pop("worst_layer", None)
    per_output = d.pop("outputs", None)
    print(f"{model} on target '{target}': {'OK' if ok else 'FAILED'}")
    for k, v in d.items():
        if k not in ("model", "target", "ok"):
            print(f"  {k:22s} {v}")
    for i, o in enumerate(per_output or []):  # a multi-output model: each output
        print(
            f"  output {i} {o['name']!r}: {o['mismatches']} mismatches, max_abs_err "
            f"{o['max_abs_err']:g}, SNR {o['snr_db']} dB, top-1 {o['top1_agreement']}"
        )
    if worst:
        print(
            f"  {'worst_layer':22s} {worst['name']}: {worst['snr_db']:.2f} dB "
            f"(floor {worst['floor_db']:.1f} dB at {worst['bits']} bits)"
        )
    if layer_snr:
        print("  per-layer SNR (dB) against the float reference: the layer on its own, and the")
        print("  integer network up to it")
        for name, snr in layer_snr.items():
            mine = f"{own[name]:8.2f}" if own and name in own else " " * 8
            print(f"    {mine}  {snr:8.2f}  {name}")


def cmd_zoo(args) -> int:
    from pathlib import Path

    from dsgen import zoo

    if args.list or not args.name:
        for name in zoo.names():
            print(f"{name:24s} {zoo.ZOO[name].description}")
        return 0
    if args.name not in zoo.ZOO:
        raise DsgenError(f"unknown zoo model '{args.name}' (dsgen zoo --list)")
    out = Path(args.output or f"{args.name}.onnx")
    if out.is_dir():
        raise DsgenError("output path is a directory", path=str(out))
    model = zoo.build(args.name)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_bytes(model.SerializeToString())
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DsgenError(f"cannot write: {exc.strerror}", path=str(out)) from None
    print(f"wrote {out}")
    return 0


def cmd_compile(args) -> int:
    from dsgen.build import CompileOptions, compile_model

    if args.multipliers is not None and args.multipliers < 1:
        raise DsgenError("--multipliers must be at least 1")
    opts = CompileOptions(
        external_arena=args.external_arena,
        multipliers=args.multipliers,
        part=args.part,
        clock_ns=args.clock_ns,
        quant=_quant_options(args),
        input_shape=args.input_shape,
    )
    summary = compile_model(args.model, args.target, args.output, opts)
    print(summary.describe())
    return 0


def cmd_synth(args) -> int:
    from dsgen import progress

    if args.device != "xilinx-estimate":
        return _synth_fpga(args)
    from dsgen.backends.rtl.synth import synth

    with progress.status("yosys synth_xilinx (estimate)"):
        rep = synth(args.out_dir)
    if args.json:
        d = {"lut": rep.lut, "ff": rep.ff, "dsp": rep.dsp, "bram": rep.bram, "cells": rep.cells}
        print(json.dumps({"estimate": "yosys synth_xilinx, not placed or routed", **d}))
    else:
        print(
            f"Xilinx 7-series estimate (yosys synth_xilinx, not placed or routed): {rep.describe()}"
        )
    return 0


def _synth_fpga(args) -> int:
    from dsgen import progress
    from dsgen.backends.rtl.fpga import synth_fpga

    with progress.status(f"yosys + nextpnr for {args.device} (minutes)"):
        rep = synth_fpga(
            args.out_dir,
            args.device,
            freq_mhz=args.freq,
            seed=args.seed,
            postsynth=not args.no_postsynth,
        )
    print(json.dumps(rep.to_json()) if args.json else rep.describe())
    return 0 if rep.meets else 1


COMMANDS = {
    "synth": cmd_synth,
    "compile": cmd_compile,
    "show": cmd_show,
    "report": cmd_report,
    "verify": cmd_verify,
    "zoo": cmd_zoo,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from dsgen import progress
    from dsgen.quant import api

    progress.set_enabled(not (args.quiet or getattr(args, "json", False)))
    api.set_quiet(args.quiet)
    try:
        return COMMANDS[args.command](args)
    except DsgenError as exc:
        if exc.path is None and getattr(args, "model", None):
            exc.path = args.model  # the one line names the file, wherever the error arose
        print(f"dsgen: error: {exc.format()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dsgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
