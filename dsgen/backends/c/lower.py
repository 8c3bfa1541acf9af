"""QGraph → a list of kernel calls with their parameter structs (plain data for the templates).

Every number the generated C contains is computed here; the templates only place strings.  Which
kernel serves which layer is a table (`_KERNELS`), not code: a 1×1 conv with stride 1 and no
padding is a blocked GEMM, a 3×3 depthwise with multiplier 1 has its own kernel, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsgen.backends.c import lowbit
from dsgen.backends.c.arena import ArenaPlan, plan_arena
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph


@dataclass
class CArray:
    name: str
    ctype: str  # int8_t, int32_t
    values: list[int]


@dataclass
class CCall:
    ident: str  # sanitised layer identifier (used in comments and struct names)
    kind: str
    kernel: str  # function name
    struct_type: str | None  # parameter struct type, or None
    fields: list[tuple[str, str]]  # designated initialisers of the const struct
    args: list[str]  # call arguments (buffers, &struct, counts)
    checked: bool = False  # kernel returns DSG_OK / DSG_ERR_ARG
    concat_inputs: list[list[str]] = field(default_factory=list)  # runtime initialisers


@dataclass
class Lowered:
    calls: list[CCall]
    arrays: list[CArray]


def _arr(arrays, prefix, suffix, ctype, values) -> str:
    name = f"{prefix}_{suffix}"
    arrays.append(CArray(name, ctype, [int(v) for v in np.asarray(values).reshape(-1)]))
    return name


class Lowering:
    def __init__(self, qg: QGraph, plan: ArenaPlan, model_id: str, idents: dict[str, str]):
        self.qg, self.plan, self.model_id, self.idents = qg, plan, model_id, idents
        self.t = "s16" if qg.bits == 16 else "s8"
        self.ctype = "int16_t" if qg.bits == 16 else "int8_t"
        self.arrays: list[CArray] = []

    # buffers ----------------------------------------------------------------------------------
    def buf(self, tensor: str, const: bool = False) -> str:
        st = self.plan.storage(tensor)
        if st.where == "in":
            return "in"
        if st.where == "out":
            return self.plan.out_param(st)
        return f"DSG_BUF({self.ctype}, arena, {st.offset})"

    def prefix(self, layer: ir.Layer) -> str:
        return f"{self.model_id}_{self.idents[layer.name]}"

    # lowering ---------------------------------------------------------------------------------
    def lower(self) -> Lowered:
        calls = []
        for layer in self.qg.int_layers:
            fn = _KERNELS.get(type(layer))
            call = fn(self, layer, self.qg.params[layer.name]) if fn else None
            if call is not None:
                calls.append(call)
        return Lowered(calls, self.arrays)


def _conv_fields(lw: Lowering, layer: ir.Conv, p, pre: str) -> list[tuple[str, str]]:
    h, w, c = lw.qg.graph.shape(layer.inputs[0])
    ho, wo, co = lw.qg.graph.shape(layer.output)
    kh, kw = layer.kernel
    f = [
        ("in_h", h),
        ("in_w", w),
        ("in_c", c),
        ("out_h", ho),
        ("out_w", wo),
        ("out_c", co),
        ("kernel_h", kh),
        ("kernel_w", kw),
        ("stride_h", layer.stride[0]),
        ("stride_w", layer.stride[1]),
        ("dilation_h", layer.dilation[0]),
        ("dilation_w", layer.dilation[1]),
        ("pad_top", layer.pads[0]),
        ("pad_left", layer.pads[1]),
        ("groups", layer.groups),
    ]
    return [(k, str(v)) for k, v in f] + _mac_fields(lw, p, pre)


def _mac_fields(lw: Lowering, p, pre: str) -> list[tuple[str, str]]:
    a = lw.arrays
    f = [
        ("z_in", str(p.z_in)),
        ("z_out", str(p.z_out)),
        ("act_min", str(p.lo)),
        ("act_max", str(p.hi)),
        ("mult", _arr(a, pre, "mult", "int32_t", p.mult)),
        ("shift", _arr(a, pre, "shift", "int32_t", p.shift)),
    ]
    if p.mult_neg is not None:
        f += [
            ("mult_neg", _arr(a, pre, "mult_neg", "int32_t", p.mult_neg)),
            ("shift_neg", _arr(a, pre, "shift_neg", "int32_t", p.shift_neg)),
        ]
    else:
        f += [("mult_neg", "0"), ("shift_neg", "0")]
    f += [
        ("weights", _arr(a, pre, "w", "int8_t", p.weight)),
        ("bias", _arr(a, pre, "b", "int32_t", p.bias)),
    ]
    return f


def _conv_kernel(lw: Lowering, layer: ir.Conv) -> tuple[str, bool]:
    return conv_kernel(lw.t, layer)


def conv_kernel(t: str, layer: ir.Conv) -> tuple[str, bool]:
    """The kernel of a conv layer with `t`-typed activations ("s8"/"s16"), and whether it
    returns a status."""
    kind = layer.kind
    if t == "s8" and kind == "pointwise_conv" and layer.pads == (0, 0, 0, 0):
        return "dsg_pointwise_conv_s8", True
    if (
        t == "s8"
        and kind == "depthwise_conv"
        and layer.kernel == (3, 3)
        and layer.c_out == layer.c_in
        and layer.dilation == (1, 1)
    ):
        return "dsg_depthwise_conv_3x3_s8", True
    if kind == "depthwise_conv":
        return f"dsg_depthwise_conv_{t}", False
    if kind == "grouped_conv" and t == "s8":
        return "dsg_grouped_conv_s8", False
    return f"dsg_conv_{t}", False


def pairs_ok(qg: QGraph, layer: ir.Conv, p) -> bool:
    """Whether a conv with groups 1 takes the paired-weight kernels: at least 4 output pixels, a
    GEMM-sized dot product (kh*kw*C_in), and every channel in the doubled fast output stage with
    the [-128, 127] clamp, which their DSP path needs (templates/c/dsg_conv.c dsg_fast2)."""
    ho, wo, _ = qg.graph.shape(layer.output)
    k = layer.kernel[0] * layer.kernel[1] * qg.graph.shape(layer.inputs[0])[2]
    if layer.groups != 1 or ho * wo < 4:
        return False
    if p.mult_neg is not None or p.lo != -128 or p.hi != 127 or not -128 <= p.z_out <= 127:
        return False
    if (k + 3) // 4 * 4 > GEMM_KMAX:
        return False
    mult, shift = np.asarray(p.mult, np.int64), np.asarray(p.shift, np.int64)
    bias = np.asarray(p.bias, np.int64)
    lim = 2**29 - 1 - 32640 * min(k, 16384)
    fast = (((shift <= -1) & (shift >= -23)) | (mult == 0)) & (mult >= 0)
    return bool((fast & ((mult == 0) | (np.abs(bias) <= lim))).all())


def pair_kernel(qg: QGraph, layer: ir.Conv, p) -> str | None:
    """The paired-weight kernel of an int8 conv with groups 1 that pairs_ok takes, or None: a
    stride-1 pointwise (which may run in place) reads its pixels where they are
    (dsg_pointwise_pair_s8); any other conv, a first layer's 10x4 say, gathers the receptive
    fields of 4 pixels into the same pass (dsg_conv_pair_s8)."""
    if qg.bits != 8 or lowbit.stored_weights(layer, p) is not None:
        return None
    kernel, _ = conv_kernel("s8", layer)
    if kernel not in ("dsg_conv_s8", "dsg_pointwise_conv_s8") or not pairs_ok(qg, layer, p):
        return None
    (h, w, _), (ho, wo, _) = qg.graph.shape(layer.inputs[0]), qg.graph.shape(layer.output)
    if kernel == "dsg_pointwise_conv_s8" and layer.stride == (1, 1) and (h, w) == (ho, wo):
        return "dsg_pointwise_pair_s8"
    return "dsg_conv_pair_s8"


def pair_weights(weight: np.ndarray) -> np.ndarray:
    """Conv weights [C_out][kh][kw][C_in] (k = kh*kw*C_in, the order of the kernels' gathered
    receptive fields) in the paired layout of dsg_pointwise_pair_s8 and dsg_conv_pair_s8
    (dsg_kernels.h): channels 2m, 2m + 1 interleaved per group of 4 elements as
    [c0 k0, c1 k0, c0 k2, c1 k2, c0 k1, c1 k1, c0 k3, c1 k3], rows padded with zeros to k
    rounded up to 4, an odd last channel paired with a zero row."""
    w = np.asarray(weight, np.int64).reshape(weight.shape[0], -1)
    co, k = w.shape
    kp = (k + 3) // 4 * 4
    pad = np.zeros((co + co % 2, kp), np.int64)
    pad[:co, :k] = w
    # [pair][channel][group][element // 2][element % 2] -> [pair][group][e % 2][e // 2][channel]
    return pad.reshape(-1, 2, kp // 4, 2, 2).transpose(0, 2, 4, 3, 1).reshape(-1)


def _lowbit_call(lw: Lowering, layer, p, conv_fields) -> CCall | None:
    """A layer whose weights pack below 8 bits (dsgen.backends.c.lowbit): the packed kernel."""
    stored = lowbit.stored_weights(layer, p)
    if stored is None:
        return None
    v, bits, k = stored
    pre, ident = lw.prefix(layer), lw.idents[layer.name]
    fields = dict(conv_fields)
    lw.arrays = [a for a in lw.arrays if a.name != fields["weights"]]  # no int8 copy
    fields["weights"] = "0"
    conv = "{ " + ", ".join(f".{k_} = {v_}" for k_, v_ in fields.items()) + " }"
    packed = _arr(
        lw.arrays, pre, f"w{bits}", "uint8_t", lowbit.pack(v, bits, lowbit.is_depthwise(layer))
    )
    return CCall(
        ident,
        layer.kind,
        f"dsg_conv_lowbit_{lw.t}",
        "dsg_lowbit_conv_params",
        [("conv", conv), ("wpacked", packed), ("wbits", str(bits)), ("wshift", str(k))],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
    )


def lower_conv(lw: Lowering, layer: ir.Conv, p) -> CCall:
    pre = lw.prefix(layer)
    fields = _conv_fields(lw, layer, p, pre)
    packed = _lowbit_call(lw, layer, p, fields)
    if packed is not None:
        return packed
    kernel, checked = _conv_kernel(lw, layer)
    paired = pair_kernel(lw.qg, layer, p)
    if paired is not None:
        kernel, checked = paired, True
        w = next(a for a in lw.arrays if a.name == dict(fields)["weights"])
        w.values = [int(v) for v in pair_weights(p.weight)]
    ident = lw.idents[layer.name]
    return CCall(
        ident,
        layer.kind,
        kernel,
        "dsg_conv_params",
        fields,
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
        checked,
    )


def _dense_as_conv_fields(lw: Lowering, layer: ir.Dense, p, pre) -> list[tuple[str, str]]:
    """A dense layer as the 1x1 conv on a 1x1 map it is (for the packed kernel)."""
    n_in, n_out = layer.weight.shape[1], layer.weight.shape[0]
    f = {"in_h": 1, "in_w": 1, "in_c": n_in, "out_h": 1, "out_w": 1, "out_c": n_out}
    f.update(kernel_h=1, kernel_w=1, stride_h=1, stride_w=1, dilation_h=1, dilation_w=1)
    f.update(pad_top=0, pad_left=0, groups=1)
    return [(k, str(v)) for k, v in f.items()] + _mac_fields(lw, p, pre)


def lower_dense(lw: Lowering, layer: ir.Dense, p) -> CCall:
    pre, ident = lw.prefix(layer), lw.idents[layer.name]
    if lowbit.stored_weights(layer, p) is not None:
        return _lowbit_call(lw, layer, p, _dense_as_conv_fields(lw, layer, p, pre))
    f = [("in_n", str(layer.weight.shape[1])), ("out_n", str(layer.weight.shape[0]))]
    return CCall(
        ident,
        "dense",
        f"dsg_dense_{lw.t}",
        "dsg_dense_params",
        f + _mac_fields(lw, p, pre),
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
    )


def _avg_tables(lw, layer, p, pre) -> tuple[str, str]:
    """Per-window-count multipliers (m = s_in / (s_out·n)) for an average that changes scale."""
    if p.rq is None:
        return "0", "0"
    from dsgen.quant.fixedpoint import quantize_multiplier

    qi = lw.qg.graph.tensors[layer.inputs[0]].quant
    qo = lw.qg.graph.tensors[layer.output].quant
    n_max = layer.kernel[0] * layer.kernel[1]
    pairs = [(0, 0)] + [quantize_multiplier(qi.scale / (qo.scale * n)) for n in range(1, n_max + 1)]
    mult = [m if isinstance(m, int) else m.q for m, *_ in [(x,) for x in pairs]]
    mult = [0] + [m.q for m in pairs[1:]]
    shift = [0] + [m.shift for m in pairs[1:]]
    return (
        _arr(lw.arrays, pre, "rq_mult", "int32_t", mult),
        _arr(lw.arrays, pre, "rq_shift", "int32_t", shift),
    )


def lower_pool(lw: Lowering, layer: ir.Pool, p) -> CCall:
    pre, ident = lw.prefix(layer), lw.idents[layer.name]
    h, w, c = lw.qg.graph.shape(layer.inputs[0])
    ho, wo, _ = lw.qg.graph.shape(layer.output)
    rq_m, rq_s = _avg_tables(lw, layer, p, pre) if layer.mode == "avg" else ("0", "0")
    f = [
        ("in_h", h),
        ("in_w", w),
        ("c", c),
        ("out_h", ho),
        ("out_w", wo),
        ("kernel_h", layer.kernel[0]),
        ("kernel_w", layer.kernel[1]),
        ("stride_h", layer.stride[0]),
        ("stride_w", layer.stride[1]),
        ("pad_top", layer.pads[0]),
        ("pad_left", layer.pads[1]),
        ("count_include_pad", int(layer.count_include_pad)),
        ("z_in", p.z_in),
        ("z_out", p.z_out),
        ("act_min", p.lo),
        ("act_max", p.hi),
        ("rq_mult", rq_m),
        ("rq_shift", rq_s),
    ]
    return CCall(
        ident,
        "pool",
        f"dsg_{layer.mode}_pool_{lw.t}",
        "dsg_pool_params",
        [(k, str(v)) for k, v in f],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
    )


def lower_global(lw: Lowering, layer: ir.GlobalPool, p) -> CCall:
    h, w, c = lw.qg.graph.shape(layer.inputs[0])
    if layer.mode == "max":  # a max pool whose window is the whole map
        fake = ir.Pool(layer.name, layer.inputs, layer.output, "max", (h, w), (1, 1), act=layer.act)
        return lower_pool(lw, fake, p)
    ident = lw.idents[layer.name]
    q, s = p.rq if p.rq is not None else (0, 0)
    f = [
        ("h", h),
        ("w", w),
        ("c", c),
        ("z_in", p.z_in),
        ("z_out", p.z_out),
        ("act_min", p.lo),
        ("act_max", p.hi),
        ("rq_mult", q),
        ("rq_shift", s),
    ]
    return CCall(
        ident,
        "global_pool",
        f"dsg_global_avg_pool_{lw.t}",
        "dsg_global_pool_params",
        [(k, str(v)) for k, v in f],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
    )


def lower_add(lw: Lowering, layer: ir.Add, p) -> CCall:
    ident = lw.idents[layer.name]
    n = lw.qg.graph.tensors[layer.output].size
    f = [
        ("z_a", p.z_a),
        ("z_b", p.z_b),
        ("z_out", p.z_out),
        ("mult_a", p.m_a[0]),
        ("shift_a", p.m_a[1]),
        ("mult_b", p.m_b[0]),
        ("shift_b", p.m_b[1]),
        ("mult_out", p.m_out[0]),
        ("shift_out", p.m_out[1]),
        ("left_shift", p.left_shift),
        ("act_min", p.lo),
        ("act_max", p.hi),
    ]
    return CCall(
        ident,
        "add",
        f"dsg_add_{lw.t}",
        "dsg_add_params",
        [(k, str(v)) for k, v in f],
        [
            lw.buf(layer.inputs[0]),
            lw.buf(layer.inputs[1]),
            lw.buf(layer.output),
            str(n),
            f"&{ident}",
        ],
    )


def lower_concat(lw: Lowering, layer: ir.Concat, p) -> CCall:
    ident = lw.idents[layer.name]
    h, w, _ = lw.qg.graph.shape(layer.output)
    rows = []
    for t, rq, z in zip(layer.inputs, p.rqs, p.z_ins, strict=True):
        c = lw.qg.graph.shape(t)[2]
        m, s = rq if rq is not None else (0, 0)
        rows.append([lw.buf(t), str(c), str(int(rq is not None)), str(z), str(m), str(s)])
    call = CCall(
        ident,
        "concat",
        f"dsg_concat_{lw.t}",
        None,
        [],
        [
            f"{ident}_in",
            str(len(rows)),
            str(h * w),
            str(p.z_out),
            str(p.lo),
            str(p.hi),
            lw.buf(layer.output),
        ],
    )
    call.concat_inputs = rows
    return call


def lower_shuffle(lw: Lowering, layer: ir.Shuffle, p) -> CCall:
    h, w, c = lw.qg.graph.shape(layer.output)
    return CCall(
        lw.idents[layer.name],
        "shuffle",
        f"dsg_channel_shuffle_{lw.t}",
        None,
        [],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), str(h * w), str(c), str(layer.groups)],
    )


def lower_act(lw: Lowering, layer: ir.Act, p) -> CCall:
    ident = lw.idents[layer.name]
    n = lw.qg.graph.tensors[layer.output].size
    q, s = p.rq if p.rq is not None else (0, 0)
    qn, sn = p.rq_neg if p.rq_neg is not None else (0, 0)
    f = [
        ("z_in", p.z_in),
        ("z_out", p.z_out),
        ("act_min", p.lo),
        ("act_max", p.hi),
        ("requant", int(p.rq is not None)),
        ("mult", q),
        ("shift", s),
        ("mult_neg", qn),
        ("shift_neg", sn),
    ]
    return CCall(
        ident,
        "act",
        f"dsg_act_{lw.t}",
        "dsg_act_params",
        [(k, str(v)) for k, v in f],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), str(n), f"&{ident}"],
    )


def lower_flatten(lw: Lowering, layer: ir.Flatten, p) -> None:
    return None  # same storage (arena.plan_arena): no code


def lower_lut(lw: Lowering, layer: ir.Lut, p) -> CCall:
    ident = lw.idents[layer.name]
    n = lw.qg.graph.tensors[layer.output].size
    if p.bits == 16:  # the interpolated 513-entry table of 17-bit values (docs/fixed_point.md)
        table = _arr(lw.arrays, lw.prefix(layer), "table", "int32_t", p.table)
        kernel, params = "dsg_lut_interp_s16", "dsg_lut_interp_params"
        fields = [("table", table), ("act_min", str(p.lo)), ("act_max", str(p.hi))]
    else:
        table = _arr(lw.arrays, lw.prefix(layer), "table", "int8_t", p.table)
        kernel, params, fields = "dsg_lut_s8", "dsg_lut_params", [("table", table)]
    return CCall(
        ident,
        "lut",
        kernel,
        params,
        fields,
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), str(n), f"&{ident}"],
    )


def lower_channel_scale(lw: Lowering, layer: ir.ChannelScale, p) -> CCall:
    ident = lw.idents[layer.name]
    h, w, c = lw.qg.graph.shape(layer.output)
    f = [
        ("pixels", h * w),
        ("c", c),
        ("z_x", p.z_x),
        ("z_s", p.z_s),
        ("z_out", p.z_out),
        ("mult", p.rq[0]),
        ("shift", p.rq[1]),
        ("act_min", p.lo),
        ("act_max", p.hi),
    ]
    x, s = layer.inputs
    return CCall(
        ident,
        "channel_scale",
        f"dsg_channel_scale_{lw.t}",
        "dsg_channel_scale_params",
        [(k, str(v)) for k, v in f],
        [lw.buf(x), lw.buf(s), lw.buf(layer.output), f"&{ident}"],
    )


def lower_channel_slice(lw: Lowering, layer: ir.ChannelSlice, p) -> CCall:
    ident = lw.idents[layer.name]
    h, w, c = lw.qg.graph.shape(layer.inputs[0])
    f = [("pixels", h * w), ("in_c", c), ("start", layer.start), ("stop", layer.stop)]
    return CCall(
        ident,
        "channel_slice",
        f"dsg_channel_slice_{lw.t}",
        "dsg_channel_slice_params",
        [(k, str(v)) for k, v in f],
        [lw.buf(layer.inputs[0]), lw.buf(layer.output), f"&{ident}"],
    )


_KERNELS = {
    ir.Conv: lower_conv,
    ir.Dense: lower_dense,
    ir.Pool: lower_pool,
    ir.GlobalPool: lower_global,
    ir.Add: lower_add,
    ir.Concat: lower_concat,
    ir.Shuffle: lower_shuffle,
    ir.Act: lower_act,
    ir.Flatten: lower_flatten,
    ir.Lut: lower_lut,
    ir.ChannelScale: lower_channel_scale,
    ir.ChannelSlice: lower_channel_slice,
}


# Output channels one GEMM block holds on DSP cores (DSG_CBLK in templates/c/dsg_conv.c).  The
# GEMM runs a pointwise in place only when one block holds every output channel; a wider one
# keeps its own arena slot rather than take the kernel's slower one-pixel fallback.
GEMM_CBLK = 64
GEMM_KMAX = 256  # longest dot product the DSP GEMM takes by default (DSG_KMAX)


def overwrites_input(qg: QGraph, layer: ir.Layer) -> bool:
    """Whether the C kernel of `layer` runs in place (in == out), for the arena planner: a
    stride-1 3x3 depthwise whose output has its input's size, and a stride-1 pointwise that the
    DSP GEMM takes in one channel block (pixel-wise: first to last when C_out <= C_in, last to
    first in the larger slot when C_out > C_in)."""
    if not isinstance(layer, ir.Conv) or qg.bits != 8:
        return False
    if lowbit.stored_weights(layer, qg.params[layer.name]) is not None:
        return False  # the packed low-bit kernel reads its input after writing outputs
    g = qg.graph
    (h, w, c), (ho, wo, co) = g.shape(layer.inputs[0]), g.shape(layer.output)
    if layer.stride != (1, 1) or (h, w) != (ho, wo):
        return False
    kernel, _ = conv_kernel("s8", layer)
    if kernel == "dsg_depthwise_conv_3x3_s8":
        return layer.pads[0] <= 2 and layer.pads[1] <= 2
    if kernel == "dsg_pointwise_conv_s8":
        return co <= GEMM_CBLK and c % 4 == 0 and c <= GEMM_KMAX
    return False


def plan_c_arena(qg: QGraph, in_place: bool = True) -> ArenaPlan:
    """The C backend's arena: element-wise layers and the kernels of `overwrites_input` in
    place (unless in_place is False)."""
    elem = 2 if qg.bits == 16 else 1
    return plan_arena(
        qg.graph,
        qg.int_layers,
        qg.int_outputs,
        elem,
        in_place,
        lambda layer: overwrites_input(qg, layer),
    )
