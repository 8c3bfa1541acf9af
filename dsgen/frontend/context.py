"""Conversion state: what each ONNX tensor name stands for while the graph is translated."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import onnx

from dsgen.errors import DsgenError, nonfinite
from dsgen.ir.graph import Graph, Layer, QParams, TensorInfo


class VKind(StrEnum):
    CONST = "const"
    SPATIAL = "spatial"  # ONNX [1,C,H,W], IR (H,W,C)
    FLAT = "flat"  # ONNX [1,N], IR (N,)
    SPLIT = "split"  # ONNX [1,g,C/g,H,W] of a channel shuffle in progress
    SWAPPED = "swapped"  # ONNX [1,C/g,g,H,W]


@dataclass
class QConst:
    """A constant that the model gave as DequantizeLinear(integer data, scale, zero point)."""

    q: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclass
class Value:
    kind: VKind
    ir: str | None = None  # IR tensor name
    const: np.ndarray | None = None
    qconst: QConst | None = None
    nchw_src: tuple[int, int, int] | None = None  # a flat value that is NCHW-flattened (H,W,C)
    groups: int = 0  # channel-shuffle pattern
    quantized: QParams | None = None  # an integer value between QuantizeLinear and Dequantize


class Ctx:
    """Shared by all op handlers: the values, the IR graph under construction, error helpers."""

    def __init__(self, model: onnx.ModelProto, path: str, graph: Graph) -> None:
        self.model, self.path, self.graph = model, path, graph
        self.values: dict[str, Value] = {}
        self.nonfinite: dict[str, str] = {}  # constant name -> what is wrong with its numbers
        self.node: onnx.NodeProto | None = None
        self._layer_names: set[str] = set()

    # ---- errors ------------------------------------------------------------------------------
    def error(self, message: str) -> DsgenError:
        n = self.node
        return DsgenError(
            message, path=self.path, node=node_label(n) if n else None, op=n.op_type if n else None
        )

    # ---- values ------------------------------------------------------------------------------
    def get(self, name: str) -> Value:
        if name not in self.values:
            raise self.error(f"input '{name}' is not produced by any node or initializer")
        return self.values[name]

    def const(self, name: str, what: str = "input") -> np.ndarray:
        v = self.get(name)
        if v.kind is not VKind.CONST:
            raise self.error(f"{what} '{name}' must be a constant")
        return v.const

    def spatial(self, name: str) -> Value:
        v = self.get(name)
        if v.kind is not VKind.SPATIAL:
            raise self.error(f"input '{name}' must be a 4-D NCHW activation, got {v.kind}")
        return v

    def activation(self, name: str) -> Value:
        v = self.get(name)
        if v.kind not in (VKind.SPATIAL, VKind.FLAT):
            raise self.error(f"input '{name}' must be an activation tensor")
        return v

    def set_const(self, name: str, value: np.ndarray, qconst: QConst | None = None) -> None:
        value = np.asarray(value)
        self.values[name] = Value(VKind.CONST, const=value, qconst=qconst)
        bad = nonfinite(value)  # refused where a node consumes it, so the error names the node
        if bad:
            self.nonfinite[name] = bad
        else:
            self.nonfinite.pop(name, None)

    def alias(self, onnx_name: str, value: Value) -> None:
        self.values[onnx_name] = value

    def shape(self, v: Value) -> tuple[int, ...]:
        return self.graph.tensors[v.ir].shape

    # ---- emitting layers ---------------------------------------------------------------------
    def unique(self, base: str) -> str:
        """A tensor name not used yet (ONNX names are kept wherever they are free)."""
        name, i = base, 1
        while name in self.graph.tensors:
            i += 1
            name = f"{base}_{i}"
        return name

    def unique_layer(self, base: str) -> str:
        name, i = base, 1
        while name in self._layer_names:
            i += 1
            name = f"{base}_{i}"
        self._layer_names.add(name)
        return name

    def emit(
        self, layer: Layer, out_onnx: str, shape: tuple[int, ...], kind: VKind, **value_fields
    ) -> Value:
        """Append `layer`, whose output tensor gets the IR name `layer.output`."""
        if min(shape, default=1) < 1:
            raise self.error(f"output would be empty (shape {list(shape)})")
        self.graph.tensors[layer.output] = TensorInfo(layer.output, tuple(int(s) for s in shape))
        self.graph.layers.append(layer)
        v = Value(kind, ir=layer.output, **value_fields)
        self.values[out_onnx] = v
        return v

    def layer_name(self) -> str:
        return self.unique_layer(node_label(self.node))

    def out_tensor_name(self, onnx_name: str) -> str:
        return self.unique(onnx_name or node_label(self.node))

    def attr(self, name: str, default=None):
        for a in self.node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def float_attr(self, name: str, default: float, allow_inf: bool = False) -> float:
        """A float attribute, refused when NaN (or infinite, unless `allow_inf`)."""
        v = float(self.attr(name, default))
        if math.isnan(v) or (math.isinf(v) and not allow_inf):
            raise self.error(f"attribute {name}={v} is not a finite number")
        return v

    def axes(self, axes, rank: int, what: str = "axes") -> list[int]:
        """`axes` normalised to [0, rank), refused when out of range or repeated (as the spec)."""
        axes = [int(a) for a in axes]
        if any(not -rank <= a < rank for a in axes):
            raise self.error(f"{what} {axes} out of range for a {rank}-D tensor")
        norm = [a % rank for a in axes]
        if len(set(norm)) != len(norm):
            raise self.error(f"{what} {axes} repeat an axis")
        return norm


def node_label(node: onnx.NodeProto) -> str:
    return node.name or (node.output[0] if node.output else node.op_type)
