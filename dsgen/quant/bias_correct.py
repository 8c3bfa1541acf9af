"""Empirical bias correction: each conv / dense layer's bias absorbs the mean error of its
pre-activation output, measured on the calibration samples through the integer network quantized
so far (Nagel et al. 2019, "Data-Free Quantization", empirical variant).

Weight rounding shifts a channel's mean, and so do the rounding, clipping and clamping of every
layer upstream; a bias can cancel all of that shift, not only the part a formula predicts from the
weights alone.  The float target is exact by linearity: the layer applied to the mean float input
(position by position, so padded borders count right), averaged over the output positions.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dsgen.ir import float_ref
from dsgen.ir import graph as ir
from dsgen.quant import ops
from dsgen.quant.bounds import conv_accumulator_bounds, fits_int32
from dsgen.quant.qgraph import ConvQ


class Corrector:
    """Runs the calibration samples through the integer layers as they are quantized."""

    def __init__(self, g: ir.Graph, layers: list[ir.Layer], x_int: list[np.ndarray], stats):
        self.g, self.stats = g, stats
        self.env = [{g.input: x} for x in x_int]
        self.uses: dict[str, int] = {}
        for layer in layers:
            for t in layer.inputs:
                self.uses[t] = self.uses.get(t, 0) + 1

    def correct(self, layer: ir.Layer, rec: ConvQ, s_w: np.ndarray, in_range) -> ConvQ:
        t = layer.inputs[0]
        s_in = self.g.tensors[t].quant.scale
        in_lo, in_hi = in_range
        mean_acc = np.mean([self._acc(layer, rec, env[t]) for env in self.env], axis=0)
        delta = mean_acc * s_in * s_w - self._float_mean(layer)
        bias = rec.bias - np.round(delta / (s_in * s_w)).astype(np.int64)
        groups = layer.groups if isinstance(layer, ir.Conv) else 1
        lo, hi = conv_accumulator_bounds(rec.weight, bias, rec.z_in, in_lo, in_hi, groups)
        ok = (lo >= -(2**31)) & (hi <= 2**31 - 1)
        bias = np.where(ok, bias, rec.bias)  # a corrected bias that could overflow: the old one
        lo, hi = conv_accumulator_bounds(rec.weight, bias, rec.z_in, in_lo, in_hi, groups)
        assert fits_int32(lo, hi)
        return dataclasses.replace(rec, bias=bias, acc_min=int(lo.min()), acc_max=int(hi.max()))

    def advance(self, layer: ir.Layer, rec, run_layer) -> None:
        """Run `layer` on every sample; drop tensors no later layer reads."""
        for env in self.env:
            env[layer.output] = run_layer(layer, rec, [env[t] for t in layer.inputs])
        for t in layer.inputs:
            self.uses[t] -= 1
            if self.uses[t] == 0:
                for env in self.env:
                    env.pop(t, None)

    def _acc(self, layer, rec: ConvQ, x: np.ndarray) -> np.ndarray:
        if isinstance(layer, ir.Dense):
            return ops.accumulate_dense(x, rec.weight, rec.bias, z_in=rec.z_in).astype(np.float64)
        acc = ops.accumulate_conv2d(
            x,
            rec.weight,
            rec.bias,
            stride=layer.stride,
            dilation=layer.dilation,
            pads=layer.pads,
            groups=layer.groups,
            z_in=rec.z_in,
        )
        return acc.reshape(-1, acc.shape[-1]).mean(axis=0)

    def _float_mean(self, layer) -> np.ndarray:
        """The float layer's mean pre-activation output per channel."""
        t = layer.inputs[0]
        w = layer.weight.astype(np.float64)
        if isinstance(layer, ir.Dense):  # a (H, W, C) input is read flattened, like the kernels
            mean = self.stats.mean_maps.get(t, self.stats.means[t])
            return w @ np.asarray(mean).reshape(-1) + layer.bias
        y = float_ref.conv(self.stats.mean_maps[t], layer)
        return y.reshape(-1, y.shape[-1]).mean(axis=0)
