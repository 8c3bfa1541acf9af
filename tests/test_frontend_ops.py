"""Each supported ONNX op form, converted and run by the float reference, against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest

from dsgen import frontend
from dsgen.compiler import load_ir
from dsgen.ir import float_ref
from dsgen.ir.verify import verify
from dsgen.passes import PIPELINE
from tests.onnx_build import G

ort = pytest.importorskip("onnxruntime")


def check(tmp_path, model, shape, kinds=None, seed=1):
    """Convert, run every pass with the verifier in between, and compare with onnxruntime."""
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    g = frontend.load(path)
    verify(g)
    for _name, fn in PIPELINE:
        fn(g)
        verify(g)  # the IR verifier after every pass
    verify(g, final=True)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"x": x})[0]
    xi = x[0].transpose(1, 2, 0) if x.ndim == 4 else x[0]
    got = g.output_to_onnx(0, float_ref.run(g, xi)[g.outputs[0]])
    np.testing.assert_allclose(
        got.reshape(ref.shape), ref, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(ref).max())
    )
    if kinds is not None:
        assert [layer.kind for layer in g.layers] == kinds
    return g


@pytest.mark.parametrize(
    "attrs",
    [
        dict(pads=[1, 1, 1, 1]),
        dict(pads=[4, 1, 5, 2], strides=[2, 2]),  # asymmetric, as the KWS first layer
        dict(auto_pad="SAME_UPPER", strides=[2, 2]),
        dict(auto_pad="SAME_LOWER", strides=[2, 1]),
        dict(auto_pad="VALID"),
        dict(pads=[2, 2, 2, 2], dilations=[2, 2]),
    ],
)
@pytest.mark.parametrize("k", [(3, 3), (10, 4), (1, 1)])
def test_conv_geometry(tmp_path, attrs, k):
    b = G((1, 3, 16, 12))
    out = b.conv("x", 3, 5, k=k, **attrs)
    check(tmp_path, b.model(out), (1, 3, 16, 12))


@pytest.mark.parametrize(
    "c_in,c_out,group,kind",
    [
        (8, 8, 8, "depthwise_conv"),
        (8, 16, 8, "depthwise_conv"),  # depth multiplier 2
        (8, 12, 4, "grouped_conv"),
        (8, 6, 1, "conv"),
    ],
)
def test_conv_groups(tmp_path, c_in, c_out, group, kind):
    b = G((1, c_in, 9, 9))
    out = b.conv("x", c_in, c_out, group=group, pads=[1, 1, 1, 1], strides=[2, 2])
    check(tmp_path, b.model(out), (1, c_in, 9, 9), kinds=[kind])


def test_batchnorm_relu6_fold(tmp_path):
    b = G((1, 4, 8, 8))
    c = b.conv("x", 4, 6, pads=[1, 1, 1, 1])
    rng = b.rng
    bn = b.node(
        "BatchNormalization",
        [
            c,
            b.const(rng.uniform(0.5, 1.5, 6).astype(np.float32)),
            b.const(rng.normal(0, 0.1, 6).astype(np.float32)),
            b.const(rng.normal(0, 0.1, 6).astype(np.float32)),
            b.const(rng.uniform(0.5, 1.5, 6).astype(np.float32)),
        ],
        epsilon=1e-3,
    )
    out = b.node("Clip", [bn, b.const(np.float32(0)), b.const(np.float32(6))])
    g = check(tmp_path, b.model(out), (1, 4, 8, 8), kinds=["conv"])
    assert g.layers[0].act.label() == "relu6"


def test_clip_attributes_opset10(tmp_path):
    b = G((1, 3, 6, 6))
    c = b.conv("x", 3, 4, pads=[1, 1, 1, 1])
    out = b.node("Clip", [c], min=0.0, max=6.0)
    g = check(tmp_path, b.model(out, opset=10), (1, 3, 6, 6), kinds=["conv"])
    assert g.layers[0].act.label() == "relu6"


def test_unfolded_bn_mul_add_and_leaky(tmp_path):
    b = G((1, 3, 8, 8))
    c = b.conv("x", 3, 4, pads=[1, 1, 1, 1])
    m = b.node("Mul", [c, b.const(np.array([0.5, 2, 1, 3], np.float32).reshape(4, 1, 1))])
    a = b.node("Add", [m, b.const(np.array([[[[0.1]], [[-0.2]], [[0.3]], [[0.0]]]], np.float32))])
    out = b.node("LeakyRelu", [a], alpha=0.1)
    g = check(tmp_path, b.model(out), (1, 3, 8, 8), kinds=["conv"])
    assert g.layers[0].act.label() == "leaky(0.1)"


@pytest.mark.parametrize("cip", [0, 1])
def test_pad_into_avgpool_and_conv(tmp_path, cip):
    b = G((1, 3, 10, 10))
    p = b.node("Pad", ["x", b.const(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64))])
    c = b.conv(p, 3, 4)
    out = b.node(
        "AveragePool",
        [c],
        kernel_shape=[3, 3],
        strides=[2, 2],
        pads=[1, 1, 1, 1],
        count_include_pad=cip,
    )
    check(tmp_path, b.model(out), (1, 3, 10, 10), kinds=["conv", "pool"])


def test_maxpool_residual_concat(tmp_path):
    b = G((1, 4, 8, 8))
    c1 = b.conv("x", 4, 4, pads=[1, 1, 1, 1])
    r = b.node("Relu", [c1])
    add = b.node("Add", [r, "x"])
    mp = b.node("MaxPool", [add], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c2 = b.conv(mp, 4, 3, k=(1, 1))
    out = b.node("Concat", [mp, c2], axis=1)
    check(
        tmp_path,
        b.model(out),
        (1, 4, 8, 8),
        kinds=["conv", "add", "pool", "pointwise_conv", "concat"],
    )


def test_channel_shuffle_pattern(tmp_path):
    b = G((1, 8, 4, 4))
    c = b.conv("x", 8, 8, k=(1, 1), group=4)
    r1 = b.node("Reshape", [c, b.const(np.array([1, 4, 2, 4, 4], np.int64))])
    t = b.node("Transpose", [r1], perm=[0, 2, 1, 3, 4])
    out = b.node("Reshape", [t, b.const(np.array([1, 8, 4, 4], np.int64))])
    g = check(tmp_path, b.model(out), (1, 8, 4, 4), kinds=["grouped_conv", "shuffle"])
    assert g.layers[1].groups == 4


@pytest.mark.parametrize("head", ["flatten", "reshape", "squeeze", "reducemean", "matmul"])
def test_dense_heads(tmp_path, head):
    b = G((1, 3, 6, 5))
    c = b.conv("x", 3, 4, pads=[1, 1, 1, 1], strides=[2, 2])  # 3x3x4: NCHW flatten order matters
    if head == "flatten":
        f = b.node("Flatten", [c])
        n = 36
    elif head == "reshape":
        f = b.node("Reshape", [c, b.const(np.array([1, -1], np.int64))])
        n = 36
    elif head == "squeeze":
        gp = b.node("GlobalAveragePool", [c])
        f = b.node("Squeeze", [gp, b.const(np.array([2, 3], np.int64))])
        n = 4
    else:
        f = b.node("ReduceMean", [c], axes=[2, 3], keepdims=0)
        n = 4
    if head == "matmul":
        mm = b.node("MatMul", [f, b.w(n, 7)])
        d = b.node("Add", [mm, b.w(7)])
    else:
        d = b.node("Gemm", [f, b.w(7, n), b.w(7)], transB=1)
    drop = b.node("Dropout", [d])
    ident = b.node("Identity", [drop])
    out = b.node("Softmax", [ident], axis=1)
    g = check(tmp_path, b.model(out), (1, 3, 6, 5))
    assert g.layers[-1].kind == "softmax" and g.layers[-2].kind == "dense"


def test_constant_node_and_folding(tmp_path):
    b = G((1, 2, 5, 5))
    c = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    shape = b.node("Shape", [c])
    first = b.node("Gather", [shape, b.const(np.array(0, np.int64))], axis=0)
    tgt = b.node(
        "Concat",
        [
            b.node("Unsqueeze", [first, b.const(np.array([0], np.int64))]),
            b.node(
                "Constant",
                [],
                value=__import__("onnx").numpy_helper.from_array(np.array([-1], np.int64)),
            ),
        ],
        axis=0,
    )
    out = b.node("Reshape", [c, tgt])
    check(tmp_path, b.model(out), (1, 2, 5, 5), kinds=["conv", "flatten"])


def test_show_is_stable(tmp_path):
    b = G((1, 2, 5, 5))
    out = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    path = tmp_path / "m.onnx"
    path.write_bytes(b.model(out).SerializeToString())
    from dsgen.ir.printer import format_graph

    a, c = format_graph(load_ir(path)), format_graph(load_ir(path))
    assert a == c and "conv(%x)" in a and "k=3x3" in a


@pytest.mark.parametrize("opset", [11, 12, 13, 15, 17, 18, 20])
def test_opsets(tmp_path, opset):
    """The same network in each opset's spelling: Squeeze/ReduceMean axes as attributes before
    13/18 and as inputs after; Clip bounds as inputs (11+)."""
    b = G((1, 3, 8, 8))
    c = b.conv("x", 3, 4, pads=[1, 1, 1, 1])
    r = b.node("Clip", [c, b.const(np.float32(0)), b.const(np.float32(6))])
    if opset >= 18:
        m = b.node("ReduceMean", [r, b.const(np.array([2, 3], np.int64))], keepdims=1)
    else:
        m = b.node("ReduceMean", [r], axes=[2, 3], keepdims=1)
    if opset >= 13:
        s = b.node("Squeeze", [m, b.const(np.array([2, 3], np.int64))])
    else:
        s = b.node("Squeeze", [m], axes=[2, 3])
    out = b.node("Gemm", [s, b.w(5, 4), b.w(5)], transB=1)
    check(tmp_path, b.model(out, opset=opset), (1, 3, 8, 8))


def test_local_function_is_inlined(tmp_path):
    """A model whose conv+relu lives in an ONNX local function (as exporters emit)."""
    from onnx import helper

    fn = helper.make_function(
        "custom.blocks", "ConvRelu", ["x", "w", "b"], ["y"],
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        [helper.make_opsetid("", 17)],
    )  # fmt: skip
    b = G((1, 2, 6, 6))
    w, bias = b.w(3, 2, 3, 3), b.w(3)
    b.nodes.append(helper.make_node("ConvRelu", ["x", w, bias], ["y"], domain="custom.blocks"))
    m = b.model("y", opset=17)
    m.opset_import.append(helper.make_opsetid("custom.blocks", 1))
    m.functions.append(fn)
    g = check(tmp_path, m, (1, 2, 6, 6), kinds=["conv"])
    assert g.layers[0].act.label() == "relu"


def test_external_data_as_dynamo_writes_it(tmp_path):
    """Weights in a separate .onnx.data file (torch.onnx dynamo exporter's layout)."""
    import onnx

    b = G((1, 8, 6, 6))
    out = b.conv("x", 8, 16, pads=[1, 1, 1, 1])
    m = b.model(out)
    p = tmp_path / "model.onnx"
    onnx.save_model(m, str(p), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=0)  # fmt: skip
    assert (tmp_path / "model.onnx.data").stat().st_size > 8 * 16 * 9 * 4
    g = load_ir(p)
    assert g.layers[0].kind == "conv" and g.layers[0].weight.shape == (16, 3, 3, 8)
