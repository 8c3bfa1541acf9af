"""Building the generated C on this machine and running it through ctypes (`verify --target c`)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.analysis.cost import cost_report
from dsgen.backends.c.emit import compile_c
from dsgen.backends.render import file_sha256
from dsgen.errors import DsgenError
from dsgen.quant import int_ref
from dsgen.quant.qgraph import QGraph
from dsgen.verify.core import VerifyResult, compare, load_inputs, target, to_ir_layout

HOST_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC"]


class HostModel:
    """The generated C compiled into a shared library, callable with numpy arrays."""

    def __init__(self, c_dir: Path, name: str, bits: int, cc: str = "cc") -> None:
        cc_path = shutil.which(cc)
        if cc_path is None:
            raise DsgenError(f"C compiler '{cc}' not found (install gcc or clang)")
        lib = c_dir / f"lib{name}_host.so"
        srcs = [
            c_dir / f"{name}.c",
            c_dir / f"{name}_weights.c",
            c_dir / "dsg_kernels.c",
            c_dir / "dsg_lowbit.c",
        ]
        r = subprocess.run(
            [cc_path, *HOST_FLAGS, *map(str, srcs), "-o", str(lib)], capture_output=True, text=True
        )
        if r.returncode != 0:
            raise RuntimeError(f"generated C failed to compile:\n{r.stderr[-3000:]}")
        self._lib = ctypes.CDLL(str(lib))
        self._run = getattr(self._lib, f"{name}_run")
        self.ctype = np.int16 if bits == 16 else np.int8

    def run(self, x: np.ndarray, out_size: int) -> np.ndarray:
        xin = np.ascontiguousarray(x.reshape(-1), dtype=self.ctype)
        out = np.zeros(out_size, dtype=self.ctype)
        rc = self._run(xin.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p))
        if rc != 0:
            raise RuntimeError(f"generated model returned {rc}")
        return out.astype(np.int64)


def first_mismatch(expected: np.ndarray, got: np.ndarray, shape) -> str:
    bad = np.flatnonzero(expected.reshape(-1) != got.reshape(-1))
    if not bad.size:
        return ""
    i = int(bad[0])
    idx = np.unravel_index(i, shape)
    return (
        f"first mismatch at {tuple(int(v) for v in idx)}: expected {expected.reshape(-1)[i]}, "
        f"got {got.reshape(-1)[i]}"
    )


def quantized_samples(path, samples, inputs, input_shape, seed, quant, warn):
    """What every bit-exact target starts with: the IR, its quantization, integer inputs."""
    from dsgen.compiler import load_ir
    from dsgen.quant.api import QuantOptions, quantize_graph

    g = load_ir(path, input_shape)
    qg = quantize_graph(g, quant or QuantOptions(), warn)
    return g, qg, int_samples(qg, load_inputs(g, inputs, samples, seed))


def int_samples(qg: QGraph, xs_onnx: np.ndarray) -> list[np.ndarray]:
    g = qg.graph
    out = []
    for x in xs_onnx:
        xi = to_ir_layout(g, x)
        out.append(xi.astype(np.int64) if g.input_dtype != "float32" else qg.quantize_input(xi))
    return out


def compare_bit_exact(qg: QGraph, xs_int, run_fn) -> dict:
    """Run `run_fn` on every sample and compare with the integer reference, element by element
    (errors in LSB; `first_mismatch` names the first differing position)."""
    out_t = qg.int_outputs[0]
    shape = qg.graph.shape(out_t)
    refs, gots, first = [], [], ""
    for x in progress.track(xs_int, "comparing with the integer reference", total=len(xs_int)):
        ref = int_ref.run(qg, x)[out_t]
        got = run_fn(x).reshape(ref.shape)
        if not first and np.any(ref != got):
            first = first_mismatch(ref, got, shape)
        refs.append(ref)
        gots.append(got)
    m = compare(refs, gots)
    m["first_mismatch"] = first
    return m


def bit_exact_result(g, target_name: str, n: int, m: dict, extra: dict) -> VerifyResult:
    if m["first_mismatch"]:
        extra = {**extra, "first_mismatch": m["first_mismatch"]}
    ok = m["mismatches"] == 0
    return VerifyResult(
        model=g.name,
        target=target_name,
        samples=n,
        bit_exact=ok,
        mismatches=m["mismatches"],
        max_abs_err=m["max_abs_err"],
        snr_db=m["snr_db"],
        top1_agreement=m["top1_agreement"],
        macs=cost_report(g).total["macs"],
        ok=ok,
        extra=extra,
    )


@target("c")
def verify_c(
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
    """The generated C, built for this machine, against the integer reference: bit for bit."""
    g, qg, xs = quantized_samples(path, samples, inputs, input_shape, seed, quant, warn)
    with tempfile.TemporaryDirectory(prefix="dsgen_c_") as tmp:
        summary = compile_c(qg, Path(tmp), model_sha256=file_sha256(path))
        model = HostModel(Path(tmp), summary.name, qg.bits)
        n_out = qg.graph.tensors[qg.int_outputs[0]].size
        m = compare_bit_exact(qg, xs, lambda x: model.run(x, n_out))
    extra = {
        "arena_bytes": summary.arena_bytes,
        "arena_lower_bound": summary.arena_lower_bound,
        "weight_bytes": summary.weight_bytes,
    }
    return bit_exact_result(g, "c", len(xs), m, extra)
