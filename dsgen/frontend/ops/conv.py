"""Conv, Gemm, MatMul and BatchNormalization."""

from __future__ import annotations

import numpy as np

from dsgen.frontend.context import Ctx, Value, VKind
from dsgen.frontend.ops.geometry import out_hw, pair, window_pads
from dsgen.frontend.ops.registry import handler
from dsgen.ir.graph import Affine, Conv, Dense, WeightQuant


def _per_channel(scale: np.ndarray, n: int) -> np.ndarray:
    scale = np.asarray(scale, dtype=np.float64).reshape(-1)
    return np.full(n, scale[0]) if scale.size == 1 else scale


def _weight_quant(
    ctx: Ctx, w: Value, bias: Value | None, layout, out_axis: int = 0
) -> WeightQuant | None:
    """Integer weights of a QDQ model, re-laid-out like the float weight by `layout`.
    `out_axis`: the output-channel axis of the ONNX weight, the only one a scale may vary along."""
    if w.qconst is None:
        return None
    qc = w.qconst
    if np.any(qc.zero_point != 0):
        raise ctx.error("weights with a non-zero zero point are not supported (use symmetric)")
    if np.asarray(qc.scale).size > 1 and qc.axis != out_axis:
        raise ctx.error(f"weight scales vary along axis {qc.axis}, not the output channels")
    if qc.q.size and int(np.abs(qc.q).max()) > 127:
        raise ctx.error("weights wider than 8 bits are not supported")
    q = layout(qc.q.astype(np.int64))
    bias_q = None
    if bias is not None and bias.qconst is not None:
        bias_q = bias.qconst.q.astype(np.int64).reshape(-1)
    return WeightQuant(q=q, scale=_per_channel(qc.scale, q.shape[0]), bias_q=bias_q)


@handler("Conv")
def conv(ctx: Ctx) -> None:
    node = ctx.node
    x = ctx.spatial(node.input[0])
    wv = ctx.get(node.input[1])
    w = ctx.const(node.input[1], "weight")
    if w.ndim != 4:
        raise ctx.error(f"only 2-D convolutions are supported (weight rank {w.ndim})")
    if w.size == 0:
        raise ctx.error(f"weight of shape {list(w.shape)} is empty")
    bv = ctx.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    c_out = w.shape[0]
    b = ctx.const(node.input[2], "bias") if bv else np.zeros(c_out, np.float32)
    if b.size != c_out:
        raise ctx.error(f"bias of {b.size} values for {c_out} output channels")
    h, wd, c_in = ctx.shape(x)
    groups = int(ctx.attr("group", 1))
    if groups < 1:
        raise ctx.error(f"group={groups} must be at least 1")
    if c_in % groups or c_out % groups or w.shape[1] * groups != c_in:
        raise ctx.error(f"group={groups} does not divide channels {c_in}->{c_out}")
    kernel = (w.shape[2], w.shape[3])
    ks = ctx.attr("kernel_shape")
    if ks is not None and tuple(ks) != kernel:
        raise ctx.error(f"kernel_shape {list(ks)} does not match the weight {list(kernel)}")
    stride, dilation = pair(ctx, "strides"), pair(ctx, "dilations")
    pads = window_pads(ctx, (h, wd), kernel, stride, dilation)
    ho, wo = out_hw((h, wd), kernel, stride, dilation, pads)
    if ho < 1 or wo < 1:
        raise ctx.error(f"output would be empty ({ho}x{wo})")

    def nhwc(a: np.ndarray) -> np.ndarray:  # ONNX [Cout][Cin/g][kh][kw] -> [Cout][kh][kw][Cin/g]
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1))

    layer = Conv(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(node.output[0]),
        weight=nhwc(w).astype(np.float32),
        bias=np.asarray(b, np.float32).reshape(-1),
        stride=stride,
        dilation=dilation,
        pads=pads,
        groups=groups,
        wquant=_weight_quant(ctx, wv, bv, nhwc),
    )
    ctx.emit(layer, node.output[0], (ho, wo, c_out), VKind.SPATIAL)


def _flat_input(ctx: Ctx, name: str) -> Value:
    v = ctx.activation(name)
    if v.kind is VKind.SPATIAL:
        if ctx.shape(v)[:2] != (1, 1):
            raise ctx.error("a dense layer needs a flattened input")
    return v


