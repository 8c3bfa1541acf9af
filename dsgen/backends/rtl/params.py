"""One layer → the hw/ engine instance(s) computing it: module, parameters (every integer from the
layer's ``*Q`` record, geometry from the float layer) and ROM contents (.memh words)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsgen.backends.folding import LUT_MAC_BITS
from dsgen.backends.rtl.fold import HwFold, pool_simd
from dsgen.backends.rtl.sim import mvu_memh
from dsgen.backends.weights import StoredWeights, stored_weights
from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph
from dsgen.quant.tables import TABLE16_ENTRY_BITS, TABLE16_SHIFT


@dataclass
class Instance:
    module: str
    name: str  # instance identifier (u_<name>)
    params: list[tuple[str, str]]  # (parameter, Verilog literal)
    ports: list[tuple[str, str]]  # (port prefix, wire)
    comment: str = ""
    roms: dict[str, tuple[list[int], int]] = field(default_factory=dict)  # file -> (words, width)
    layer: str = ""  # the model layer it computes (model name: never rendered)


RQ_SERIAL_II = 17  # cycles per output of hw/dsg_requant.v with SERIAL = 1
IDENTITY_RQ = (1 << 30, 1)  # RQ(x, 2^30, 1) == x: a copy through a requantizer


def _p(**kw) -> list[tuple[str, str]]:
    return [(k, f'"{v}"' if isinstance(v, str) else str(int(v))) for k, v in kw.items()]


def _window(layer, shape) -> dict:
    h, w, c = shape
    kh, kw = layer.kernel
    top, left, bottom, right = layer.pads
    return dict(
        H=h,
        W=w,
        K_H=kh,
        K_W=kw,
        S_H=layer.stride[0],
        S_W=layer.stride[1],
        PAD_T=top,
        PAD_B=bottom,
        PAD_L=left,
        PAD_R=right,
    )


def _lowbit(layer, p) -> StoredWeights | None:
    """Stored weights of ≤ LUT_MAC_BITS bits: the layer runs on dsg_mvu_lowbit (no hard
    multiplier; binary weights add or subtract), with the ROM holding the stored values (binary:
    bit 1 = +1) and WSHIFT their scale."""
    sw = stored_weights(layer, p)
    return sw if sw.bits <= LUT_MAC_BITS else None


def rq_serial(out_elems: int, ii: int, other: int = 0) -> bool:
    """A requantizer multiplies in fabric (hw/dsg_requant.v SERIAL = 1, one output per
    RQ_SERIAL_II cycles, no hard multiplier) where its outputs at that rate, plus ``other`` cycles
    the engine cannot overlap with them, still fit in the design's II with a margin for bursts;
    the hard multipliers then do MACs only."""
    return (other + out_elems * RQ_SERIAL_II) * 3 <= ii * 2


def pool_rq_serial(c: int, pixels: int, ii: int) -> bool:
    """The global pool's C sums go through its requantizer after the frame's last pixel while
    the next frame's input waits; in fabric only where that burst is shorter than the time the
    producer takes for one pixel at the design's II, so the wait never backs up the pipeline
    (the keyword spotter at 64 multipliers lost 420 cycles per inference otherwise)."""
    return c * RQ_SERIAL_II * pixels <= ii


def _mac(qg: QGraph, layer, fold: HwFold, ident: str, dw_: int, ii: int) -> tuple[dict, dict, str]:
    """(parameters, ROMs, module suffix: "" or "_lowbit")."""
    p = qg.params[layer.name]
    groups = 1 if isinstance(layer, ir.Dense) else layer.groups
    sw = _lowbit(layer, p)
    if sw is None:
        w, wgt_w, low = p.weight, 8, {}
    else:
        w = (sw.values > 0).astype(int) if sw.binary else sw.values
        wgt_w, low = sw.bits, {"WSHIFT": sw.shift}
    roms = mvu_memh(
        w,
        p.bias,
        p.mult,
        p.shift,
        p.mult_neg,
        p.shift_neg,
        pe=fold.pe,
        simd=fold.simd,
        taps=fold.taps,
        groups=groups,
        dw=layer.kind == "depthwise_conv",
        wgt_w=wgt_w,
    )
    files = {
        "WEIGHT_FILE": f"{ident}_w.memh",
        "BIAS_FILE": f"{ident}_b.memh",
        "RQ_FILE": f"{ident}_rq.memh",
    }
    common = dict(
        DATA_W=dw_,
        WGT_W=wgt_w,
        **low,
        PE=fold.pe,
        SIMD=fold.simd,
        TAPS=fold.taps,
        LEAKY=int(p.mult_neg is not None),
        RQ_SERIAL=int(rq_serial(qg.graph.tensors[layer.output].size, ii)),
        Z_IN=p.z_in,
        Z_OUT=p.z_out,
        LO=p.lo,
        HI=p.hi,
    )
    by_file = {
        files[k]: roms[r]
        for k, r in (("WEIGHT_FILE", "weights"), ("BIAS_FILE", "bias"), ("RQ_FILE", "rq"))
    }
    return {**common, **files}, by_file, "" if sw is None else "_lowbit"


def engine(
    qg: QGraph, layer: ir.Layer, fold: HwFold | None, ident: str, ins: list[str], out: str, b
) -> list[Instance]:
    g = qg.graph
    p = qg.params[layer.name]
    dw_ = b.data_w
    shape = g.shape(layer.inputs[0])
    io = [("s_axis", ins[0]), ("m_axis", out)]
    match layer:
        case ir.Conv():
            prm, roms, variant = _mac(qg, layer, fold, ident, dw_, b.ii)
            d = layer.dilation
            geo = dict(
                C_IN=layer.c_in,
                C_OUT=layer.c_out,
                **_window(layer, shape),
                D_H=d[0],
                D_W=d[1],
                GROUPS=layer.groups,
                DW=int(layer.kind == "depthwise_conv"),
            )
            mod = f"dsg_conv{variant}"
            return [Instance(mod, ident, _p(**geo, **prm), io, layer.kind, roms)]
        case ir.Dense():
            prm, roms, variant = _mac(qg, layer, fold, ident, dw_, b.ii)
            geo = dict(IN=layer.weight.shape[1], OUT=layer.weight.shape[0])
            return [Instance(f"dsg_dense{variant}", ident, _p(**geo, **prm), io, "dense", roms)]
        case ir.Pool():
            win = _window(layer, shape)
            oh, ow, c = g.shape(layer.output)
            simd = pool_simd(
                c, win["K_H"] * win["K_W"], oh * ow * c, g.tensors[layer.inputs[0]].size
            )
            if layer.mode == "max":
                prm = _p(DATA_W=dw_, C=c, **win, SIMD=simd, LO=p.lo, HI=p.hi)
                return [Instance("dsg_maxpool", ident, prm, io, "max pool")]
            if p.rq is not None:
                raise DsgenError("RTL backend: an average pool that changes scale is not supported")
            prm = _p(
                DATA_W=dw_,
                C=c,
                **win,
                SIMD=simd,
                COUNT_INCLUDE_PAD=int(layer.count_include_pad),
                Z_IN=p.z_in,
                LO=p.lo,
                HI=p.hi,
            )
            return [Instance("dsg_avgpool", ident, prm, io, "average pool")]
        case ir.GlobalPool():
            h, w, c = shape
            if layer.mode == "max":
                prm = _p(
                    DATA_W=dw_,
                    C=c,
                    H=h,
                    W=w,
                    K_H=h,
                    K_W=w,
                    S_H=1,
                    S_W=1,
                    PAD_T=0,
                    PAD_B=0,
                    PAD_L=0,
                    PAD_R=0,
                    SIMD=1,
                    LO=p.lo,
                    HI=p.hi,
                )
                return [Instance("dsg_maxpool", ident, prm, io, "global max pool")]
            q, s = p.rq if p.rq is not None else IDENTITY_RQ
            prm = _p(
                DATA_W=dw_,
                C=c,
                H=h,
                W=w,
                LO=p.lo,
                HI=p.hi,
                RQ=int(p.rq is not None),
                Z_IN=p.z_in,
                Z_OUT=p.z_out,
                Q=q,
                S=s,
                RQ_SERIAL=int(p.rq is not None and pool_rq_serial(c, h * w, b.ii)),
            )
            return [Instance("dsg_global_avgpool", ident, prm, io, "global average pool")]
        case ir.Add():
            prm = _p(
                DATA_W=dw_,
                L=p.left_shift,
                Z_A=p.z_a,
                Z_B=p.z_b,
                Z_OUT=p.z_out,
                QA=p.m_a[0],
                SA=p.m_a[1],
                QB=p.m_b[0],
                SB=p.m_b[1],
                QO=p.m_out[0],
                SO=p.m_out[1],
                LO=p.lo,
                HI=p.hi,
            )
            ports = [("s_a_axis", ins[0]), ("s_b_axis", ins[1]), ("m_axis", out)]
            return [Instance("dsg_add", ident, prm, ports, "residual add")]
        case ir.Concat():
            return [_concat(qg, layer, ident, ins, out, dw_)]
        case ir.Shuffle():
            prm = _p(DATA_W=dw_, C=shape[-1], G=layer.groups)
            return [Instance("dsg_shuffle", ident, prm, io, "channel shuffle")]
        case ir.Act():
            rq, rqn = p.rq or IDENTITY_RQ, p.rq_neg or IDENTITY_RQ
            prm = _p(
                DATA_W=dw_,
                RQ=int(p.rq is not None),
                Z_IN=p.z_in,
                Z_OUT=p.z_out,
                Q=rq[0],
                S=rq[1],
                Q_NEG=rqn[0],
                S_NEG=rqn[1],
                LO=p.lo,
                HI=p.hi,
            )
            return [Instance("dsg_act", ident, prm, io, "activation")]
        case ir.Lut():
            return [_lut(p, ident, io, dw_)]
        case ir.ChannelScale():
            h, w, c = shape
            _check_product(layer, p, dw_)
            prm = _p(
                DATA_W=dw_,
                S_W=dw_,
                C=c,
                N_PIX=h * w,
                SLACK=b.se_slack.get(layer.name, 0),
                Z_X=p.z_x,
                Z_S=p.z_s,
                Z_OUT=p.z_out,
                Q=p.rq[0],
                S=p.rq[1],
                LO=p.lo,
                HI=p.hi,
            )
            ports = [("s_axis", ins[0]), ("s_scale_axis", ins[1]), ("m_axis", out)]
            return [Instance("dsg_channel_scale", ident, prm, ports, "channel scale (SE)")]
    raise DsgenError(f"RTL backend: layer kind '{layer.kind}' is not supported")


def _lut(p, ident: str, io, dw_: int) -> Instance:
    """A table activation: the LutQ table as a ROM, word i = T[i] (the entry of x = i − 128);
    on 16-bit activations the 513-entry table, interpolated by dsg_lut_interp."""
    fname = f"{ident}_lut.memh"
    if p.bits == 16:
        tw = TABLE16_ENTRY_BITS
        prm = _p(IN_W=dw_, OUT_W=dw_, TABLE_W=tw, FRAC=TABLE16_SHIFT, LANES=1, LO=p.lo, HI=p.hi,
                 TABLE_FILE=fname)  # fmt: skip
        roms = {fname: ([int(v) for v in p.table], tw)}
        return Instance("dsg_lut_interp", ident, prm, io, "interpolated table activation", roms)
    if dw_ != 8:
        raise DsgenError("RTL backend: an 8-bit table activation on a 16-bit datapath")
    prm = _p(IN_W=dw_, OUT_W=dw_, LANES=1, TABLE_FILE=fname)
    roms = {fname: ([int(v) for v in p.table], dw_)}
    return Instance("dsg_lut", ident, prm, io, "table activation", roms)


def _check_product(layer, p, dw_: int) -> None:
    """dsg_channel_scale requantizes a 32-bit product: refuse zero points that could overflow it
    (never with 8-bit operands: |x − z_x|, |s − z_s| <= 255)."""
    lo, hi = -(1 << (dw_ - 1)), (1 << (dw_ - 1)) - 1
    big = max(abs(lo - p.z_x), abs(hi - p.z_x)) * max(abs(lo - p.z_s), abs(hi - p.z_s))
    if big >= 1 << 31:
        raise DsgenError(
            f"RTL backend: channel scale '{layer.name}': the product (x - z_x)(s - z_s) may "
            "exceed 32 bits"
        )


def channel_slice(
    first: ir.ChannelSlice, second: ir.ChannelSlice | None, c: int, n_pix: int, ident: str,
    src: str, outs: list[str], dw_: int,
) -> Instance:  # fmt: skip
    """One dsg_channel_slice for one or two slices of the same tensor (a Split's two halves share
    the element stream; output 1 unused without a second slice)."""
    start1, count1 = (second.start, second.stop - second.start) if second else (0, 0)
    prm = _p(
        DATA_W=dw_,
        C=c,
        N_PIX=n_pix,
        START0=first.start,
        COUNT0=first.stop - first.start,
        START1=start1,
        COUNT1=count1,
    )
    ports = [("s_axis", src), ("m0_axis", outs[0])]
    if second:
        ports.append(("m1_axis", outs[1]))
    return Instance("dsg_channel_slice", ident, prm, ports, "channel slice")


def _concat(qg: QGraph, layer: ir.Concat, ident: str, ins: list[str], out: str, dw_: int):
    g = qg.graph
    p = qg.params[layer.name]
    if len(layer.inputs) != 2:
        raise DsgenError("RTL backend: concat of more than two inputs is not supported yet")
    (ha, wa, ca), (_, _, cb) = (g.shape(t) for t in layer.inputs)
    full = (-(1 << (dw_ - 1)), (1 << (dw_ - 1)) - 1)
    # a pure copy needs no requantizer unless the concat clamps (fused activation)
    requant = any(r is not None for r in p.rqs) or (p.lo, p.hi) != full
    rq = [r if r is not None else IDENTITY_RQ for r in p.rqs]
    zs = [z if r is not None else p.z_out for z, r in zip(p.z_ins, p.rqs, strict=True)]
    prm = _p(
        DATA_W=dw_,
        C_A=ca,
        C_B=cb,
        N_PIX=ha * wa,
        REQUANT=int(requant),
        Z_A=zs[0],
        Z_B=zs[1],
        Z_OUT=p.z_out,
        QA=rq[0][0],
        SA=rq[0][1],
        QB=rq[1][0],
        SB=rq[1][1],
        LO=p.lo,
        HI=p.hi,
    )
    ports = [("s_a_axis", ins[0]), ("s_b_axis", ins[1]), ("m_axis", out)]
    return Instance("dsg_concat", ident, prm, ports, "channel concat")
