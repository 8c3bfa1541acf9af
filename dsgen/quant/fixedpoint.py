"""The scalar arithmetic of docs/fixed_point.md, vectorised with numpy int64.

Every backend (C, HLS, RTL) implements exactly these functions.  They follow TFLite's reference
integer kernels (``MultiplyByQuantizedMultiplier`` with its double rounding), so single layers
can be checked bit-exactly against TFLite Micro.  Values are held in int64 and every result is
asserted to fit the width the contract declares: an overflow is a loud failure, not a silent wrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Multiplier:
    """A positive real number m ≈ q · 2^(shift − 31) with q in [2^30, 2^31) (or q = 0)."""

    q: int
    shift: int

    def real(self) -> float:
        return self.q * 2.0 ** (self.shift - 31)


def quantize_multiplier(m: float) -> Multiplier:
    """TFLite ``QuantizeMultiplier``: frexp, round the Q31 mantissa half away from zero."""
    if m < 0:
        raise ValueError("requantization multipliers are positive")
    if m == 0.0:
        return Multiplier(0, 0)
    frac, exp = math.frexp(m)
    q = int(round_half_away(frac * (1 << 31)))
    if q == 1 << 31:
        q //= 2
        exp += 1
    if exp < -31:
        return Multiplier(0, 0)
    if exp > 30:
        raise ValueError(f"requantization multiplier {m} is too large")
    return Multiplier(q, exp)


def round_half_away(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _check(x: np.ndarray, lo: int, hi: int, what: str) -> None:
    if x.size and (x.min() < lo or x.max() > hi):
        raise OverflowError(f"{what} outside [{lo}, {hi}]: [{x.min()}, {x.max()}]")


def srdhm(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul: round(a·b / 2^31), ties away from zero, saturating."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    _check(a, INT32_MIN, INT32_MAX, "srdhm operand")
    ab = a * b  # |a·b| < 2^62: exact in int64
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C integer division truncates toward zero; numpy's // floors, so correct negatives.
    res = np.where(s >= 0, s >> 31, -((-s) >> 31))
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, res)


def rdbpot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def requantize(acc: np.ndarray, q: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier(acc, q, shift) on int32 accumulators (result int32)."""
    acc = np.asarray(acc, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    _check(acc, INT32_MIN, INT32_MAX, "accumulator")
    shifted = acc << left
    _check(shifted, INT32_MIN, INT32_MAX, "left-shifted accumulator")
    return rdbpot(srdhm(shifted, q), right)


def saturate(x: np.ndarray, lo: int | np.ndarray, hi: int | np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(np.asarray(x, dtype=np.int64), lo), hi)


def rounding_div(num: np.ndarray, count: int | np.ndarray) -> np.ndarray:
    """Average pooling's division: round half away from zero, as TFLite's reference kernel."""
    num = np.asarray(num, dtype=np.int64)
    count = np.asarray(count, dtype=np.int64)
    half = count // 2
    pos = (num + half) // count
    neg = -((-num + half) // count)
    return np.where(num >= 0, pos, neg)


def type_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
