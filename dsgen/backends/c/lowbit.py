"""Weights stored at their bit width (templates/c/dsg_lowbit.h): a QAT model's binary, 2-bit and
4-bit layers become byte strings 8, 4 and 2 weights per byte, so flash shrinks with the bits.

A QAT model's layers (`wquant`: QDQ, QCDQ, QONNX) and dsgen's own at --weight-bits 1..4 are
packed; the contract's weight is the stored value times 2^wshift (dsgen.backends.weights), so the
packed kernels compute the same integers as the int8 ones.
"""

from __future__ import annotations

import numpy as np

from dsgen.backends import weights
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import ConvQ

PACKED_BITS = (1, 2, 4)


def packed_bits(bits: int) -> int | None:
    """The packed width that holds `bits`-bit stored values (3 bits go in 4), or None."""
    return next((b for b in PACKED_BITS if bits <= b), None)


def pack(v: np.ndarray, bits: int) -> list[int]:
    """Element i at bits i·bits … of the byte string, least significant first (dsg_lowbit.h)."""
    flat = np.asarray(v, np.int64).reshape(-1)
    codes = (flat > 0).astype(np.int64) if bits == 1 else flat & ((1 << bits) - 1)
    per = 8 // bits
    codes = np.concatenate([codes, np.zeros(-len(codes) % per, np.int64)]).reshape(-1, per)
    return [int(x) for x in (codes << (np.arange(per) * bits)).sum(axis=1)]


def stored_weights(layer: ir.Layer, p: ConvQ) -> tuple[np.ndarray, int, int] | None:
    """(stored values, packed bits, wshift) if the layer's weights pack below 8 bits."""
    sw = weights.stored_weights(layer, p)
    bits = packed_bits(sw.bits)
    return None if bits is None else (sw.values, bits, sw.shift)
