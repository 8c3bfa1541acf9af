"""The network as hw/ module instances connected by AXI-Stream wires (what templates/rtl/top.v.j2
renders).  Every layer of ``qg.int_layers`` becomes one engine (params.py chooses module and
parameters); a tensor read by several layers fans out through a chain of dsg_broadcast (each
graph output counts as one reader: its own m_axis port); the shorter input of every join (add,
concat) gets a dsg_fifo sized by dataflow.py; flatten is a wire.  A channel scale (SE) needs no
FIFO on its map (its engine buffers the whole map until the vector exists); two channel slices of
one tensor (a Split) share one dsg_channel_slice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsgen.backends.names import Namer
from dsgen.backends.rtl import dataflow, params
from dsgen.backends.rtl.fold import HwFold
from dsgen.backends.rtl.params import Instance
from dsgen.errors import DsgenError
from dsgen.ir import graph as ir
from dsgen.quant.qgraph import QGraph
from dsgen.resources import hw_dir


@dataclass
class Netlist:
    top: str
    data_w: int
    wires: list[str]
    instances: list[Instance]
    in_wire: str
    out_wires: list[str]  # one per graph output, in order
    modules: list[str]  # hw/ modules used (file stems), dependencies included
    fifo_depths: dict[str, int]  # skip FIFO instance -> DEPTH


def hw_closure(modules: set[str]) -> list[str]:
    """The modules plus every hw/ module they instantiate (read from the library's sources)."""
    todo, seen = list(modules), set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += re.findall(r"^\s*(dsg_\w+)\s+#\(", (hw_dir() / f"{m}.v").read_text(), re.M)
    return sorted(seen)


class _Builder:
    def __init__(self, qg: QGraph, folds: dict[str, HwFold], namer: Namer, top: str, ii: int):
        self.qg, self.g, self.folds, self.namer = qg, qg.graph, folds, namer
        self.ii = ii  # the design's modelled cycles per inference
        self.data_w = 16 if qg.bits == 16 else 8
        self.wires: list[str] = []
        self.insts: list[Instance] = []
        self.fifo_depths: dict[str, int] = {}
        self.se_slack: dict[str, int] = {}  # channel scale layer -> SLACK (hw/dsg_channel_scale.v)
        self.top = top

    def wire(self, hint: str) -> str:
        w = self.namer.ident("w_" + hint)
        self.wires.append(w)
        return w

    def add(self, inst: Instance) -> None:
        self.insts.append(inst)

    def broadcast(self, src: str, n: int, hint: str) -> list[str]:
        """n wires each carrying every beat of ``src`` (a chain of two-way broadcasts)."""
        outs: list[str] = []
        while n > 1:
            name = self.namer.ident(f"bc_{hint}")
            a, b = self.wire(f"{hint}_b"), self.wire(f"{hint}_b")
            self.add(
                Instance(
                    "dsg_broadcast",
                    name,
                    [("DATA_W", str(self.data_w))],
                    [("s_axis", src), ("m0_axis", a), ("m1_axis", b)],
                )
            )
            outs.append(a)
            src, n = b, n - 1
        return outs + [src]

    def fifo(self, src: str, depth: int, hint: str) -> str:
        name = self.namer.ident(f"skip_{hint}")
        out = self.wire(f"{hint}_skip")
        self.add(
            Instance(
                "dsg_fifo",
                name,
                [("DATA_W", str(self.data_w)), ("DEPTH", str(depth))],
                [("s_axis", src), ("m_axis", out)],
            )
        )
        self.fifo_depths[name] = depth
        return out


def slice_pairs(layers, root) -> dict[str, ir.ChannelSlice]:
    """First slice -> second slice, for the channel slices of one tensor taken two by two (a
    Split's or ShuffleNetV2's two halves): one dsg_channel_slice computes both."""
    by_src: dict[str, list[ir.ChannelSlice]] = {}
    for layer in layers:
        if isinstance(layer, ir.ChannelSlice):
            by_src.setdefault(root(layer.inputs[0]), []).append(layer)
    return {s[i].name: s[i + 1] for s in by_src.values() for i in range(0, len(s) - 1, 2)}


def _slice(b: _Builder, qg: QGraph, layer, second, idents, src: str, produce) -> None:
    c = qg.graph.shape(layer.inputs[0])[-1]
    n_pix = qg.graph.tensors[layer.inputs[0]].size // c
    outs = [b.wire(idents[layer.name])] + ([b.wire(idents[second.name])] if second else [])
    inst = params.channel_slice(layer, second, c, n_pix, idents[layer.name], src, outs, b.data_w)
    inst.layer = layer.name
    b.add(inst)
    for s, out in zip([layer, second] if second else [layer], outs, strict=True):
        produce(s.output, out)


def build_netlist(qg: QGraph, folds: dict[str, HwFold], namer: Namer, top: str, ii: int) -> Netlist:
    g = qg.graph
    b = _Builder(qg, folds, namer, top, ii)
    layers = qg.int_layers
    alias = {l.output: l.inputs[0] for l in layers if isinstance(l, ir.Flatten)}

    def root(t: str) -> str:
        while t in alias:
            t = alias[t]
        return t

    pairs = slice_pairs(layers, root)
    merged = {s.name for s in pairs.values()}  # second slices: computed by their partner
    readers: dict[str, list[tuple[str, int]]] = {}  # tensor -> [(layer name, input index)]
    for layer in layers:
        if isinstance(layer, ir.Flatten) or layer.name in merged:
            continue
        for i, t in enumerate(layer.inputs):
            readers.setdefault(root(t), []).append((layer.name, i))
    for k, t in enumerate(qg.int_outputs):  # the top's output ports ("", k)
        readers.setdefault(root(t), []).append(("", k))

    need = dataflow.first_output_need(qg, root)
    cycles = {name: f.cycles for name, f in folds.items()}
    idents = {l.name: namer.ident(l.name) for l in layers}
    port_wire: dict[tuple[str, int], str] = {}

    def produce(tensor: str, wire: str) -> None:
        rs = readers.get(tensor, [])
        if not rs:
            raise DsgenError(f"RTL backend: tensor '{tensor}' has no reader")
        hint = "in" if tensor == g.input else idents[g.producer(tensor).name]
        for r, w in zip(rs, b.broadcast(wire, len(rs), hint), strict=True):
            port_wire[r] = w

    in_wire = b.wire("in")
    produce(g.input, in_wire)
    for layer in layers:
        if isinstance(layer, ir.Flatten) or layer.name in merged:
            continue
        ins = [port_wire[(layer.name, i)] for i in range(len(layer.inputs))]
        if isinstance(layer, ir.ChannelSlice):
            _slice(b, qg, layer, pairs.get(layer.name), idents, ins[0], produce)
            continue
        if isinstance(layer, ir.ChannelScale):
            # the engine holds a whole map until its vector arrives: its own frame buffer is the
            # map's skip FIFO (hw/dsg_channel_scale.v); only a vector arriving first would wait
            depth, short = dataflow.skip_depth(qg, layer, need, root)
            if short == 1:
                ins[1] = b.fifo(ins[1], depth, idents[layer.name])
            wait = dataflow.se_latency(qg, layer, cycles, root)
            b.se_slack[layer.name] = dataflow.se_slack(qg, layer, wait, ii)
        elif len(ins) == 2:  # a join: the input that arrives first waits in a skip FIFO
            depth, short = dataflow.skip_depth(qg, layer, need, root)
            ins[short] = b.fifo(ins[short], depth, idents[layer.name])
        out = b.wire(idents[layer.name])
        for inst in params.engine(
            qg, layer, folds.get(layer.name), idents[layer.name], ins, out, b
        ):
            inst.layer = layer.name
            b.add(inst)
        produce(layer.output, out)
    out_wires = [port_wire[("", k)] for k in range(len(qg.int_outputs))]
    used = hw_closure({i.module for i in b.insts})
    return Netlist(top, b.data_w, b.wires, b.insts, in_wire, out_wires, used, b.fifo_depths)
