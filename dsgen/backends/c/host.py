"""Building the generated C on this machine and running it through ctypes (`verify --target c`)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.backends.c import library
from dsgen.backends.c.emit import compile_c
from dsgen.backends.render import file_sha256
from dsgen.errors import DsgenError
from dsgen.ir.cost import cost_report
from dsgen.ir.graph import Graph
from dsgen.quant.qgraph import QGraph
from dsgen.verify.core import VerifyResult, compare_outputs, per_output_extra, target
from dsgen.verify.samples import (
    ADVERSARIAL_DEFAULT,
    ADVERSARIAL_KINDS,
    DEFAULT_SAMPLES,
    ClampHits,
    Samples,
    bit_exact_samples,
    int_inputs,
    reference_run,
    sample_report,
)

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
            *library.tree_sources(c_dir),
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
        """A single-output model: `<name>_run(in, out)`."""
        return self.run_all(x, [out_size])[0]

    def run_all(self, x: np.ndarray, out_sizes: list[int]) -> list[np.ndarray]:
        """`<name>_run(in, out0, out1, …)`: one buffer per graph output, in order."""
        xin = np.ascontiguousarray(x.reshape(-1), dtype=self.ctype)
        outs = [np.zeros(n, dtype=self.ctype) for n in out_sizes]
        ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in (xin, *outs)]
        rc = self._run(*ptrs)
        if rc != 0:
            raise RuntimeError(f"generated model returned {rc}")
        return [o.astype(np.int64) for o in outs]


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


def quantized_samples(
    path,
    samples,
    inputs,
    input_shape,
    seed,
    quant,
    warn,
    *,
    default: int = DEFAULT_SAMPLES,
    adversarial: int | None = None,
    order: tuple[str, ...] = ADVERSARIAL_KINDS,
) -> tuple[Graph, QGraph, Samples]:
    """What every bit-exact target starts with: the IR, its quantization, integer inputs (the
    calibration-like or the file's, then ``adversarial`` adversarial ones: dsgen.verify.samples)."""
    from dsgen.compiler import load_ir
    from dsgen.quant.api import QuantOptions, quantize_graph

    g = load_ir(path, input_shape)
    qg = quantize_graph(g, quant or QuantOptions(), warn)
    n_adv = ADVERSARIAL_DEFAULT if adversarial is None else adversarial
    s = bit_exact_samples(
        qg, inputs, samples, seed, default=default, adversarial=n_adv, order=order
    )
    return g, qg, s


def int_samples(qg: QGraph, xs_onnx: np.ndarray) -> list[np.ndarray]:
    return int_inputs(qg, xs_onnx)


def out_sizes(qg: QGraph) -> list[int]:
    return [qg.graph.tensors[t].size for t in qg.int_outputs]


def compare_bit_exact(qg: QGraph, xs_int, run_fn, n_adversarial: int = 0) -> dict:
    """Run `run_fn` on every sample and compare with the integer reference, element by element,
    on every graph output (errors in LSB; `first_mismatch` names the first differing position).
    `run_fn` returns one array per output (a bare array for a single-output model); a sample
    with missing outputs counts every element of those as a mismatch.  The last
    ``n_adversarial`` samples are the adversarial ones: their mismatches and clamp hits are
    counted apart."""
    n = len(qg.int_outputs)
    refs, gots, first, bad = [[] for _ in range(n)], [[] for _ in range(n)], "", []
    n_regular = len(xs_int) - n_adversarial
    hits = (ClampHits(), ClampHits())  # regular, adversarial
    track = progress.track(xs_int, "comparing with the integer reference", total=len(xs_int))
    for i, x in enumerate(track):
        env = reference_run(qg, x, hits[i >= n_regular])
        got_all = run_fn(x)
        if isinstance(got_all, np.ndarray):
            got_all = [got_all]
        bad.append(0)
        for k, t in enumerate(qg.int_outputs):
            ref = env[t]
            got = _as_output(got_all[k] if k < len(got_all) else None, ref)
            bad[-1] += int(np.count_nonzero(ref != got))
            if not first and np.any(ref != got):
                which = "adversarial " if i >= n_regular else ""
                where = f"output {k} ({t}): " if n > 1 else ""
                first = f"{which}sample {i}: " + where + first_mismatch(ref, got, ref.shape)
            refs[k].append(ref)
            gots[k].append(got)
    m = compare_outputs(refs, gots)
    m["first_mismatch"] = first
    m["adversarial_mismatches"] = sum(bad[n_regular:])
    m["clamp_hits"] = hits
    return m


def _as_output(got, ref: np.ndarray) -> np.ndarray:
    """`got` in `ref`'s shape; a missing or wrong-sized output becomes all-mismatching."""
    if got is None or np.asarray(got).size != ref.size:
        return np.where(ref == 0, 1, -ref).astype(np.int64)  # differs everywhere
    return np.asarray(got, np.int64).reshape(ref.shape)


def bit_exact_result(g, target_name: str, s: Samples, m: dict, extra: dict) -> VerifyResult:
    """The result record of a bit-exact target, with the report on its inputs (samples.py)."""
    extra = {
        **extra,
        **sample_report(s, *m["clamp_hits"]),
        "adversarial_mismatches": m["adversarial_mismatches"],
    }
    if m["first_mismatch"]:
        extra["first_mismatch"] = m["first_mismatch"]
    if "per_output" in m:
        extra.update(per_output_extra(m, g.onnx_output_names or list(g.outputs)))
    ok = m["mismatches"] == 0
    return VerifyResult(
        model=g.name,
        target=target_name,
        samples=len(s.xs),
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
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    quant=None,
    warn=None,
    adversarial: int | None = None,
    **_,
) -> VerifyResult:
    """The generated C, built for this machine, against the integer reference: bit for bit."""
    g, qg, s = quantized_samples(
        path, samples, inputs, input_shape, seed, quant, warn, adversarial=adversarial
    )
    with tempfile.TemporaryDirectory(prefix="dsgen_c_") as tmp:
        summary = compile_c(qg, Path(tmp), model_sha256=file_sha256(path))
        return check_c_tree(g, qg, s, Path(tmp), summary)


def check_c_tree(g: Graph, qg: QGraph, s: Samples, c_dir: Path, summary) -> VerifyResult:
    """Build the C tree ``c_dir`` (written by compile_c for ``qg``) and check it on ``s``."""
    model = HostModel(c_dir, summary.name, qg.bits)
    sizes = out_sizes(qg)
    m = compare_bit_exact(qg, s.xs, lambda x: model.run_all(x, sizes), s.adversarial)
    extra = {
        "arena_bytes": summary.arena_bytes,
        "arena_lower_bound": summary.arena_lower_bound,
        "arena_naive_bound": summary.naive_lower_bound,
        "scratch_bytes": summary.scratch_bytes,
        "weight_bytes": summary.weight_bytes,
    }
    return bit_exact_result(g, "c", s, m, extra)
