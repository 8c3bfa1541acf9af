"""RTL backend: the network as synthesizable Verilog built from the hw/ engine library.

``compile_rtl`` writes ``rtl/<top>.v`` (engines from the shared folding plan, AXI-Stream wires,
broadcasts for fan-out, skip FIFOs sized from the dataflow), the ROMs as ``rtl/*.memh``, the hw/
files it uses and ``rtl/filelist.f``; ``sim/`` (a cocotb test, its runner, test vectors from the
integer reference); ``synth.ys`` for yosys; ``README.md``.  Same QGraph and options, same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsgen.backends.folding import MAC_KINDS, FoldPlan, plan_folding
from dsgen.backends.names import Namer
from dsgen.backends.render import environment, stamp
from dsgen.backends.rtl.fold import HwFold, hw_folds
from dsgen.backends.rtl.netlist import Netlist, build_netlist
from dsgen.backends.rtl.sim import write_memh
from dsgen.errors import DsgenError
from dsgen.quant import int_ref
from dsgen.quant.qgraph import QGraph
from dsgen.resources import hw_dir

__all__ = ["RtlSummary", "compile_rtl"]

TB_SAMPLES = 2


@dataclass
class RtlSummary:
    out_dir: Path
    top: str
    files: list[str]  # relative paths written
    plan: FoldPlan  # the shared plan (HLS and RTL)
    folds: dict[str, HwFold]  # hw PE/SIMD per MAC layer
    ii_cycles: int  # modelled steady-state cycles per inference (hw cycle model)
    multipliers: int  # sum of PE*SIMD over MAC layers
    budget: int
    macs: int
    fifo_depths: dict[str, int]
    modules: list[str]

    def describe(self) -> str:
        return (
            f"RTL top {self.top}: {self.multipliers} multipliers (budget {self.budget}), "
            f"modelled II {self.ii_cycles} cycles/inference, "
            f"{len(self.modules)} hw modules, {len(self.files)} files in {self.out_dir}"
        )


def _sha(model_sha256: str) -> str:
    s = model_sha256.lower()
    return s if re.fullmatch(r"[0-9a-f]{1,64}", s) else "unknown"


def default_samples(qg: QGraph, n: int = TB_SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """Random integer inputs over the input type's range, IR layout."""
    lo, hi = -(1 << (qg.input_q.bits - 1)), (1 << (qg.input_q.bits - 1)) - 1
    shape = qg.graph.tensors[qg.graph.input].shape
    return list(np.random.default_rng(seed).integers(lo, hi + 1, size=(n, *shape)))


def _rows(samples) -> str:
    return "".join(" ".join(str(int(v)) for v in np.asarray(s).reshape(-1)) + "\n" for s in samples)


def stream_cycles(qg: QGraph, folds: dict[str, HwFold]) -> int:
    """The hw cycle model's II: the slowest MAC engine or element stream."""
    g = qg.graph
    worst = max((f.cycles for f in folds.values()), default=1)
    for layer in qg.int_layers:
        if layer.kind not in MAC_KINDS:
            worst = max(worst, *(g.tensors[t].size for t in [*layer.inputs, layer.output]))
    return worst


def compile_rtl(
    qg: QGraph,
    out_dir: Path,
    *,
    multipliers: int | None = None,
    model_sha256: str = "unknown",
    samples=None,
    clock_ns: float = 10.0,
) -> RtlSummary:
    """Write the RTL tree for ``qg`` into ``out_dir``.  ``samples``: integer inputs (IR layout) for
    the cocotb test's vectors (default: TB_SAMPLES random ones); expected outputs from int_ref.
    ``clock_ns``: the clock period `dsgen synth` constrains place and route to (design.json)."""
    out_dir = Path(out_dir)
    plan = plan_folding(qg, multipliers)
    folds = hw_folds(qg, plan)
    namer = Namer()
    top = namer.ident(qg.graph.name or "model") + "_top"
    ii = stream_cycles(qg, folds)
    net = build_netlist(qg, folds, namer, top, ii)
    samples = default_samples(qg) if samples is None else list(samples)
    st = stamp(_sha(model_sha256))
    files = _write(qg, net, folds, plan, ii, samples, st, out_dir)
    files.append(_write_design(out_dir, net.top, clock_ns, ii, folds, plan.multipliers))
    return RtlSummary(
        out_dir,
        top,
        files,
        plan,
        folds,
        ii,
        sum(f.multipliers for f in folds.values()),
        plan.multipliers,
        sum(f.macs for f in folds.values()),
        net.fifo_depths,
        net.modules,
    )


