"""Activation ranges from calibration data; the tensors that must share quantization parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsgen import progress
from dsgen.ir import float_ref
from dsgen.ir import graph as ir

# Layers whose output must carry its input's scale and zero point: no arithmetic happens (shuffle,
# flatten), the max of stored values is the max of real values (max pools), or a windowed average
# keeps the input's range and the contract's rounding division needs equal parameters.  A global
# average is the exception: its outputs span far less than its inputs, so it gets its own scale
# and requantizes (the contract's general average rule).
_SHARE_IN_OUT = (ir.Shuffle, ir.Flatten, ir.Pool, ir.ChannelSlice)


def _shares(layer: ir.Layer) -> bool:
    if isinstance(layer, ir.GlobalPool):
        return layer.mode == "max"
    return isinstance(layer, _SHARE_IN_OUT)


def share_groups(layers: list[ir.Layer]) -> dict[str, str]:
    """Union-find over tensors: tensor → representative of the group that shares parameters.
    Concat inputs join their output (so a dsgen concat is a pure copy)."""
    parent: dict[str, str] = {}

    def find(t: str) -> str:
        parent.setdefault(t, t)
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for layer in layers:
        find(layer.output)
        for t in layer.inputs:
            find(t)
        if _shares(layer) or isinstance(layer, ir.Concat):
            for t in layer.inputs:
                union(t, layer.output)
        if isinstance(layer, ir.Act) and layer.act.kind is not ir.ActKind.LEAKY:
            union(layer.inputs[0], layer.output)  # a standalone ReLU/clip is then a pure clamp
    return {t: find(t) for t in parent}


@dataclass
class Stats:
    ranges: dict[str, tuple[float, float]]  # (min, max) of every tensor
    means: dict[str, np.ndarray]  # per-channel means (last axis), for bias correction
    # per-channel (min, max) arrays (last axis; a vector's elements are its channels), so the
    # quantizer can tell a channel that varies in float from one that is constant
    channel_ranges: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # mean over the samples of every (H, W, C) tensor, position by position: bias correction
    # needs it where padding makes a conv's border outputs see fewer inputs
    mean_maps: dict[str, np.ndarray] = field(default_factory=dict)


def collect(
    g: ir.Graph,
    samples: np.ndarray,
    method: str = "minmax",
    percentile: float = 99.995,
    seed: int = 0,
) -> Stats:
    """One float pass over the calibration samples (IR layout, one per row)."""
    rng = np.random.default_rng(seed)
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    sums: dict[str, np.ndarray] = {}
    c_lo: dict[str, np.ndarray] = {}
    maps: dict[str, np.ndarray] = {}
    c_hi: dict[str, np.ndarray] = {}
    keep: dict[str, list[np.ndarray]] = {}  # subsampled values for percentiles
    for x in progress.track(samples, "calibrating", total=len(samples)):
        env = float_ref.run(g, x, fake_quantize=False, keep=True)
        for name, v in env.items():
            v = np.asarray(v, np.float64)
            flat = v.reshape(-1)
            lo[name] = min(lo.get(name, np.inf), float(flat.min()))
            hi[name] = max(hi.get(name, -np.inf), float(flat.max()))
            per_c = v.reshape(-1, v.shape[-1]) if v.ndim == 3 else v.reshape(1, -1)
            if v.ndim == 3:
                maps[name] = maps.get(name, 0) + v
            sums[name] = sums.get(name, 0) + (per_c.mean(axis=0) if v.ndim == 3 else v)
            c_lo[name] = np.minimum(c_lo.get(name, np.inf), per_c.min(axis=0))
            c_hi[name] = np.maximum(c_hi.get(name, -np.inf), per_c.max(axis=0))
            if method == "percentile":
                pick = flat if flat.size <= 4096 else rng.choice(flat, 4096, replace=False)
                keep.setdefault(name, []).append(pick)
    rng_out = {}
    for name in lo:
        if method == "percentile":
            v = np.concatenate(keep[name])
            rng_out[name] = (
                float(np.percentile(v, 100 - percentile)),
                float(np.percentile(v, percentile)),
            )
        else:
            rng_out[name] = (lo[name], hi[name])
    n = max(len(samples), 1)
    chans = {k: (c_lo[k], c_hi[k]) for k in c_lo}
    means = {k: v / n for k, v in sums.items()}
    return Stats(rng_out, means, chans, {k: v / n for k, v in maps.items()})
