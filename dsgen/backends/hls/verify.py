"""``dsgen verify --target hls``: the generated HLS project in C simulation (g++) against the
integer reference, bit for bit.

Importing this module only registers the target.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.errors import DsgenError
from dsgen.verify.core import VerifyResult, compare_outputs, per_output_extra, target
from dsgen.verify.samples import (
    ADVERSARIAL_DEFAULT,
    DEFAULT_SAMPLES,
    ClampHits,
    bit_exact_samples,
    reference_run,
    sample_report,
)

CXXFLAGS = ["-std=c++14", "-O1", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
BUILD_TIMEOUT_S = 900


def find_cxx() -> str:
    cxx = shutil.which("g++")
    if cxx is None:
        raise DsgenError(
            "verify --target hls needs g++ on PATH to build the C simulation (apt-get install g++)"
        )
    return cxx


def vendor_flags(ap_types: Path) -> list[str]:
    """Build against Xilinx's ap_types instead of dsgen's shims (-isystem: their warnings are
    not ours)."""
    return ["-DDSG_VENDOR_HLS", "-isystem", str(ap_types)]


def build_csim(
    project: Path, top: str, flags: list[str] | None = None, ap_types: Path | None = None
) -> Path:
    """Compile firmware + testbench of a generated project into ``project/csim_<top>``; with
    ``ap_types``, against those vendor headers."""
    exe = project / f"csim_{top}{'_vendor' if ap_types else ''}"
    cmd = [
        find_cxx(),
        *(flags or CXXFLAGS),
        *(vendor_flags(ap_types) if ap_types else []),
        f"-I{project / 'firmware'}",
        str(project / "firmware" / f"{top}.cpp"),
        str(project / "tb" / f"{top}_tb.cpp"),
        "-o",
        str(exe),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if r.returncode != 0:
        raise RuntimeError(f"HLS C simulation does not compile:\n{r.stderr[-4000:]}")
    return exe


def run_csim(project: Path, exe: Path) -> tuple[int, str, list[np.ndarray]]:
    """Run the testbench on tb_data/; returns (exit code, stdout, output frames)."""
    out = project / "tb_data" / "output.txt"
    r = subprocess.run(
        [
            str(exe),
            str(project / "tb_data" / "input.txt"),
            str(project / "tb_data" / "expected.txt"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    frames = []
    if out.exists():
        frames = [np.array(line.split(), np.int64) for line in out.read_text().splitlines()]
    return r.returncode, r.stdout + r.stderr, frames


def stream_warnings(log: str) -> list[str]:
    """The vendor hls::stream only warns (on stdout) about a read from an empty stream or data
    left over; either is a kernel bug, so the verification fails on it."""
    return [ln for ln in log.splitlines() if ln.startswith("WARNING: Hls::stream")]


@target("hls-vendor")
def verify_hls_vendor(path: Path, **options) -> VerifyResult:
    """HLS C simulation built against Xilinx's ap_types headers (dsgen.backends.hls.vendor)."""
    from dsgen.backends.hls.vendor import require_ap_types

    return verify_hls(path, ap_types=require_ap_types(), **options)


@target("hls")
def verify_hls(
    path: Path,
    *,
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    quant=None,
    warn=None,
    multipliers: int | None = None,
    part: str = "xc7z020clg400-1",
    clock_ns: float = 10.0,
    adversarial: int | None = None,
    ap_types: Path | None = None,
    **_,
) -> VerifyResult:
    """HLS C simulation vs the integer reference (dsgen.quant.int_ref), bit for bit; built with
    dsgen's shims, or against the vendor headers in ``ap_types``."""
    from dsgen.backends.hls import compile_hls
    from dsgen.compiler import load_ir
    from dsgen.ir.cost import cost_report
    from dsgen.quant.api import QuantOptions, quantize_graph

    find_cxx()
    g = load_ir(path, input_shape)
    qg = quantize_graph(g, quant or QuantOptions(), warn)
    n_adv = ADVERSARIAL_DEFAULT if adversarial is None else adversarial
    s = bit_exact_samples(qg, inputs, samples, seed, default=DEFAULT_SAMPLES, adversarial=n_adv)
    hits = (ClampHits(), ClampHits())  # regular, adversarial
    envs = [reference_run(qg, x, hits[i >= s.regular]) for i, x in enumerate(s.xs)]
    refs = [[env[t].reshape(-1) for env in envs] for t in qg.int_outputs]  # per output
    sizes = [qg.graph.tensors[t].size for t in qg.int_outputs]
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="dsgen_hls_") as tmp:
        proj = Path(tmp)
        summary = compile_hls(
            qg,
            proj,
            part=part,
            clock_ns=clock_ns,
            multipliers=multipliers,
            model_sha256=sha,
            tb_inputs=np.stack(s.xs),
        )
        headers = "Xilinx ap_types" if ap_types else "dsgen shims"
        with progress.status(f"building the HLS C simulation (g++, {headers})"):
            exe = build_csim(proj, summary.top, ap_types=ap_types)
        with progress.status(f"running {len(s.xs)} frame(s) in C simulation"):
            rc, log, gots = run_csim(proj, exe)
    # a frame of the dump holds every output stream, in order
    complete = len(gots) == len(s.xs) and all(f.size == sum(sizes) for f in gots)
    if complete:
        cuts = np.cumsum(sizes)[:-1]
        per_out = [np.split(f, cuts) for f in gots]
        m = compare_outputs(refs, [[f[k] for f in per_out] for k in range(len(sizes))])
    else:
        m = {
            "mismatches": sum(r.size for out in refs for r in out),
            "max_abs_err": float("nan"),
            "snr_db": 0.0,
            "top1_agreement": 0.0,
        }
    adv_bad = (
        sum(
            int(np.count_nonzero(refs[k][i] != per_out[i][k]))
            for i in range(s.regular, len(s.xs))
            for k in range(len(sizes))
        )
        if complete
        else sum(r.size for out in refs for r in out[s.regular :])
    )
    warnings = stream_warnings(log)
    exact = rc == 0 and complete and m["mismatches"] == 0 and not warnings
    first = next((ln for ln in log.splitlines() if ln.startswith("first mismatch")), "")
    first = first or (warnings[0] if warnings else "")
    return VerifyResult(
        model=g.name,
        target="hls-vendor" if ap_types else "hls",
        samples=len(s.xs),
        bit_exact=exact,
        mismatches=m["mismatches"],
        max_abs_err=m["max_abs_err"],
        snr_db=m["snr_db"],
        top1_agreement=m["top1_agreement"],
        macs=cost_report(g).total["macs"],
        ok=exact,
        extra={
            "bits": qg.bits,
            "ii_cycles": summary.ii_cycles,
            "multipliers": summary.multipliers,
            "used_multipliers": summary.plan.used_multipliers,
            "frame_buffer_bram18": sum(f.bram18 for f in summary.frame_buffers),
            "first_mismatch": first,
            "headers": headers,
            "csim_log": log.strip().splitlines()[-1:] if log.strip() else [],
            **sample_report(s, *hits),
            "adversarial_mismatches": adv_bad,
            **(per_output_extra(m, g.onnx_output_names) if complete else {}),
        },
    )
