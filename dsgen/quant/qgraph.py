"""The quantized network: the float IR plus, per layer, the integer parameters of the contract.

Backends read geometry (kernel, stride, pads, groups, shapes) from the float layer and every number
they compute with from its `*Q` record, so all of them see the same integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsgen.ir import graph as ir

RQ = tuple[int, int]

_ROUNDING = {
    "half_away": lambda r: np.where(r >= 0, np.floor(r + 0.5), -np.floor(-r + 0.5)),
    "half_even": np.round,
    "floor": np.floor,
    "ceil": np.ceil,
    "to_zero": np.trunc,
}


def round_float(r: np.ndarray, mode: str) -> np.ndarray:
    """Round float values to integers (still float) in one of QParams' rounding modes."""
    return _ROUNDING[mode](r)  # (q, shift) of one requantization multiplier


@dataclass
class ConvQ:
    """Conv, depthwise, pointwise, grouped conv and dense: the contract's 'Conv … dense' rule."""

    weight: np.ndarray  # int8 values, the float layer's layout
    bias: np.ndarray  # int32 values
    mult: np.ndarray  # q per output channel
    shift: np.ndarray
    z_in: int
    z_out: int
    lo: int
    hi: int
    mult_neg: np.ndarray | None = None  # LeakyReLU
    shift_neg: np.ndarray | None = None
    weight_bits: int = 8
    acc_min: int = 0  # proven bounds of every partial sum (docs/fixed_point.md: accumulator)
    acc_max: int = 0


@dataclass
class PoolQ:
    """Max / average / global pooling; `rq` only for an average that changes scale (QDQ input)."""

    z_in: int
    z_out: int
    lo: int
    hi: int
    rq: RQ | None = None


@dataclass
class AddQ:
    z_a: int
    z_b: int
    z_out: int
    m_a: RQ
    m_b: RQ
    m_out: RQ
    left_shift: int
    lo: int
    hi: int


@dataclass
class ConcatQ:
    rqs: list[RQ | None]
    z_ins: list[int]
    z_out: int
    lo: int
    hi: int


@dataclass
class ActQ:
    """A standalone activation (one that no producer could absorb).  ReLU/ReLU6 are a clamp with
    unchanged scale (`rq is None`); LeakyReLU requantizes x − z_in with m_pos / m_neg."""

    z_in: int
    z_out: int
    lo: int
    hi: int
    rq: RQ | None = None
    rq_neg: RQ | None = None


@dataclass
class MoveQ:
    """Shuffle, flatten and channel slice: no arithmetic."""


@dataclass
class LutQ:
    """A table activation (dsgen.quant.tables): int8 y = table[x + 128]; int16 the 513-entry
    table interpolated between neighbours (tables.interpolate16)."""

    table: np.ndarray  # int64 array: 256 int8 values (bits 8), or 513 17-bit values (bits 16)
    z_in: int
    z_out: int
    lo: int
    hi: int
    bits: int = 8  # the activations' storage bits, which select the scheme


@dataclass
class ChannelScaleQ:
    """Run-time channel scale: y = clamp(z_out + RQ((x − z_x)·(s − z_s), rq), lo, hi)."""

    z_x: int
    z_s: int
    z_out: int
    rq: RQ
    lo: int
    hi: int
    prod_min: int = 0  # proven bounds of the product (x − z_x)·(s − z_s)
    prod_max: int = 0


LayerQ = ConvQ | PoolQ | AddQ | ConcatQ | ActQ | MoveQ | LutQ | ChannelScaleQ


@dataclass
class QGraph:
    graph: ir.Graph
    params: dict[str, LayerQ]  # by layer name
    bits: int  # activation bits: 8 (asymmetric int8) or 16 (symmetric int16)
    int_layers: list[ir.Layer]  # the layers the integer part executes, in order
    int_outputs: list[str]  # one per graph output, in order (a softmax's input: logits)
    softmax_outputs: list[bool]  # per output: the float graph applies a softmax after it
    per_layer: dict[str, dict] = field(default_factory=dict)  # notes for reports (weight bits…)
    collapses: list = field(default_factory=list)  # degenerate.Collapse: layers that collapsed
    notes: list[str] = field(default_factory=list)  # compile notes (a QAT model's scales…)

    @property
    def softmax_after(self) -> bool:
        """Whether the float graph applies a softmax after output 0 (single-output callers)."""
        return bool(self.softmax_outputs and self.softmax_outputs[0])

    def qparams(self, tensor: str) -> ir.QParams:
        q = self.graph.tensors[tensor].quant
        assert q is not None, f"tensor {tensor} has no quantization parameters"
        return q

    @property
    def input_q(self) -> ir.QParams:
        return self.qparams(self.graph.input)

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Float input → integers: round half away from zero (TFLite's Quantize) or as the model's
        input quantizer says (a QAT model), saturate to the stored range."""
        q = self.input_q
        lo, hi = q.int_range()
        if q.rounding == "half_away":
            r = round_float(np.asarray(x, np.float64) / q.scale, q.rounding)
        else:  # a QAT quantizer divides in float32, as its executor (qonnx, onnxruntime) does
            r = round_float(np.asarray(x, np.float32) / np.float32(q.scale), q.rounding)
        return np.clip(r + q.zero_point, lo, hi).astype(np.int64)

    def dequantize(self, tensor: str, y: np.ndarray) -> np.ndarray:
        q = self.qparams(tensor)
        return (np.asarray(y, np.float64) - q.zero_point) * q.scale
