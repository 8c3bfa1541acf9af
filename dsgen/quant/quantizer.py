"""The quantizer: float IR (+ calibration data, or a QDQ model's own parameters) → QGraph."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant import bias_correct, calibrate, degenerate, int_ref, qat
from dsgen.quant.layer_params import WEIGHT_SCALE, layer_params, producer_range
from dsgen.quant.qgraph import QGraph


@dataclass
class LayerOverride:
    weight_bits: int | None = None
    per_channel: bool | None = None


@dataclass
class QuantConfig:
    bits: int = 8  # activations: 8 (asymmetric int8) or 16 (symmetric int16, "16x8")
    weight_bits: int = 8  # 1..8 (1 = binary ±scale per channel), stored at that width in C
    per_channel: bool = True
    pow2: bool = False  # power-of-two scales everywhere (pure shifts)
    # "auto": the 99.995th percentile for 8-bit activations (clipping rare outliers buys
    # resolution),
    # min/max for 16 bits (resolution is plentiful, clipping only hurts); bench/quant_quality.py.
    method: str = "auto"
    percentile: float = 99.995
    # True: empirical (the mean error through the integer network, quant/bias_correct.py);
    # "analytic": the weight-rounding error times the mean input; False: none
    bias_correction: bool | str = True
    overrides: dict[str, LayerOverride] = field(default_factory=dict)
    # A QAT model's float output (logits): 16 = int16 and every activation stored as int16;
    # 8 = int8 at the scale that provably never saturates, the activations stay int8
    # (docs/fixed_point.md, "Models trained with quantization")
    float_output_bits: int = 16

    def check(self) -> None:
        if self.bits not in (8, 16):
            raise DsgenError(f"activation bits must be 8 or 16, not {self.bits}")
        for name, wb in [("default", self.weight_bits)] + [
            (k, o.weight_bits) for k, o in self.overrides.items() if o.weight_bits is not None
        ]:
            if not isinstance(wb, int) or not 1 <= wb <= 8:
                raise DsgenError(f"weight bits of {name} must be 1..8, not {wb}")
        if self.float_output_bits not in (8, 16):
            raise DsgenError(f"float_output_bits must be 8 or 16, not {self.float_output_bits}")
        if self.method == "auto":
            self.method = "percentile" if self.bits == 8 else "minmax"
        if self.method not in ("minmax", "percentile"):
            raise DsgenError(f"unknown calibration method '{self.method}'")


DEAD_RANGE = 1e-30
# 16-bit activations have resolution to spare but no room beyond the calibrated range: inputs a
# little outside what 32 calibration samples showed saturated and dominated the 16x8 error
# (bench/quant_quality.py --split).  A range this many times the calibrated one costs 12 dB of a
# ~90 dB rounding SNR and removes the saturation.
HEADROOM_16 = 4.0


def _pow2_ceil(x: float) -> float:
    return 2.0 ** math.ceil(math.log2(x))


def activation_qparams(lo: float, hi: float, cfg: QuantConfig) -> ir.QParams:
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    # A dead tensor (always 0): any scale is exact.  A tensor that merely spans little keeps its
    # own range: a floor here would quantize it to a constant (its consumers' biases stay within
    # int32 because conv_params coarsens their weight scale where needed).
    if hi - lo < DEAD_RANGE:
        hi = lo + 1e-2
    if cfg.bits == 16 or cfg.pow2:
        qmax = (1 << (cfg.bits - 1)) - 1
        room = HEADROOM_16 if cfg.bits == 16 else 1.0
        scale = room * max(abs(lo), abs(hi), 1e-8) / qmax
        return ir.QParams(_pow2_ceil(scale) if cfg.pow2 else scale, 0, cfg.bits)
    scale = max(hi - lo, 1e-8) / 255.0
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return ir.QParams(scale, zp, 8)


def _quantize_input(g: ir.Graph, x: np.ndarray) -> np.ndarray:
    q = g.tensors[g.input].quant
    lo, hi = -(1 << (q.bits - 1)), (1 << (q.bits - 1)) - 1
    r = np.asarray(x, np.float64) / q.scale
    r = np.where(r >= 0, np.floor(r + 0.5), -np.floor(-r + 0.5))
    return np.clip(r + q.zero_point, lo, hi).astype(np.int64)


def integer_part(g: ir.Graph) -> tuple[list[ir.Layer], list[str], list[bool]]:
    """Layers the integer network runs and the tensors it returns, one per graph output; a
    softmax that only makes a graph output stays in float (docs/fixed_point.md): the integer
    network returns its input (the logits) and the flag for that output says so."""
    final = {
        l.output: l
        for l in g.layers
        if isinstance(l, ir.Softmax) and l.output in g.outputs and not g.consumers(l.output)
    }
    for layer in g.layers:
        if isinstance(layer, ir.Softmax) and layer.output not in final:
            raise DsgenError(
                f"node '{layer.name}': a softmax is supported only as the last layer of a "
                "graph output"
            )
    int_outputs = [final[t].inputs[0] if t in final else t for t in g.outputs]
    _check_distinct_outputs(g, int_outputs)
    layers = [l for l in g.layers if not (isinstance(l, ir.Softmax) and l.output in final)]
    return layers, int_outputs, [t in final for t in g.outputs]


def _check_distinct_outputs(g: ir.Graph, int_outputs: list[str]) -> None:
    """A softmax's logits and its probabilities both graph outputs: the integer network would
    return one tensor for two outputs (the other cases: passes.structure.check_outputs)."""
    names = g.onnx_output_names if len(g.onnx_output_names) == len(g.outputs) else g.outputs
    for i, t in enumerate(int_outputs):
        if t in int_outputs[:i]:
            a, b = (names[k] for k in (int_outputs.index(t), i))
            raise DsgenError(
                f"graph outputs '{a}' and '{b}' are a softmax and its input: keep one of them"
            )


def assign_activation_params(
    g: ir.Graph, layers, stats: calibrate.Stats | None, cfg: QuantConfig
) -> None:
    groups = calibrate.share_groups(layers)
    if stats is None:  # a QDQ model: parameters given; no-arithmetic layers inherit them
        for layer in layers:
            for t in [*layer.inputs, layer.output]:
                if g.tensors[t].quant is None:
                    src = next(
                        (
                            o
                            for o, r in groups.items()
                            if r == groups[t] and g.tensors[o].quant is not None
                        ),
                        None,
                    )
                    if src is None:
                        raise DsgenError(
                            f"tensor '{t}' has no quantization parameters in the QDQ model"
                        )
                    g.tensors[t].quant = g.tensors[src].quant
        return
    span: dict[str, tuple[float, float]] = {}
    for t, root in groups.items():
        lo, hi = stats.ranges[t]
        a, b = span.get(root, (math.inf, -math.inf))
        span[root] = (min(a, lo), max(b, hi))
    for t, root in groups.items():
        g.tensors[t].quant = activation_qparams(*span[root], cfg)


def quantize(g: ir.Graph, calib: np.ndarray | None, cfg: QuantConfig | None = None) -> QGraph:
    """`calib`: float samples in IR layout (N, …), or None for a pre-quantized (QDQ) model."""
    cfg = cfg or QuantConfig()
    cfg.check()
    layers, int_outputs, softmax_outputs = integer_part(g)
    prequantized = g.input_dtype != "float32" or any(t.quant for t in g.tensors.values())
    stats = None
    if not prequantized:
        if calib is None:
            raise DsgenError("calibration data is required to quantize a float model")
        stats = calibrate.collect(g, calib, cfg.method, cfg.percentile)
    elif cfg.bits != 8 and g.tensors[g.input].quant and g.tensors[g.input].quant.bits != cfg.bits:
        raise DsgenError("a pre-quantized model keeps its own activation bits")
    qat_notes = qat.prepare(g, layers, int_outputs, cfg.float_output_bits) if stats is None else []
    assign_activation_params(g, layers, stats, cfg)
    if stats is None and qat.is_qat(g):
        qat_notes.append(qat.scale_note(g, layers))
    bits = g.tensors[g.input].quant.bits
    params, notes = {}, {}
    corr = None
    if stats is not None and cfg.bias_correction is True:
        x_int = [_quantize_input(g, x) for x in calib]
        corr = bias_correct.Corrector(g, layers, x_int, stats)
    for layer in layers:
        try:
            rec, notes[layer.name] = layer_params(g, layer, params, stats, cfg)
        except ValueError as exc:  # a multiplier beyond the contract's range
            raise DsgenError(f"layer '{layer.name}' ({layer.kind}): {exc}") from None
        s_w = notes[layer.name].pop(WEIGHT_SCALE, None)
        if corr is not None:
            if s_w is not None:
                in_range = producer_range(g, layer.inputs[0], params)
                rec = corr.correct(layer, rec, s_w, in_range)
            corr.advance(layer, rec, int_ref.run_layer)
        params[layer.name] = rec
    qg = QGraph(
        graph=g,
        params=params,
        bits=bits,
        int_layers=layers,
        int_outputs=int_outputs,
        softmax_outputs=softmax_outputs,
        per_layer=notes,
        notes=qat_notes,
    )
    qg.collapses = degenerate.find(qg, stats)
    return qg
