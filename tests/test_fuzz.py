"""Fuzzing: hypothesis draws random valid depthwise-separable graphs and checks the float reference
against onnxruntime and the C backend against the integer reference (bit-exact).

Failures print hypothesis's reproduction blob (`@reproduce_failure`) and the drawn spec; the
example counts are DSGEN_FUZZ_EXAMPLES (float/int) and DSGEN_FUZZ_C_EXAMPLES (C).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st

from dsgen.backends.c import compile_c, library
from dsgen.backends.c.host import HOST_FLAGS
from dsgen.compiler import load_ir
from dsgen.ir import float_ref
from dsgen.quant import int_ref
from dsgen.quant.quantizer import QuantConfig, quantize
from dsgen.resources import templates_dir
from tests.conftest import fuzz_seed
from tests.fuzz_models import build, specs

ort = pytest.importorskip("onnxruntime")
N_FLOAT = int(os.environ.get("DSGEN_FUZZ_EXAMPLES", "400"))
N_C = int(os.environ.get("DSGEN_FUZZ_C_EXAMPLES", "250"))
SEED = fuzz_seed()
FUZZ = settings(
    deadline=None,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _save(model, d: Path) -> Path:
    p = d / "fuzz.onnx"
    p.write_bytes(model.SerializeToString())
    return p


@seed(SEED)
@settings(FUZZ, max_examples=N_FLOAT)
@given(spec=specs())
def test_float_reference_vs_onnxruntime(spec):
    note(f"replay with DSGEN_FUZZ_SEED={SEED}; spec={spec}")
    with tempfile.TemporaryDirectory() as td:
        p = _save(build(spec), Path(td))
        g = load_ir(p)
        x = np.random.default_rng(spec.seed).standard_normal(g.onnx_input_shape).astype(np.float32)
        ref = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[
            0
        ]
        got = g.output_to_onnx(0, float_ref.run(g, x[0].transpose(1, 2, 0))[g.outputs[0]])
        np.testing.assert_allclose(
            got.reshape(ref.shape), ref, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(ref).max()))
        )


@pytest.fixture(scope="module")
def kernels_obj(tmp_path_factory):
    d = tmp_path_factory.mktemp("kernels")
    objs = []
    for src in library.sources(library.all_families()):
        obj = d / src.replace(".c", ".o")
        kdir = templates_dir() / "c"
        subprocess.run(
            ["cc", "-std=c99", "-O1", "-fPIC", "-c", str(kdir / src), "-o", str(obj)], check=True
        )
        objs.append(obj)
    return objs


def _c_matches(qg, d: Path, kernels_obj: list[Path], xs) -> None:
    import ctypes

    s = compile_c(qg, d, model_sha256="f" * 64)
    lib = d / "model.so"
    flags = [f for f in HOST_FLAGS if f != "-O2"] + ["-O1"]
    subprocess.run(
        [
            "cc",
            *flags,
            str(d / f"{s.name}.c"),
            str(d / f"{s.name}_weights.c"),
            *map(str, kernels_obj),
            "-o",
            str(lib),
        ],
        check=True,
        cwd=d,
    )
    run = getattr(ctypes.CDLL(str(lib)), f"{s.name}_run")
    ct = np.int16 if qg.bits == 16 else np.int8
    out_t = qg.int_outputs[0]
    for x in xs:
        ref = int_ref.run(qg, x)[out_t].reshape(-1)
        xin = np.ascontiguousarray(x.reshape(-1), dtype=ct)
        out = np.zeros(ref.size, ct)
        assert run(xin.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p)) == 0
        bad = np.flatnonzero(out.astype(np.int64) != ref)
        assert not bad.size, f"C differs at flat index {bad[0]}: {out[bad[0]]} vs {ref[bad[0]]}"


@seed(SEED)
@settings(FUZZ, max_examples=N_C)
@given(spec=specs(), bits=st.sampled_from([8, 8, 16]))
def test_c_backend_vs_integer_reference(spec, bits, kernels_obj):
    note(f"replay with DSGEN_FUZZ_SEED={SEED}; bits={bits} spec={spec}")
    with tempfile.TemporaryDirectory() as td:
        d = Path(td)
        p = _save(build(spec), d)
        g = load_ir(p)
        rng = np.random.default_rng(spec.seed)
        calib = rng.standard_normal((4, *g.shape(g.input)))
        qg = quantize(g, calib, QuantConfig(bits=bits))
        lo, hi = (-128, 127) if bits == 8 else (-32768, 32767)
        shape = g.shape(g.input)
        xs = [
            qg.quantize_input(calib[0]),
            rng.integers(lo, hi + 1, shape),
            np.full(shape, hi),
            np.full(shape, lo),
        ]
        _c_matches(qg, d / "c", kernels_obj, xs)


N_HLS = int(os.environ.get("DSGEN_FUZZ_HLS_EXAMPLES", "16"))


@seed(SEED)
@settings(FUZZ, max_examples=N_HLS)
@given(spec=specs(), bits=st.sampled_from([8, 16]))
def test_hls_backend_vs_integer_reference(spec, bits):
    """Fewer examples: every one is a g++ build of a whole dataflow design."""
    from dsgen.backends.hls import compile_hls
    from dsgen.backends.hls.verify import build_csim, run_csim

    note(f"replay with DSGEN_FUZZ_SEED={SEED}; bits={bits} spec={spec}")
    with tempfile.TemporaryDirectory() as td:
        d = Path(td)
        g = load_ir(_save(build(spec), d))
        rng = np.random.default_rng(spec.seed)
        calib = rng.standard_normal((4, *g.shape(g.input)))
        qg = quantize(g, calib, QuantConfig(bits=bits))
        lo, hi = (-128, 127) if bits == 8 else (-32768, 32767)
        xs = np.stack([qg.quantize_input(calib[0]), rng.integers(lo, hi + 1, g.shape(g.input))])
        s = compile_hls(qg, d / "hls", model_sha256="0" * 64, tb_inputs=xs)
        rc, log, frames = run_csim(d / "hls", build_csim(d / "hls", s.top))
        assert rc == 0, log[-2000:]
        for x, got in zip(xs, frames, strict=True):
            ref = int_ref.run(qg, x)[qg.int_outputs[0]].reshape(-1)
            bad = np.flatnonzero(got != ref)
            assert not bad.size, f"HLS differs at {bad[0]}: {got[bad[0]]} vs {ref[bad[0]]}"
