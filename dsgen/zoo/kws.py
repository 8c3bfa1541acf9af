"""Keyword-spotting DS-CNNs: the MLPerf Tiny DS-CNN and a tiny one for fast RTL tests."""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder


def ds_cnn_kws(seed: int = 0, num_blocks: int = 4, channels: int = 64,
               num_classes: int = 12) -> onnx.ModelProto:
    """DS-CNN keyword spotter (Zhang et al. "Hello Edge"; the MLPerf Tiny KWS model).

    input [1,1,49,10] (49 frames x 10 MFCCs) -> conv1 10x4/s2 64, pads [4,1,5,2] (TF "same")
    + BN + ReLU -> 4 x [dw 3x3 pad 1 + BN + ReLU, pw 64 + BN + ReLU] -> AveragePool 25x5
    -> Flatten -> Gemm 64->12 -> Softmax.
    """
    g = GraphBuilder("ds_cnn_kws", (1, 1, 49, 10), seed)
    x = g.conv_bn("input", "conv1", channels, (10, 4), stride=2, pads=[4, 1, 5, 2])
    for i in range(1, num_blocks + 1):
        x = g.conv_bn(x, f"block{i}_dw", channels, 3, group=channels)
        x = g.conv_bn(x, f"block{i}_pw", channels, 1)
    _, _, h, w = g.shapes[x]
    x = g.avgpool(x, "pool", (h, w))
    x = g.flatten(x)
    out = g.softmax(g.gemm(x, "fc", num_classes, out="logits"))
    return g.model(out, f"DS-CNN KWS (MLPerf Tiny) seed={seed}")


def tiny_dscnn(seed: int = 0) -> onnx.ModelProto:
    """A minimal DS-CNN for fast RTL simulation; ends at the Gemm logits (no Softmax).

    input [1,1,16,8] -> conv1 3x3/s2 8 + BN + ReLU -> dw 3x3 + BN + ReLU -> pw 16 + BN + ReLU
    -> GlobalAveragePool -> Flatten -> Gemm 16->4 (output "logits").
    """
    g = GraphBuilder("tiny_dscnn", (1, 1, 16, 8), seed)
    x = g.conv_bn("input", "conv1", 8, 3, stride=2)
    x = g.conv_bn(x, "block1_dw", 8, 3, group=8)
    x = g.conv_bn(x, "block1_pw", 16, 1)
    out = g.classifier(x, 4, softmax=False)
    return g.model(out, f"tiny DS-CNN seed={seed}")
