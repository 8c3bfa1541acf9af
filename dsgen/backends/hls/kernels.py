"""One kernel call per layer: the configuration struct and weight arrays, all numbers computed here.

The Jinja templates only print what these typed records hold. Each record names the templated
kernel of ``templates/hls/dsg_hls*.h`` it calls and the ``static const int`` fields of its
configuration struct; dsgen's dataflow model (dataflow.py) reads the same fields, so the FIFO
analysis and the C++ agree on every loop bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsgen.backends.folding import LayerFold
from dsgen.backends.weights import stored_weights
from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import ActQ, AddQ, ChannelScaleQ, ConcatQ, ConvQ, LutQ, PoolQ
from dsgen.quant.tables import (
    TABLE16_ENTRY_BITS,
    TABLE16_IN_MIN,
    TABLE16_SHIFT,
    TABLE16_SIZE,
    TABLE_IN_MIN,
)


@dataclass(frozen=True)
class CArray:
    name: str
    ctype: str
    dims: tuple[int, ...]
    body: str  # the initializer, braces included
    partition_dims: tuple[int, ...] = ()  # dims (1-based) to partition completely


@dataclass
class KernelCall:
    ident: str  # unique C++ identifier of this layer
    kind: str  # kernel function without template arguments, e.g. "dsg_conv"
    summary: str  # sanitized one-line description for a comment
    cfg: dict[str, int] = field(default_factory=dict)
    arrays: list[CArray] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # stream identifiers, set by the generator
    outputs: list[str] = field(default_factory=list)
    template_args: str = ""  # set for kernels without a cfg struct (broadcast)
    w_type: str = "int8_t"  # the cfg's w_t: the stored weights' C++ type (dsg_hls_mvu.h)

    @property
    def call(self) -> str:
        targs = self.template_args or f"{self.ident}_cfg"
        args = self.inputs + self.outputs + [a.name for a in self.arrays]
        return f"{self.kind}<{targs}>({', '.join(args)})"


def c_initializer(a: np.ndarray) -> str:
    """Nested braces, 16 numbers a line."""
    if a.ndim == 1:
        vals = [str(int(v)) for v in a]
        lines = [", ".join(vals[i : i + 16]) for i in range(0, len(vals), 16)]
        return "{" + ",\n ".join(lines) + "}"
    return "{" + ",\n".join(c_initializer(sub) for sub in a) + "}"


def fold_weights(w: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """[C_out][K] → [PE][SIMD][NF*SF] (see dsg_hls_mvu.h)."""
    cout, k = w.shape
    nf, sf = cout // pe, k // simd
    return w.reshape(nf, pe, sf, simd).transpose(1, 3, 0, 2).reshape(pe, simd, nf * sf)


def fold_channels(v: np.ndarray, pe: int) -> np.ndarray:
    """[C_out] → [PE][NF]."""
    return np.asarray(v, np.int64).reshape(-1, pe).T


def _int32(ident: str, suffix: str, v: np.ndarray, pe: int) -> CArray:
    a = fold_channels(v, pe)
    return CArray(f"{ident}_{suffix}", "int32_t", a.shape, c_initializer(a), (1,) if pe > 1 else ())


def _window_fields(in_shape, out_shape, kernel, stride, dilation, pads) -> dict[str, int]:
    (h, w, c), (ho, wo) = in_shape, out_shape[:2]
    kh, kw = kernel
    return {
        "IN_H": h,
        "IN_W": w,
        "IN_C": c,
        "OUT_H": ho,
        "OUT_W": wo,
        "KH": kh,
        "KW": kw,
        "SH": stride[0],
        "SW": stride[1],
        "DH": dilation[0],
        "DW": dilation[1],
        "PT": pads[0],
        "PL": pads[1],
        "LB_ROWS": (kh - 1) * dilation[0] + 1,
        "WIN": kh * kw * c,
    }


def is_pointwise(layer: ir.Layer) -> bool:
    if isinstance(layer, ir.Dense):
        return True
    return layer.kernel == (1, 1) and layer.stride == (1, 1) and layer.pads == (0, 0, 0, 0)


def mac_call(
    ident: str, g: ir.Graph, layer: ir.Conv | ir.Dense, p: ConvQ, f: LayerFold
) -> KernelCall:
    dense = isinstance(layer, ir.Dense)
    sw = stored_weights(layer, p)
    w = sw.values.reshape(p.weight.shape[0], -1)
    cout, k = w.shape
    groups = 1 if dense else layer.groups
    if dense:
        geo = {"IN_H": 1, "IN_W": 1, "IN_C": k, "OUT_H": 1, "OUT_W": 1, "KH": 1, "KW": 1, "WIN": k}
    else:
        geo = _window_fields(
            g.shape(layer.inputs[0]),
            g.shape(layer.output),
            layer.kernel,
            layer.stride,
            layer.dilation,
            layer.pads,
        )
    cfg = {
        **geo,
        "OUT_C": cout,
        "GROUPS": groups,
        "CIN_G": geo["IN_C"] // groups,
        "COUT_G": cout // groups,
        "K": k,
        "PE": f.pe,
        "SIMD": f.simd,
        "NF": cout // f.pe,
        "SF": k // f.simd,
        "PIXELS": geo["IN_H"] * geo["IN_W"],
        "Z_IN": p.z_in,
        "Z_OUT": p.z_out,
        "LO": p.lo,
        "HI": p.hi,
        "LEAKY": int(p.mult_neg is not None),
        "WBITS": sw.bits,
        "WSHIFT": sw.shift,
    }
    w_type = weight_ctype(sw.bits)
    wf = fold_weights((w > 0).astype(np.int64) if sw.binary else w, f.pe, f.simd)
    parts = tuple(d for d, n in ((1, f.pe), (2, f.simd)) if n > 1)
    arrays = [CArray(f"{ident}_w", w_type, wf.shape, c_initializer(wf), parts)]
    mneg = p.mult if p.mult_neg is None else p.mult_neg
    sneg = p.shift if p.shift_neg is None else p.shift_neg
    for suffix, v in (("b", p.bias), ("m", p.mult), ("s", p.shift), ("mn", mneg), ("sn", sneg)):
        arrays.append(_int32(ident, suffix, v, f.pe))
    kind = "dsg_pointwise" if is_pointwise(layer) else "dsg_conv"
    what = "dense" if dense else f"{layer.kind} {cfg['KH']}x{cfg['KW']} s{cfg['SH']}x{cfg['SW']}"
    what += (
        "" if sw.bits == 8 else (", binary weights" if sw.binary else f", {sw.bits}-bit weights")
    )
    return KernelCall(ident, kind, f"{what}, PE {f.pe} SIMD {f.simd}", cfg, arrays, w_type=w_type)


def weight_ctype(bits: int) -> str:
    """int8_t at 8 bits (as before), ap_int<N> below, ap_uint<1> for binary (1 = +1, 0 = -1)."""
    if bits == 1:
        return "ap_uint<1>"
    return "int8_t" if bits == 8 else f"ap_int<{bits}>"


def pool_call(ident: str, g: ir.Graph, layer: ir.Pool | ir.GlobalPool, p: PoolQ) -> KernelCall:
    q, s = p.rq if p.rq is not None else (0, 0)
    common = {
        "Z_IN": p.z_in,
        "Z_OUT": p.z_out,
        "LO": p.lo,
        "HI": p.hi,
        "IS_MAX": int(layer.mode == "max"),
        "HAS_RQ": int(p.rq is not None),
        "RQ_Q": q,
        "RQ_SHIFT": s,
    }
    h, w, c = g.shape(layer.inputs[0])
    if isinstance(layer, ir.GlobalPool):
        return KernelCall(
            ident,
            "dsg_global_pool",
            f"global {layer.mode} pool",
            {"C": c, "PIXELS": h * w, **common},
        )
    geo = _window_fields(
        (h, w, c), g.shape(layer.output), layer.kernel, layer.stride, (1, 1), layer.pads
    )
    cfg = {**geo, "OUT_C": c, "COUNT_PAD": int(layer.count_include_pad), **common}
    what = f"{layer.mode} pool {geo['KH']}x{geo['KW']} s{geo['SH']}x{geo['SW']}"
    return KernelCall(ident, "dsg_pool", what, cfg)


def add_call(ident: str, g: ir.Graph, layer: ir.Add, p: AddQ) -> KernelCall:
    cfg = {
        "N": g.tensors[layer.output].size,
        "Z_A": p.z_a,
        "Z_B": p.z_b,
        "Z_OUT": p.z_out,
        "QA": p.m_a[0],
        "SA": p.m_a[1],
        "QB": p.m_b[0],
        "SB": p.m_b[1],
        "QO": p.m_out[0],
        "SO": p.m_out[1],
        "LEFT_SHIFT": p.left_shift,
        "LO": p.lo,
        "HI": p.hi,
    }
    return KernelCall(ident, "dsg_add", "residual add", cfg)


def concat_call(ident: str, g: ir.Graph, layer: ir.Concat, p: ConcatQ) -> KernelCall:
    n = len(layer.inputs)
    if n not in (2, 3):
        raise DsgenError(f"HLS backend: a concat of {n} inputs (2 or 3 supported)")
    shape = g.shape(layer.output)
    cfg = {"PIXELS": int(np.prod(shape[:-1])), "Z_OUT": p.z_out, "LO": p.lo, "HI": p.hi}
    for i, (t, rq, z) in enumerate(zip(layer.inputs, p.rqs, p.z_ins, strict=True)):
        q, s = rq if rq is not None else (0, 0)
        cfg |= {
            f"C{i}": g.shape(t)[-1],
            f"COPY{i}": int(rq is None),
            f"Z{i}": z,
            f"Q{i}": q,
            f"S{i}": s,
        }
    return KernelCall(ident, f"dsg_concat{n}", f"concat of {n}", cfg)


def shuffle_call(ident: str, g: ir.Graph, layer: ir.Shuffle) -> KernelCall:
    shape = g.shape(layer.output)
    c = shape[-1]
    cfg = {"PIXELS": int(np.prod(shape[:-1])), "C": c, "G": layer.groups, "NPER": c // layer.groups}
    return KernelCall(ident, "dsg_shuffle", f"channel shuffle, {layer.groups} groups", cfg)


def act_call(ident: str, g: ir.Graph, layer: ir.Act, p: ActQ) -> KernelCall:
    q, s = p.rq if p.rq is not None else (0, 0)
    qn, sn = p.rq_neg if p.rq_neg is not None else (0, 0)
    cfg = {
        "N": g.tensors[layer.output].size,
        "Z_IN": p.z_in,
        "Z_OUT": p.z_out,
        "LO": p.lo,
        "HI": p.hi,
        "HAS_RQ": int(p.rq is not None),
        "Q": q,
        "S": s,
        "QN": qn,
        "SN": sn,
    }
    return KernelCall(ident, "dsg_act", "activation", cfg)


def lut_call(ident: str, g: ir.Graph, layer: ir.Lut, p: LutQ) -> KernelCall:
    if p.bits == 16:
        return _lut_interp_call(ident, g, layer, p)
    table = np.asarray(p.table, np.int64)
    if table.shape != (256,) or table.min() < -128 or table.max() > 127:
        raise DsgenError("HLS backend: a table activation needs 256 int8 entries")
    cfg = {"N": g.tensors[layer.output].size, "TABLE_IN_MIN": TABLE_IN_MIN}
    arr = CArray(f"{ident}_table", "int8_t", (256,), c_initializer(table))
    return KernelCall(ident, "dsg_lut", f"table activation ({layer.act.kind})", cfg, [arr])


def _lut_interp_call(ident: str, g: ir.Graph, layer: ir.Lut, p: LutQ) -> KernelCall:
    """The int16 table activation: the 513-entry table interpolated (dsg_lut_interp)."""
    table, bound = np.asarray(p.table, np.int64), 1 << (TABLE16_ENTRY_BITS - 1)
    if table.shape != (TABLE16_SIZE,) or table.min() < -bound or table.max() >= bound:
        raise DsgenError(f"HLS backend: an int16 table activation needs {TABLE16_SIZE} entries")
    cfg = {
        "N": g.tensors[layer.output].size,
        "TABLE_IN_MIN": TABLE16_IN_MIN,
        "SHIFT": TABLE16_SHIFT,
        "ENTRIES": TABLE16_SIZE,
        "LO": p.lo,
        "HI": p.hi,
    }
    arr = CArray(f"{ident}_table", "int32_t", (TABLE16_SIZE,), c_initializer(table))
    summary = f"interpolated table activation ({layer.act.kind})"
    return KernelCall(ident, "dsg_lut_interp", summary, cfg, [arr])


def _pixels_channels(g: ir.Graph, tensor: str) -> tuple[int, int]:
    """(H·W, C) of an (H, W, C) map, (1, C) of a flattened vector."""
    shape = g.shape(tensor)
    return int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]


def channel_slice_call(ident: str, g: ir.Graph, layer: ir.ChannelSlice) -> KernelCall:
    pixels, c = _pixels_channels(g, layer.inputs[0])
    cfg = {"PIXELS": pixels, "IN_C": c, "START": layer.start, "STOP": layer.stop}
    return KernelCall(ident, "dsg_channel_slice", f"channels {layer.start}..{layer.stop - 1}", cfg)


BRAM18_BITS = 16 * 1024


@dataclass(frozen=True)
class FrameBuffer:
    """A channel scale's local frame buffer and its block-RAM cost.

    A BRAM18 holds 16 Kbit of data at 8 or 16 bits wide (2K x 9 / 1K x 18 with the parity bits
    unused), a BRAM36 twice that; Vitis may map a small buffer to LUTRAM instead."""

    ident: str
    elems: int  # H·W·C
    bits: int

    @property
    def kbits(self) -> float:
        return self.elems * self.bits / 1024

    @property
    def bram18(self) -> int:
        return -(-self.elems * self.bits // BRAM18_BITS)

    @property
    def bram36(self) -> int:
        return -(-self.elems * self.bits // (2 * BRAM18_BITS))


def channel_scale_call(ident: str, g: ir.Graph, layer: ir.ChannelScale, p: ChannelScaleQ):
    pixels, c = _pixels_channels(g, layer.inputs[0])
    if g.tensors[layer.inputs[1]].size != c:
        raise DsgenError("HLS backend: a channel scale's vector does not have C elements")
    cfg = {
        "PIXELS": pixels,
        "C": c,
        "Z_X": p.z_x,
        "Z_S": p.z_s,
        "Z_OUT": p.z_out,
        "Q": p.rq[0],
        "SHIFT": p.rq[1],
        "LO": p.lo,
        "HI": p.hi,
    }
    what = f"channel scale, {pixels}x{c} frame buffer"
    return KernelCall(ident, "dsg_channel_scale", what, cfg)


def broadcast_call(ident: str, elems: int) -> KernelCall:
    return KernelCall(
        ident,
        "dsg_broadcast",
        "fan-out to two consumers",
        {"N": elems},
        template_args=f"act_t, {elems}",
    )


def layer_call(ident: str, g: ir.Graph, layer: ir.Layer, p, fold: LayerFold | None) -> KernelCall:
    match layer:
        case ir.Conv() | ir.Dense():
            return mac_call(ident, g, layer, p, fold)
        case ir.Pool() | ir.GlobalPool():
            return pool_call(ident, g, layer, p)
        case ir.Add():
            return add_call(ident, g, layer, p)
        case ir.Concat():
            return concat_call(ident, g, layer, p)
        case ir.Shuffle():
            return shuffle_call(ident, g, layer)
        case ir.Act():
            return act_call(ident, g, layer, p)
        case ir.Lut():
            return lut_call(ident, g, layer, p)
        case ir.ChannelSlice():
            return channel_slice_call(ident, g, layer)
        case ir.ChannelScale():
            return channel_scale_call(ident, g, layer, p)
    raise DsgenError(f"HLS backend: layer kind '{layer.kind}' is not supported")
