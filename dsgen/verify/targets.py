"""The verification targets.  Each compares a dsgen execution with its reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.compiler import load_ir
from dsgen.inputs import to_ir_layout
from dsgen.ir import float_ref
from dsgen.ir.cost import cost_report
from dsgen.verify import ort
from dsgen.verify.core import VerifyResult, compare, target
from dsgen.verify.samples import DEFAULT_SAMPLES, verify_inputs

FLOAT_REL_TOL = 1e-4


@target("float")
def verify_float(
    path: Path,
    *,
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    **_,
) -> VerifyResult:
    """Float reference vs onnxruntime on the same graph (fake-quantized for QDQ models)."""
    g = load_ir(path, input_shape)
    xs = verify_inputs(g, inputs, samples, seed, DEFAULT_SAMPLES)
    sess = ort.session(path)
    refs, gots = [], []
    for x in progress.track(xs, "float reference vs onnxruntime", total=len(xs)):
        ref = ort.run(sess, g.onnx_input_name, x)[0]
        out = g.output_to_onnx(0, float_ref.run(g, to_ir_layout(g, x))[g.outputs[0]])
        q = g.tensors[g.outputs[0]].quant
        if g.output_dtype != "float32" and q is not None:  # compare in the real domain
            ref = (ref.astype(np.float64) - q.zero_point) * q.scale
        refs.append(ref)
        gots.append(out)
    m = compare(refs, gots)
    ok = m["max_abs_err"] <= FLOAT_REL_TOL * max(m["ref_max"], 1e-12)
    return VerifyResult(
        model=g.name,
        target="float",
        samples=len(xs),
        bit_exact=None,
        mismatches=0 if ok else m["mismatches"],
        max_abs_err=m["max_abs_err"],
        snr_db=m["snr_db"],
        top1_agreement=m["top1_agreement"],
        macs=cost_report(g).total["macs"],
        ok=ok,
    )


def _int_outputs_as_float(qg, y_int: np.ndarray) -> np.ndarray:
    """The integer network's output in the float graph's terms (softmax applied if it follows)."""
    y = qg.dequantize(qg.int_outputs[0], y_int)
    if qg.softmax_after:
        y = float_ref.softmax(y)
    return y


def per_layer_snr(qg, xs_ir: list[np.ndarray]) -> dict[str, float]:
    """SNR (dB) of every integer tensor, dequantized, against the float reference's tensor."""
    from dsgen.quant import int_ref

    sig: dict[str, float] = {}
    noise: dict[str, float] = {}
    g = qg.graph
    for x in xs_ir:
        fenv = float_ref.run(g, x, keep=True, fake_quantize=False)
        xin = x if g.input_dtype != "float32" else qg.quantize_input(x)
        ienv = int_ref.run(qg, xin, keep=True)
        for layer in qg.int_layers:
            f, q = fenv[layer.output], qg.dequantize(layer.output, ienv[layer.output])
            sig[layer.name] = sig.get(layer.name, 0.0) + float(np.sum(f**2))
            noise[layer.name] = noise.get(layer.name, 0.0) + float(np.sum((f - q) ** 2))
    return {k: round(10 * np.log10(max(sig[k], 1e-30) / max(noise[k], 1e-30)), 2) for k in sig}


INT_MIN_TOP1, INT_MIN_SNR_DB = 0.9, 10.0  # quality floor of `verify --target int`


@target("int")
def verify_int(
    path: Path,
    *,
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    quant=None,
    warn=None,
    **_,
) -> VerifyResult:
    """Integer reference vs onnxruntime's float (or QDQ) output."""
    from dsgen.quant import int_ref
    from dsgen.quant.api import QuantOptions, quantize_graph

    g = load_ir(path, input_shape)
    qg = quantize_graph(g, quant or QuantOptions(), warn)
    xs = verify_inputs(g, inputs, samples, seed, DEFAULT_SAMPLES)
    sess = ort.session(path)
    refs, gots, xs_ir = [], [], []
    for x in progress.track(xs, "integer reference vs onnxruntime", total=len(xs)):
        ref = ort.run(sess, g.onnx_input_name, x)[0]
        q = g.tensors[g.outputs[0]].quant
        if g.output_dtype != "float32" and q is not None:
            ref = (ref.astype(np.float64) - q.zero_point) * q.scale
        xi = to_ir_layout(g, x)
        xs_ir.append(xi)
        xin = xi if g.input_dtype != "float32" else qg.quantize_input(xi)
        y = int_ref.run(qg, xin)[qg.int_outputs[0]]
        refs.append(ref)
        gots.append(g.output_to_onnx(0, _int_outputs_as_float(qg, y)))
    m = compare(refs, gots)
    ok = m["top1_agreement"] >= INT_MIN_TOP1 and m["snr_db"] >= INT_MIN_SNR_DB
    return VerifyResult(
        model=g.name,
        target="int",
        samples=len(xs),
        bit_exact=None,
        mismatches=m["mismatches"],
        max_abs_err=m["max_abs_err"],
        snr_db=m["snr_db"],
        top1_agreement=m["top1_agreement"],
        macs=cost_report(g).total["macs"],
        ok=ok,
        extra={"bits": qg.bits, "layer_snr_db": per_layer_snr(qg, xs_ir[:4])},
    )
