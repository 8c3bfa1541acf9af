"""The width a layer's weights are stored and multiplied at, for every backend.

The contract's weight (ConvQ.weight) is the stored value times 2^shift: a QAT model's narrow
weights carry dsgen.quant.qat's headroom shift; dsgen's own (PTQ) weights have shift 0.  The
stored values decide the width: binary when every value is ±1 (no multiplier: add or subtract
by the sign), else the narrowest two's-complement width that holds them.  Since
acc = bias + (Σ v·x)·2^shift, a backend that multiplies by v and shifts the sum computes the
same integers (docs/fixed_point.md, "Weights narrower than 8 bits").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsgen.quant.qgraph import ConvQ


@dataclass(frozen=True)
class StoredWeights:
    values: np.ndarray  # the stored integers, the float layer's layout
    bits: int  # 1 (binary ±1) .. 8
    shift: int  # contract weight = value · 2^shift

    @property
    def binary(self) -> bool:
        return self.bits == 1


def narrowest_bits(v: np.ndarray) -> int:
    """1 if every value is ±1, else the narrowest signed width (≥ 2) that holds them."""
    if v.size and np.all(np.abs(v) == 1):
        return 1
    lo, hi = int(v.min(initial=0)), int(v.max(initial=0))
    bits = 2
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def stored_weights(layer, p: ConvQ) -> StoredWeights:
    wq = getattr(layer, "wquant", None)
    w = np.asarray(p.weight, np.int64)
    k = wq.shift if wq is not None else 0
    if k and not np.array_equal((w >> k) << k, w):
        k = 0
    v = w >> k
    return StoredWeights(v, narrowest_bits(v), k)
