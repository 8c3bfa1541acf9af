"""The bundled example model zoo: depthwise-separable CNNs built with ``onnx.helper``.

Every model is opset 13, one NCHW float32 input "input" of batch 1, seeded random He-normal
weights and *unfolded* BatchNormalization nodes with realistic statistics (see
``_builder.GraphBuilder.bn``). Classifier models expose the pre-softmax tensor as "logits" and end
in a Softmax whose output is "output". Building is deterministic: the same entry always yields
the same ``SerializeToString()`` bytes.

>>> from dsgen import zoo
>>> model = zoo.build("ds_cnn_kws")
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import onnx

from .blocks import (
    ds_cnn_kws,
    fire_module,
    igc_block,
    shufflenet_unit,
    tiny_dscnn,
    xception_block,
)
from .mobilenet import make_divisible, mobilenet_v1, mobilenet_v2
from .modern import efficientnet, mobilenet_v3_small, shufflenet_v2_x0_5

__all__ = [
    "ZOO",
    "ZooEntry",
    "build",
    "names",
    "mobilenet_v1",
    "mobilenet_v2",
    "ds_cnn_kws",
    "tiny_dscnn",
    "xception_block",
    "shufflenet_unit",
    "fire_module",
    "igc_block",
    "make_divisible",
    "mobilenet_v3_small",
    "efficientnet",
    "shufflenet_v2_x0_5",
]


@dataclass(frozen=True)
class ZooEntry:
    name: str
    description: str
    build: Callable[[], onnx.ModelProto]


def _entries() -> dict[str, ZooEntry]:
    p = functools.partial
    rows = [
        (
            "mobilenet_v1_1.0_224",
            "MobileNetV1 as in the paper: alpha 1.0, 224x224, 1000 classes "
            "(569 M mult-adds, 4.2 M params, ~17 MB)",
            p(mobilenet_v1, 1.0, 224, 1000),
        ),
        (
            "mobilenet_v2_1.0_224",
            "MobileNetV2 alpha 1.0, 224x224, 1000 classes (~300 M mult-adds, 3.5 M params)",
            p(mobilenet_v2, 1.0, 224, 1000),
        ),
        (
            "mobilenet_v1_025_96",
            "MobileNetV1 alpha 0.25, 96x96, 2 classes (like MLPerf Tiny visual wake words)",
            p(mobilenet_v1, 0.25, 96, 2),
        ),
        (
            "mobilenet_v1_025_32",
            "MobileNetV1 alpha 0.25, 32x32, 10 classes (fast tests)",
            p(mobilenet_v1, 0.25, 32, 10),
        ),
        (
            "mobilenet_v2_035_32",
            "MobileNetV2 alpha 0.35, 32x32, 10 classes: inverted residuals, "
            "ReLU6 as Clip with constant min/max inputs, residual Add",
            p(mobilenet_v2, 0.35, 32, 10),
        ),
        (
            "mobilenet_v2_spread_32",
            "MobileNetV2 alpha 0.35, 32x32, 10 classes with BN scales "
            "spread over ~3 orders of magnitude across channels: per-tensor int8 weight "
            "quantization fails, per-channel works",
            p(mobilenet_v2, 0.35, 32, 10, spread_bn=True),
        ),
        (
            "ds_cnn_kws",
            "DS-CNN keyword spotter (Hello Edge / MLPerf Tiny): [1,1,49,10], "
            "conv 10x4/s2 with asymmetric pads [4,1,5,2], 4 DS blocks of 64, "
            "AveragePool 25x5, 12 classes",
            ds_cnn_kws,
        ),
        (
            "tiny_dscnn",
            "Minimal DS-CNN for fast RTL tests: [1,1,16,8], conv 3x3/s2 8, one DS "
            "block (dw 8, pw 16), GlobalAveragePool, Gemm to 4 logits, no Softmax",
            tiny_dscnn,
        ),
        (
            "xception_block",
            "Xception entry-flow block as tf2onnx writes it: BN unfolded into "
            "Mul+Add constants, dw->pw without BN between, MaxPool s2, 1x1/s2 skip + Add, "
            "ReduceMean(axes [2,3], keepdims=1) instead of GlobalAveragePool",
            xception_block,
        ),
        (
            "shufflenet_unit",
            "Two ShuffleNet v1 units (g=4): grouped 1x1 convs, channel shuffle as "
            "Reshape/Transpose/Reshape, residual Add; stride-2 unit Concat's an AveragePool "
            "(count_include_pad=1) shortcut; Reshape [1,-1] instead of Flatten",
            shufflenet_unit,
        ),
        (
            "fire_module",
            "Two SqueezeNet fire modules (squeeze 1x1, expand 1x1 + 3x3, Concat) with "
            "MaxPool between; Dropout and Identity in the head",
            fire_module,
        ),
        (
            "igc_block",
            "Two interleaved group convolution blocks (L=4 primary 3x3 groups, M=8 "
            "secondary 1x1 groups, channel permutations, residual Add); LeakyRelu activations and "
            "an explicit Pad node before each primary conv",
            igc_block,
        ),
        (
            "mobilenet_v3_small_224",
            "torchvision's MobileNetV3-small, 224x224, 1000 classes: HardSwish, SE with "
            "HardSigmoid gate, ~57 M mult-adds, 2.5 M params",
            p(mobilenet_v3_small, 224, 1000),
        ),
        (
            "mobilenet_v3_small_64",
            "MobileNetV3-small at 64x64, 10 classes, HardSwish and HardSigmoid decomposed as "
            "Keras/tf2onnx write them (x*Relu6(x+3)/6, Clip(x/6+0.5,0,1)) (fast tests)",
            p(mobilenet_v3_small, 64, 10, decomposed=True),
        ),
        (
            "efficientnet_lite0_224",
            "EfficientNet-Lite0, 224x224, 1000 classes: ReLU6, no SE (the MCU variant)",
            p(efficientnet, 224, 1000, lite=True),
        ),
        (
            "efficientnet_b0_224",
            "EfficientNet-B0-style, 224x224, 1000 classes: SiLU as x*Sigmoid(x), SE with "
            "Sigmoid gate",
            p(efficientnet, 224, 1000),
        ),
        (
            "efficientnet_b0_32",
            "EfficientNet-B0-style at 32x32, 10 classes (fast tests)",
            p(efficientnet, 32, 10),
        ),
        (
            "shufflenet_v2_x0_5_224",
            "torchvision's ShuffleNetV2 x0.5, 224x224, 1000 classes: channel split as Split "
            "and Slice, Concat, channel shuffle, ReduceMean head",
            p(shufflenet_v2_x0_5, 224, 1000),
        ),
        (
            "shufflenet_v2_x0_5_64",
            "ShuffleNetV2 x0.5 at 64x64, 10 classes (fast tests)",
            p(shufflenet_v2_x0_5, 64, 10),
        ),
    ]
    return {name: ZooEntry(name, desc, fn) for name, desc, fn in rows}


ZOO: dict[str, ZooEntry] = _entries()


def names() -> list[str]:
    """Registered model names, in registration order."""
    return list(ZOO)


def build(name: str) -> onnx.ModelProto:
    """Build the registered model ``name`` (deterministic)."""
    try:
        entry = ZOO[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, ZOO, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"unknown zoo model {name!r}.{hint} Available: {', '.join(ZOO)}") from None
    return entry.build()
