"""Model inputs: read from a .npy file or drawn at random, in the model's ONNX (NCHW) layout, and
the conversion to the IR's layout.  Calibration (quant), verification and reports all start here,
so it sits below all of them and depends only on the IR."""

from __future__ import annotations

import numpy as np

from dsgen.errors import DsgenError, nonfinite
from dsgen.ir.graph import Graph


def to_ir_layout(g: Graph, x_onnx: np.ndarray) -> np.ndarray:
    """[1,C,H,W] (or [1,N]) → (H,W,C) (or (N,))."""
    x = x_onnx[0]
    return x.transpose(1, 2, 0) if x.ndim == 3 else x


def input_dtype(g: Graph) -> type:
    return {"int8": np.int8, "int16": np.int16}.get(g.input_dtype, np.float32)


def random_inputs(g: Graph, samples: int, seed: int = 0) -> np.ndarray:
    """Standard-normal floats (the synthetic calibration's distribution), or integers uniform over
    the whole range for an integer-input model; shape (N, 1, C, H, W)."""
    shape = tuple(g.onnx_input_shape)
    dtype = input_dtype(g)
    rng = np.random.default_rng(seed)
    if dtype is np.float32:
        return rng.standard_normal((samples, *shape)).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=(samples, *shape)).astype(dtype)


def read_inputs(g: Graph, path: str) -> np.ndarray:
    """Every sample of a .npy file, shape (N, 1, C, H, W), in the model's input dtype."""
    try:
        arr = np.load(path)
    except Exception as exc:
        raise DsgenError(f"cannot read inputs: {type(exc).__name__}", path=path) from None
    per = tuple(g.onnx_input_shape[1:])
    if arr.shape[-len(per) :] != per:
        raise DsgenError(
            f"inputs of shape {list(arr.shape)} do not end with the model's input "
            f"shape {list(per)} (NCHW)",
            path=path,
        )
    _check_samples(arr, path, input_dtype(g))
    return arr.reshape(-1, 1, *per).astype(input_dtype(g))


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


def load_inputs(
    g: Graph, path: str | None, samples: int | None, seed: int = 0, default: int = 8
) -> np.ndarray:
    """Samples in ONNX layout, each with its batch dimension: shape (N, 1, C, H, W).

    From a file: all of it, or its first ``samples``.  Without one: ``samples`` (else ``default``)
    random inputs (:func:`random_inputs`)."""
    if path is None:
        return random_inputs(g, samples or default, seed)
    arr = read_inputs(g, path)
    return arr[:samples] if samples else arr
