"""Shared verification machinery: inputs, metrics, the result record, the target table."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dsgen.errors import DsgenError, nonfinite
from dsgen.ir.graph import Graph

SNR_CAP_DB = 200.0  # reported when the error is exactly zero (JSON has no infinity)


@dataclass
class VerifyResult:
    model: str
    target: str
    samples: int
    bit_exact: bool | None
    mismatches: int
    max_abs_err: float
    snr_db: float
    top1_agreement: float
    macs: int
    ok: bool = True
    extra: dict = field(default_factory=dict)  # cycles, instructions, multipliers, per-layer SNR…

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(d.pop("extra"))
        return d


def to_ir_layout(g: Graph, x_onnx: np.ndarray) -> np.ndarray:
    """[1,C,H,W] (or [1,N]) → (H,W,C) (or (N,))."""
    x = x_onnx[0]
    return x.transpose(1, 2, 0) if x.ndim == 3 else x


def load_inputs(g: Graph, path: str | None, samples: int, seed: int = 0) -> np.ndarray:
    """Samples in ONNX layout, each with its batch dimension: shape (N, 1, C, H, W)."""
    shape = tuple(g.onnx_input_shape)
    dtype = (
        np.int8 if g.input_dtype == "int8" else np.int16 if g.input_dtype == "int16" else np.float32
    )
    if path is None:
        rng = np.random.default_rng(seed)
        if dtype is np.float32:
            xs = rng.standard_normal((samples, *shape)).astype(np.float32)
        else:
            info = np.iinfo(dtype)
            xs = rng.integers(info.min, info.max + 1, size=(samples, *shape)).astype(dtype)
        return xs
    try:
        arr = np.load(path)
    except Exception as exc:
        raise DsgenError(f"cannot read inputs: {type(exc).__name__}", path=path) from None
    _check_samples(arr, path, dtype)
    per = tuple(shape[1:])
    if arr.shape[-len(per) :] != per:
        raise DsgenError(
            f"inputs of shape {list(arr.shape)} do not end with the model's input "
            f"shape {list(per)} (NCHW)",
            path=path,
        )
    arr = arr.reshape(-1, 1, *per)[:samples] if samples else arr.reshape(-1, 1, *per)
    return arr.astype(dtype)


def _check_samples(arr: np.ndarray, path: str, dtype) -> None:
    """Samples that are numbers, at least one, finite, and exact in the model's input type."""
    if arr.dtype.kind not in "biuf":
        raise DsgenError(f"samples of type {arr.dtype} are not real numbers", path=path)
    if arr.size == 0:
        raise DsgenError(f"no samples (shape {list(arr.shape)})", path=path)
    bad = nonfinite(arr)
    if bad:
        raise DsgenError(f"samples hold {bad}", path=path)
    if np.dtype(dtype).kind == "i":
        info = np.iinfo(dtype)
        if arr.min() < info.min or arr.max() > info.max or np.any(arr != np.round(arr)):
            raise DsgenError(f"samples are not all {np.dtype(dtype)} values", path=path)


def compare(ref: list[np.ndarray], got: list[np.ndarray]) -> dict:
    """Error metrics of `got` against `ref`, flattened per sample."""
    r = np.stack([np.asarray(a, np.float64).reshape(-1) for a in ref])
    o = np.stack([np.asarray(a, np.float64).reshape(-1) for a in got])
    err = o - r
    noise = float(np.sum(err**2))
    signal = float(np.sum(r**2))
    snr = SNR_CAP_DB if noise == 0 else 10 * math.log10(max(signal, 1e-300) / noise)
    return {
        "mismatches": int(np.count_nonzero(err)),
        "max_abs_err": float(np.abs(err).max()) if err.size else 0.0,
        "snr_db": round(min(snr, SNR_CAP_DB), 3),
        "top1_agreement": float(np.mean(np.argmax(r, axis=1) == np.argmax(o, axis=1))),
        "ref_max": float(np.abs(r).max()) if r.size else 0.0,
    }


# Backends register their own targets when imported.
OPTIONAL_TARGETS = [
    "dsgen.backends.c.host",
    "dsgen.backends.c.mcu",
    "dsgen.backends.hls.verify",
    "dsgen.backends.rtl.verify",
]

Target = Callable[..., VerifyResult]
TARGETS: dict[str, Target] = {}


def target(name: str) -> Callable[[Target], Target]:
    def register(fn: Target) -> Target:
        TARGETS[name] = fn
        return fn

    return register


def verify_model(path: str | Path, target_name: str, **options) -> VerifyResult:
    import dsgen.verify.targets  # noqa: F401  (registers the targets)

    for module in OPTIONAL_TARGETS:
        try:
            __import__(module)
        except ImportError:
            pass  # a backend that is not part of this installation

    if target_name not in TARGETS:
        raise DsgenError(f"unknown target '{target_name}' (known: {', '.join(sorted(TARGETS))})")
    return TARGETS[target_name](Path(path), **options)