def _nhwc_columns(w: np.ndarray, src: tuple[int, int, int] | None) -> np.ndarray:
    """Reorder [out][in] columns from ONNX's NCHW flatten order to dsgen's NHWC order."""
    if src is None:
        return w
    h, wd, c = src
    return w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _emit_dense(ctx: Ctx, x: Value, w_out_in: np.ndarray, bias: np.ndarray, wq) -> None:
    node = ctx.node
    n_in = int(np.prod(ctx.shape(x)))
    if w_out_in.shape[1] != n_in:
        raise ctx.error(f"weight expects {w_out_in.shape[1]} inputs, activation has {n_in}")
    layer = Dense(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(node.output[0]),
        weight=w_out_in.astype(np.float32),
        bias=np.asarray(bias, np.float32).reshape(-1),
        wquant=wq,
    )
    ctx.emit(layer, node.output[0], (w_out_in.shape[0],), VKind.FLAT)


@handler("Gemm")
def gemm(ctx: Ctx) -> None:
    node = ctx.node
    if ctx.attr("transA", 0):
        raise ctx.error("transA=1 is not supported")
    x = _flat_input(ctx, node.input[0])
    bv = ctx.get(node.input[1])
    b = ctx.const(node.input[1], "B")
    alpha, beta = ctx.float_attr("alpha", 1.0), ctx.float_attr("beta", 1.0)
    trans_b = bool(ctx.attr("transB", 0))
    if b.ndim != 2:
        raise ctx.error(f"B of shape {list(b.shape)} is not a matrix")

    def layout(a: np.ndarray) -> np.ndarray:
        return _nhwc_columns(a if trans_b else a.T, x.nchw_src)

    w = layout(b) * alpha
    n_out = w.shape[0]
    cv = ctx.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    c = ctx.const(node.input[2], "C").reshape(-1) * beta if cv else np.zeros(n_out)
    if c.size == 1:
        c = np.full(n_out, c[0])
    if c.size != n_out:
        raise ctx.error(f"bias C of {c.size} elements does not broadcast to {n_out} outputs")
    wq = _weight_quant(ctx, bv, cv, layout, 0 if trans_b else 1) if alpha == beta == 1.0 else None
    _emit_dense(ctx, x, w, c, wq)


@handler("MatMul")
def matmul(ctx: Ctx) -> None:
    node = ctx.node
    x = _flat_input(ctx, node.input[0])
    bv = ctx.get(node.input[1])
    b = ctx.const(node.input[1], "B")
    if b.ndim != 2:
        raise ctx.error("MatMul needs a 2-D constant right-hand side")

    def layout(a: np.ndarray) -> np.ndarray:
        return _nhwc_columns(a.T, x.nchw_src)

    _emit_dense(ctx, x, layout(b), np.zeros(b.shape[1]), _weight_quant(ctx, bv, None, layout, 1))


@handler("BatchNormalization")
def batchnorm(ctx: Ctx) -> None:
    node = ctx.node
    if len([o for o in node.output if o]) > 1 or ctx.attr("training_mode", 0):
        raise ctx.error("training-mode BatchNormalization is not supported")
    x = ctx.spatial(node.input[0])
    c = ctx.shape(x)[2]
    params = {}
    for what, name in zip(("scale", "B", "input_mean", "input_var"), node.input[1:5], strict=True):
        params[what] = ctx.const(name, what).astype(np.float64).reshape(-1)
        if params[what].size != c:
            raise ctx.error(f"{what} has {params[what].size} values for {c} channels")
    scale, bias, mean, var = params.values()
    eps = ctx.float_attr("epsilon", 1e-5)
    _check_variance(ctx, var, eps)
    mul = scale / np.sqrt(var + eps)
    layer = Affine(
        name=ctx.layer_name(),
        inputs=[x.ir],
        output=ctx.out_tensor_name(node.output[0]),
        mul=mul,
        add=bias - mean * mul,
    )
    ctx.emit(layer, node.output[0], ctx.shape(x), VKind.SPATIAL)


def _check_variance(ctx: Ctx, var: np.ndarray, eps: float) -> None:
    """x / sqrt(var + eps) needs var + eps > 0; a negative variance or epsilon is no statistic."""
    if eps < 0:
        raise ctx.error(f"epsilon={eps} is negative")
    for bad, what in ((var < 0, "negative"), (var + eps <= 0, "zero with epsilon 0")):
        if np.any(bad):
            channels = np.flatnonzero(bad).tolist()
            raise ctx.error(f"input_var (the variance) is {what} in channels {channels[:8]}")
