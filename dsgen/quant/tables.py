"""Lookup tables of the table activations (docs/fixed_point.md, "Table activations").

The table is the contract: the compiler builds it once, in float64, and every backend reads the
same 256 integers, so C, HLS and RTL agree with the integer reference by construction.
"""

from __future__ import annotations

import numpy as np

from dsgen.ir import graph as ir

TABLE_IN_MIN = -128  # int8 input codes -128..127 index entries 0..255
TABLE_SIZE = 256


def build_table(act: ir.Activation, q_in: ir.QParams, q_out: ir.QParams) -> np.ndarray:
    """T[i] = clamp(z_out + round_half_away(f(s_in·(i − 128 − z_in)) / s_out), lo, hi), with
    [lo, hi] the output's stored range; int64 array of 256 entries."""
    codes = np.arange(TABLE_SIZE, dtype=np.int64) + TABLE_IN_MIN
    real_in = q_in.scale * (codes - q_in.zero_point).astype(np.float64)
    r = act.apply(real_in) / q_out.scale
    rounded = np.where(r >= 0, np.floor(r + 0.5), -np.floor(-r + 0.5))
    lo, hi = q_out.int_range()
    return np.clip(rounded + q_out.zero_point, lo, hi).astype(np.int64)


def lookup(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y = T[x − (−128)] for int8 codes x."""
    return np.asarray(table, np.int64)[np.asarray(x, np.int64) - TABLE_IN_MIN]