def _write(qg, net: Netlist, folds, plan, ii, samples, st, out: Path) -> list[str]:
    env = environment()
    env.trim_blocks = env.lstrip_blocks = True  # this backend's templates are block-per-line
    g = qg.graph
    rtl, sim = out / "rtl", out / "sim"
    rtl.mkdir(parents=True, exist_ok=True)
    sim.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    def put(rel: str, text: str) -> None:
        (out / rel).write_text(text)
        written.append(rel)

    in_elems = g.tensors[g.input].size
    ports = out_ports(qg, net)
    ctx = dict(
        stamp=st,
        top=net.top,
        data_w=net.data_w,
        msb=net.data_w - 1,
        in_elems=in_elems,
        out_elems=sum(p.elems for p in ports),
        ports=ports,
    )
    put(
        f"rtl/{net.top}.v",
        env.get_template("rtl/top.v.j2").render(
            **ctx,
            wires=net.wires,
            instances=net.instances,
            in_wire=net.in_wire,
        ),
    )
    for inst in net.instances:
        for fname, (words, width) in inst.roms.items():
            write_memh(rtl / fname, words, width)
            written.append(f"rtl/{fname}")
    hw_files = [f"{m}.v" for m in net.modules]
    for f in hw_files:
        # the library file, stamped so the tree is self-describing
        src = (hw_dir() / f).read_text()
        put(f"rtl/{f}", f"// {st}\n// Copied from dsgen's hw/ library.\n{src}")
    files = [*hw_files, f"{net.top}.v"]
    put("rtl/filelist.f", env.get_template("rtl/filelist.f.j2").render(stamp=st, files=files))
    put("synth.ys", env.get_template("rtl/synth.ys.j2").render(stamp=st, top=net.top, files=files))
    timeout = 20 * ii + 20 * in_elems + 20000
    put(
        f"sim/test_{net.top}.py",
        env.get_template("rtl/test_top.py.j2").render(
            **ctx, timeout_cycles=timeout, tail_cycles=max(50, min(ii, 2000))
        ),
    )
    put("sim/run_sim.py", env.get_template("rtl/run_sim.py.j2").render(stamp=st, top=net.top))
    put("sim/inputs.txt", _rows(samples))
    put("sim/expected.txt", _rows(_expected(qg, np.asarray(x)) for x in samples))
    rows = [
        dict(
            name=i.name,
            module=i.module,
            pe=folds[n].pe,
            # SIMD channels x TAPS window words per multiply word (dsg_vecbuf packs them)
            simd=folds[n].simd if folds[n].taps == 1 else f"{folds[n].simd}x{folds[n].taps}",
            mults=folds[n].multipliers,
            cycles=folds[n].cycles,
        )
        for n, i in _mac_instances(qg, net)
    ]
    put(
        "README.md",
        env.get_template("rtl/README.md.j2").render(
            **ctx,
            multipliers=sum(f.multipliers for f in folds.values()),
            budget=plan.multipliers,
            ii_cycles=ii,
            bottleneck=_bottleneck(qg, net, folds, ii),
            rows=rows,
            fifos=sorted(net.fifo_depths.items()),
        ),
    )
    return sorted(written)


@dataclass(frozen=True)
class OutPort:
    """One graph output's AXI-Stream master port of the top."""

    prefix: str  # m_axis (a single output), else m<k>_axis
    wire: str  # the netlist wire it carries
    elems: int  # elements per inference


def out_ports(qg: QGraph, net: Netlist) -> list[OutPort]:
    n = len(qg.int_outputs)
    return [
        OutPort("m_axis" if n == 1 else f"m{k}_axis", w, qg.graph.tensors[t].size)
        for k, (t, w) in enumerate(zip(qg.int_outputs, net.out_wires, strict=True))
    ]


def _expected(qg: QGraph, x: np.ndarray) -> np.ndarray:
    """One line of expected.txt: every graph output of the sample, one after the other."""
    env = int_ref.run(qg, x)
    return np.concatenate([env[t].reshape(-1) for t in qg.int_outputs])


def _write_design(out: Path, top: str, clock_ns: float, ii: int, folds, budget: int) -> str:
    """What `dsgen synth` needs from the compile: the top, the clock constraint, the modelled
    cycles per inference and the MAC multipliers (to tell MAC from other hard multipliers)."""
    if not clock_ns > 0:
        raise DsgenError(f"--clock-ns must be positive (got {clock_ns})")
    design = {
        "top": top,
        "clock_ns": clock_ns,
        "ii_cycles": ii,
        "mac_multipliers": sum(f.multipliers for f in folds.values()),
        "budget": budget,
    }
    (out / "design.json").write_text(json.dumps(design, indent=1, sort_keys=True) + "\n")
    return "design.json"


def _mac_instances(qg: QGraph, net: Netlist):
    for layer in qg.int_layers:
        if layer.kind in MAC_KINDS:
            yield layer.name, next(i for i in net.instances if i.layer == layer.name)


def _bottleneck(qg, net, folds, ii) -> str:
    for layer in qg.int_layers:
        f = folds.get(layer.name)
        if f is not None and f.cycles == ii:
            return next(i.name for i in net.instances if i.layer == layer.name)
    return "element stream"


def copy_roms(out_dir: Path, dest: Path) -> None:
    """The ROM files into a simulation's working directory ($readmemh reads relative names)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rom in sorted((Path(out_dir) / "rtl").glob("*.memh")):
        shutil.copy(rom, dest / rom.name)
