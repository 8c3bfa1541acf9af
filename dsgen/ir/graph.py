"""IR data types.

Activations are NHWC with the batch dimension dropped: a spatial tensor has shape (H, W, C), a flat
one (N,).  Conv weights are [C_out][kh][kw][C_in/groups] (the layout every dsgen kernel
reads), dense weights [out][in].  Layers appear in topological order; each makes one tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = [
    "ActKind",
    "Activation",
    "QParams",
    "TensorInfo",
    "Layer",
    "Conv",
    "Dense",
    "Pool",
    "GlobalPool",
    "Add",
    "Concat",
    "Shuffle",
    "Softmax",
    "Flatten",
    "Affine",
    "Act",
    "Pad",
    "Identity",
    "ShuffleSplit",
    "ShuffleSwap",
    "ShuffleMerge",
    "Lut",
    "ChannelScale",
    "ChannelSlice",
    "Mul",
    "TABLE_KINDS",
    "Graph",
    "NONE",
]


class ActKind(StrEnum):
    NONE = "none"
    RELU = "relu"
    CLIP = "clip"  # ReLU6 is clip(0, 6)
    LEAKY = "leaky"
    # Smooth or piecewise-linear functions that the integer network evaluates as a lookup table
    # (docs/fixed_point.md, "Table activations"); they never fuse into a conv's requantization.
    HARDSWISH = "hardswish"  # x · clip(alpha·x + beta, 0, 1)
    HARDSIGMOID = "hardsigmoid"  # clip(alpha·x + beta, 0, 1)
    SIGMOID = "sigmoid"
    SILU = "silu"  # x · sigmoid(x)
    TANH = "tanh"


TABLE_KINDS = frozenset(
    {ActKind.HARDSWISH, ActKind.HARDSIGMOID, ActKind.SIGMOID, ActKind.SILU, ActKind.TANH}
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    e = np.exp(-np.abs(x))  # no overflow for large |x|
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class Activation:
    """An element-wise function.  For the table kinds `alpha`/`beta` are the hard-sigmoid's slope
    and offset, and `gain`/`offset` a per-tensor y·gain + offset folded in after the function
    (the `/ 6` of a decomposed HardSwish)."""

    kind: ActKind = ActKind.NONE
    lo: float = -math.inf
    hi: float = math.inf
    alpha: float = 0.0
    beta: float = 0.0
    gain: float = 1.0
    offset: float = 0.0

    @property
    def is_table(self) -> bool:
        return self.kind in TABLE_KINDS

    def label(self) -> str:
        if self.kind is ActKind.CLIP:
            return "relu6" if (self.lo, self.hi) == (0.0, 6.0) else f"clip({self.lo:g},{self.hi:g})"
        if self.kind is ActKind.LEAKY:
            return f"leaky({self.alpha:g})"
        text = str(self.kind)
        if self.kind in (ActKind.HARDSWISH, ActKind.HARDSIGMOID) and (self.alpha, self.beta) != (
            1 / 6,
            0.5,
        ):
            text += f"({self.alpha:g},{self.beta:g})"
        if (self.gain, self.offset) != (1.0, 0.0):
            text += f"*{self.gain:g}+{self.offset:g}"
        return text

    def apply(self, x: np.ndarray) -> np.ndarray:
        if self.kind is ActKind.RELU:
            return np.maximum(x, 0)
        if self.kind is ActKind.CLIP:
            return np.clip(x, self.lo, self.hi)
        if self.kind is ActKind.LEAKY:
            return np.where(x >= 0, x, x * np.float32(self.alpha))
        if self.is_table:
            return self._table_fn(np.asarray(x, np.float64)) * self.gain + self.offset
        return x

    def _table_fn(self, x: np.ndarray) -> np.ndarray:
        if self.kind is ActKind.HARDSIGMOID:
            return np.clip(self.alpha * x + self.beta, 0.0, 1.0)
        if self.kind is ActKind.HARDSWISH:
            return x * np.clip(self.alpha * x + self.beta, 0.0, 1.0)
        if self.kind is ActKind.SIGMOID:
            return _sigmoid(x)
        if self.kind is ActKind.SILU:
            return x * _sigmoid(x)
        return np.tanh(x)


NONE = Activation()


@dataclass(frozen=True)
class QParams:
    """real = scale · (q − zero_point); per-tensor for activations.

    `qmin`/`qmax` narrow the stored integers below the type's range (a QAT model's sub-8-bit or
    narrow quantizer); `rounding` is how a float becomes q where the model says so (the input):
    "half_away" (TFLite, dsgen's own), or a QONNX mode ("half_even", "floor", "ceil", "to_zero")."""

    scale: float
    zero_point: int
    bits: int = 8
    qmin: int | None = None
    qmax: int | None = None
    rounding: str = "half_away"

    def int_range(self) -> tuple[int, int]:
        lo, hi = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return (
            lo if self.qmin is None else max(lo, self.qmin),
            hi if self.qmax is None else min(hi, self.qmax),
        )


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    quant: QParams | None = None  # from a QDQ model or from dsgen's quantizer

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass
class Layer:
    name: str
    inputs: list[str]
    output: str

    @property
    def kind(self) -> str:
        return type(self).KIND  # type: ignore[attr-defined]


@dataclass
class WeightQuant:
    """Integer weights given by a pre-quantized (QDQ) model."""

    q: np.ndarray  # int8, same layout as the float weight
    scale: np.ndarray  # per output channel
    bias_q: np.ndarray | None = None  # int32 if the model quantized the bias
    shift: int = 0  # q holds the model's integers times 2^shift (dsgen.quant.qat)


@dataclass
class Conv(Layer):
    weight: np.ndarray  # float32 [C_out][kh][kw][C_in/groups]
    bias: np.ndarray  # float32 [C_out]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    groups: int = 1
    act: Activation = NONE
    wquant: WeightQuant | None = None

    @property
    def kernel(self) -> tuple[int, int]:
        return self.weight.shape[1], self.weight.shape[2]

    @property
    def c_out(self) -> int:
        return self.weight.shape[0]

    @property
    def c_in(self) -> int:
        return self.weight.shape[3] * self.groups

    @property
    def kind(self) -> str:
        if self.groups == 1:
            return "pointwise_conv" if self.kernel == (1, 1) else "conv"
        if self.groups == self.c_in and self.weight.shape[3] == 1:
            return "depthwise_conv"
        return "grouped_conv"


@dataclass
class Dense(Layer):
    KIND = "dense"
    weight: np.ndarray  # float32 [out][in], `in` in NHWC flatten order
    bias: np.ndarray
    act: Activation = NONE
    wquant: WeightQuant | None = None


@dataclass
class Pool(Layer):
    KIND = "pool"
    mode: str  # "max" | "avg"
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    count_include_pad: bool = False
    act: Activation = NONE


@dataclass
class GlobalPool(Layer):
    KIND = "global_pool"
    mode: str = "avg"
    act: Activation = NONE


@dataclass
class Add(Layer):
    KIND = "add"
    act: Activation = NONE


@dataclass
class Concat(Layer):
    KIND = "concat"
    act: Activation = NONE


@dataclass
class Shuffle(Layer):
    KIND = "shuffle"
    groups: int = 1


@dataclass
class Softmax(Layer):
    KIND = "softmax"


@dataclass
class Flatten(Layer):
    KIND = "flatten"


# --- kinds that exist only before the passes have run -------------------------------------------


@dataclass
class Affine(Layer):
    """Per-channel y = x·mul + add: a BatchNormalization, or tf2onnx's unfolded Mul/Add."""

    KIND = "affine"
    mul: np.ndarray
    add: np.ndarray
    add_q: np.ndarray | None = None  # int32 data when a QDQ model gave the addend quantized


@dataclass
class Act(Layer):
    KIND = "act"
    act: Activation = NONE


@dataclass
class Pad(Layer):
    KIND = "pad"
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    value: float = 0.0


@dataclass
class Identity(Layer):
    KIND = "identity"


@dataclass
class ShuffleSplit(Layer):
    """Reshape [1,C,H,W] → [1,g,C/g,H,W]: first third of the exported channel-shuffle pattern."""

    KIND = "shuffle_split"
    groups: int = 1


@dataclass
class ShuffleSwap(Layer):
    KIND = "shuffle_swap"
    groups: int = 1


@dataclass
class ShuffleMerge(Layer):
    KIND = "shuffle_merge"
    groups: int = 1


@dataclass
class Mul(Layer):
    """Product of two activations of one shape; the passes turn x·sigmoid(x), x·hardsigmoid(x)
    and x·relu6(x + 3) into table activations and refuse any other."""

    KIND = "mul"


# --- kinds added for MobileNetV3 / EfficientNet / ShuffleNetV2 ---------------------------------


@dataclass
class Lut(Layer):
    """A table activation (ActKind in TABLE_KINDS): int8 y = T[x + 128]; int16 an interpolated
    table (docs/fixed_point.md)."""

    KIND = "lut"
    act: Activation = NONE


@dataclass
class ChannelScale(Layer):
    """inputs [x (H,W,C), s (1,1,C)]: y[h,w,c] = x[h,w,c] · s[c], s computed at run time
    (squeeze-and-excitation)."""

    KIND = "channel_scale"


@dataclass
class ChannelSlice(Layer):
    """Channels [start, stop) of the input (Split / Slice along channels): a copy."""

    KIND = "channel_slice"
    start: int = 0
    stop: int = 0


FINAL_KINDS = frozenset(
    {
        "conv",
        "pointwise_conv",
        "depthwise_conv",
        "grouped_conv",
        "dense",
        "pool",
        "global_pool",
        "add",
        "concat",
        "shuffle",
        "softmax",
        "flatten",
        "act",
        "lut",
        "channel_scale",
        "channel_slice",
    }
)


@dataclass
class Graph:
    name: str
    input: str
    outputs: list[str]
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)
    input_dtype: str = "float32"  # "int8" for QDQ models with an int8 graph input
    prequantized: bool = False  # the model file quantizes activations itself (QDQ, QONNX)
    output_dtype: str = "float32"
    onnx_input_name: str = ""
    onnx_input_shape: tuple[int, ...] = ()  # as the ONNX graph declares it (NCHW, batch 1)
    onnx_output_names: list[str] = field(default_factory=list)
    output_nchw_src: list[tuple[int, int, int] | None] = field(default_factory=list)  # see below
    ds_blocks: list[tuple[str, str]] = field(default_factory=list)  # (depthwise, pointwise) names

    def output_to_onnx(self, i: int, y: np.ndarray) -> np.ndarray:
        """Output `i` in ONNX layout (with its batch dimension): NHWC → NCHW, and a flattened
        tensor back into ONNX's NCHW flatten order."""
        src = self.output_nchw_src[i] if i < len(self.output_nchw_src) else None
        if y.ndim == 3:
            return y.transpose(2, 0, 1)[None]
        if src is not None:
            h, w, c = src
            return y.reshape(h, w, c).transpose(2, 0, 1).reshape(1, -1)
        return y.reshape(1, -1)

    def producer(self, tensor: str) -> Layer | None:
        for layer in self.layers:
            if layer.output == tensor:
                return layer
        return None

    def consumers(self, tensor: str) -> list[Layer]:
        return [layer for layer in self.layers if tensor in layer.inputs]

    def shape(self, tensor: str) -> tuple[int, ...]:
        return self.tensors[tensor].shape

    def replace_tensor(self, old: str, new: str) -> None:
        """Point every use of `old` (layer inputs, graph outputs) at `new`."""
        for layer in self.layers:
            layer.inputs = [new if t == old else t for t in layer.inputs]
        self.outputs = [new if t == old else t for t in self.outputs]
