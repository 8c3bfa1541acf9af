"""Lookup tables of the table activations (docs/fixed_point.md, "Table activations").

The table is the contract: the compiler builds it once, in float64, and every backend reads the
same integers, so C, HLS and RTL agree with the integer reference by construction.  int8: 256
entries, one per input code.  int16: 513 entries, one every 2^7 input codes, and a fixed integer
linear interpolation between neighbours (the scheme of TFLite's int16 LOGISTIC / TANH).
"""

from __future__ import annotations

import numpy as np

from dsgen.ir import graph as ir

TABLE_IN_MIN = -128  # int8 input codes -128..127 index entries 0..255
TABLE_SIZE = 256

TABLE16_IN_MIN = -32768  # int16 input codes; entry j sits at x = -32768 + j·2^TABLE16_SHIFT
TABLE16_SHIFT = 7  # input codes between two entries: 2^7 = 128
TABLE16_SIZE = (1 << (16 - TABLE16_SHIFT)) + 1  # 513: entry 512 (x = 32768) ends the last segment


TABLE16_ENTRY_BITS = 17  # entries in [-2^16, 2^16): beyond the int16 output, see build_table16


def _sample(act: ir.Activation, codes, q_in: ir.QParams, q_out: ir.QParams, lo: int, hi: int):
    """clamp(z_out + round_half_away(f(s_in·(code − z_in)) / s_out), lo, hi) in float64."""
    real_in = q_in.scale * (codes - q_in.zero_point).astype(np.float64)
    r = act.apply(real_in) / q_out.scale
    rounded = np.where(r >= 0, np.floor(r + 0.5), -np.floor(-r + 0.5))
    return np.clip(rounded + q_out.zero_point, lo, hi).astype(np.int64)


def build_table(act: ir.Activation, q_in: ir.QParams, q_out: ir.QParams) -> np.ndarray:
    """T[i] = clamp(z_out + round_half_away(f(s_in·(i − 128 − z_in)) / s_out), lo, hi), with
    [lo, hi] the output's stored range; int64 array of 256 entries."""
    codes = np.arange(TABLE_SIZE, dtype=np.int64) + TABLE_IN_MIN
    return _sample(act, codes, q_in, q_out, *q_out.int_range())


def build_table16(act: ir.Activation, q_in: ir.QParams, q_out: ir.QParams) -> np.ndarray:
    """T[j] = clamp(z_out + round_half_away(f(s_in·(−32768 + 128·j − z_in)) / s_out), −2^16,
    2^16 − 1), j = 0…512 (entry 512 samples x = 32768, one past the int16 range); int64 array.

    The entries are not clamped to the output's range: a segment in which f leaves the range
    interpolates the function's own line and the output clamp cuts it (interpolate16), so the
    clamp adds no error; 17 bits hold it unless f rises by 2^15 LSB within one segment."""
    codes = (np.arange(TABLE16_SIZE, dtype=np.int64) << TABLE16_SHIFT) + TABLE16_IN_MIN
    bound = 1 << (TABLE16_ENTRY_BITS - 1)
    return _sample(act, codes, q_in, q_out, -bound, bound - 1)


def lookup(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y = T[x − (−128)] for int8 codes x."""
    return np.asarray(table, np.int64)[np.asarray(x, np.int64) - TABLE_IN_MIN]


def interpolate16(table: np.ndarray, x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """y = clamp(T[i] + (((T[i+1] − T[i])·f + 64) >> 7), lo, hi) (the shift a floor) with
    u = x + 32768, i = u >> 7, f = u & 127, for int16 codes x."""
    t = np.asarray(table, np.int64)
    u = np.asarray(x, np.int64) - TABLE16_IN_MIN
    i, f = u >> TABLE16_SHIFT, u & ((1 << TABLE16_SHIFT) - 1)
    half = 1 << (TABLE16_SHIFT - 1)
    return np.clip(t[i] + (((t[i + 1] - t[i]) * f + half) >> TABLE16_SHIFT), lo, hi)
