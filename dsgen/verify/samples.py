"""What a verification runs on: the calibration-like (or the user's) inputs, adversarial inputs
over the whole integer input range, and how often each layer's output sits on its clamp.

Calibration-like inputs are drawn from the synthetic calibration's own distribution, so they rarely
reach the saturation and rounding edges of a network.  The adversarial inputs do: every element at
the input's integer minimum, at its maximum, the two alternating (a 3-D checkerboard over
row + column + channel), and uniform over the whole range.  They are integer codes of the
quantized input; for a float-input model they stand for the float values that quantize to those
codes (:func:`codes_to_float`), which is what the bit-exact targets are fed anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsgen import progress
from dsgen.inputs import load_inputs, to_ir_layout
from dsgen.ir.graph import Graph
from dsgen.quant import int_ref
from dsgen.quant.qgraph import MoveQ, QGraph

# The order in which adversarial kinds are taken: `n` adversarial samples are the first n; beyond
# these four, more uniform samples (each with its own seed).
ADVERSARIAL_KINDS = ("all-min", "all-max", "alternating", "uniform")
DEFAULT_SAMPLES = 8  # random calibration-like samples without --inputs (rtl: 3)
ADVERSARIAL_DEFAULT = 4  # c, mcu, hls: all four kinds
ADVERSARIAL_DEFAULT_RTL = 2  # rtl (simulation is slow): alternating and uniform
RTL_KINDS_FIRST = ("alternating", "uniform", "all-max", "all-min")


def verify_inputs(
    g: Graph, path: str | None, samples: int | None, seed: int, default: int
) -> np.ndarray:
    """The inputs a target verifies on (ONNX layout): every sample of ``path`` unless ``samples``
    says fewer, else ``samples`` (or ``default``) random ones.  Says how many it used."""
    xs = load_inputs(g, path, None if path else samples, seed, default)
    if path is None:
        return xs
    used = xs[:samples] if samples else xs
    progress.note(f"verifying on {len(used)} of the {len(xs)} samples in {path}")
    return used


def input_range(qg: QGraph) -> tuple[int, int]:
    bits = qg.input_q.bits
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def adversarial_kinds(n: int, order: tuple[str, ...] = ADVERSARIAL_KINDS) -> list[str]:
    return [order[i] if i < len(order) else "uniform" for i in range(n)]


def adversarial_inputs(
    qg: QGraph, n: int, seed: int = 0, order: tuple[str, ...] = ADVERSARIAL_KINDS
) -> list[np.ndarray]:
    """``n`` integer inputs in IR layout over the input's whole integer range."""
    g = qg.graph
    shape = g.shape(g.input)
    lo, hi = input_range(qg)
    rng = np.random.default_rng(seed + 7919)
    out = []
    for kind in adversarial_kinds(n, order):
        if kind == "all-min":
            x = np.full(shape, lo, np.int64)
        elif kind == "all-max":
            x = np.full(shape, hi, np.int64)
        elif kind == "alternating":
            parity = np.indices(shape).sum(axis=0) % 2
            x = np.where(parity == 0, lo, hi).astype(np.int64)
        else:
            x = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
        out.append(x)
    return out


def codes_to_float(qg: QGraph, codes: np.ndarray) -> np.ndarray:
    """The float input that a float-input model quantizes to ``codes``."""
    q = qg.input_q
    return (np.asarray(codes, np.float64) - q.zero_point) * q.scale


def int_inputs(qg: QGraph, xs_onnx: np.ndarray) -> list[np.ndarray]:
    """ONNX-layout samples → the integer inputs of the quantized network (IR layout)."""
    g = qg.graph
    out = []
    for x in xs_onnx:
        xi = to_ir_layout(g, x)
        out.append(xi.astype(np.int64) if g.input_dtype != "float32" else qg.quantize_input(xi))
    return out


@dataclass
class Samples:
    """Integer inputs of a bit-exact verification: the calibration-like (or file) ones first,
    then ``adversarial`` adversarial ones."""

    xs: list[np.ndarray]
    adversarial: int = 0
    kinds: list[str] = field(default_factory=list)

    @property
    def regular(self) -> int:
        return len(self.xs) - self.adversarial


def bit_exact_samples(
    qg: QGraph,
    path: str | None,
    samples: int | None,
    seed: int,
    *,
    default: int,
    adversarial: int,
    order: tuple[str, ...] = ADVERSARIAL_KINDS,
) -> Samples:
    xs = int_inputs(qg, verify_inputs(qg.graph, path, samples, seed, default))
    adv = adversarial_inputs(qg, adversarial, seed, order)
    return Samples(xs + adv, len(adv), adversarial_kinds(adversarial, order))


@dataclass
class ClampCount:
    lo: int = 0  # outputs on the layer's lower clamp bound
    hi: int = 0  # on its upper bound

    def add(self, y: np.ndarray, lo: int, hi: int) -> None:
        self.lo += int(np.count_nonzero(y == lo))
        self.hi += int(np.count_nonzero(y == hi))


@dataclass
class ClampHits:
    """How many outputs sit on their layer's clamp bounds (lo = the activation's or the type's
    minimum, hi = its maximum), summed over every layer, and at the network output."""

    layers: ClampCount = field(default_factory=ClampCount)
    output: ClampCount = field(default_factory=ClampCount)
    per_layer: dict[str, ClampCount] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "lo": self.layers.lo,
            "hi": self.layers.hi,
            "output_lo": self.output.lo,
            "output_hi": self.output.hi,
        }


def reference_run(qg: QGraph, x: np.ndarray, hits: ClampHits) -> dict[str, np.ndarray]:
    """The integer reference on one sample, counting its clamp hits into ``hits``."""
    env = int_ref.run(qg, x, keep=True)
    for layer in qg.int_layers:
        p = qg.params[layer.name]
        if isinstance(p, MoveQ):
            continue
        y = env[layer.output]
        hits.layers.add(y, p.lo, p.hi)
        hits.per_layer.setdefault(layer.name, ClampCount()).add(y, p.lo, p.hi)
        if layer.output in qg.int_outputs:
            hits.output.add(y, p.lo, p.hi)
    return {t: env[t] for t in qg.int_outputs}


def sample_report(s: Samples, regular: ClampHits, adversarial: ClampHits) -> dict:
    """The JSON keys every bit-exact target reports about its inputs."""
    per_layer = {
        name: {
            "lo": c.lo + adversarial.per_layer.get(name, ClampCount()).lo,
            "hi": c.hi + adversarial.per_layer.get(name, ClampCount()).hi,
        }
        for name, c in regular.per_layer.items()
    }
    return {
        "adversarial_samples": s.adversarial,
        "adversarial_kinds": s.kinds,
        "clamp_hits": {"regular": regular.to_json(), "adversarial": adversarial.to_json()},
        "layer_clamp_hits": per_layer,
    }
