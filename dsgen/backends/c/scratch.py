"""Kernel scratch sized to the model's layers: the generated tree's dsg_config.h.

The library's DSP kernels keep fixed-size buffers in their stack frames: the GEMM's widened
activations and gathered receptive fields (dsg_conv.c, DSG_KMAX), padded weight rows (DSG_WPAD),
the 3x3 depthwise's int16 planes (dsg_depthwise.c, DSG_DW_WMAX), and the in-place fallbacks' row
ring (DSG_DW_RING) and one-pixel buffer (DSG_PW_RING).  The library's defaults cover any layer
up to a global maximum (about 13 KB of frames); a generated tree sizes each to the largest need
among its own layers, computed here with the kernels' own selection rules so that every layer
takes the same code path it takes with the defaults (a need beyond a default's limit never made
that path, and still does not).  Only one kernel runs at a time, so the scratch a model needs is
the largest of its kernels' buffers; `dsgen verify --target mcu` measures it inside the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsgen.backends.c import lowbit
from dsgen.backends.c.arena import ArenaPlan
from dsgen.backends.c.lower import GEMM_CBLK, GEMM_KMAX, conv_kernel, pair_kernel
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph

# the library defaults (templates/c/dsg_conv.c, dsg_depthwise.c)
KMAX, WPAD, CBLK, DW_WMAX = GEMM_KMAX, 1024, GEMM_CBLK, 128
MIN_BYTES = 4  # a buffer no layer uses keeps a legal C array size
_GEMM = ("dsg_conv_s8", "dsg_grouped_conv_s8", "dsg_pointwise_conv_s8")


@dataclass(frozen=True)
class ScratchConfig:
    kmax: int  # longest GEMM dot product, a multiple of 4
    wpad: int  # bytes of padded weight rows
    dw_wmax: int  # longest 3x3 depthwise line (int16 planes)
    dw_ring: int  # bytes: in-place depthwise fallback's row ring
    pw_ring: int  # bytes: in-place pointwise fallback's one-pixel buffer
    gemm: bool  # a GEMM layer is there (its frame holds the buffers)
    dw: bool  # a 3x3 depthwise layer is there
    gemm16: bool = False  # an int16 conv takes dsg_conv_s16's GEMM (its frame: KMAX / 2 words)

    def defines(self) -> list[tuple[str, int]]:
        return [
            ("DSG_KMAX", self.kmax),
            ("DSG_WPAD", self.wpad),
            ("DSG_DW_WMAX", self.dw_wmax),
            ("DSG_DW_RING", self.dw_ring),
            ("DSG_PW_RING", self.pw_ring),
        ]

    @property
    def gemm_bytes(self) -> int:
        """dsg_gemm_s8's buffers: xb (3*KMAX words), raw (6*KMAX bytes), wpad."""
        return 18 * self.kmax + self.wpad if self.gemm else 0

    @property
    def gemm16_bytes(self) -> int:
        """dsg_gemm_s16's gathered field: KMAX int16 lanes."""
        return 2 * self.kmax if self.gemm16 else 0

    @property
    def dw_bytes(self) -> int:
        """The 3x3 depthwise's planes (4 x 5 lines of (DW_WMAX + 8) int16 lanes), or the
        row-buffer path's 3 rows of DW_WMAX words; the larger."""
        return max(40 * (self.dw_wmax + 8), 12 * self.dw_wmax) if self.dw else 0

    @property
    def bytes(self) -> int:
        """The largest one kernel call holds (calls run one at a time)."""
        return max(self.gemm_bytes, self.gemm16_bytes, self.dw_bytes, self.dw_ring, self.pw_ring)


def _up4(n: int) -> int:
    return (n + 3) // 4 * 4


def scratch_config(qg: QGraph, plan: ArenaPlan) -> ScratchConfig:
    kmax = wpad = wmax = ring = pw = MIN_BYTES
    gemm = dw = gemm16 = False
    in_place = set(plan.in_place)
    for layer in qg.int_layers:
        if isinstance(layer, ir.Conv) and qg.bits == 16 and _gemm16(layer, qg):
            c = qg.graph.shape(layer.inputs[0])[2]
            kp = _up4(layer.kernel[0] * layer.kernel[1] * c)
            if kp <= KMAX:
                gemm16 = True
                kmax = max(kmax, kp)
        if not isinstance(layer, ir.Conv) or qg.bits != 8:
            continue
        if lowbit.stored_weights(layer, qg.params[layer.name]) is not None:
            continue
        kernel, _ = conv_kernel("s8", layer)
        h, w, c = qg.graph.shape(layer.inputs[0])
        ho, wo, co = qg.graph.shape(layer.output)
        if kernel in _GEMM:
            k = layer.kernel[0] * layer.kernel[1] * (c // layer.groups)
            kp = _up4(k)
            if kp <= KMAX:
                gemm = True
                kmax = max(kmax, kp)
                # the paired kernels store their rows padded; the GEMM pads them in wpad
                if kp != k and pair_kernel(qg, layer, qg.params[layer.name]) is None:
                    wpad = max(wpad, kp * min(WPAD // kp, CBLK))
            if layer.name in in_place:
                pw = max(pw, co)
        elif kernel == "dsg_depthwise_conv_3x3_s8":
            dw = True
            wmax = max(wmax, *(n for n in _dw_lines(layer, ho, wo) if n <= DW_WMAX))
            if layer.name in in_place:
                ring = max(ring, (layer.pads[0] + 1) * w * 4)
    return ScratchConfig(kmax, wpad, _up4(wmax), ring, pw, gemm, dw, gemm16)


def _gemm16(layer: ir.Conv, qg: QGraph) -> bool:
    """An int16 conv that dsg_conv_s16 runs as its GEMM (groups 1, int8 weights, z_in 0)."""
    if layer.groups != 1 or lowbit.stored_weights(layer, qg.params[layer.name]) is not None:
        return False
    return conv_kernel("s16", layer)[0] == "dsg_conv_s16"


def _dw_lines(layer: ir.Conv, ho: int, wo: int) -> list[int]:
    """The DSG_DW_WMAX each DSP depthwise path of this layer needs (dsg_depthwise.c): the planes
    along either orientation (dsg_dwl_ok: lanes <= DSG_DW_WMAX + 8) and the row buffers."""
    needs = [MIN_BYTES]
    for length, s in ((wo, layer.stride[1]), (ho, layer.stride[0])):
        if s in (1, 2):
            needs.append(2 * s * ((length + 1) // 2) + 2 - 8)
    needs.append((wo - 1) * layer.stride[1] + 3)
    return needs
