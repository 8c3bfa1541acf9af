"""Shared verification machinery: metrics, the result record, the target table."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

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


def compare_outputs(refs: list[list[np.ndarray]], gots: list[list[np.ndarray]]) -> dict:
    """`compare` over every graph output: `refs[k]` / `gots[k]` are the samples of output k.
    Mismatches add up over the outputs, the SNR is the worst output's, top-1 is output 0's; a
    model with more than one output also gets the per-output metrics under "outputs"."""
    ms = [compare(r, o) for r, o in zip(refs, gots, strict=True)]
    m = {
        "mismatches": sum(x["mismatches"] for x in ms),
        "max_abs_err": max(x["max_abs_err"] for x in ms),
        "snr_db": min(x["snr_db"] for x in ms),
        "top1_agreement": ms[0]["top1_agreement"],
        "ref_max": max(x["ref_max"] for x in ms),
        "per_output": ms,
    }
    return m


def per_output_extra(m: dict, names: list[str]) -> dict:
    """The JSON breakdown of a multi-output comparison (nothing for a single output)."""
    if len(m["per_output"]) < 2:
        return {}
    keys = ("mismatches", "max_abs_err", "snr_db", "top1_agreement")
    return {
        "outputs": [
            {"name": n, **{k: x[k] for k in keys}}
            for n, x in zip(names, m["per_output"], strict=True)
        ]
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
