"""The example model zoo (dsgen.zoo): validity, numerics, determinism and paper MAC counts."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper, shape_inference

from dsgen import zoo

ort = pytest.importorskip("onnxruntime")

BIG = {"mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224"}
SMALL = [n for n in zoo.names() if n not in BIG]
ACT_OPS = {"Relu", "Clip", "LeakyRelu"}
# issue 14's models (dsgen.zoo.modern) are all written at opset 14
NEW_14 = {n for n in zoo.names() if n.startswith(("mobilenet_v3", "efficientnet", "shufflenet_v2"))}


@pytest.fixture(scope="module")
def models() -> dict[str, onnx.ModelProto]:
    return {n: zoo.build(n) for n in zoo.names()}


def input_shape(model: onnx.ModelProto) -> list[int]:
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]


def session(model: onnx.ModelProto, extra_outputs=()):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for name in extra_outputs:
        m.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def run(model, x, names):
    outs = session(model, [n for n in names if n != "output"]).run(names, {"input": x})
    return dict(zip(names, outs, strict=True))


def rand_input(model, seed):
    return np.random.default_rng(seed).standard_normal(input_shape(model)).astype(np.float32)


def rel_err(a, b) -> float:
    return float(np.sqrt(((a - b) ** 2).mean() / (b**2).mean()))


# -- registry ----------------------------------------------------------------------------------
def test_registry():
    assert zoo.names() == list(zoo.ZOO)
    assert len(set(zoo.names())) == len(zoo.names()) >= 12
    for name, entry in zoo.ZOO.items():
        assert isinstance(entry, zoo.ZooEntry) and entry.name == name
        assert len(entry.description) > 20 and callable(entry.build)
    for required in [
        "mobilenet_v1_1.0_224",
        "mobilenet_v1_025_96",
        "mobilenet_v1_025_32",
        "mobilenet_v2_035_32",
        "mobilenet_v2_spread_32",
        "ds_cnn_kws",
        "tiny_dscnn",
        "xception_block",
        "shufflenet_unit",
        "fire_module",
        "igc_block",
    ]:
        assert required in zoo.ZOO
    with pytest.raises(AttributeError):
        zoo.ZOO["ds_cnn_kws"].name = "x"  # frozen


def test_unknown_name_is_helpful():
    with pytest.raises(KeyError, match="mobilenet_v1_025_32") as e:
        zoo.build("mobilenet_v1_025_23")
    assert "Available" in str(e.value)


# -- structure ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", zoo.names())
def test_valid_onnx(name, models):
    m = models[name]
    onnx.checker.check_model(m, full_check=True)
    # opset 14 for the models with HardSwish (it first appears there), 13 for the others
    want = [14] if name in NEW_14 else [13]
    assert [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] == want
    assert len(m.graph.input) == 1 and m.graph.input[0].name == "input"
    assert m.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    shape = input_shape(m)
    assert len(shape) == 4 and shape[0] == 1 and all(d > 0 for d in shape)
    node_names = [n.name for n in m.graph.node]
    assert all(node_names) and len(set(node_names)) == len(node_names)
    assert all(i.name for i in m.graph.initializer)
    for init in m.graph.initializer:
        assert init.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.INT64), init.name


@pytest.mark.parametrize("name", zoo.names())
def test_every_conv_is_normalized(name, models):
    """Every Conv feeds a BatchNormalization (or a tf2onnx Mul+Add, or Keras' dw->pw pair)."""
    g = models[name].graph
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    for n in g.node:
        if n.op_type != "Conv":
            continue
        if "_se_fc" in n.name:  # squeeze-and-excitation's 1x1 convs: bias, no BN (torchvision)
            assert len(n.input) == 3, n.name
            continue
        nxt = users[n.output[0]]
        assert len(nxt) == 1, n.name
        op = nxt[0].op_type
        if op == "Conv":  # separable conv: depthwise straight into pointwise
            assert name == "xception_block" and n.name.endswith("_dw")
            continue
        assert op == ("Mul" if name == "xception_block" else "BatchNormalization"), n.name
        if op == "BatchNormalization":
            bn = nxt[0]
            assert helper.get_attribute_value(bn.attribute[0]) == pytest.approx(1e-3)
            gamma, _, _, var = (
                numpy_helper.to_array(i) for i in g.initializer if i.name in bn.input[1:]
            )
            assert (var > 0).all()
            if "spread" not in name:
                assert gamma.min() >= 0.5 and gamma.max() <= 1.5


def _ops(m):
    return {n.op_type for n in m.graph.node}


def test_frontend_patterns_are_covered(models):
    ops = {n: _ops(m) for n, m in models.items()}
    assert "LeakyRelu" in ops["igc_block"] and "Pad" in ops["igc_block"]
    assert {"Mul", "Add", "ReduceMean"} <= ops["xception_block"]
    assert "BatchNormalization" not in ops["xception_block"]
    assert {"Dropout", "Identity", "Concat", "MaxPool"} <= ops["fire_module"]
    assert {"Reshape", "Transpose", "Concat", "AveragePool"} <= ops["shufflenet_unit"]
    assert "Flatten" not in ops["shufflenet_unit"]
    assert "Clip" in ops["mobilenet_v2_035_32"] and "Relu" not in ops["mobilenet_v2_035_32"]
    assert "Clip" not in ops["mobilenet_v1_025_32"]
    assert "Softmax" not in ops["tiny_dscnn"]
    pool = [n for n in models["shufflenet_unit"].graph.node if n.op_type == "AveragePool"][0]
    assert (
        helper.get_attribute_value([a for a in pool.attribute if a.name == "count_include_pad"][0])
        == 1
    )
    kws = models["ds_cnn_kws"]
    assert input_shape(kws) == [1, 1, 49, 10]
    conv1 = kws.graph.node[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in conv1.attribute}
    assert attrs["pads"] == [4, 1, 5, 2] and attrs["kernel_shape"] == [10, 4]
    kpool = [n for n in kws.graph.node if n.op_type == "AveragePool"][0]
    assert {a.name: helper.get_attribute_value(a) for a in kpool.attribute}["kernel_shape"] == [
        25,
        5,
    ]


def test_channel_shuffle_is_pytorch_pattern(models):
    g = models["shufflenet_unit"].graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    reshapes = [n for n in g.node if n.op_type == "Reshape" and n.name.endswith("_split")]
    assert reshapes
    for r in reshapes:
        shape = inits[r.input[1]]
        assert shape.dtype == np.int64 and len(shape) == 5 and shape[1] == 4
    for t in (n for n in g.node if n.op_type == "Transpose"):
        assert list(helper.get_attribute_value(t.attribute[0])) == [0, 2, 1, 3, 4]


# -- numerics (onnxruntime) --------------------------------------------------------------------
@pytest.mark.parametrize("name", SMALL)
def test_runs_sane_and_input_dependent(name, models):
    m = models[name]
    inferred = shape_inference.infer_shapes(m, strict_mode=True)
    inter = [
        v.name
        for v in inferred.graph.value_info
        if v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    ]
    out = m.graph.output[0].name
    names = [out] + [n for n in inter if n != out]
    a = run(m, rand_input(m, 1), names)
    b = run(m, rand_input(m, 2), [out, "logits"])
    for k, v in a.items():
        assert np.isfinite(v).all(), k
    # activations neither vanish nor explode anywhere in the network
    for k in inter:
        rms = float(np.sqrt((a[k].astype(np.float64) ** 2).mean()))
        assert 0.02 < rms < 50, (k, rms)
    la, lb = a["logits"], b["logits"]
    assert 0.1 < float(np.sqrt((la**2).mean())) < 10
    # the logits depend on the input substantially, not just through a tiny ripple
    assert np.linalg.norm(la - lb) > 0.1 * max(np.linalg.norm(la), np.linalg.norm(lb))
    if out != "logits":
        assert a[out].sum() == pytest.approx(1.0, abs=1e-5)
        assert not np.allclose(a[out], b[out])


@pytest.mark.parametrize("name", SMALL)
def test_not_chaotic(name, models):
    """A 1e-3 input perturbation moves the logits by little compared with changing the input
    (a random ReLU + BN network with zero-centred betas amplifies it ~1.2x per layer)."""
    m = models[name]
    x, x2 = rand_input(m, 3), rand_input(m, 7)
    dx = 1e-3 * np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    sess = session(m, ["logits"])
    y, y_dx, y2 = (sess.run(["logits"], {"input": v})[0] for v in (x, x + dx, x2))
    ratio = np.linalg.norm(y_dx - y) / np.linalg.norm(y2 - y)
    assert ratio < 0.05, ratio


@pytest.mark.parametrize(
    "build",
    [lambda: zoo.mobilenet_v1(0.25, 128, 10), lambda: zoo.mobilenet_v2(0.35, 96, 10)],
    ids=["v1", "v2"],
)
def test_deep_models_not_chaotic(build):
    """Same through all 27 / 52 layers of a MobileNet, at the last activation: a random
    network with zero-centred BN betas amplifies the perturbation ~60x here, ours ~3x."""
    m = build()
    last = [n.output[0] for n in m.graph.node if n.op_type in ACT_OPS][-1]
    x, x2 = rand_input(m, 3), rand_input(m, 7)
    dx = 1e-3 * np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    sess = session(m, [last])
    y, y_dx, y2 = (sess.run([last], {"input": v})[0] for v in (x, x + dx, x2))
    ratio = np.linalg.norm(y_dx - y) / np.linalg.norm(y2 - y)
    assert ratio < 0.01, ratio


def _fake_quant_weights(model, per_channel: bool, bits: int = 8) -> onnx.ModelProto:
    """Quantize each conv's BN-folded weights (symmetric), then unfold them again."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name: i for i in m.graph.initializer}
    users = {i: n for n in m.graph.node for i in n.input}
    for n in m.graph.node:
        if n.op_type != "Conv":
            continue
        bn = users[n.output[0]]
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
        gamma, _, _, var = (
            numpy_helper.to_array(inits[i]).astype(np.float64) for i in bn.input[1:]
        )
        k = (gamma / np.sqrt(var + 1e-3))[:, None, None, None]
        wf = w * k
        r = np.abs(wf).reshape(len(wf), -1).max(1)
        s = (r if per_channel else np.full_like(r, r.max())) / (2 ** (bits - 1) - 1)
        s = s[:, None, None, None]
        wq = np.round(wf / s) * s / k
        inits[n.input[1]].CopyFrom(numpy_helper.from_array(wq.astype(np.float32), n.input[1]))
    return m


def _quant_errors(model):
    names = ["logits"] + [
        n.output[0] for n in model.graph.node if n.op_type == "BatchNormalization"
    ]
    x = rand_input(model, 5)
    ref = run(model, x, names)
    errs = {}
    for pc in (False, True):
        q = run(_fake_quant_weights(model, pc), x, names)
        errs[pc] = (
            rel_err(q["logits"], ref["logits"]),
            max(rel_err(q[n], ref[n]) for n in names[1:]),
        )
    return errs


def test_spread_bn_per_tensor_fails_per_channel_works(models):
    m = models["mobilenet_v2_spread_32"]
    ranges = []
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:
        if n.op_type == "BatchNormalization":
            k = inits[n.input[1]] / np.sqrt(inits[n.input[4]] + 1e-3)
            ranges.append(np.abs(k).max() / np.abs(k).min())
    assert max(ranges) > 1000  # folded per-channel scales over > 3 orders of magnitude
    errs = _quant_errors(m)
    (pt_logits, pt_worst), (pc_logits, pc_worst) = errs[False], errs[True]
    assert pc_logits < 0.1 and pc_worst < 0.1, errs
    assert pt_worst > 0.3 and pt_worst > 5 * pc_worst and pt_logits > 3 * pc_logits, errs


def test_normal_bn_quantizes_fine(models):
    """Control: without the spread, per-tensor weights are only moderately worse."""
    errs = _quant_errors(models["mobilenet_v2_035_32"])
    (_, pt_worst), (pc_logits, pc_worst) = errs[False], errs[True]
    assert pc_logits < 0.1 and pc_worst < 0.1 and pt_worst < 0.2, errs


# -- determinism -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", zoo.names())
def test_deterministic(name, models):
    assert zoo.build(name).SerializeToString() == models[name].SerializeToString()


def test_deterministic_across_processes(models):
    few = ["tiny_dscnn", "mobilenet_v2_spread_32", "igc_block"]
    code = (
        "import hashlib; from dsgen import zoo; "
        f"print(' '.join(hashlib.sha256(zoo.build(n).SerializeToString()).hexdigest() "
        f"for n in {few!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout.split()
    assert out == [hashlib.sha256(models[n].SerializeToString()).hexdigest() for n in few]


def test_seed_changes_weights():
    a = zoo.ds_cnn_kws(seed=0).SerializeToString()
    assert zoo.ds_cnn_kws(seed=1).SerializeToString() != a


# -- paper numbers -----------------------------------------------------------------------------
def count_macs_params(model: onnx.ModelProto) -> tuple[int, int]:
    """Mult-adds of Conv (kh*kw*Cin/group*Cout*Hout*Wout) and Gemm (in*out); conv+fc params."""
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    g = inferred.graph
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(g.value_info) + list(g.input) + list(g.output)
    }
    inits = {i.name: list(i.dims) for i in g.initializer}
    macs = params = 0
    for n in g.node:
        if n.op_type == "Conv":
            cout, cin_g, kh, kw = inits[n.input[1]]
            _, c, ho, wo = shapes[n.output[0]]
            assert c == cout
            macs += kh * kw * cin_g * cout * ho * wo
            params += cout * cin_g * kh * kw + (inits[n.input[2]][0] if len(n.input) > 2 else 0)
        elif n.op_type == "Gemm":
            nout, nin = inits[n.input[1]]
            macs += nin * nout
            params += nin * nout + nout
    return macs, params


@pytest.mark.parametrize(
    "alpha,res,paper_macs",
    [
        (1.0, 224, 569e6),
        (0.75, 224, 325e6),
        (0.5, 224, 149e6),
        (0.25, 224, 41e6),
        (1.0, 192, 418e6),
        (1.0, 160, 290e6),
        (1.0, 128, 186e6),
    ],
)
def test_mobilenet_v1_paper_mult_adds(alpha, res, paper_macs):
    macs, params = count_macs_params(zoo.mobilenet_v1(alpha, res))
    assert macs == pytest.approx(paper_macs, rel=0.01)
    if alpha == 1.0:
        assert params == pytest.approx(4.2e6, rel=0.01)


def test_mobilenet_v1_full_entry_is_the_paper_model(models):
    m = models["mobilenet_v1_1.0_224"]
    assert input_shape(m) == [1, 3, 224, 224]
    macs, params = count_macs_params(m)
    assert macs == pytest.approx(569e6, rel=0.01) and params == pytest.approx(4.2e6, rel=0.01)
    dw = [n for n in m.graph.node if n.op_type == "Conv" and n.name.endswith("_dw")]
    strides = [
        helper.get_attribute_value([a for a in n.attribute if a.name == "strides"][0])[0]
        for n in dw
    ]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


def test_mobilenet_v2_mult_adds(models):
    macs, params = count_macs_params(models["mobilenet_v2_1.0_224"])
    assert macs == pytest.approx(300e6, rel=0.01)  # paper Table 4: 300 M
    assert params == pytest.approx(3.47e6, rel=0.02)  # paper: 3.4 M
    assert count_macs_params(zoo.mobilenet_v2(0.35, 224))[0] == pytest.approx(59e6, rel=0.02)


def test_bad_arguments():
    with pytest.raises(ValueError):
        zoo.mobilenet_v1(resolution=100)
    with pytest.raises(ValueError):
        zoo.mobilenet_v2(alpha=0)
