"""Quantization quality, side by side in one run: dsgen's quantizer vs onnxruntime's
quantizer used the way its documentation says (`quant_pre_process`, which folds BatchNorm and
runs shape inference, then `quantize_static`: QDQ, per-channel int8 weights, int8 activations,
min/max calibration) on the same calibration and test inputs.

For every zoo model: SNR (dB) of the network output against the float model, and top-1
agreement; dsgen at 8 bits (int8 activations) and 16 bits (16x8).  For the real MLPerf keyword
spotter the shipped clips are split into calibration and test sets.

    .venv/bin/python bench/quant_quality.py [--models NAME ...]
    .venv/bin/python bench/quant_quality.py --split [NAME ...]   # 16x8: weight vs activation noise
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from dsgen import zoo
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.ir import float_ref
from dsgen.quant import int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.verify import ort
from dsgen.verify.peers import ort_quantize_static

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "models"
SPLIT_MODELS = ["xception_block", "mobilenet_v1_025_32", "mobilenet_v2_035_32"]


def snr_db(ref: np.ndarray, got: np.ndarray) -> float:
    noise = float(np.sum((ref - got) ** 2))
    return 200.0 if noise == 0 else 10 * np.log10(float(np.sum(ref**2)) / noise)


def dsgen_outputs(path: Path, calib_ir: np.ndarray, test_ir: np.ndarray, bits: int) -> np.ndarray:
    g = load_ir(path)
    qg = quantize(g, calib_ir, QuantConfig(bits=bits))
    outs = []
    for x in test_ir:
        y = qg.dequantize(
            qg.int_outputs[0], int_ref.run(qg, qg.quantize_input(x))[qg.int_outputs[0]]
        )
        outs.append(float_ref.softmax(y) if qg.softmax_after else y)
    return np.stack([o.reshape(-1) for o in outs])


def float_outputs(path: Path, test_ir: np.ndarray) -> np.ndarray:
    g = load_ir(path)
    return np.stack([float_ref.run(g, x)[g.outputs[0]].reshape(-1) for x in test_ir])


def ort_outputs(path: Path, calib_nchw: np.ndarray, test_nchw: np.ndarray, tmp: Path) -> np.ndarray:
    qpath = ort_quantize_static(path, calib_nchw, tmp / f"{path.stem}_ort_q.onnx")
    sess = ort.session(qpath)
    name = sess.get_inputs()[0].name
    return np.stack([sess.run(None, {name: x[None]})[0].reshape(-1) for x in test_nchw])


def top1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.argmax(a, axis=1) == np.argmax(b, axis=1)))


def measure(
    path: Path, calib_nchw: np.ndarray, test_nchw: np.ndarray, tmp: Path, bits=(8, 16)
) -> dict:
    to_ir = (lambda a: a.transpose(0, 2, 3, 1)) if calib_nchw.ndim == 4 else (lambda a: a)
    calib_ir, test_ir = to_ir(calib_nchw).astype(np.float64), to_ir(test_nchw).astype(np.float64)
    ref = float_outputs(path, test_ir)
    res = {"ort": ort_outputs(path, calib_nchw, test_nchw, tmp)}
    for b in bits:
        try:
            res[f"dsgen{b}"] = dsgen_outputs(path, calib_ir, test_ir, b)
        except DsgenError:  # a model dsgen refuses at this width: said so in the table
            res[f"dsgen{b}"] = None
    return {k: (snr_db(ref, v), top1(ref, v)) if v is not None else None for k, v in res.items()}


def zoo_inputs(path: Path, n_cal: int = 32, n_test: int = 32):
    g = load_ir(path)
    shape = g.onnx_input_shape[1:]
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((n_cal + n_test, *shape)).astype(np.float32)
    return xs[:n_cal], xs[n_cal:]


def real_sets():
    """(label, float model, NCHW float inputs) for the real models and their shipped inputs:
    every third sample calibrates, the others test."""
    if not SHARED.is_dir():
        return
    mfcc = np.load(SHARED / "kws_mlperf_mfcc.npz")["features_nhwc"].astype(np.float32)
    yield ("MLPerf KWS (171 real clips)", SHARED / "mlperf_kws_dscnn_float_nchw.onnx",
           mfcc.transpose(0, 3, 1, 2))  # fmt: skip
    arm = np.load(SHARED / "kws_arm_mfcc.npz")["features_nhwc"].astype(np.float32)
    yield ("ARM DS-CNN-S (170 real clips)", SHARED / "arm_kws_ds_cnn_S_float_nchw.onnx",
           arm.transpose(0, 3, 1, 2))  # fmt: skip
    imgs = np.load(SHARED / "images_rgb96_uint8.npz")["images_nhwc_uint8"][:150]
    vww = SHARED / "mlperf_vww_mbv1_025_float_nchw.onnx"
    yield ("MLPerf VWW MobileNetV1-0.25 (150 images)", vww,
           (imgs.astype(np.float32) / 255.0).transpose(0, 3, 1, 2))  # fmt: skip


def _logits(g, qg, xs, weights: dict | None, act_quant: bool) -> np.ndarray:
    """Float execution of the integer part with some weights replaced (`weights`: layer name ->
    dequantized weights) and, if `act_quant`, every activation fake-quantized to its parameters."""
    import copy

    g = copy.deepcopy(g)
    for layer in g.layers:
        if weights and layer.name in weights:
            layer.weight, layer.bias = weights[layer.name]
    outs = []
    for x in xs:
        if act_quant:
            x = float_ref.fake_quant(x, qg.input_q)
        env = float_ref.run(g, x, fake_quantize=act_quant, keep=True)
        outs.append(np.asarray(env[qg.int_outputs[0]]).reshape(-1))
    return np.stack(outs)


def dequantized_weights(qg) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each conv / dense layer's integer weights and (bias-corrected) bias as real numbers: times
    the per-channel weight scale, recovered from the multiplier (m = s_in · s_w / s_out)."""
    out = {}
    for layer in qg.int_layers:
        rec = qg.params[layer.name]
        if not hasattr(rec, "weight"):
            continue
        m = rec.mult.astype(np.float64) * 2.0 ** (rec.shift.astype(np.float64) - 31)
        s_in = qg.qparams(layer.inputs[0]).scale
        s_w = m * qg.qparams(layer.output).scale / s_in
        w = rec.weight * s_w.reshape((-1,) + (1,) * (rec.weight.ndim - 1))
        out[layer.name] = (w, rec.bias * s_in * s_w)
    return out


