"""MobileNetV3-small (Howard et al. 2019), EfficientNet-B0 / -Lite0 (Tan & Le 2019) and
ShuffleNetV2 x0.5 (Ma et al. 2018) as ONNX models, in the forms real exporters write.

Opset 14 (HardSwish).  Squeeze-and-excitation is GlobalAveragePool → 1x1 Conv (bias) →
ReLU/SiLU → 1x1 Conv (bias) → HardSigmoid/Sigmoid → Mul broadcasting over the map, as torchvision
writes it.  ``decomposed=True`` writes HardSwish as x * Relu6(x + 3) / 6 and HardSigmoid as
Clip(x / 6 + 0.5, 0, 1) (Keras / tf2onnx).
"""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder
from .mobilenet import make_divisible

OPSET_NEW = 14

# torchvision mobilenet_v3_small: (kernel, expanded, out, SE, activation, stride)
V3_SMALL: tuple[tuple[int, int, int, bool, str, int], ...] = (
    (3, 16, 16, True, "relu", 2),
    (3, 72, 24, False, "relu", 2),
    (3, 88, 24, False, "relu", 1),
    (5, 96, 40, True, "hswish", 2),
    (5, 240, 40, True, "hswish", 1),
    (5, 240, 40, True, "hswish", 1),
    (5, 120, 48, True, "hswish", 1),
    (5, 144, 48, True, "hswish", 1),
    (5, 288, 96, True, "hswish", 2),
    (5, 576, 96, True, "hswish", 1),
    (5, 576, 96, True, "hswish", 1),
)

# EfficientNet-B0: (expansion, kernel, stride, out, repeats)
B0: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)


def _se(g: GraphBuilder, x: str, name: str, squeeze: int, inner: str, gate: str, dec: bool) -> str:
    s = g.global_avgpool(x, f"{name}_pool")
    s = g.conv(s, f"{name}_fc1", squeeze, 1, bias=True)
    s = g.relu(s, f"{name}_relu") if inner == "relu" else g.silu(s, f"{name}_silu")
    s = g.conv(s, f"{name}_fc2", g.channels(x), 1, bias=True)
    if gate == "hsig":
        s = g.hardsigmoid(s, f"{name}_hsig", decomposed=dec)
    else:
        s = g.sigmoid(s, f"{name}_sigmoid")
    return g.scale_channels(x, s, f"{name}_scale")


def _head(g: GraphBuilder, x: str, hidden: int | None, num_classes: int, hact: str | None) -> str:
    x = g.global_avgpool(x)
    x = g.flatten(x)
    if hidden:
        x = g.gemm(x, "fc1", hidden)
        x = g.act(x, hact, "fc1_act")
    x = g.passthrough("Dropout", x, "dropout")
    logits = g.gemm(x, "fc", num_classes, out="logits")
    return g.softmax(logits)


