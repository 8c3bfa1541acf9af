"""`dsgen compile`: model file → quantized IR → one backend's output tree, written atomically.

The tree is generated in a temporary directory beside the destination and renamed into place
only when complete, so a failure never leaves a partial output directory.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dsgen.backends.render import file_sha256
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.quant.api import QuantOptions, quantize_graph

TARGETS = ("c", "hls", "rtl")


@dataclass
class CompileOptions:
    external_arena: bool = False
    multipliers: int | None = None
    part: str = "xc7z020clg400-1"
    clock_ns: float = 10.0
    quant: QuantOptions = field(default_factory=QuantOptions)
    input_shape: tuple[int, ...] | None = None


def _check_destination(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DsgenError("output path exists and is not a directory", path=str(out))
    parent = out.resolve().parent
    if not parent.is_dir():
        raise DsgenError("the output directory's parent does not exist", path=str(out))
    if not os.access(parent, os.W_OK):
        raise DsgenError("the output directory's parent is not writable", path=str(out))


def _emit(target: str, qg, tmp: Path, sha: str, opts: CompileOptions):
    if target == "c":
        from dsgen.backends.c import compile_c

        return compile_c(
            qg, tmp, model_sha256=sha, external_arena=opts.external_arena, measure=True
        )
    if target == "hls":
        from dsgen.backends.hls import compile_hls

        return compile_hls(
            qg,
            tmp,
            part=opts.part,
            clock_ns=opts.clock_ns,
            multipliers=opts.multipliers,
            model_sha256=sha,
        )
    from dsgen.backends.rtl import compile_rtl

    return compile_rtl(
        qg, tmp, multipliers=opts.multipliers, model_sha256=sha, clock_ns=opts.clock_ns
    )


def compile_model(model: str | Path, target: str, out: str | Path, opts: CompileOptions, warn=None):
    if target not in TARGETS:
        raise DsgenError(f"unknown target '{target}' (choose from {', '.join(TARGETS)})")
    out = Path(out)
    _check_destination(out)
    g = load_ir(model, opts.input_shape)
    qg = quantize_graph(g, opts.quant, warn)
    sha = file_sha256(model)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.resolve().parent))
    except OSError as exc:
        raise DsgenError(
            f"cannot create the output directory: {exc.strerror}", path=str(out)
        ) from None
    try:
        summary = _emit(target, qg, tmp, sha, opts)
        _replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DsgenError(f"cannot write the output: {exc.strerror}", path=str(out)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dataclasses.replace(summary, out_dir=out)


def _replace(tmp: Path, out: Path) -> None:
    """Swap the finished tree into place (an existing output directory is replaced whole)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
