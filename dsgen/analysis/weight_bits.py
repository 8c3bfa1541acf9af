"""`dsgen report --weight-bits-snr 8,4,2,1`: every weighted layer's own SNR at each weight width.

The model is quantized once per width (every layer at that width, the activations as usual) and
each conv/dense layer is run on its own on the float reference's inputs (verify.targets.
layer_own_snr), so the table shows which layers tolerate fewer bits and which do not: the input
for a per-layer `weight_bits` in the quantization config.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from dsgen.backends.c.lowbit import packed_bits
from dsgen.backends.weights import stored_weights
from dsgen.compiler import load_ir
from dsgen.errors import DsgenError
from dsgen.inputs import load_inputs, to_ir_layout
from dsgen.quant.api import QuantOptions, quantize_graph
from dsgen.quant.qgraph import ConvQ
from dsgen.verify.targets import is_prequantized, layer_own_snr


@dataclass
class WidthRow:
    layer: str
    kind: str
    snr_db: dict[int, float]  # weight bits → the layer's own SNR (dB)


@dataclass
class WidthTable:
    widths: list[int]
    rows: list[WidthRow]
    weight_bytes: dict[int, int]  # weight bits → bytes of weights as the C backend stores them
    samples: int

    def to_json(self) -> dict:
        return {
            "widths": self.widths,
            "samples": self.samples,
            "weight_bytes": {str(b): n for b, n in self.weight_bytes.items()},
            "layers": [
                {
                    "name": r.layer,
                    "kind": r.kind,
                    "snr_db": {str(b): v for b, v in r.snr_db.items()},
                }
                for r in self.rows
            ],
        }


def parse_widths(text: str) -> list[int]:
    try:
        widths = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise DsgenError(f"--weight-bits-snr: '{text}' is not a list like 8,4,2,1") from None
    if not widths or any(not 1 <= b <= 8 for b in widths):
        raise DsgenError(f"--weight-bits-snr: widths must be 1..8, not '{text}'")
    return widths


def _weight_bytes(qg) -> int:
    """Weights as the C backend stores them: packed at 1/2/4 bits, else one byte each."""
    total = 0
    for layer in qg.int_layers:
        p = qg.params[layer.name]
        if isinstance(p, ConvQ):
            sw = stored_weights(layer, p)
            bits = packed_bits(sw.bits) or 8
            total += -(-sw.values.size * bits // 8)
    return total


def weight_bits_table(
    model: str, widths: list[int], opts: QuantOptions, samples: int, input_shape=None
) -> WidthTable:
    g0 = load_ir(model, input_shape)
    if is_prequantized(g0):
        raise DsgenError(
            "--weight-bits-snr: the model carries its own quantization (QDQ/QAT); its weight "
            "widths are the model's",
            path=model,
        )
    xs = load_inputs(g0, opts.calib, None if opts.calib else samples, opts.seed + 2000)[:samples]
    xs_ir = [to_ir_layout(g0, x).astype(np.float64) for x in xs]
    rows: dict[str, WidthRow] = {}
    sizes: dict[int, int] = {}
    for bits in widths:
        g = load_ir(model, input_shape)  # the quantizer annotates the graph it is given
        qg = quantize_graph(g, dataclasses.replace(opts, weight_bits=bits), warn=lambda m: None)
        own = layer_own_snr(qg, xs_ir, fake_quantize=False)
        for layer in qg.int_layers:
            if isinstance(qg.params[layer.name], ConvQ):
                row = rows.setdefault(layer.name, WidthRow(layer.name, layer.kind, {}))
                row.snr_db[bits] = own[layer.name]
        sizes[bits] = _weight_bytes(qg)
    return WidthTable(widths, list(rows.values()), sizes, len(xs_ir))