def mobilenet_v3_small(
    resolution: int = 224, num_classes: int = 1000, seed: int = 0, decomposed: bool = False
) -> onnx.ModelProto:
    """torchvision's mobilenet_v3_small: conv 3x3/s2 16 + HardSwish, 11 bottlenecks (SE with
    squeeze make_divisible(exp/4)), 1x1 conv 576 + HardSwish, GAP, Linear 1024 + HardSwish,
    Dropout, Linear.  56.5 M mult-adds at 224."""
    dec = decomposed
    hs = "hswish_dec" if dec else "hswish"
    g = GraphBuilder(
        f"mobilenet_v3_small_{resolution}", (1, 3, resolution, resolution), seed, opset=OPSET_NEW
    )
    x = g.conv_bn("input", "conv1", 16, 3, stride=2, act=hs)
    for i, (k, exp, out, se, act, s) in enumerate(V3_SMALL, start=1):
        act = hs if act == "hswish" else act
        cin, y = g.channels(x), x
        if exp != cin:
            y = g.conv_bn(y, f"block{i}_expand", exp, 1, act=act)
        y = g.conv_bn(y, f"block{i}_dw", exp, k, stride=s, group=exp, act=act)
        if se:
            y = _se(g, y, f"block{i}_se", make_divisible(exp // 4), "relu", "hsig", dec)
        y = g.conv_bn(y, f"block{i}_project", out, 1, act=None)
        x = g.add(x, y, f"block{i}_add") if s == 1 and cin == out else y
    x = g.conv_bn(x, "conv_last", 576, 1, act=hs)
    out = _head(g, x, 1024, num_classes, hs)
    return g.model(out, f"MobileNetV3-small resolution={resolution} classes={num_classes}")


def efficientnet(
    resolution: int = 224, num_classes: int = 1000, seed: int = 0, lite: bool = False
) -> onnx.ModelProto:
    """EfficientNet-B0 (SiLU, SE with squeeze max(1, cin/4) and Sigmoid gate) or EfficientNet-Lite0
    (ReLU6, no SE: the MCU variant).  Stem 3x3/s2 32, 16 MBConv blocks, 1x1 conv 1280, GAP,
    Dropout, Linear."""
    act = "relu6" if lite else "silu"
    name = ("efficientnet_lite0" if lite else "efficientnet_b0") + f"_{resolution}"
    g = GraphBuilder(name, (1, 3, resolution, resolution), seed, opset=OPSET_NEW)
    x = g.conv_bn("input", "stem", 32, 3, stride=2, act=act)
    i = 0
    for e, k, s, out, n in B0:
        for j in range(n):
            i += 1
            stride = s if j == 0 else 1
            cin, y = g.channels(x), x
            if e != 1:
                y = g.conv_bn(y, f"block{i}_expand", cin * e, 1, act=act)
            hid = g.channels(y)
            y = g.conv_bn(y, f"block{i}_dw", hid, k, stride=stride, group=hid, act=act)
            if not lite:
                y = _se(g, y, f"block{i}_se", max(1, cin // 4), "silu", "sigmoid", False)
            y = g.conv_bn(y, f"block{i}_project", out, 1, act=None)
            x = g.add(x, y, f"block{i}_add") if stride == 1 and cin == out else y
    x = g.conv_bn(x, "head", 1280, 1, act=act)
    out = _head(g, x, None, num_classes, None)
    return g.model(out, f"{name} classes={num_classes}")


def _shuffle_v2_unit(g: GraphBuilder, x: str, name: str, cout: int, stride: int, slice_: bool):
    half = cout // 2
    if stride == 1:
        x1, x2 = g.split_channels(x, f"{name}_split", [half, half], use_slice=slice_)
    else:
        cin = g.channels(x)
        x1 = g.conv_bn(x, f"{name}_b1_dw", cin, 3, stride=2, group=cin, act=None)
        x1 = g.conv_bn(x1, f"{name}_b1_pw", half, 1)
        x2 = x
    y = g.conv_bn(x2, f"{name}_b2_pw1", half, 1)
    y = g.conv_bn(y, f"{name}_b2_dw", half, 3, stride=stride, group=half, act=None)
    y = g.conv_bn(y, f"{name}_b2_pw2", half, 1)
    return g.channel_shuffle(g.concat([x1, y], f"{name}_concat"), f"{name}_shuffle", 2)


def shufflenet_v2_x0_5(
    resolution: int = 224, num_classes: int = 1000, seed: int = 0
) -> onnx.ModelProto:
    """torchvision's shufflenet_v2_x0_5: conv 3x3/s2 24, MaxPool 3/s2, stages of 4/8/4 units with
    48/96/192 channels, conv 1x1 1024, mean over H, W (ReduceMean keepdims=0), Linear.  The
    channel split is Split (dynamo) in stages 2 and 4 and Slice (legacy `torch.chunk`) in
    stage 3."""
    g = GraphBuilder(
        f"shufflenet_v2_x0_5_{resolution}", (1, 3, resolution, resolution), seed, opset=OPSET_NEW
    )
    x = g.conv_bn("input", "conv1", 24, 3, stride=2)
    x = g.maxpool(x, "maxpool")
    for st, (reps, c) in enumerate(((4, 48), (8, 96), (4, 192)), start=2):
        for j in range(reps):
            x = _shuffle_v2_unit(g, x, f"stage{st}_{j}", c, 2 if j == 0 else 1, st == 3)
    x = g.conv_bn(x, "conv5", 1024, 1)
    x = g.reduce_mean_flat(x)
    logits = g.gemm(x, "fc", num_classes, out="logits")
    return g.model(g.softmax(logits), f"ShuffleNetV2 x0.5 resolution={resolution}")
