"""Pre-quantized (QDQ) models taken as they are, against onnxruntime on the real shipped inputs."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from dsgen.compiler import load_ir
from dsgen.quant import int_ref
from dsgen.quant.quantizer import quantize
from dsgen.verify import ort

pytest.importorskip("onnxruntime")

MODELS = {
    "mlperf_kws_dscnn_int8_qdq_nchw.onnx": "kws",
    "mlperf_vww_mbv1_025_int8_qdq_nchw.onnx": "vww",
}


def real_inputs(shared, kind):
    """int8 NHWC samples as the QDQ models take them (shared/models/README.md)."""
    if kind == "kws":
        return np.load(shared / "kws_mlperf_mfcc.npz")["features_int8_nhwc"].astype(np.int64)
    imgs = np.load(shared / "images_rgb96_uint8.npz")["images_nhwc_uint8"]
    return imgs.astype(np.int64) - 128


def expose_quantized_tensors(path, tmp_path):
    """A copy of the model whose every QuantizeLinear output is also a graph output."""
    m = onnx.load(str(path))
    q_of = {n.input[0]: n.output[0] for n in m.graph.node if n.op_type == "QuantizeLinear"}
    inits = {i.name for i in m.graph.initializer} | {m.graph.input[0].name}
    for n in m.graph.node:  # int8 tensors that only feed a DequantizeLinear (e.g. a Reshape's)
        if n.op_type == "DequantizeLinear" and n.input[0] not in inits:
            q_of.setdefault(n.input[0], n.input[0])
    have = {o.name for o in m.graph.output}
    for name in set(q_of.values()):
        if name not in have:
            m.graph.output.append(
                onnx.helper.make_tensor_value_info(name, onnx.TensorProto.INT8, None)
            )
    out = tmp_path / "exposed.onnx"
    onnx.save(m, str(out))
    return out, q_of


def nhwc(a):
    a = np.asarray(a)[0]
    return a.transpose(1, 2, 0) if a.ndim == 3 else a.reshape(-1)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_layer_by_layer_within_one_lsb(shared_models, tmp_path, model):
    """Each integer layer, fed onnxruntime's own int8 input, is within 1 LSB of onnxruntime's
    int8 output (onnxruntime rounds in float32, ties to even; the contract rounds in integers)."""
    path = shared_models / model
    g = load_ir(path)
    qg = quantize(g, None)
    exposed, q_of = expose_quantized_tensors(path, tmp_path)
    sess = ort.session(exposed)
    names = [o.name for o in sess.get_outputs()]
    # IR tensor -> the ONNX int8 tensor holding it (the graph input is int8 already)
    onnx_int = {t: q_of[t] for t in g.tensors if t in q_of}
    onnx_int[g.input] = g.onnx_input_name
    xs = real_inputs(shared_models, MODELS[model])[:6]
    checked, worst = set(), 0
    for x in xs:
        outs = dict(
            zip(
                names,
                sess.run(None, {g.onnx_input_name: x.transpose(2, 0, 1)[None].astype(np.int8)}),
                strict=True,
            )
        )
        outs[g.onnx_input_name] = x.transpose(2, 0, 1)[None]
        for layer in qg.int_layers:
            tensors = [*layer.inputs, layer.output]
            if not all(t in onnx_int and onnx_int[t] in outs for t in tensors):
                continue
            ins = [nhwc(outs[onnx_int[t]]).astype(np.int64) for t in layer.inputs]
            got = int_ref.run_layer(layer, qg.params[layer.name], ins)
            ref = nhwc(outs[onnx_int[layer.output]]).reshape(got.shape)
            diff = np.abs(got - ref.astype(np.int64))
            if diff.max() > 1:
                idx = np.unravel_index(int(diff.argmax()), diff.shape)
                pytest.fail(
                    f"{layer.name}: {int(diff.max())} LSB at {idx}: ours {got[idx]}, "
                    f"onnxruntime {ref[idx]}"
                )
            worst = max(worst, int(diff.max()))
            checked.add(layer.name)
    convs = {l.name for l in qg.int_layers if l.kind.endswith("conv") or l.kind == "dense"}
    assert convs <= checked, f"layers not compared: {sorted(convs - checked)}"
    print(f"{model}: {len(checked)} layers within {worst} LSB")


@pytest.mark.parametrize("model", sorted(MODELS))
def test_end_to_end_top1(shared_models, model):
    path = shared_models / model
    g = load_ir(path)
    qg = quantize(g, None)
    sess = ort.session(path)
    oq = g.tensors[g.outputs[0]].quant
    xs = real_inputs(shared_models, MODELS[model])
    agree, worst = 0, 0
    for x in xs:
        ref = sess.run(None, {g.onnx_input_name: x.transpose(2, 0, 1)[None].astype(np.int8)})[0]
        logits = qg.dequantize(qg.int_outputs[0], int_ref.run(qg, x)[qg.int_outputs[0]])
        p = np.exp(logits - logits.max())
        p /= p.sum()
        ours = np.clip(np.rint(p / oq.scale) + oq.zero_point, -128, 127)
        ref = ref.reshape(-1).astype(np.int64)
        worst = max(worst, int(np.abs(ours - ref).max()))
        agree += int(np.argmax(ours) == np.argmax(ref))
    print(f"{model}: top-1 agreement {agree}/{len(xs)}, max output difference {worst} LSB")
    assert agree / len(xs) >= 0.99
