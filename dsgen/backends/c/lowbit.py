"""Weights stored at their bit width (templates/c/dsg_lowbit.h): a QAT model's binary, 2-bit and
4-bit layers become byte strings 8, 4 and 2 weights per byte, so flash shrinks with the bits.

A QAT model's layers (`wquant`: QDQ, QCDQ, QONNX) and dsgen's own at --weight-bits 1..4 are
packed; the contract's weight is the stored value times 2^wshift (dsgen.backends.weights), so the
packed kernels compute the same integers as the int8 ones.

The layout is chosen for the Cortex-M4 inner loop (dsg_lowbit.h): codes are offset binary (w + 8,
w + 2; binary: 1 for +1), a 32-bit word holds G = 32 / bits consecutive weights of the stream with
the even ones in its low half and the odd ones in its high half, so that one shift-and-mask gives
two int16 lanes ready for SMLAD against a pair of activations.  A depthwise layer's stream is
tap-major ([kh][kw][C]), every other layer's the flat [C_out][kh][kw][C_in/groups].  A final
partial word keeps the weights in order (element j at slot j), so the byte count stays
ceil(n · bits / 8).
"""

from __future__ import annotations

import numpy as np

from dsgen.backends import weights
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import ConvQ, QGraph

PACKED_BITS = (1, 2, 4)


def packed_bits(bits: int) -> int | None:
    """The packed width that holds `bits`-bit stored values (3 bits go in 4), or None."""
    return next((b for b in PACKED_BITS if bits <= b), None)


def codes(v: np.ndarray, bits: int) -> np.ndarray:
    """Offset-binary codes: w + 2^(bits-1) for 2 and 4 bits; binary: 1 for +1, 0 for -1."""
    flat = np.asarray(v, np.int64).reshape(-1)
    return (flat > 0).astype(np.int64) if bits == 1 else flat + (1 << (bits - 1))


def slots(n: int, bits: int) -> np.ndarray:
    """Slot (field index in the byte string) of stream element i = 0..n-1 (dsg_lowbit.h)."""
    g = 32 // bits
    i = np.arange(n)
    j = i % g
    lane = (j >> 1) + (g // 2) * (j & 1)
    return np.where(i < n // g * g, i - j + lane, i)


def stream(v: np.ndarray, depthwise: bool) -> np.ndarray:
    """The weights [C_out][kh][kw][C_in/groups] in stream order (tap-major for depthwise)."""
    v = np.asarray(v)
    return v.transpose(1, 2, 3, 0).reshape(-1) if depthwise else v.reshape(-1)


def pack(v: np.ndarray, bits: int, depthwise: bool = False) -> list[int]:
    """The byte string of dsg_lowbit.h for stored values v [C_out][kh][kw][C_in/groups]."""
    c = codes(stream(v, depthwise), bits)
    per = 8 // bits
    field = np.zeros(-(-len(c) // per) * per, np.int64)
    field[slots(len(c), bits)] = c
    field = field.reshape(-1, per)
    return [int(x) for x in (field << (np.arange(per) * bits)).sum(axis=1)]


def is_depthwise(layer: ir.Layer) -> bool:
    """The kernel's tap-major case: one input and one output channel per group."""
    w = getattr(layer, "weight", None)
    g = getattr(layer, "groups", 1)
    return w is not None and w.ndim == 4 and g > 1 and w.shape[3] == 1 and w.shape[0] == g


def stored_weights(layer: ir.Layer, p: ConvQ) -> tuple[np.ndarray, int, int] | None:
    """(stored values, packed bits, wshift) if the layer's weights pack below 8 bits."""
    sw = weights.stored_weights(layer, p)
    bits = packed_bits(sw.bits)
    return None if bits is None else (sw.values, bits, sw.shift)


def defines(qg: QGraph) -> list[tuple[str, int]]:
    """dsg_config.h switches of templates/c/dsg_lowbit.c: compile only the activation type and
    the packed widths this model's layers use (the library default is all of them)."""
    used = set()
    for layer in qg.int_layers:  # the layers dsgen.backends.c.lower packs
        if isinstance(layer, (ir.Conv, ir.Dense)):
            stored = stored_weights(layer, qg.params[layer.name])
            if stored is not None:
                used.add(stored[1])
    if not used:
        return []
    kinds = [("DSG_LB_S8", qg.bits == 8), ("DSG_LB_S16", qg.bits == 16)]
    kinds += [(f"DSG_LB_W{b}", b in used) for b in PACKED_BITS]
    return [(k, int(v)) for k, v in kinds]