def noise_split(path: Path, calib_ir: np.ndarray, test_ir: np.ndarray) -> dict:
    """Where the 16x8 error comes from, at the logits (before any softmax): output SNR with only
    the weights quantized (the integer network's 8-bit weights and corrected biases, activations
    float), with only the activations quantized (8 or 16 bits, float weights), and the three
    layers whose quantized weights alone cost the most."""
    g = load_ir(path)
    q = {b: quantize(load_ir(path), calib_ir, QuantConfig(bits=b)) for b in (8, 16)}
    ref = _logits(g, q[16], test_ir, None, False)
    wq = dequantized_weights(q[16])
    res = {
        "weights only (8-bit)": snr_db(ref, _logits(g, q[16], test_ir, wq, False)),
        "activations only (16-bit)": snr_db(ref, _logits(q[16].graph, q[16], test_ir, None, True)),
        "activations only (8-bit)": snr_db(ref, _logits(q[8].graph, q[8], test_ir, None, True)),
    }
    for b in (8, 16):
        o = q[b].int_outputs[0]
        got = [q[b].dequantize(o, int_ref.run(q[b], q[b].quantize_input(x))[o]) for x in test_ir]
        res[f"integer {b}x8"] = snr_db(ref, np.stack([y.reshape(-1) for y in got]))
    per_layer = {
        name: snr_db(ref, _logits(g, q[16], test_ir, {name: w}, False)) for name, w in wq.items()
    }
    worst = sorted(per_layer.items(), key=lambda kv: kv[1])[:3]
    return res | {"worst layers (weights alone)": worst, "layers": len(per_layer)}


def print_split(names: list[str], tmp: Path) -> None:
    print(
        "| model | integer 8x8 | integer 16x8 | weights only (8-bit) | activations only 16-bit "
        "| activations only 8-bit | weight layers | costliest layers, their weights alone |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        p = tmp / f"{name}.onnx"
        p.write_bytes(zoo.build(name).SerializeToString())
        cal, test = zoo_inputs(p)
        r = noise_split(p, *(a.transpose(0, 2, 3, 1).astype(np.float64) for a in (cal, test)))
        worst = ", ".join(f"{n} {v:.1f}" for n, v in r["worst layers (weights alone)"])
        print(
            f"| {name} | {r['integer 8x8']:.1f} | {r['integer 16x8']:.1f} | "
            f"{r['weights only (8-bit)']:.1f} | {r['activations only (16-bit)']:.1f} | "
            f"{r['activations only (8-bit)']:.1f} | {r['layers']} | {worst} |"
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--models", nargs="*", help="zoo names (default: every small one)")
    ap.add_argument("--split", nargs="*", help="zoo names: where the 16x8 error comes from")
    ap.add_argument("--no-real", action="store_true", help="skip the real models in ../shared")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        if args.split is not None:
            print_split(args.split or SPLIT_MODELS, tmp)
            return 0
        for name in args.models or [n for n in zoo.names() if not n.endswith("_224")]:
            p = tmp / f"{name}.onnx"
            p.write_bytes(zoo.build(name).SerializeToString())
            rows.append((name, measure(p, *zoo_inputs(p), tmp)))
            print(f"{name}: done", file=sys.stderr)
        for label, model, x in () if args.no_real else real_sets():
            cal, test = x[::3], np.delete(x, np.s_[::3], axis=0)
            rows.append((label, measure(model, cal, test, tmp)))
            print(f"{label}: done", file=sys.stderr)
    print(
        "| model | onnxruntime int8 SNR dB / top-1 | dsgen int8 SNR dB / top-1 | "
        "dsgen 16x8 SNR dB / top-1 | dsgen int8 − onnxruntime (dB) |"
    )
    print("|---|---|---|---|---|")
    for name, r in rows:
        cells = [
            f"{r[k][0]:.1f} / {r[k][1]:.2f}" if r[k] else "refused"
            for k in ("ort", "dsgen8", "dsgen16")
        ]
        print(f"| {name} | {' | '.join(cells)} | {r['dsgen8'][0] - r['ort'][0]:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
