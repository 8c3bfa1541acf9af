"""The verification targets.  Each compares a dsgen execution with its reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.analysis.cost import cost_report
from dsgen.compiler import load_ir
from dsgen.ir import float_ref
from dsgen.verify import ort
from dsgen.verify.core import (
    VerifyResult,
    compare_outputs,
    load_inputs,
    per_output_extra,
    target,
    to_ir_layout,
)

FLOAT_REL_TOL = 1e-4


@target("float")
def verify_float(
    path: Path, *, samples: int = 8, inputs: str | None = None, input_shape=None, seed: int = 0, **_
) -> VerifyResult:
    """Float reference vs onnxruntime on the same graph (fake-quantized for QDQ models)."""
    g = load_ir(path, input_shape)
    xs = load_inputs(g, inputs, samples, seed)
    sess = ort.session(path)
    refs, gots = [[] for _ in g.outputs], [[] for _ in g.outputs]
    for x in progress.track(xs, "float reference vs onnxruntime", total=len(xs)):
        ref_all = ort.run(sess, g.onnx_input_name, x)
        env = float_ref.run(g, to_ir_layout(g, x))
        for k, t in enumerate(g.outputs):  # every graph output, in the ONNX graph's order
            refs[k].append(_ref_in_real_domain(g, t, ref_all[k]))
            gots[k].append(g.output_to_onnx(k, env[t]))
    m = compare_outputs(refs, gots)
    ok = all(o["max_abs_err"] <= FLOAT_REL_TOL * max(o["ref_max"], 1e-12) for o in m["per_output"])
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
        extra=per_output_extra(m, g.onnx_output_names),
    )


def _ref_in_real_domain(g, tensor: str, ref: np.ndarray) -> np.ndarray:
    """onnxruntime's output; a quantized (QDQ) output is compared in the real domain."""
    q = g.tensors[tensor].quant
    if g.output_dtype != "float32" and q is not None:
        return (ref.astype(np.float64) - q.zero_point) * q.scale
    return ref


def _int_outputs_as_float(qg, y_int: np.ndarray, k: int = 0) -> np.ndarray:
    """Integer output `k` in the float graph's terms (softmax applied if it follows)."""
    y = qg.dequantize(qg.int_outputs[k], y_int)
    if qg.softmax_outputs[k]:
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
    samples: int = 8,
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
    xs = load_inputs(g, inputs, samples, seed)
    sess = ort.session(path)
    refs, gots, xs_ir = [[] for _ in g.outputs], [[] for _ in g.outputs], []
    for x in progress.track(xs, "integer reference vs onnxruntime", total=len(xs)):
        ref_all = ort.run(sess, g.onnx_input_name, x)
        xi = to_ir_layout(g, x)
        xs_ir.append(xi)
        xin = xi if g.input_dtype != "float32" else qg.quantize_input(xi)
        env = int_ref.run(qg, xin)
        for k, t in enumerate(g.outputs):  # every graph output, in the ONNX graph's order
            refs[k].append(_ref_in_real_domain(g, t, ref_all[k]))
            y = _int_outputs_as_float(qg, env[qg.int_outputs[k]], k)
            gots[k].append(g.output_to_onnx(k, y))
    m = compare_outputs(refs, gots)
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
        extra={
            "bits": qg.bits,
            "layer_snr_db": per_layer_snr(qg, xs_ir[:4]),
            **per_output_extra(m, g.onnx_output_names),
        },
    )
