"""The verification targets.  Each compares a dsgen execution with its reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsgen.analysis.cost import cost_report
from dsgen.compiler import load_ir
from dsgen.ir import float_ref
from dsgen.verify import ort
from dsgen.verify.core import VerifyResult, compare, load_inputs, target, to_ir_layout

FLOAT_REL_TOL = 1e-4


@target("float")
def verify_float(path: Path, *, samples: int = 8, inputs: str | None = None,
                 input_shape=None, seed: int = 0, **_) -> VerifyResult:  # fmt: skip
    """Float reference vs onnxruntime on the same graph (fake-quantized for QDQ models)."""
    g = load_ir(path, input_shape)
    xs = load_inputs(g, inputs, samples, seed)
    sess = ort.session(path)
    refs, gots = [], []
    for x in xs:
        ref = ort.run(sess, g.onnx_input_name, x)[0]
        out = g.output_to_onnx(0, float_ref.run(g, to_ir_layout(g, x))[g.outputs[0]])
        q = g.tensors[g.outputs[0]].quant
        if g.output_dtype != "float32" and q is not None:  # compare in the real domain
            ref = (ref.astype(np.float64) - q.zero_point) * q.scale
        refs.append(ref)
        gots.append(out)
    m = compare(refs, gots)
    ok = m["max_abs_err"] <= FLOAT_REL_TOL * max(m["ref_max"], 1e-12)
    return VerifyResult(model=g.name, target="float", samples=len(xs), bit_exact=None,
                        mismatches=0 if ok else m["mismatches"], max_abs_err=m["max_abs_err"],
                        snr_db=m["snr_db"], top1_agreement=m["top1_agreement"],
                        macs=cost_report(g).total["macs"], ok=ok)  # fmt: skip
