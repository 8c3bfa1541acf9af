"""The float reference: executes the IR with numpy (float64 inside, vectorised).

For QDQ models it also applies the model's fake quantization at every tensor with quantization
parameters, so it computes what onnxruntime computes on the QDQ graph.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dsgen.ir import graph as ir


def windows(x: np.ndarray, kernel, stride, dilation, pads, value: float = 0.0) -> np.ndarray:
    """(Ho, Wo, C, kh, kw) views of the padded input."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    t, l, b, r = pads
    xp = np.pad(x, ((t, b), (l, r), (0, 0)), constant_values=value)
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    win = sliding_window_view(xp, (eh, ew), axis=(0, 1))[::sh, ::sw, :, ::dh, ::dw]
    return win


def conv(x: np.ndarray, layer: ir.Conv) -> np.ndarray:
    w = layer.weight.astype(np.float64)
    c_out, kh, kw, cg = w.shape
    g = layer.groups
    win = windows(x, layer.kernel, layer.stride, layer.dilation, layer.pads)
    ho, wo = win.shape[:2]
    win = win.reshape(ho, wo, g, cg, kh, kw)
    wg = w.reshape(g, c_out // g, kh, kw, cg)
    y = np.einsum("hwgckl,goklc->hwgo", win, wg, optimize=True).reshape(ho, wo, c_out)
    return y + layer.bias


def pool(x: np.ndarray, layer: ir.Pool) -> np.ndarray:
    if layer.mode == "max":
        return windows(x, layer.kernel, layer.stride, (1, 1), layer.pads, -np.inf).max(axis=(3, 4))
    s = windows(x, layer.kernel, layer.stride, (1, 1), layer.pads).sum(axis=(3, 4))
    if layer.count_include_pad:
        return s / (layer.kernel[0] * layer.kernel[1])
    ones = np.ones(x.shape[:2] + (1,))
    n = windows(ones, layer.kernel, layer.stride, (1, 1), layer.pads).sum(axis=(3, 4))
    return s / n


def shuffle(x: np.ndarray, groups: int) -> np.ndarray:
    h, w, c = x.shape
    return x.reshape(h, w, groups, c // groups).transpose(0, 1, 3, 2).reshape(h, w, c)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


_DIRECTED = {"floor": np.floor, "ceil": np.ceil, "to_zero": np.trunc}


def fake_quant(x: np.ndarray, q: ir.QParams) -> np.ndarray:
    """QuantizeLinear → DequantizeLinear as onnxruntime computes it (float32, ties to even)."""
    lo, hi = q.int_range()  # a QAT quantizer's narrower range, its directed rounding
    r = x.astype(np.float32) / np.float32(q.scale)
    scaled = _DIRECTED.get(q.rounding, np.rint)(r) + q.zero_point
    return ((np.clip(scaled, lo, hi) - q.zero_point) * np.float32(q.scale)).astype(np.float64)


def run_layer(layer: ir.Layer, ins: list[np.ndarray]) -> np.ndarray:
    x = ins[0]
    match layer:
        case ir.Conv():
            y = conv(x, layer)
        case ir.Dense():
            y = layer.weight.astype(np.float64) @ x.reshape(-1) + layer.bias
        case ir.Pool():
            y = pool(x, layer)
        case ir.GlobalPool():
            y = (x.max if layer.mode == "max" else x.mean)(axis=(0, 1), keepdims=True)
        case ir.Add():
            y = ins[0] + ins[1]
        case ir.Concat():
            y = np.concatenate(ins, axis=2)
        case ir.Shuffle():
            y = shuffle(x, layer.groups)
        case ir.Softmax():
            y = softmax(x)
        case ir.Flatten():
            y = x.reshape(-1) if x.ndim == 3 else x.reshape(1, 1, -1)
        case ir.Affine():
            y = x * layer.mul + layer.add
        case ir.ChannelScale() | ir.Mul():
            y = ins[0] * ins[1]
        case ir.ChannelSlice():
            y = x[..., layer.start : layer.stop]
        case ir.Act() | ir.Lut() | ir.Identity() | ir.Pad():
            y = x
            if isinstance(layer, ir.Pad):
                t, l, b, r = layer.pads
                y = np.pad(x, ((t, b), (l, r), (0, 0)), constant_values=layer.value)
        case _:
            raise NotImplementedError(f"float reference: layer kind '{layer.kind}'")
    act = getattr(layer, "act", ir.NONE)
    return act.apply(y)


def run(
    g: ir.Graph, x: np.ndarray, *, fake_quantize: bool | None = None, keep: bool = False
) -> dict[str, np.ndarray]:
    """Execute on one sample `x` in IR layout ((H,W,C) or (N,)); returns the output tensors
    (every tensor with keep=True).  An integer input of a QDQ model is dequantized first."""
    if fake_quantize is None:  # a pre-quantized model: QDQ or QAT (a quantized float input)
        fake_quantize = g.input_dtype != "float32" or g.prequantized
    env: dict[str, np.ndarray] = {}
    xin = np.asarray(x, dtype=np.float64)
    q_in = g.tensors[g.input].quant
    if g.input_dtype != "float32" and q_in is not None:
        xin = (xin - q_in.zero_point) * q_in.scale
    elif fake_quantize and q_in is not None:  # a QAT model quantizes its float input itself
        xin = fake_quant(xin, q_in)
    env[g.input] = xin
    for layer in g.layers:
        y = run_layer(layer, [env[t] for t in layer.inputs])
        q = g.tensors[layer.output].quant
        if fake_quantize and q is not None:
            y = fake_quant(y, q)
        env[layer.output] = y
    return env if keep else {t: env[t] for t in g.outputs}
