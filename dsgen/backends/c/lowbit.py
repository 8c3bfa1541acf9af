"""Weights stored at their bit width (templates/c/dsg_lowbit.h): a QAT model's binary, 2-bit and
4-bit layers become byte strings 8, 4 and 2 weights per byte, so flash shrinks with the bits.

Only layers whose integers the model gave (`wquant`: QDQ, QCDQ, QONNX) are packed; the contract's
weight is the stored value times 2^wshift (dsgen.quant.qat's headroom), so the packed kernels
compute the same integers as the int8 ones.
"""

from __future__ import annotations

import numpy as np

from dsgen.ir import graph as ir
from dsgen.quant.qgraph import ConvQ

PACKED_BITS = (1, 2, 4)


def packed_bits(v: np.ndarray) -> int | None:
    """The narrowest packed width that holds the stored values `v`, or None."""
    if v.size == 0:
        return None
    if np.all(np.abs(v) == 1):
        return 1
    lo, hi = int(v.min()), int(v.max())
    for bits in (2, 4):
        if -(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1:
            return bits
    return None


def pack(v: np.ndarray, bits: int) -> list[int]:
    """Element i at bits i·bits … of the byte string, least significant first (dsg_lowbit.h)."""
    flat = np.asarray(v, np.int64).reshape(-1)
    codes = (flat > 0).astype(np.int64) if bits == 1 else flat & ((1 << bits) - 1)
    per = 8 // bits
    codes = np.concatenate([codes, np.zeros(-len(codes) % per, np.int64)]).reshape(-1, per)
    return [int(x) for x in (codes << (np.arange(per) * bits)).sum(axis=1)]


def stored_weights(layer: ir.Layer, p: ConvQ) -> tuple[np.ndarray, int, int] | None:
    """(stored values, bits, wshift) if the layer's weights pack below 8 bits."""
    wq = getattr(layer, "wquant", None)
    if wq is None:
        return None
    k = wq.shift
    v = np.asarray(p.weight, np.int64) >> k
    if not np.array_equal(v << k, p.weight):
        return None
    bits = packed_bits(v)
    return None if bits is None else (v, bits, k)
