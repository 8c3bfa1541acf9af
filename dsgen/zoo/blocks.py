"""The small zoo models: the keyword-spotting DS-CNNs and one model around each characteristic
block (Xception, ShuffleNet, SqueezeNet fire module, interleaved group convolutions). Each also
exercises a few frontend patterns."""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder


def ds_cnn_kws(
    seed: int = 0, num_blocks: int = 4, channels: int = 64, num_classes: int = 12
) -> onnx.ModelProto:
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


def xception_block(
    seed: int = 0, channels: int = 32, size: int = 32, out_channels: int = 64, num_classes: int = 10
) -> onnx.ModelProto:
    """Xception entry-flow block as tf2onnx exports a Keras model.

    input [1,32,32,32]; main: ReLU -> dw 3x3 -> pw 64 -> BN -> ReLU -> dw 3x3 -> pw 64 -> BN
    -> MaxPool 3x3/s2 pad 1; skip: conv 1x1/s2 64 + BN; Add. Head: ReduceMean axes [2,3]
    keepdims=1 -> Flatten -> Gemm -> Softmax. Every BN is unfolded into Mul + Add by [C,1,1]
    constants (tf2onnx style), and the separable convs have no BN between dw and pw (Keras
    SeparableConv2D).
    """
    g = GraphBuilder("xception_block", (1, channels, size, size), seed)
    x = g.relu("input", "block1_relu1")
    for i in (1, 2):
        cin = g.channels(x)
        x = g.conv(x, f"block1_sep{i}_dw", cin, 3, group=cin)
        x = g.affine_bn(g.conv(x, f"block1_sep{i}_pw", out_channels, 1), active=i == 1)
        if i == 1:
            x = g.relu(x, "block1_relu2")
    x = g.maxpool(x, "block1_pool", 3, 2, 1)
    skip = g.affine_bn(g.conv("input", "block1_skip", out_channels, 1, stride=2))
    x = g.add(x, skip, "block1_add")
    out = g.classifier(x, num_classes, pool="reduce_mean")
    return g.model(out, f"Xception block seed={seed}")


def _shuffle_unit(g: GraphBuilder, x: str, name: str, groups: int, cout: int, stride: int) -> str:
    cin = g.channels(x)
    branch_out = cout - cin if stride == 2 else cout
    mid = cout // 4
    y = g.conv_bn(x, f"{name}_gconv1", mid, 1, group=groups)
    y = g.channel_shuffle(y, f"{name}_shuffle", groups)
    y = g.conv_bn(y, f"{name}_dw", mid, 3, stride=stride, group=mid, act=None)
    y = g.conv_bn(y, f"{name}_gconv2", branch_out, 1, group=groups, act=None)
    if stride == 1:
        y = g.add(x, y, f"{name}_add")
    else:
        short = g.avgpool(x, f"{name}_shortcut", 3, 2, 1, count_include_pad=1)
        y = g.concat([short, y], f"{name}_concat")
    return g.relu(y, f"{name}_relu")


def shufflenet_unit(
    seed: int = 0, groups: int = 4, channels: int = 64, size: int = 16, num_classes: int = 10
) -> onnx.ModelProto:
    """Two ShuffleNet v1 units (Zhang et al. 2017), g=4.

    input [1,64,16,16]; unit1 (stride 1): gconv 1x1 64->16 (g=4) + BN + ReLU, channel shuffle
    (Reshape [1,4,4,H,W] / Transpose [0,2,1,3,4] / Reshape), dw 3x3 + BN, gconv 1x1 16->64 (g=4)
    + BN, Add, ReLU; unit2 (stride 2, 64->128): same with dw stride 2 and the branch Concat'ed
    after an AveragePool 3x3/s2/p1 (count_include_pad=1, PyTorch's default) shortcut.
    Head: GlobalAveragePool -> Reshape [1,-1] (``x.view(1, -1)``) -> Gemm -> Softmax.
    """
    g = GraphBuilder("shufflenet_unit", (1, channels, size, size), seed)
    x = _shuffle_unit(g, "input", "unit1", groups, channels, 1)
    x = _shuffle_unit(g, x, "unit2", groups, 2 * channels, 2)
    out = g.classifier(x, num_classes, flatten="reshape")
    return g.model(out, f"ShuffleNet v1 units g={groups} seed={seed}")


def _fire(g: GraphBuilder, x: str, name: str, squeeze: int, expand: int) -> str:
    s = g.conv_bn(x, f"{name}_squeeze", squeeze, 1)
    e1 = g.conv_bn(s, f"{name}_expand1x1", expand, 1)
    e3 = g.conv_bn(s, f"{name}_expand3x3", expand, 3)
    return g.concat([e1, e3], f"{name}_concat")


def fire_module(seed: int = 0, num_classes: int = 10) -> onnx.ModelProto:
    """Two SqueezeNet fire modules (Iandola et al. 2016), with BN after every conv.

    input [1,3,32,32] -> conv1 3x3/s2 64 + BN + ReLU -> fire2 (squeeze 16, expand 1x1 64 and
    expand 3x3 64, Concat) -> MaxPool 3x3/s2 pad 1 -> fire3 (squeeze 32, expand 128 + 128)
    -> Dropout -> GlobalAveragePool -> Flatten -> Identity -> Gemm -> Softmax.
    """
    g = GraphBuilder("fire_module", (1, 3, 32, 32), seed)
    x = g.conv_bn("input", "conv1", 64, 3, stride=2)
    x = _fire(g, x, "fire2", 16, 64)
    x = g.maxpool(x, "pool2", 3, 2, 1)
    x = _fire(g, x, "fire3", 32, 128)
    x = g.passthrough("Dropout", x, "dropout")
    x = g.flatten(g.global_avgpool(x))
    x = g.passthrough("Identity", x, "identity")
    out = g.softmax(g.gemm(x, "fc", num_classes, out="logits"))
    return g.model(out, f"SqueezeNet fire modules seed={seed}")


def _igc(g: GraphBuilder, x: str, name: str, L: int, M: int) -> str:
    y = g.pad(x, f"{name}_pad", [0, 0, 1, 1, 0, 0, 1, 1])
    y = g.conv_bn(y, f"{name}_primary", L * M, 3, pads=[0, 0, 0, 0], group=L, act=None)
    y = g.channel_shuffle(y, f"{name}_permute", L)
    y = g.conv_bn(y, f"{name}_secondary", L * M, 1, group=M, act="leaky")
    y = g.channel_shuffle(y, f"{name}_unpermute", M)
    return g.add(x, y, f"{name}_add")


def igc_block(seed: int = 0, L: int = 4, M: int = 8, num_classes: int = 10) -> onnx.ModelProto:
    """Two interleaved group convolution blocks (IGC, Zhang et al. 2017), L=4 x M=8 channels.

    input [1,3,32,32] -> conv1 3x3/s2 32 + BN + LeakyRelu(0.1) -> 2 x [explicit Pad (1 pixel)
    -> primary 3x3 conv, L groups, pads 0 + BN -> permutation (Reshape/Transpose/Reshape)
    -> secondary 1x1 conv, M groups + BN + LeakyRelu -> permutation back -> residual Add]
    -> GlobalAveragePool -> Flatten -> Gemm -> Softmax.
    """
    g = GraphBuilder("igc_block", (1, 3, 32, 32), seed)
    x = g.conv_bn("input", "conv1", L * M, 3, stride=2, act="leaky")
    for i in (1, 2):
        x = _igc(g, x, f"block{i}", L, M)
    out = g.classifier(x, num_classes)
    return g.model(out, f"IGC blocks L={L} M={M} seed={seed}")
