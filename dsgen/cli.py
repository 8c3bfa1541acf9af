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
    q.add_argument("--calib", help=".npy calibration samples in the model's (NCHW) input layout")
    q.add_argument(
        "--calib-method",
        choices=("auto", "minmax", "percentile"),
        default="auto",
        help="activation ranges: auto = 99.99th percentile at 8 bits, min/max at 16",
    )
    q.add_argument("--per-tensor", action="store_true", help="per-tensor weight scales")
    q.add_argument("--pow2", action="store_true", help="power-of-two scales (pure shifts)")
    q.add_argument("--quant-config", help='TOML: [quant] defaults, [layers."name"] overrides')


def _quant_options(args):
    from dsgen.quant.api import QuantOptions

    return QuantOptions(
        bits=args.bits,
        calib=args.calib,
        config=args.quant_config,
        per_tensor=args.per_tensor,
        pow2=args.pow2,
        method=args.calib_method,
        seed=args.seed,
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
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    _quant_args(p)

    p = sub.add_parser("verify", help="check a target against its reference")
    _model_args(p)
    p.add_argument(
        "--target", default="float", help="float | int | c | mcu | hls | hls-vendor | rtl"
    )
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--inputs", help=".npy inputs in the model's (NCHW) input layout")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--multipliers", type=int, help="hls/rtl: MAC multiplier budget")
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
        help="ecp5-85k | ecp5-45k | ecp5-25k (synthesis, place and route, bitstream); "
        "xilinx-estimate (default: yosys synth_xilinx, LUT/FF/DSP/BRAM estimate, no P&R)",
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

    from dsgen.analysis.cost import cost_report
    from dsgen.analysis.render import print_cost
    from dsgen.compiler import load_ir

    if args.html:
        return _write_html(args)
    rep = cost_report(load_ir(args.model, args.input_shape))
    if args.json:
        print(json.dumps(rep.to_json()))
    else:
        print_cost(rep, Console(width=None if sys.stdout.isatty() else 160))
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

    if args.samples < 1:
        raise DsgenError("--samples must be at least 1")
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
    )
    if args.json:
        print(json.dumps(res.to_json()))
    else:
        d = res.to_json()
        layer_snr = d.pop("layer_snr_db", None)
        print(f"{res.model} on target '{res.target}': {'OK' if res.ok else 'FAILED'}")
        for k, v in d.items():
            if k not in ("model", "target", "ok"):
                print(f"  {k:16s} {v}")
        if layer_snr:
            print("  per-layer SNR (dB) of the integer tensors against the float reference:")
            for name, snr in layer_snr.items():
                print(f"    {snr:8.2f}  {name}")
    return 0 if res.ok else 1


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
        print(f"dsgen: error: {exc.format()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dsgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
