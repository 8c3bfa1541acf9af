"""Render the Jinja templates of templates/hls/ and write the project tree and testbench data.

Every value reaching a template is computed here into a typed record; the templates only print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from dsgen.backends.folding import FoldPlan
from dsgen.backends.hls.dataflow import Dataflow, Stream
from dsgen.backends.hls.kernels import FrameBuffer, KernelCall
from dsgen.quant import int_ref
from dsgen.quant.qgraph import QGraph
from dsgen.resources import templates_dir


@dataclass(frozen=True)
class Partition:
    name: str
    dim: int


@dataclass(frozen=True)
class OutPort:
    """One graph output's AXI-Stream port and its size constant."""

    ident: str
    size_name: str  # <top>_out_size, or <top>_out<k>_size with several outputs
    elems: int


@dataclass(frozen=True)
class FoldRow:
    ident: str
    kind: str
    pe: int
    simd: int
    cycles: int


@dataclass(frozen=True)
class Context:
    top: str
    guard: str
    stamp: str
    bits: int
    part: str
    clock_ns: str
    in_port: str
    out_ports: list[OutPort]
    in_elems: int
    out_elems: int  # all outputs together: one frame of expected.txt
    calls: list[KernelCall]
    streams: list[Stream]  # internal ones (not the ports)
    partitions: list[Partition]
    budget: int
    used: int
    ii: int
    fold_rows: list[FoldRow]
    frame_buffers: list[FrameBuffer]
    bram18: int  # all frame buffers together
    bram36: int


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "hls")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _fold_rows(qg: QGraph, df: Dataflow, plan: FoldPlan) -> list[FoldRow]:
    """The folding table by sanitized identifiers (raw layer names never reach the files)."""
    rows = []
    by_name = {f.name: f for f in plan.layers}
    layer_calls = [c for c in df.calls if c.kind != "dsg_broadcast"]
    layers = [lay for lay in qg.int_layers if lay.kind != "flatten"]
    for layer, call in zip(layers, layer_calls, strict=True):
        f = by_name.get(layer.name)
        if f is not None:
            rows.append(FoldRow(call.ident, f.kind, f.pe, f.simd, f.cycles))
    return rows


def _context(qg, df, plan, top, stamp, part, clock_ns, fbs) -> Context:
    g = qg.graph
    parts = [Partition(a.name, d) for c in df.calls for a in c.arrays for d in a.partition_dims]
    n = len(df.out_ports)
    outs = [
        OutPort(p, f"{top}_out_size" if n == 1 else f"{top}_out{k}_size", df.streams[p].elems)
        for k, p in enumerate(df.out_ports)
    ]
    return Context(
        top=top,
        guard=f"DSG_{top.upper()}_H",
        stamp=stamp,
        bits=qg.bits,
        part=part,
        clock_ns=f"{clock_ns:g}",
        in_port=df.in_port,
        out_ports=outs,
        in_elems=g.tensors[g.input].size,
        out_elems=sum(o.elems for o in outs),
        calls=df.calls,
        streams=[s for s in df.streams.values() if s.ident not in df.ports],
        partitions=parts,
        budget=plan.multipliers,
        used=plan.used_multipliers,
        ii=plan.ii_cycles,
        fold_rows=_fold_rows(qg, df, plan),
        frame_buffers=fbs,
        bram18=sum(f.bram18 for f in fbs),
        bram36=sum(f.bram36 for f in fbs),
    )


def _frames_text(frames: list[np.ndarray]) -> str:
    n = frames[0].size if frames else 0
    lines = [f"{len(frames)} {n}"] + [" ".join(str(int(v)) for v in f.reshape(-1)) for f in frames]
    return "\n".join(lines) + "\n"


def write_tb_data(qg: QGraph, xs: np.ndarray, dst: Path) -> None:
    """input.txt and expected.txt (integer reference outputs) for the testbench; a frame of
    expected.txt holds every graph output, one after the other."""
    dst.mkdir(parents=True, exist_ok=True)
    ys = []
    for x in xs:
        env = int_ref.run(qg, x)
        ys.append(np.concatenate([env[t].reshape(-1) for t in qg.int_outputs]))
    (dst / "input.txt").write_text(_frames_text(list(xs)))
    (dst / "expected.txt").write_text(_frames_text(ys))


def render_project(
    qg, df, plan, out_dir: Path, *, top, stamp, part, clock_ns, tb_inputs, frame_buffers
) -> list[str]:
    ctx = _context(qg, df, plan, top, stamp, part, clock_ns, frame_buffers)
    env = _env()
    outputs = {
        f"firmware/{top}.h": "firmware.h.j2",
        f"firmware/{top}_params.h": "weights.h.j2",
        f"firmware/{top}.cpp": "firmware.cpp.j2",
        f"tb/{top}_tb.cpp": "tb.cpp.j2",
        "run_hls.tcl": "run_hls.tcl.j2",
        "README.md": "README.md.j2",
    }
    for rel, tpl in outputs.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(tpl).render(ctx=ctx))
    write_tb_data(qg, tb_inputs, out_dir / "tb_data")
    return list(outputs) + ["tb_data/input.txt", "tb_data/expected.txt"]
