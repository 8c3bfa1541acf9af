"""MobileNetV1 (Howard et al. 2017) and MobileNetV2 (Sandler et al. 2018) as ONNX models."""

from __future__ import annotations

import numpy as np
import onnx

from ._builder import GraphBuilder

# MobileNetV1, Table 1: (pointwise output channels, depthwise stride) of the 13 DS blocks.
V1_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)

# MobileNetV2, Table 2: expansion t, output channels c, repeats n, first stride s.
V2_SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _check(alpha: float, resolution: int, num_classes: int) -> None:
    if not 0 < alpha <= 4:
        raise ValueError(f"alpha must be in (0, 4], got {alpha}")
    if resolution < 32 or resolution % 32:
        raise ValueError(f"resolution must be a multiple of 32 (>= 32), got {resolution}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")


def _importance(g: GraphBuilder, x: str):
    """Per-channel RMS of ``x`` relative to its median, capped at 1."""
    m, v = g.stats[x]
    rms = (m * m + v) ** 0.5
    return (rms / np.median(rms)).clip(max=1.0)


def mobilenet_v1(
    alpha: float = 1.0,
    resolution: int = 224,
    num_classes: int = 1000,
    seed: int = 0,
    spread_bn: bool = False,
) -> onnx.ModelProto:
    """MobileNetV1 exactly as the paper's Table 1 (ReLU, symmetric pads=1, channels int(c*alpha)).

    conv1 3x3/s2 -> 13 x [dw 3x3 + BN + ReLU, pw 1x1 + BN + ReLU] -> GlobalAveragePool -> Flatten
    -> Gemm "fc" (output "logits") -> Softmax (output "output"). Input "input" [1,3,R,R].
    ``spread_bn``: the BNs feeding a depthwise conv get widely spread gammas, as in mobilenet_v2.
    With alpha=1, 224: 569 M mult-adds, 4.2 M parameters.
    """
    _check(alpha, resolution, num_classes)
    name = f"mobilenet_v1_{alpha:g}_{resolution}" + ("_spread" if spread_bn else "")
    g = GraphBuilder(name, (1, 3, resolution, resolution), seed)
    x = g.conv_bn("input", "conv1", int(32 * alpha), 3, stride=2, spread=spread_bn)
    for i, (c, s) in enumerate(V1_BLOCKS, start=1):
        cin, dw_in = g.channels(x), x
        x = g.conv_bn(x, f"block{i}_dw", cin, 3, stride=s, group=cin)
        x = g.conv_bn(
            x,
            f"block{i}_pw",
            int(c * alpha),
            1,
            spread=spread_bn,
            in_scale=_importance(g, dw_in) if spread_bn else None,
        )
    out = g.classifier(x, num_classes)
    return g.model(
        out,
        f"MobileNetV1 alpha={alpha:g} resolution={resolution} "
        f"classes={num_classes} seed={seed} spread_bn={spread_bn}",
    )


def make_divisible(v: float, divisor: int = 8) -> int:
    """Channel rounding of the reference MobileNetV2 implementation (never below 90 % of v)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def mobilenet_v2(
    alpha: float = 1.0,
    resolution: int = 224,
    num_classes: int = 1000,
    seed: int = 0,
    spread_bn: bool = False,
) -> onnx.ModelProto:
    """MobileNetV2 with the standard (t, c, n, s) table, as torchvision exports it.

    conv1 3x3/s2 32 + BN + ReLU6 -> 17 inverted residual blocks (1x1 expand x t + BN + ReLU6,
    dw 3x3 + BN + ReLU6, linear 1x1 project + BN, residual Add when stride 1 and cin == cout)
    -> 1x1 conv 1280 + BN + ReLU6 -> GlobalAveragePool -> Flatten -> Gemm -> Softmax.
    ReLU6 is ``Clip(x, 0, 6)`` with scalar constant inputs. Channels are
    make_divisible(c * alpha, 8); the last conv keeps 1280 channels for alpha <= 1.
    ``spread_bn`` mimics trained MobileNets, whose folded per-channel weight ranges differ
    hugely: the BNs of conv1, every expand conv and conv_last get gamma = 10**U(-2.5, 0.5). The
    nearly dead channels this makes are renormalized by the next (depthwise) BN, whose folded
    weights are then spread over ~4 orders of magnitude, and the projection conv gives them
    proportionally small weights (a trained net ignores dead channels). Per-tensor int8 weight
    quantization fails on it; per-channel works.
    """
    _check(alpha, resolution, num_classes)
    name = f"mobilenet_v2_{alpha:g}_{resolution}" + ("_spread" if spread_bn else "")
    g = GraphBuilder(name, (1, 3, resolution, resolution), seed)
    x = g.conv_bn(
        "input", "conv1", make_divisible(32 * alpha), 3, stride=2, act="relu6", spread=spread_bn
    )
    i = 0
    for t, c, n, s in V2_SETTINGS:
        cout = make_divisible(c * alpha)
        for j in range(n):
            i += 1
            stride = s if j == 0 else 1
            cin = g.channels(x)
            y = x
            if t != 1:
                y = g.conv_bn(y, f"block{i}_expand", cin * t, 1, act="relu6", spread=spread_bn)
            dw_in = y
            hid = g.channels(y)
            y = g.conv_bn(y, f"block{i}_dw", hid, 3, stride=stride, group=hid, act="relu6")
            y = g.conv_bn(
                y,
                f"block{i}_project",
                cout,
                1,
                act=None,
                in_scale=_importance(g, dw_in) if spread_bn else None,
            )
            x = g.add(x, y, f"block{i}_add") if stride == 1 and cin == cout else y
    last = make_divisible(1280 * max(1.0, alpha))
    x = g.conv_bn(x, "conv_last", last, 1, act="relu6", spread=spread_bn)
    out = g.classifier(x, num_classes)
    return g.model(
        out,
        f"MobileNetV2 alpha={alpha:g} resolution={resolution} "
        f"classes={num_classes} seed={seed} spread_bn={spread_bn}",
    )
