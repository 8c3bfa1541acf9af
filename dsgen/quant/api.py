"""Quantizing a model file for the backends and `verify`: options, calibration data, config file."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsgen.errors import DsgenError
from dsgen.inputs import load_inputs, to_ir_layout
from dsgen.ir.graph import Graph
from dsgen.quant.qgraph import QGraph
from dsgen.quant.quantizer import LayerOverride, QuantConfig, quantize

SYNTHETIC_SAMPLES = 32


@dataclass
class QuantOptions:
    bits: int = 8
    weight_bits: int | None = None  # every layer's, over the config file's default (1..8)
    float_output_bits: int | None = None  # a QAT model's float output: int16 (default) or int8
    calib: str | None = None  # .npy, N samples in the model's (NCHW) input layout
    config: str | None = None  # TOML with [quant] defaults and [layers."name"] overrides
    per_tensor: bool = False
    pow2: bool = False
    method: str = "auto"
    seed: int = 0
    strict: bool = False  # a layer whose quantized output range collapses is an error, not a note
    source: str | None = None  # the model file, named in errors


def read_config(path: str, cfg: QuantConfig) -> QuantConfig:
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DsgenError(f"cannot read quantization config: {exc}", path=path) from None
    known = {
        "bits",
        "weight_bits",
        "per_channel",
        "pow2",
        "method",
        "percentile",
        "bias_correction",
        "float_output_bits",
    }
    for k, v in data.get("quant", {}).items():
        if k not in known:
            raise DsgenError(
                f"unknown [quant] key '{k}' (known: {', '.join(sorted(known))})", path=path
            )
        setattr(cfg, k, v)
    for name, over in data.get("layers", {}).items():
        bad = set(over) - {"weight_bits", "per_channel"}
        if bad:
            raise DsgenError(f"layer '{name}': unknown keys {sorted(bad)}", path=path)
        cfg.overrides[name] = LayerOverride(over.get("weight_bits"), over.get("per_channel"))
    return cfg


def calibration_samples(g: Graph, opts: QuantOptions, warn=None) -> np.ndarray | None:
    """Float samples in IR layout, or None for a pre-quantized model."""
    if g.input_dtype != "float32" or g.prequantized:  # QDQ/QAT: the model's own parameters
        return None
    if opts.calib is None:
        (warn or _stderr)(
            f"warning: no --calib data: calibrating on {SYNTHETIC_SAMPLES} synthetic "
            "standard-normal inputs; accuracy on real data will be worse"
        )
        xs = load_inputs(g, None, SYNTHETIC_SAMPLES, seed=opts.seed + 1000)
    else:
        xs = load_inputs(g, opts.calib, None)
    return np.stack([to_ir_layout(g, x) for x in xs]).astype(np.float64)


def _stderr(msg: str) -> None:
    if not _quiet:
        print(msg, file=sys.stderr)


_quiet = False


def set_quiet(q: bool) -> None:
    """--quiet: the synthetic-calibration warning is not printed either."""
    global _quiet
    _quiet = q


def quantize_graph(g: Graph, opts: QuantOptions, warn=None) -> QGraph:
    cfg = QuantConfig(
        bits=opts.bits, per_channel=not opts.per_tensor, pow2=opts.pow2, method=opts.method
    )
    if opts.config:
        cfg = read_config(opts.config, cfg)
    if opts.weight_bits is not None:  # the command line wins over [quant]; [layers] still apply
        cfg.weight_bits = opts.weight_bits
    if opts.float_output_bits is not None:
        cfg.float_output_bits = opts.float_output_bits
    try:
        qg = quantize(g, calibration_samples(g, opts, warn), cfg)
        report_notes(qg, opts.strict)
        for note in qg.notes:
            (warn or _stderr)(f"note: {note}")
    except DsgenError as exc:
        if exc.path is None and opts.source:
            exc.path = opts.source
            exc.args = (exc.format(),)
        raise
    return qg


def report_notes(qg: QGraph, strict: bool) -> None:
    """The quantizer's notes on stderr (silenced by --quiet); under --strict a collapsed layer is
    a one-line error instead (docs/bad_input.md, "Degenerate quantization")."""
    if qg.collapses and strict:
        c = qg.collapses[0]
        more = f" (and {len(qg.collapses) - 1} more finding(s))" if len(qg.collapses) > 1 else ""
        raise DsgenError(
            f"quantization collapses this layer: {c.reason}{more}; refused under --strict",
            node=c.layer,
            op=c.op,
        )
    for c in qg.collapses:
        _stderr(c.note())
    for name, notes in qg.per_layer.items():
        if notes.get("scales_raised"):
            _stderr(
                f"note: layer '{name}': weight scale of {notes['scales_raised']} channel(s) "
                "coarsened so that its accumulators provably fit int32"
            )
